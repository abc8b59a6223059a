/* agentbox: serialize the tree.
 *
 * yajl_gen writes every scalar (string escaping and UTF-8 validation,
 * numbers verbatim from their original text); the structure and the
 * whitespace are written here, for two reasons: yajl_gen refuses nesting
 * deeper than 128 while the parser accepts 512, and its beautifier writes
 * an empty array as "[\n\n\t]" where runc (Go's MarshalIndent) writes "[]".
 * The pretty form is byte-identical to what `runc spec` writes. */
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "lib/buf.h"
#include "lib/cleanup.h"

struct gen
{
  yajl_gen g;
  struct ab_buf *b;
  bool pretty;
  bool oom;
  const char *fail;
};

static void
yajl_gen_freep (yajl_gen *g)
{
  if (*g)
    yajl_gen_free (*g);
}
#define cleanup_yajl_gen __attribute__ ((cleanup (yajl_gen_freep)))

static void
print_cb (void *ctx, const char *s, size_t len)
{
  struct gen *g = ctx;

  if (ab_buf_append (g->b, s, len) < 0)
    g->oom = true;
}

static const char *
gen_status_msg (yajl_gen_status st)
{
  switch (st)
    {
    case yajl_gen_invalid_string:
      return "string is not valid UTF-8";
    case yajl_gen_invalid_number:
      return "invalid number";
    case yajl_max_depth_exceeded:
      return "nesting too deep";
    default:
      return "generator error";
    }
}

/* One scalar as a complete yajl document, then reset for the next. */
static int
gen_scalar_end (struct gen *g, yajl_gen_status st)
{
  if (st != yajl_gen_status_ok)
    {
      g->fail = gen_status_msg (st);
      return -1;
    }
  yajl_gen_reset (g->g, NULL);
  return g->oom ? -1 : 0;
}

static int
gen_string (struct gen *g, const char *s, size_t len)
{
  return gen_scalar_end (g,
                         yajl_gen_string (g->g, (const unsigned char *)s, len));
}

static int
is_json_number (const char *s)
{
  /* JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
  if (*s == '-')
    s++;
  if (*s == '0')
    s++;
  else if (*s >= '1' && *s <= '9')
    while (*s >= '0' && *s <= '9')
      s++;
  else
    return 0;
  if (*s == '.')
    {
      if (*++s < '0' || *s > '9')
        return 0;
      while (*s >= '0' && *s <= '9')
        s++;
    }
  if (*s == 'e' || *s == 'E')
    {
      s++;
      if (*s == '+' || *s == '-')
        s++;
      if (*s < '0' || *s > '9')
        return 0;
      while (*s >= '0' && *s <= '9')
        s++;
    }
  return *s == '\0';
}

static void
put (struct gen *g, const char *s)
{
  if (ab_buf_puts (g->b, s) < 0)
    g->oom = true;
}

static void
newline (struct gen *g, size_t depth)
{
  size_t i;

  if (!g->pretty)
    return;
  put (g, "\n");
  for (i = 0; i < depth; i++)
    put (g, "\t");
}

static int gen_value (struct gen *g, const struct ab_json *j, size_t depth);

static int
gen_array (struct gen *g, const struct ab_json *j, size_t depth)
{
  size_t i;

  put (g, "[");
  for (i = 0; i < j->u.array.len; i++)
    {
      if (i)
        put (g, ",");
      newline (g, depth + 1);
      if (gen_value (g, j->u.array.items[i], depth + 1) < 0)
        return -1;
    }
  if (j->u.array.len)
    newline (g, depth);
  put (g, "]");
  return 0;
}

static int
gen_object (struct gen *g, const struct ab_json *j, size_t depth)
{
  size_t i;

  put (g, "{");
  for (i = 0; i < j->u.object.len; i++)
    {
      const char *k = j->u.object.keys[i];

      if (i)
        put (g, ",");
      newline (g, depth + 1);
      if (gen_string (g, k, strlen (k)) < 0)
        return -1;
      put (g, g->pretty ? ": " : ":");
      if (gen_value (g, j->u.object.values[i], depth + 1) < 0)
        return -1;
    }
  if (j->u.object.len)
    newline (g, depth);
  put (g, "}");
  return 0;
}

static int
gen_value (struct gen *g, const struct ab_json *j, size_t depth)
{
  if (j == NULL)
    {
      g->fail = "NULL node in tree";
      return -1;
    }
  switch (j->type)
    {
    case AB_JSON_NULL:
      put (g, "null");
      break;
    case AB_JSON_BOOL:
      put (g, j->u.boolean ? "true" : "false");
      break;
    case AB_JSON_NUMBER:
      /* Verbatim text, but never write something that is not JSON (a
       * caller may have built the node with ab_json_new_number). */
      if (j->u.number == NULL || !is_json_number (j->u.number))
        {
          g->fail = "invalid number";
          return -1;
        }
      return gen_scalar_end (
          g, yajl_gen_number (g->g, j->u.number, strlen (j->u.number)));
    case AB_JSON_STRING:
      return gen_string (g, j->u.string.ptr, j->u.string.len);
    case AB_JSON_ARRAY:
      return gen_array (g, j, depth);
    case AB_JSON_OBJECT:
      return gen_object (g, j, depth);
    }
  return g->oom ? -1 : 0;
}

int
ab_json_serialize (const struct ab_json *j, bool pretty, char **out,
                   size_t *len, ab_error_t *err)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;
  cleanup_yajl_gen yajl_gen yg = NULL;
  struct gen g = { .b = &b, .pretty = pretty };
  size_t n;

  yg = yajl_gen_alloc (NULL);
  if (yg == NULL)
    return ab_error_set (err, ENOMEM, "serialize JSON: out of memory");
  g.g = yg;
  yajl_gen_config (yg, yajl_gen_validate_utf8, 1);
  yajl_gen_config (yg, yajl_gen_print_callback, print_cb, &g);
  if (gen_value (&g, j, 0) < 0 || g.oom)
    {
      if (g.oom || g.fail == NULL)
        return ab_error_set (err, ENOMEM, "serialize JSON: out of memory");
      return ab_error_set (err, EINVAL, "serialize JSON: %s", g.fail);
    }
  n = b.len;
  *out = ab_buf_steal (&b);
  if (*out == NULL)
    return ab_error_set (err, ENOMEM, "serialize JSON: out of memory");
  if (len)
    *len = n;
  return 0;
}
