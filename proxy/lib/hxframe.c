/* agentbox: the libc-only half of the hostexec protocol (hxproto.h):
 * framing, the request checker and writer, the UTF-8 validator.  The
 * static in-container client links this file alone, so it uses nothing
 * but libc. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/lib/hxproto.h"

/* ---- framing ---- */

int
hx_frame_peek (const uint8_t *buf, size_t len, uint8_t *type,
               size_t *payload_len)
{
  uint32_t n;

  if (len < 4)
    return 0;
  n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8
      | buf[3];
  /* Judge the length as soon as it is known: a peer announcing 4 GiB is
   * refused before anyone waits for it. */
  if (n == 0 || n > HX_FRAME_MAX)
    return -1;
  if (len - 4 < n)
    return 0;
  *type = buf[4];
  *payload_len = n - 1;
  return 1;
}

void
hx_frame_header (uint8_t out[5], uint8_t type, size_t payload_len)
{
  uint32_t n = (uint32_t)payload_len + 1; /* the type byte counts */

  out[0] = n >> 24;
  out[1] = n >> 16;
  out[2] = n >> 8;
  out[3] = n;
  out[4] = type;
}

/* ---- UTF-8 ---- */

/* The length of the sequence starting at S (at most LEFT bytes), or 0
 * when it is invalid: the ranges are those of RFC 3629's table, which
 * excludes overlong forms, surrogates and anything above U+10FFFF. */
static size_t
utf8_seq (const unsigned char *s, size_t left)
{
  unsigned char c = s[0], lo = 0x80, hi = 0xbf;
  size_t n, i;

  if (c >= 0x01 && c <= 0x7f)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4;
  else
    return 0; /* NUL, a continuation byte, C0/C1, F5..FF */
  if (c == 0xe0)
    lo = 0xa0;
  else if (c == 0xed)
    hi = 0x9f;
  else if (c == 0xf0)
    lo = 0x90;
  else if (c == 0xf4)
    hi = 0x8f;
  if (left < n || s[1] < lo || s[1] > hi)
    return 0;
  for (i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  return n;
}

bool
hx_utf8_valid (const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, n;

  while (i < len)
    {
      n = utf8_seq (p + i, len - i);
      if (n == 0)
        return false;
      i += n;
    }
  return true;
}

/* ---- the request: checking ---- */

static bool
env_key_valid (const char *s, size_t len)
{
  size_t i;

  if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
    return false;
  for (i = 0; i < len; i++)
    {
      char c = s[i];
      if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')))
        return false;
    }
  return true;
}

static int fail (char *why, size_t why_cap, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Returns ERRNUM, with the reason in WHY when there is room for one. */
static int
fail (char *why, size_t why_cap, int errnum, const char *fmt, ...)
{
  va_list ap;

  if (why && why_cap)
    {
      va_start (ap, fmt);
      vsnprintf (why, why_cap, fmt, ap);
      va_end (ap);
    }
  return errnum;
}

/* Word lengths are counted without their NUL: HX_ARGV_BYTES bounds what
 * the guardian copies, not a C layout. */
static int
check_argv (const struct hx_request *r, char *why, size_t why_cap)
{
  size_t i, total = 0, n;

  if (r->argv == NULL || r->argc == 0)
    return fail (why, why_cap, EINVAL, "argv is empty");
  if (r->argc > HX_ARGV_MAX)
    return fail (why, why_cap, E2BIG, "argv has more than %d words",
                 HX_ARGV_MAX);
  for (i = 0; i < r->argc; i++)
    {
      if (r->argv[i] == NULL)
        return fail (why, why_cap, EINVAL, "argv[%zu] is missing", i);
      n = strlen (r->argv[i]);
      if (!hx_utf8_valid (r->argv[i], n))
        return fail (why, why_cap, EINVAL, "argv[%zu] is not valid UTF-8", i);
      total += n;
      if (total > HX_ARGV_BYTES)
        return fail (why, why_cap, E2BIG, "argv is longer than %d bytes",
                     HX_ARGV_BYTES);
    }
  return 0;
}

/* HX_CWD_MAX counts the NUL, as PATH_MAX does: getcwd() never returns a
 * longer path. */
static int
check_cwd (const struct hx_request *r, char *why, size_t why_cap)
{
  size_t n;

  if (r->cwd == NULL || r->cwd[0] != '/')
    return fail (why, why_cap, EINVAL, "cwd is not an absolute path");
  n = strlen (r->cwd);
  if (n >= HX_CWD_MAX)
    return fail (why, why_cap, E2BIG, "cwd is longer than %d bytes",
                 HX_CWD_MAX - 1);
  if (!hx_utf8_valid (r->cwd, n))
    return fail (why, why_cap, EINVAL, "cwd is not valid UTF-8");
  return 0;
}

/* Is the key of "K=V" entry I already used by an earlier entry?  At most
 * HX_ENV_MAX entries, so quadratic is fine; refused, not "last wins",
 * since two readers could disagree on which one wins. */
static bool
env_key_repeated (char *const *env, size_t i, size_t keylen)
{
  size_t j;

  for (j = 0; j < i; j++)
    if (strncmp (env[j], env[i], keylen + 1) == 0)
      return true;
  return false;
}

static int
check_env_entry (char *const *env, size_t i, char *why, size_t why_cap)
{
  const char *eq = strchr (env[i], '=');
  size_t keylen;

  if (eq == NULL)
    return fail (why, why_cap, EINVAL, "env[%zu] is not KEY=VALUE", i);
  keylen = eq - env[i];
  if (!env_key_valid (env[i], keylen))
    return fail (why, why_cap, EINVAL,
                 "env[%zu]: the name is not [A-Za-z_][A-Za-z0-9_]*", i);
  if (env_key_repeated (env, i, keylen))
    return fail (why, why_cap, EINVAL, "env[%zu]: the name is repeated", i);
  if (!hx_utf8_valid (eq + 1, strlen (eq + 1)))
    return fail (why, why_cap, EINVAL, "env[%zu] is not valid UTF-8", i);
  return 0;
}

static int
check_env (const struct hx_request *r, char *why, size_t why_cap)
{
  size_t i, total = 0;
  int e;

  for (i = 0; r->env && r->env[i]; i++)
    {
      if (i >= HX_ENV_MAX)
        return fail (why, why_cap, E2BIG, "env has more than %d variables",
                     HX_ENV_MAX);
      e = check_env_entry (r->env, i, why, why_cap);
      if (e)
        return e;
      total += strlen (r->env[i]);
      if (total > HX_ENV_BYTES)
        return fail (why, why_cap, E2BIG, "env is longer than %d bytes",
                     HX_ENV_BYTES);
    }
  return 0;
}

int
hx_request_check (const struct hx_request *r, char *why, size_t why_cap)
{
  int e;

  e = check_argv (r, why, why_cap);
  if (e == 0)
    e = check_cwd (r, why, why_cap);
  if (e == 0)
    e = check_env (r, why, why_cap);
  return e;
}

/* ---- the request: writing ---- */

/* An output that only counts while P is NULL, so one walk sizes the
 * buffer and a second fills it. */
struct jbuf
{
  char *p;
  size_t len;
};

static void
put (struct jbuf *b, const char *s, size_t n)
{
  if (b->p)
    memcpy (b->p + b->len, s, n);
  b->len += n;
}

/* The short escapes where JSON has them, \u00XX for the other control
 * characters, everything else (UTF-8 included) as is: no valid JSON
 * spells a string in fewer bytes, so re-writing a parsed request never
 * outgrows the frame it came in. */
static void
put_string (struct jbuf *b, const char *s)
{
  static const char hex[] = "0123456789abcdef";
  const char *shorts = "\b\f\n\r\t", *letters = "bfnrt", *sp;
  unsigned char c;
  char esc[6];

  put (b, "\"", 1);
  for (; (c = *s); s++)
    if (c == '"' || c == '\\')
      {
        esc[0] = '\\';
        esc[1] = c;
        put (b, esc, 2);
      }
    else if (c < 0x20 && (sp = strchr (shorts, c)))
      {
        esc[0] = '\\';
        esc[1] = letters[sp - shorts];
        put (b, esc, 2);
      }
    else if (c < 0x20)
      {
        memcpy (esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        put (b, esc, 6);
      }
    else
      put (b, (const char *)&c, 1);
  put (b, "\"", 1);
}

static void
put_env (struct jbuf *b, char *const *env)
{
  size_t i;

  put (b, ",\"env\":{", 8);
  for (i = 0; env[i]; i++)
    {
      const char *eq = strchr (env[i], '=');

      if (i)
        put (b, ",", 1);
      /* Keys are [A-Za-z0-9_]+: nothing to escape. */
      put (b, "\"", 1);
      put (b, env[i], eq - env[i]);
      put (b, "\":", 2);
      put_string (b, eq + 1);
    }
  put (b, "}", 1);
}

/* "env" and "stdin" are left out at their defaults, again so the output
 * is never longer than the smallest JSON the parser accepts. */
static void
put_request (struct jbuf *b, const struct hx_request *r)
{
  size_t i;

  put (b, "{\"v\":1,\"argv\":[", 15);
  for (i = 0; i < r->argc; i++)
    {
      if (i)
        put (b, ",", 1);
      put_string (b, r->argv[i]);
    }
  put (b, "],\"cwd\":", 8);
  put_string (b, r->cwd);
  if (r->env && r->env[0])
    put_env (b, r->env);
  if (r->stdin_wanted)
    put (b, ",\"stdin\":true", 13);
  put (b, "}", 1);
}

int
hx_request_write (const struct hx_request *r, char **out, size_t *len)
{
  struct jbuf b = { NULL, 0 };
  int e;

  e = hx_request_check (r, NULL, 0);
  if (e)
    {
      errno = e;
      return -1;
    }
  put_request (&b, r);
  if (b.len > HX_PAYLOAD_MAX)
    {
      errno = E2BIG;
      return -1;
    }
  b.p = malloc (b.len + 1);
  if (b.p == NULL)
    return -1;
  b.len = 0;
  put_request (&b, r);
  b.p[b.len] = '\0';
  *out = b.p;
  *len = b.len;
  return 0;
}
