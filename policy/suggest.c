/* agentbox: a Cedar policy from the file accesses seen (policy/suggest.h). */
#include "policy/suggest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"

/* One line of the output: `resource == File::"P"`, `== Dir::"P"` (P ends
 * in '/') or `in Dir::"P"`. */
struct row
{
  enum ab_ir_action action;
  const char *path;
  bool in; /* a collapsed directory */
  bool covered;
};

struct rows
{
  struct row *v;
  size_t n;
};

static bool
action_ok (enum ab_ir_action a)
{
  return a == AB_IR_FILE_OPEN_RO || a == AB_IR_FILE_OPEN_RW
         || a == AB_IR_PROCESS_EXEC;
}

static int
row_cmp (const void *a, const void *b)
{
  const struct row *x = a, *y = b;

  if (x->action != y->action)
    return x->action < y->action ? -1 : 1;
  return strcmp (x->path, y->path);
}

/* Length of PATH's directory, with its trailing '/': "/a/b" -> 3. */
static size_t
parent_len (const char *path)
{
  size_t n = strlen (path);

  if (n > 1 && path[n - 1] == '/')
    n--;
  while (n > 0 && path[n - 1] != '/')
    n--;
  return n;
}

static int
push (struct rows *r, enum ab_ir_action action, const char *path, bool in)
{
  struct row *v = realloc (r->v, (r->n + 1) * sizeof *v);

  if (v == NULL)
    return -1;
  r->v = v;
  r->v[r->n++] = (struct row){ .action = action, .path = path, .in = in };
  return 0;
}

/* Sort and drop duplicates. */
static void
uniq (struct rows *r)
{
  size_t k = 0;

  if (r->n == 0)
    return;
  qsort (r->v, r->n, sizeof *r->v, row_cmp);
  for (size_t i = 1; i < r->n; i++)
    if (row_cmp (&r->v[k], &r->v[i]) != 0)
      r->v[++k] = r->v[i];
  r->n = k + 1;
}

static bool
beneath (const char *path, const char *dir)
{
  size_t n = strlen (dir);

  return strncmp (path, dir, n) == 0 && path[n] != '\0';
}

/* Directories (DIRS, owned strings) holding AB_SUGGEST_COLLAPSE or more
 * of the distinct paths of one action in R (sorted, unique).  The root
 * is never one: `in Dir::"/"` would permit everything. */
static int
find_dirs (const struct rows *r, struct rows *dirs, char ***owned)
{
  cleanup_free struct row *par = calloc (r->n + 1, sizeof *par);
  size_t np = 0, nowned = 0;

  if (par == NULL)
    return -1;
  for (size_t i = 0; i < r->n; i++)
    {
      size_t len = parent_len (r->v[i].path);
      char **o;

      if (len <= 1)
        continue;
      o = realloc (*owned, (nowned + 2) * sizeof *o);
      if (o == NULL)
        return -1;
      *owned = o;
      o[nowned] = strndup (r->v[i].path, len);
      o[nowned + 1] = NULL;
      if (o[nowned] == NULL)
        return -1;
      par[np++] = (struct row){ .action = r->v[i].action, .path = o[nowned] };
      nowned++;
    }
  qsort (par, np, sizeof *par, row_cmp);
  for (size_t i = 0, j; i < np; i = j)
    {
      for (j = i + 1; j < np && row_cmp (&par[i], &par[j]) == 0; j++)
        ;
      if (j - i >= AB_SUGGEST_COLLAPSE
          && push (dirs, par[i].action, par[i].path, true) < 0)
        return -1;
    }
  return 0;
}

/* Mark the rows a directory of their action already permits (files, and
 * directories nested in another). */
static void
cover (struct rows *r, const struct rows *dirs)
{
  for (size_t i = 0; i < r->n; i++)
    for (size_t k = 0; k < dirs->n; k++)
      if (r->v[i].action == dirs->v[k].action
          && beneath (r->v[i].path, dirs->v[k].path))
        r->v[i].covered = true;
}

/* A Cedar string body: quotes, backslashes and control bytes escaped. */
static void
cedar_escape (struct ab_buf *b, const char *s)
{
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p == '"' || *p == '\\')
      ab_buf_printf (b, "\\%c", *p);
    else if (*p < 0x20 || *p == 0x7f)
      ab_buf_printf (b, "\\u{%x}", *p);
    else
      ab_buf_append (b, p, 1);
}

static void
print_row (struct ab_buf *b, const struct row *r)
{
  size_t n = strlen (r->path);

  ab_buf_printf (b, "permit (principal, action == Action::\"%s\", resource ",
                 ab_ir_action_name (r->action));
  ab_buf_puts (b, r->in                   ? "in Dir::\""
                  : r->path[n - 1] == '/' ? "== Dir::\""
                                          : "== File::\"");
  cedar_escape (b, r->path);
  ab_buf_puts (b, "\");\n");
}

static void
print_header (struct ab_buf *b, const char *header)
{
  while (header && *header)
    {
      size_t n = strcspn (header, "\n");
      ab_buf_printf (b, "// %.*s\n", (int)n, header);
      header += n + (header[n] == '\n');
    }
}

static int
render (const struct rows *r, const struct rows *dirs, const char *header,
        char **out)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;
  struct rows all = { 0 };

  for (size_t i = 0; i < r->n; i++)
    if (!r->v[i].covered && push (&all, r->v[i].action, r->v[i].path, false))
      goto oom;
  for (size_t i = 0; i < dirs->n; i++)
    if (!dirs->v[i].covered
        && push (&all, dirs->v[i].action, dirs->v[i].path, true))
      goto oom;
  if (all.n)
    qsort (all.v, all.n, sizeof *all.v, row_cmp);
  print_header (&b, header);
  if (header && all.n)
    ab_buf_puts (&b, "\n");
  for (size_t i = 0; i < all.n; i++)
    print_row (&b, &all.v[i]);
  free (all.v);
  *out = ab_buf_steal (&b);
  return *out ? 0 : -1;
oom:
  free (all.v);
  return -1;
}

int
ab_suggest_policy (const struct ab_suggest_item *items, size_t n,
                   const char *header, char **out, ab_error_t *err)
{
  cleanup_strv char **owned = NULL;
  struct rows r = { 0 }, dirs = { 0 };
  int rc = -1;

  for (size_t i = 0; i < n; i++)
    {
      if (!action_ok (items[i].action))
        return ab_error_set (err, EINVAL,
                             "suggest: action %s is not a file "
                             "action",
                             ab_ir_action_name (items[i].action));
      if (items[i].path == NULL || items[i].path[0] != '/')
        return ab_error_set (err, EINVAL,
                             "suggest: `%s` is not an absolute "
                             "path",
                             items[i].path ? items[i].path : "");
      if (push (&r, items[i].action, items[i].path, false) < 0)
        goto oom;
    }
  uniq (&r);
  if (find_dirs (&r, &dirs, &owned) < 0)
    goto oom;
  cover (&r, &dirs);
  cover (&dirs, &dirs);
  if (render (&r, &dirs, header, out) < 0)
    goto oom;
  rc = 0;
  goto out;
oom:
  ab_error_set (err, ENOMEM, "out of memory");
out:
  free (r.v);
  free (dirs.v);
  return rc;
}

static bool
has_word (const char *list, const char *w)
{
  size_t n = strlen (w);

  for (const char *p = list; p && *p; p += strcspn (p, ","), p += *p == ',')
    if (strncmp (p, w, n) == 0 && (p[n] == ',' || p[n] == '\0'))
      return true;
  return false;
}

unsigned
ab_suggest_rights_actions (const char *rights)
{
  unsigned m = 0;

  if (has_word (rights, "write"))
    m |= 1u << AB_IR_FILE_OPEN_RW;
  else if (has_word (rights, "read"))
    m |= 1u << AB_IR_FILE_OPEN_RO;
  if (has_word (rights, "exec"))
    m |= 1u << AB_IR_PROCESS_EXEC;
  return m;
}
