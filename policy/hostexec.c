/* agentbox: hostexec canonical argv and PCRE2 rules (see hostexec.h). */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "policy/hostexec.h"

#include <errno.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"

/* A pathological pattern must not stall the guardian: bounded backtracking,
 * and hitting the bound is an error that denies (fails closed). */
#define MATCH_LIMIT 1000000u
#define DEPTH_LIMIT 10000u

struct compiled
{
  struct ab_hostexec_rule rule;
  pcre2_code *code;
};

struct rule_list
{
  struct compiled *v;
  size_t len, cap;
};

struct ab_hostexec
{
  struct rule_list lists[AB_HOSTEXEC_N_LISTS];
  pcre2_match_data *md; /* reused: one pair is enough, no captures used */
  pcre2_match_context *mctx;
};

struct ab_hostexec *
ab_hostexec_new (void)
{
  struct ab_hostexec *h = calloc (1, sizeof *h);

  if (h == NULL)
    return NULL;
  h->md = pcre2_match_data_create (1, NULL);
  h->mctx = pcre2_match_context_create (NULL);
  if (h->md == NULL || h->mctx == NULL)
    {
      ab_hostexec_free (h);
      return NULL;
    }
  pcre2_set_match_limit (h->mctx, MATCH_LIMIT);
  pcre2_set_depth_limit (h->mctx, DEPTH_LIMIT);
  return h;
}

void
ab_hostexec_free (struct ab_hostexec *h)
{
  if (h == NULL)
    return;
  for (int l = 0; l < AB_HOSTEXEC_N_LISTS; l++)
    {
      for (size_t i = 0; i < h->lists[l].len; i++)
        {
          pcre2_code_free (h->lists[l].v[i].code);
          free (h->lists[l].v[i].rule.pattern);
          free (h->lists[l].v[i].rule.file);
        }
      free (h->lists[l].v);
    }
  pcre2_match_data_free (h->md);
  pcre2_match_context_free (h->mctx);
  free (h);
}

const char *
ab_hostexec_list_name (enum ab_hostexec_list list)
{
  switch (list)
    {
    case AB_HOSTEXEC_DENY:
      return "deny";
    case AB_HOSTEXEC_AUTO_APPROVE:
      return "auto_approve";
    case AB_HOSTEXEC_MANUAL_APPROVE:
      return "manual_approve";
    default:
      return "?";
    }
}

const char *
ab_hostexec_verdict_name (enum ab_hostexec_verdict v)
{
  switch (v)
    {
    case AB_HOSTEXEC_VERDICT_RUN:
      return "run";
    case AB_HOSTEXEC_VERDICT_ASK:
      return "ask";
    default:
      return "deny";
    }
}

/* The PCRE2 boundary: its error code becomes a message, once. */
static int
pcre2_error (ab_error_t *err, int code, const char *fmt_prefix)
{
  PCRE2_UCHAR msg[256];

  if (pcre2_get_error_message (code, msg, sizeof msg) < 0)
    strcpy ((char *)msg, "unknown PCRE2 error");
  return ab_error_set (err, code == PCRE2_ERROR_NOMEMORY ? ENOMEM : EINVAL,
                       "%s%s", fmt_prefix, (const char *)msg);
}

static int
list_push (struct rule_list *l, struct compiled *c)
{
  if (l->len == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : 8;
      struct compiled *v = realloc (l->v, cap * sizeof *v);

      if (v == NULL)
        return -1;
      l->v = v;
      l->cap = cap;
    }
  l->v[l->len++] = *c;
  return 0;
}

static pcre2_code *
compile (const char *pattern, int *ecode, PCRE2_SIZE *eoff)
{
  /* ANCHORED|ENDANCHORED: a rule is about the whole command line, never a
   * substring of it; DOLLAR_ENDONLY so `$` cannot match before a final
   * newline.  \C could split a UTF-8 character: refused. */
  uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF
                  | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C;
  pcre2_code *code = pcre2_compile ((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                    opts, ecode, eoff, NULL);

  /* No JIT (unsupported arch, or SELinux forbids executable memory) only
   * costs speed: the interpreter gives the same answers. */
  if (code)
    (void)pcre2_jit_compile (code, PCRE2_JIT_COMPLETE);
  return code;
}

int
ab_hostexec_add (struct ab_hostexec *h, enum ab_hostexec_list list,
                 const char *pattern, const char *file, unsigned line,
                 unsigned col, ab_error_t *err)
{
  struct compiled c = { .rule = { .list = list, .line = line, .col = col } };
  int ecode = 0;
  PCRE2_SIZE eoff = 0;

  if ((unsigned)list >= AB_HOSTEXEC_N_LISTS)
    return ab_error_set (err, EINVAL, "hostexec: bad rule list %d", list);
  c.code = compile (pattern, &ecode, &eoff);
  if (c.code == NULL)
    {
      cleanup_free char *prefix = NULL;

      if (asprintf (&prefix,
                    "%s:%u:%u: hostexec %s pattern `%s`: at offset %zu: ",
                    file ? file : "(policy)", line, col,
                    ab_hostexec_list_name (list), pattern, (size_t)eoff)
          < 0)
        return ab_error_set (err, ENOMEM, "hostexec: out of memory");
      return pcre2_error (err, ecode, prefix);
    }
  c.rule.pattern = strdup (pattern);
  c.rule.file = file ? strdup (file) : NULL;
  if (c.rule.pattern == NULL || (file && c.rule.file == NULL)
      || list_push (&h->lists[list], &c) < 0)
    {
      pcre2_code_free (c.code);
      free (c.rule.pattern);
      free (c.rule.file);
      return ab_error_set (err, ENOMEM, "hostexec: out of memory");
    }
  return 0;
}

size_t
ab_hostexec_count (const struct ab_hostexec *h, enum ab_hostexec_list list)
{
  if (h == NULL || (unsigned)list >= AB_HOSTEXEC_N_LISTS)
    return 0;
  return h->lists[list].len;
}

const struct ab_hostexec_rule *
ab_hostexec_rule_at (const struct ab_hostexec *h, enum ab_hostexec_list list,
                     size_t i)
{
  if (i >= ab_hostexec_count (h, list))
    return NULL;
  return &h->lists[list].v[i].rule;
}

/* ---- canonical form -------------------------------------------------- */

static bool
safe_char (unsigned char c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
      || (c >= '0' && c <= '9'))
    return true;
  return c != '\0' && strchr ("_@%+=:,./-", c) != NULL;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static bool
valid_utf8 (const unsigned char *s, size_t len)
{
  size_t i = 0;

  while (i < len)
    {
      unsigned char c = s[i];
      size_t n;
      uint32_t cp;

      if (c < 0x80)
        {
          i++;
          continue;
        }
      if (c >= 0xc2 && c <= 0xdf)
        n = 1, cp = c & 0x1f;
      else if (c >= 0xe0 && c <= 0xef)
        n = 2, cp = c & 0x0f;
      else if (c >= 0xf0 && c <= 0xf4)
        n = 3, cp = c & 0x07;
      else
        return false;
      if (len - i <= n)
        return false;
      for (size_t k = 1; k <= n; k++)
        {
          if ((s[i + k] & 0xc0) != 0x80)
            return false;
          cp = (cp << 6) | (s[i + k] & 0x3f);
        }
      if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
          || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
        return false;
      i += n + 1;
    }
  return true;
}

static int
quote_word (struct ab_buf *b, const char *w, size_t len)
{
  bool bare = len > 0;

  for (size_t i = 0; bare && i < len; i++)
    bare = safe_char ((unsigned char)w[i]);
  if (bare)
    return ab_buf_append (b, w, len);
  if (ab_buf_puts (b, "'") < 0)
    return -1;
  for (size_t i = 0; i < len; i++)
    {
      int r = w[i] == '\'' ? ab_buf_puts (b, "'\\''")
                           : ab_buf_append (b, &w[i], 1);
      if (r < 0)
        return -1;
    }
  return ab_buf_puts (b, "'");
}

int
ab_hostexec_canonical (const char *const *argv, const size_t *lens, size_t argc,
                       char **out, ab_error_t *err)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;

  /* Fail closed: nothing to run has no canonical form. */
  if (argc == 0 || argv == NULL)
    return ab_error_set (err, EINVAL, "hostexec: empty argv");
  for (size_t i = 0; i < argc; i++)
    {
      size_t len;

      if (argv[i] == NULL)
        return ab_error_set (err, EINVAL, "hostexec: argv[%zu] is missing", i);
      len = lens ? lens[i] : strlen (argv[i]);
      /* A NUL would make the word the program sees differ from the word
       * the rule saw: refused, not truncated. */
      if (memchr (argv[i], '\0', len))
        return ab_error_set (err, EINVAL,
                             "hostexec: argv[%zu] contains a NUL byte", i);
      if (!valid_utf8 ((const unsigned char *)argv[i], len))
        return ab_error_set (err, EINVAL,
                             "hostexec: argv[%zu] is not valid UTF-8", i);
      if ((i > 0 && ab_buf_puts (&b, " ") < 0)
          || quote_word (&b, argv[i], len) < 0)
        return ab_error_set (err, ENOMEM, "hostexec: out of memory");
    }
  *out = ab_buf_steal (&b);
  if (*out == NULL)
    return ab_error_set (err, ENOMEM, "hostexec: out of memory");
  return 0;
}

/* ---- decision -------------------------------------------------------- */

static const enum ab_hostexec_verdict list_verdict[AB_HOSTEXEC_N_LISTS] = {
  [AB_HOSTEXEC_DENY] = AB_HOSTEXEC_VERDICT_DENY,
  [AB_HOSTEXEC_AUTO_APPROVE] = AB_HOSTEXEC_VERDICT_RUN,
  [AB_HOSTEXEC_MANUAL_APPROVE] = AB_HOSTEXEC_VERDICT_ASK,
};

/* 1 on a match, 0 on none, negative on a matcher error. */
static int
match_one (struct ab_hostexec *h, const struct compiled *c, const char *s,
           size_t len, ab_error_t *err)
{
  int rc = pcre2_match (c->code, (PCRE2_SPTR)s, len, 0, 0, h->md, h->mctx);

  /* rc == 0: matched, the one-pair ovector was too small for captures. */
  if (rc >= 0)
    return 1;
  if (rc == PCRE2_ERROR_NOMATCH)
    return 0;
  {
    cleanup_free char *prefix = NULL;

    if (asprintf (&prefix, "%s:%u:%u: hostexec %s pattern `%s`: ",
                  c->rule.file ? c->rule.file : "(policy)", c->rule.line,
                  c->rule.col, ab_hostexec_list_name (c->rule.list),
                  c->rule.pattern)
        < 0)
      return ab_error_set (err, ENOMEM, "hostexec: out of memory");
    pcre2_error (err, rc, prefix);
  }
  return -1;
}

int
ab_hostexec_decide (struct ab_hostexec *h, const char *canonical, size_t len,
                    struct ab_hostexec_result *res, ab_error_t *err)
{
  res->verdict = AB_HOSTEXEC_VERDICT_DENY;
  res->rule = NULL;
  if (!valid_utf8 ((const unsigned char *)canonical, len))
    return ab_error_set (err, EINVAL, "hostexec: command is not valid UTF-8");
  /* Order is the policy: deny, then auto, then manual. */
  for (int l = 0; l < AB_HOSTEXEC_N_LISTS; l++)
    for (size_t i = 0; i < h->lists[l].len; i++)
      {
        const struct compiled *c = &h->lists[l].v[i];
        int r = match_one (h, c, canonical, len, err);

        /* A rule that cannot be evaluated might have been a deny: the
         * whole decision fails closed (res stays deny). */
        if (r < 0)
          return -1;
        if (r > 0)
          {
            res->verdict = list_verdict[l];
            res->rule = &c->rule;
            return 0;
          }
      }
  return 0; /* no rule: default deny */
}

int
ab_hostexec_decide_argv (struct ab_hostexec *h, const char *const *argv,
                         const size_t *lens, size_t argc,
                         struct ab_hostexec_result *res, char **canonical,
                         ab_error_t *err)
{
  cleanup_free char *s = NULL;

  res->verdict = AB_HOSTEXEC_VERDICT_DENY;
  res->rule = NULL;
  if (canonical)
    *canonical = NULL;
  if (ab_hostexec_canonical (argv, lens, argc, &s, err) < 0)
    return -1;
  if (ab_hostexec_decide (h, s, strlen (s), res, err) < 0)
    return -1;
  if (canonical)
    *canonical = steal_pointer (&s);
  return 0;
}
