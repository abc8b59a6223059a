/* agentbox: parse JSON into the lossless tree with yajl's callback parser.
 *
 * yajl_tree would be shorter, but it turns numbers into long long/double
 * (18446744073709551615 and -1.5e10 would not survive) and keeps only one
 * of two duplicate keys.  The callback parser hands us every key and the
 * raw text of every number, so the tree is the document. */
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "spec/internal.h"

#define AB_JSON_MAX_DEPTH 512
/* A config.json is a few KiB; refuse to read a file that could exhaust
 * memory (fails closed). */
#define AB_JSON_MAX_FILE (64u << 20)

struct parse_ctx
{
  yajl_handle h;
  struct ab_json *root;
  struct ab_json *stack[AB_JSON_MAX_DEPTH];
  size_t depth;
  char *key;        /* pending object key */
  const char *fail; /* why a callback stopped the parse */
};

static void
yajl_freep (yajl_handle *h)
{
  if (*h)
    yajl_free (*h);
}
#define cleanup_yajl __attribute__ ((cleanup (yajl_freep)))

/* ---- where: byte offset -> line:col ---- */

static void
line_col (const char *data, size_t off, size_t *line, size_t *col)
{
  size_t i;

  *line = 1;
  *col = 1;
  for (i = 0; i < off; i++)
    {
      if (data[i] == '\n')
        {
          (*line)++;
          *col = 1;
        }
      else if (((unsigned char)data[i] & 0xc0) != 0x80)
        (*col)++; /* count characters, not UTF-8 continuation bytes */
    }
}

static int
parse_error (const char *data, size_t len, size_t off, const char *name,
             ab_error_t *err, const char *msg)
{
  size_t line, col;

  if (off > len)
    off = len;
  line_col (data, off, &line, &col);
  return ab_error_set (err, EINVAL, "%s:%zu:%zu: %s", name, line, col, msg);
}

/* ---- the pre-scan: what yajl lets through ---- */

/* Length of the strict UTF-8 sequence at P (no overlong forms, no
 * surrogates, nothing above U+10FFFF), 0 if invalid.  yajl's own check
 * only looks at the shape of lead and continuation bytes. */
static size_t
utf8_len (const unsigned char *p, size_t avail)
{
  unsigned c = p[0];
  size_t n, i;
  unsigned long cp;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4, cp = c & 0x07;
  else
    return 0;
  if (avail < n)
    return 0;
  for (i = 1; i < n; i++)
    {
      if ((p[i] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff
      || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

static long
hex4 (const char *p, size_t avail)
{
  long v = 0;
  size_t i;

  if (avail < 4)
    return -1;
  for (i = 0; i < 4; i++)
    {
      char c = p[i];

      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return -1;
    }
  return v;
}

/* Check a \u escape at DATA[I] == '\\'.  yajl turns \u0000 into a NUL
 * inside the string and an unpaired surrogate into '?' or into invalid
 * UTF-8; both would change the document, so both are errors. */
static const char *
check_u_escape (const char *data, size_t len, size_t i, size_t *skip)
{
  long cp = hex4 (data + i + 2, len - i - 2), lo;

  *skip = 2;
  if (cp < 0)
    return NULL; /* yajl reports the bad escape */
  *skip = 6;
  if (cp == 0)
    return "\\u0000 is not allowed in a string";
  if (cp >= 0xdc00 && cp <= 0xdfff)
    return "unpaired surrogate in \\u escape";
  if (cp < 0xd800 || cp > 0xdbff)
    return NULL;
  if (len - i < 12 || data[i + 6] != '\\' || data[i + 7] != 'u')
    return "unpaired surrogate in \\u escape";
  lo = hex4 (data + i + 8, len - i - 8);
  if (lo < 0xdc00 || lo > 0xdfff)
    return "unpaired surrogate in \\u escape";
  *skip = 12;
  return NULL;
}

/* NUL bytes, invalid UTF-8 and lossy escapes, with their offset. */
static const char *
prescan (const char *data, size_t len, size_t *where)
{
  bool in_string = false;
  size_t i = 0, n;
  const char *bad;

  while (i < len)
    {
      unsigned char c = (unsigned char)data[i];

      *where = i;
      if (c == '\0')
        return "NUL byte in input";
      if (c >= 0x80)
        {
          n = utf8_len ((const unsigned char *)data + i, len - i);
          if (n == 0)
            return "invalid UTF-8";
          i += n;
          continue;
        }
      if (c == '"')
        in_string = !in_string;
      else if (in_string && c == '\\' && i + 1 < len)
        {
          if (data[i + 1] == 'u')
            {
              bad = check_u_escape (data, len, i, &n);
              if (bad)
                return bad;
              i += n;
              continue;
            }
          i++; /* skip the escaped character, e.g. \" */
        }
      i++;
    }
  return NULL;
}

/* ---- yajl callbacks ---- */

static int
add_value (struct parse_ctx *c, struct ab_json *v)
{
  struct ab_json *top;

  if (v == NULL)
    {
      c->fail = "out of memory";
      return 0;
    }
  if (c->depth == 0)
    {
      c->root = v;
      return 1;
    }
  top = c->stack[c->depth - 1];
  if (top->type == AB_JSON_ARRAY)
    {
      if (ab_json_append (top, v) == 0)
        return 1;
    }
  else if (ab_json_object_push (top, steal_pointer (&c->key), v) == 0)
    return 1;
  c->fail = "out of memory";
  return 0;
}

static int
open_container (struct parse_ctx *c, struct ab_json *v)
{
  if (c->depth >= AB_JSON_MAX_DEPTH)
    {
      /* Fails closed: the tree code recurses, so depth is bounded. */
      ab_json_free (v);
      c->fail = "nesting deeper than 512 levels";
      return 0;
    }
  if (!add_value (c, v))
    return 0;
  c->stack[c->depth++] = v;
  return 1;
}

static int
cb_null (void *ctx)
{
  return add_value (ctx, ab_json_new_null ());
}

static int
cb_boolean (void *ctx, int b)
{
  return add_value (ctx, ab_json_new_bool (b != 0));
}

static int
cb_number (void *ctx, const char *s, size_t len)
{
  struct parse_ctx *c = ctx;
  cleanup_free char *text = strndup (s, len);

  if (text == NULL)
    {
      c->fail = "out of memory";
      return 0;
    }
  return add_value (c, ab_json_new_number (text));
}

static char *
dup_string (struct parse_ctx *c, const unsigned char *s, size_t len)
{
  char *p;

  /* The pre-scan rejects \u0000, so this only guards that promise. */
  if (memchr (s, '\0', len))
    {
      c->fail = "NUL character in string";
      return NULL;
    }
  p = strndup ((const char *)s, len);
  if (p == NULL)
    c->fail = "out of memory";
  return p;
}

static int
cb_string (void *ctx, const unsigned char *s, size_t len)
{
  struct parse_ctx *c = ctx;
  struct ab_json *j;
  char *p = dup_string (c, s, len);

  if (p == NULL)
    return 0;
  j = ab_json_new_string ("");
  if (j == NULL)
    {
      free (p);
      return add_value (c, NULL);
    }
  free (j->u.string.ptr);
  j->u.string.ptr = p;
  j->u.string.len = len;
  return add_value (c, j);
}

static int
cb_map_key (void *ctx, const unsigned char *s, size_t len)
{
  struct parse_ctx *c = ctx;

  free (c->key);
  c->key = dup_string (c, s, len);
  return c->key != NULL;
}

static int
cb_start_map (void *ctx)
{
  return open_container (ctx, ab_json_new_object ());
}

static int
cb_start_array (void *ctx)
{
  return open_container (ctx, ab_json_new_array ());
}

static int
cb_end (void *ctx)
{
  struct parse_ctx *c = ctx;

  c->depth--;
  return 1;
}

static const yajl_callbacks callbacks = {
  .yajl_null = cb_null,
  .yajl_boolean = cb_boolean,
  .yajl_number = cb_number, /* raw text: integer/double callbacks unused */
  .yajl_string = cb_string,
  .yajl_start_map = cb_start_map,
  .yajl_map_key = cb_map_key,
  .yajl_end_map = cb_end,
  .yajl_start_array = cb_start_array,
  .yajl_end_array = cb_end,
};

/* ---- entry points ---- */

static bool
only_space (const char *data, size_t len)
{
  size_t i;

  for (i = 0; i < len; i++)
    if (!strchr (" \t\r\n", data[i]))
      return false;
  return true;
}

/* Turn a yajl status into ab_error_t with the place it stopped.  yajl's
 * count includes the byte that broke the token, so the place is OFF - 1,
 * except AT_END, when only the end of input is left to blame. */
static int
yajl_error_to_ab (struct parse_ctx *c, const char *data, size_t len, size_t off,
                  bool at_end, const char *name, ab_error_t *err)
{
  unsigned char *ymsg;
  cleanup_free char *msg = NULL;
  size_t n;

  if (off > 0 && !at_end)
    off--;
  if (c->fail)
    return parse_error (data, len, off, name, err, c->fail);
  ymsg = yajl_get_error (c->h, 0, (const unsigned char *)data, len);
  msg = strdup (ymsg ? (const char *)ymsg : "parse error");
  if (ymsg)
    yajl_free_error (c->h, ymsg);
  if (msg == NULL)
    return ab_error_set (err, ENOMEM, "%s: out of memory", name);
  n = strlen (msg);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
    msg[--n] = '\0';
  return parse_error (data, len, off, name, err, msg);
}

static void
ctx_clear (struct parse_ctx *c)
{
  ab_json_free (c->root);
  free (c->key);
}

int
ab_json_parse (const char *data, size_t len, const char *name,
               struct ab_json **out, ab_error_t *err)
{
  struct parse_ctx c = { 0 };
  cleanup_yajl yajl_handle h = NULL;
  const char *bad;
  size_t where = 0;
  yajl_status st;

  if (name == NULL)
    name = "<json>";
  if (only_space (data, len))
    return parse_error (data, len, len, name, err, "empty document");
  bad = prescan (data, len, &where);
  if (bad)
    return parse_error (data, len, where, name, err, bad);
  h = yajl_alloc (&callbacks, NULL, &c);
  if (h == NULL)
    return ab_error_set (err, ENOMEM, "%s: out of memory", name);
  c.h = h;
  /* Defaults spelled out: strict JSON, one value, strings validated. */
  yajl_config (h, yajl_allow_comments, 0);
  yajl_config (h, yajl_dont_validate_strings, 0);
  yajl_config (h, yajl_allow_trailing_garbage, 0);
  yajl_config (h, yajl_allow_multiple_values, 0);
  yajl_config (h, yajl_allow_partial_values, 0);
  st = yajl_parse (h, (const unsigned char *)data, len);
  if (st == yajl_status_ok)
    {
      st = yajl_complete_parse (h);
      if (st != yajl_status_ok)
        {
          /* Only the end of input is left to blame. */
          yajl_error_to_ab (&c, data, len, len, true, name, err);
          ctx_clear (&c);
          return -1;
        }
    }
  else
    {
      yajl_error_to_ab (&c, data, len, yajl_get_bytes_consumed (h), false, name,
                        err);
      ctx_clear (&c);
      return -1;
    }
  free (c.key);
  *out = c.root;
  return 0;
}

static int
read_all (int fd, const char *path, struct ab_buf *b, ab_error_t *err)
{
  for (;;)
    {
      ssize_t n;

      if (ab_buf_reserve (b, 65536) < 0)
        return ab_error_set (err, ENOMEM, "read %s: out of memory", path);
      n = read (fd, b->data + b->len, b->cap - b->len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return ab_error_errno (err, "read %s", path);
      if (n == 0)
        return 0;
      b->len += (size_t)n;
      b->data[b->len] = '\0';
      if (b->len > AB_JSON_MAX_FILE)
        return ab_error_set (err, EFBIG, "%s: larger than %u bytes", path,
                             AB_JSON_MAX_FILE);
    }
}

int
ab_json_parse_file (const char *path, struct ab_json **out, ab_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_buf struct ab_buf b = AB_BUF_INIT;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return ab_error_errno (err, "open %s", path);
  if (read_all (fd, path, &b, err) < 0)
    return -1;
  return ab_json_parse (b.data ? b.data : "", b.len, path, out, err);
}
