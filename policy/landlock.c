/* agentbox: policy file/exec rules -> Landlock rules (landlock.h). */
#include "policy/landlock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "policy/filerules.h"

#define R_RO AB_FR_READ
#define R_RW AB_FR_WRITE
#define R_X AB_FR_EXEC

struct area
{
  char *path; /* no trailing slash, "/" for the root */
  bool dir;   /* beneath PATH, or PATH alone (a file) */
  unsigned rights;
  const struct ab_ir_rule *rule;
  bool void_; /* inside a forbid */
};

/* The resource scope as an area; false when it names no File or Dir
 * (then the rule is not a file rule of this translation). */
static bool
area_of (const struct ab_ir_rule *r, struct area *a)
{
  const struct ab_cedar_scope *s = r->resource;
  const struct ab_cedar_uid *e;
  size_t n;

  memset (a, 0, sizeof *a);
  a->rule = r;
  if (s == NULL || s->op == AB_SCOPE_ANY || s->op == AB_SCOPE_IS)
    {
      a->path = strdup ("/");
      a->dir = true;
      return a->path != NULL;
    }
  if (s->n_entities != 1)
    return false;
  e = &s->entities[0];
  if (strcmp (e->type, "File") != 0 && strcmp (e->type, "Dir") != 0)
    return false;
  if (e->id[0] != '/')
    return false;
  a->path = strdup (e->id);
  if (a->path == NULL)
    return false;
  n = strlen (a->path);
  while (n > 1 && a->path[n - 1] == '/')
    a->path[--n] = '\0';
  /* `in Dir::"/x/"` is everything beneath /x; `== File::"/x"` one file;
   * `== Dir::"/x/"` (the directory alone) cannot be said: not a dir
   * area, so a permit of it is left out. */
  a->dir = strcmp (e->type, "Dir") == 0 && s->op != AB_SCOPE_EQ;
  return true;
}

/* Is B inside A (or the same)? */
static bool
inside (const struct area *a, const struct area *b)
{
  size_t n = strlen (a->path);

  if (strcmp (a->path, b->path) == 0)
    return true;
  if (!a->dir)
    return false;
  if (strcmp (a->path, "/") == 0)
    return true;
  return strncmp (a->path, b->path, n) == 0 && b->path[n] == '/';
}

static void
areas_free (struct area *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i].path);
  free (v);
}

static int
collect (const struct ab_ir *ir, const struct ab_ir_principal *p,
         struct area **permits, size_t *np, struct area **forbids, size_t *nf,
         ab_error_t *err)
{
  size_t n = ab_ir_n_rules (ir);

  *permits = calloc (n + 1, sizeof **permits);
  *forbids = calloc (n + 1, sizeof **forbids);
  if (*permits == NULL || *forbids == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++)
    {
      const struct ab_ir_rule *r = ab_ir_rule_at (ir, i);
      unsigned rights = ab_ir_file_rights (r->actions);
      struct area a;

      if (r->kind == AB_IR_KIND_DEAD || rights == 0
          || !ab_ir_rule_applies (r, p))
        continue;
      if (!area_of (r, &a))
        continue;
      a.rights = rights;
      /* A conditional permit is left out (stricter); a conditional forbid
       * counts as if it always held (stricter too). */
      if (r->permit
          && (r->kind != AB_IR_KIND_TABLE
              || (!a.dir && r->resource && r->resource->op == AB_SCOPE_EQ
                  && strcmp (r->resource->entities[0].type, "Dir") == 0)))
        {
          free (a.path);
          continue;
        }
      if (r->permit)
        (*permits)[(*np)++] = a;
      else
        (*forbids)[(*nf)++] = a;
    }
  return 0;
}

static int
conflicts (struct area *permits, size_t np, const struct area *forbids,
           size_t nf, ab_error_t *err)
{
  for (size_t f = 0; f < nf; f++)
    for (size_t q = 0; q < np; q++)
      {
        if (!(forbids[f].rights & permits[q].rights))
          continue;
        if (inside (&forbids[f], &permits[q]))
          {
            /* Forbid wins: dropping the permit's overlapping rights is
             * exact when the forbid covers all of them. */
            if ((permits[q].rights & ~forbids[f].rights) == 0)
              permits[q].void_ = true;
            else
              permits[q].rights &= ~forbids[f].rights;
            continue;
          }
        if (inside (&permits[q], &forbids[f]))
          return ab_error_set (
              err, ENOTSUP,
              "%s:%u forbids %s inside %s, which %s:%u permits: Landlock "
              "cannot deny inside an allowed path",
              forbids[f].rule->loc.file ? forbids[f].rule->loc.file : "?",
              forbids[f].rule->loc.line, forbids[f].path, permits[q].path,
              permits[q].rule->loc.file ? permits[q].rule->loc.file : "?",
              permits[q].rule->loc.line);
      }
  return 0;
}

int
ab_ir_landlock_rules (const struct ab_ir *ir, const struct ab_ir_principal *p,
                      char **text, ab_error_t *err)
{
  struct area *permits = NULL, *forbids = NULL;
  size_t np = 0, nf = 0;
  struct ab_buf out = AB_BUF_INIT;
  int r;

  *text = NULL;
  r = collect (ir, p, &permits, &np, &forbids, &nf, err);
  if (r == 0 && np == 0 && nf == 0)
    r = 1;
  if (r == 0)
    r = conflicts (permits, np, forbids, nf, err);
  for (size_t i = 0; r == 0 && i < np; i++)
    {
      if (permits[i].void_)
        continue;
      if (permits[i].rights & R_RW)
        ab_buf_printf (&out, "rw %s\n", permits[i].path);
      else if (permits[i].rights & R_RO)
        ab_buf_printf (&out, "ro %s\n", permits[i].path);
      if (permits[i].rights & R_X)
        ab_buf_printf (&out, "x %s\n", permits[i].path);
    }
  areas_free (permits, np);
  areas_free (forbids, nf);
  if (r != 0)
    {
      ab_buf_free (&out);
      return r;
    }
  /* Only forbids, or only void permits: nothing is allowed. */
  *text = out.data ? ab_buf_steal (&out) : strdup ("");
  return *text ? 0 : ab_error_set (err, ENOMEM, "out of memory");
}
