/* agentbox: libyaml document helpers (see yaml.h). */
#include "lib/yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"

/* libyaml's problem marks are 0-based; people count from 1. */
static int
parser_error (ab_error_t *err, const char *name, const yaml_parser_t *p)
{
  const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;

  if (p->error == YAML_MEMORY_ERROR)
    return ab_error_set (err, ENOMEM, "%s: out of memory", name);
  return ab_error_set (err, EINVAL, "%s:%zu:%zu: %s%s%s", name, m->line + 1,
                       m->column + 1, p->problem ? p->problem : "syntax error",
                       p->context ? " " : "", p->context ? p->context : "");
}

int
ab_yaml_load_string (const char *name, const char *data, size_t len,
                     yaml_document_t *doc, ab_error_t *err)
{
  yaml_parser_t parser;
  int r = 0;

  memset (doc, 0, sizeof *doc);
  if (memchr (data, '\0', len))
    return ab_error_set (err, EINVAL, "%s: NUL byte in YAML", name);
  if (!yaml_parser_initialize (&parser))
    return ab_error_set (err, ENOMEM, "%s: cannot start the YAML parser", name);
  yaml_parser_set_input_string (&parser, (const unsigned char *)data, len);
  if (!yaml_parser_load (&parser, doc))
    {
      r = parser_error (err, name, &parser);
      memset (doc, 0, sizeof *doc);
    }
  yaml_parser_delete (&parser);
  return r;
}

int
ab_yaml_load (const char *path, yaml_document_t *doc, ab_error_t *err)
{
  cleanup_file FILE *f = fopen (path, "re");
  cleanup_buf struct ab_buf b = AB_BUF_INIT;
  char chunk[8192];
  size_t n;

  memset (doc, 0, sizeof *doc);
  if (f == NULL)
    return ab_error_errno (err, "open `%s`", path);
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    if (ab_buf_append (&b, chunk, n) < 0)
      return ab_error_set (err, ENOMEM, "read `%s`: out of memory", path);
  if (ferror (f))
    return ab_error_set (err, EIO, "read `%s`: I/O error", path);
  return ab_yaml_load_string (path, b.data ? b.data : "", b.len, doc, err);
}

int
ab_yaml_error (ab_error_t *err, const char *file, const yaml_node_t *node,
               const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  ab_error_set (err, EINVAL, "%s:%zu:%zu: %s", file,
                node ? node->start_mark.line + 1 : 1,
                node ? node->start_mark.column + 1 : 1, msg ? msg : "?");
  free (msg);
  return -1;
}

const char *
ab_yaml_type_name (const yaml_node_t *node)
{
  switch (node ? node->type : YAML_NO_NODE)
    {
    case YAML_SCALAR_NODE:
      return "a scalar";
    case YAML_SEQUENCE_NODE:
      return "a list";
    case YAML_MAPPING_NODE:
      return "a mapping";
    default:
      return "nothing";
    }
}

const char *
ab_yaml_scalar (const yaml_node_t *node)
{
  if (node == NULL || node->type != YAML_SCALAR_NODE)
    return NULL;
  return (const char *)node->data.scalar.value;
}

int
ab_yaml_get_string (const char *file, yaml_node_t *node, const char **out,
                    ab_error_t *err)
{
  *out = ab_yaml_scalar (node);
  if (*out == NULL)
    return ab_yaml_error (err, file, node, "expected a string, got %s",
                          ab_yaml_type_name (node));
  return 0;
}

int
ab_yaml_get_bool (const char *file, yaml_node_t *node, bool *out,
                  ab_error_t *err)
{
  static const char *const yes[] = { "true", "True", "TRUE", NULL };
  static const char *const no[] = { "false", "False", "FALSE", NULL };
  const char *s = ab_yaml_scalar (node);

  /* A quoted "true" is a string, as in YAML 1.2. */
  if (s && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
    for (int i = 0; yes[i]; i++)
      {
        if (strcmp (s, yes[i]) == 0)
          return (*out = true), 0;
        if (strcmp (s, no[i]) == 0)
          return (*out = false), 0;
      }
  return ab_yaml_error (err, file, node, "expected true or false, got %s%s%s",
                        s ? "`" : "", s ? s : ab_yaml_type_name (node),
                        s ? "`" : "");
}

int
ab_yaml_get_long (const char *file, yaml_node_t *node, long *out,
                  ab_error_t *err)
{
  const char *s = ab_yaml_scalar (node);
  char *end = NULL;

  if (s && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && *s)
    {
      errno = 0;
      *out = strtol (s, &end, 10);
      if (errno == 0 && *end == '\0')
        return 0;
    }
  return ab_yaml_error (err, file, node, "expected an integer, got %s%s%s",
                        s ? "`" : "", s ? s : ab_yaml_type_name (node),
                        s ? "`" : "");
}

int
ab_yaml_get_strv (const char *file, yaml_document_t *doc, yaml_node_t *node,
                  char ***out, ab_error_t *err)
{
  cleanup_strv char **v = NULL;
  size_t n = 0;

  if (node == NULL || node->type != YAML_SEQUENCE_NODE)
    return ab_yaml_error (err, file, node, "expected a list, got %s",
                          ab_yaml_type_name (node));
  n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
  v = calloc (n + 1, sizeof *v);
  if (v == NULL)
    return ab_error_set (err, ENOMEM, "%s: out of memory", file);
  for (size_t i = 0; i < n; i++)
    {
      yaml_node_t *item
          = yaml_document_get_node (doc, node->data.sequence.items.start[i]);
      const char *s;

      if (ab_yaml_get_string (file, item, &s, err) < 0)
        return -1;
      v[i] = strdup (s);
      if (v[i] == NULL)
        return ab_error_set (err, ENOMEM, "%s: out of memory", file);
    }
  *out = steal_pointer (&v);
  return 0;
}

bool
ab_yaml_is_null (const yaml_node_t *node)
{
  const char *s = ab_yaml_scalar (node);

  return s && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
         && (*s == '\0' || strcmp (s, "~") == 0 || strcmp (s, "null") == 0);
}

int
ab_yaml_expect_mapping (const char *file, yaml_node_t *node, ab_error_t *err)
{
  if (node == NULL || node->type != YAML_MAPPING_NODE)
    return ab_yaml_error (err, file, node, "expected a mapping, got %s",
                          ab_yaml_type_name (node));
  return 0;
}

int
ab_yaml_mapping_each (const char *file, yaml_document_t *doc, yaml_node_t *map,
                      ab_yaml_pair_fn fn, void *data, ab_error_t *err)
{
  if (ab_yaml_expect_mapping (file, map, err) < 0)
    return -1;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
       p < map->data.mapping.pairs.top; p++)
    {
      yaml_node_t *k = yaml_document_get_node (doc, p->key);
      const char *key = ab_yaml_scalar (k);

      if (key == NULL)
        return ab_yaml_error (err, file, k, "expected a key, got %s",
                              ab_yaml_type_name (k));
      if (fn (file, doc, key, k, yaml_document_get_node (doc, p->value), data,
              err)
          < 0)
        return -1;
    }
  return 0;
}
