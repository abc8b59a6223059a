/* agentbox: the entity model (see model.h). */
#include "policy/model.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/cedar-internal.h"

int
ab_model_parse_uid (struct ab_cedar_entities *e, const char *text,
                    struct ab_cedar_uid *uid, ab_error_t *err)
{
  struct ab_arena *a = ab_cedar_entities_arena (e);
  const char *sep = strstr (text, "::\"");
  size_t n = strlen (text);

  /* The id is everything between the first ::" and the final quote. */
  if (sep == NULL || n < 2 || text[n - 1] != '"' || sep + 3 > text + n - 1)
    return ab_error_set (
        err, EINVAL, "`%s`: expected an entity such as File::\"/path\"", text);
  uid->type = ab_arena_strndup (a, text, (size_t)(sep - text));
  uid->id = ab_arena_strndup (a, sep + 3, (size_t)(text + n - 1 - (sep + 3)));
  return uid->type && uid->id ? 0 : ab_error_set (err, ENOMEM, "out of memory");
}

/* Lower-case, and drop the trailing dot of the name, before a port too:
 * "API.Example.com.:443" -> "api.example.com:443". */
static char *
normalize_host (struct ab_arena *a, const char *h)
{
  const char *colon = strrchr (h, ':');
  size_t n = strlen (h), name_len;
  char *out, *o;

  if (colon == NULL || colon[1] == '\0'
      || strspn (colon + 1, "0123456789") != strlen (colon + 1))
    colon = h + n; /* no port */
  name_len = (size_t)(colon - h);
  out = ab_arena_alloc (a, n + 1);
  if (out == NULL)
    return NULL;
  o = out;
  for (size_t i = 0; i < name_len; i++)
    *o++ = (char)tolower ((unsigned char)h[i]);
  if (name_len > 1 && o[-1] == '.')
    o--;
  strcpy (o, colon);
  return out;
}

static int
add (struct ab_cedar_entities *e, const char *type, const char *id,
     const char *ptype, const char *pid, ab_error_t *err)
{
  struct ab_cedar_uid uid = { type, id }, parent = { ptype, pid };

  return ab_cedar_entities_add (e, &uid, NULL, &parent, ptype ? 1 : 0, err);
}

/* File::"/a/b" -> Dir::"/a/" -> Dir::"/". */
static int
path_chain (struct ab_cedar_entities *e, const struct ab_cedar_uid *r,
            ab_error_t *err)
{
  struct ab_arena *a = ab_cedar_entities_arena (e);
  const char *type = r->type;
  char *cur = ab_arena_strdup (a, r->id);
  size_t n = strlen (cur);

  while (n > 1)
    {
      /* The parent directory: up to and including the previous '/'. */
      size_t end = cur[n - 1] == '/' ? n - 1 : n;
      while (end > 0 && cur[end - 1] != '/')
        end--;
      if (end == 0)
        break;
      char *parent = ab_arena_strndup (a, cur, end);
      if (add (e, type, cur, "Dir", parent, err) < 0)
        return -1;
      type = "Dir";
      cur = parent;
      n = end;
    }
  return 0;
}

/* Host::"a.b.c:443" -> Host::"a.b.c" -> Host::"*.b.c" -> Host::"*.c". */
static int
host_chain (struct ab_cedar_entities *e, const struct ab_cedar_uid *r,
            ab_error_t *err)
{
  struct ab_arena *a = ab_cedar_entities_arena (e);
  const char *id = r->id, *colon = strrchr (id, ':');
  char *name;

  if (colon && strchr (colon, ']') == NULL && colon[1]
      && strspn (colon + 1, "0123456789") == strlen (colon + 1))
    {
      name = ab_arena_strndup (a, id, (size_t)(colon - id));
      if (add (e, "Host", id, "Host", name, err) < 0)
        return -1;
      id = name;
    }
  /* A wildcard's own first label is its "*.": skip it (and "*" alone). */
  for (const char *dot
       = strchr (id + (id[0] == '*' && id[1] == '.' ? 2 : 0), '.');
       dot; dot = strchr (dot + 1, '.'))
    {
      char *parent = NULL;
      if (asprintf (&parent, "*%s", dot) < 0)
        return ab_error_set (err, ENOMEM, "out of memory");
      char *p = ab_arena_strdup (a, parent);
      free (parent);
      if (add (e, "Host", id, "Host", p, err) < 0)
        return -1;
      id = p;
      dot = p + 1; /* continue from the new id's first dot */
    }
  return 0;
}

int
ab_model_request (struct ab_cedar_entities *e, const char *principal,
                  const char *project, const char *action, const char *resource,
                  struct ab_cedar_request *req, ab_error_t *err)
{
  struct ab_arena *a = ab_cedar_entities_arena (e);
  cleanup_free char *act = NULL;

  memset (req, 0, sizeof *req);
  if (principal == NULL)
    principal = "Container::\"\"";
  if (ab_model_parse_uid (e, principal, &req->principal, err) < 0)
    return ab_error_wrap (err, "principal");
  if (project
      && add (e, req->principal.type, req->principal.id, "Project",
              ab_arena_strdup (a, project), err)
             < 0)
    return -1;
  if (strstr (action, "::\"") == NULL)
    {
      if (asprintf (&act, "Action::\"%s\"", action) < 0)
        return ab_error_set (err, ENOMEM, "out of memory");
      action = act;
    }
  if (ab_model_parse_uid (e, action, &req->action, err) < 0)
    return ab_error_wrap (err, "action");
  if (strcmp (req->action.type, "Action") == 0
      && (strcmp (req->action.id, "FileOpenReadOnly") == 0
          || strcmp (req->action.id, "FileOpenReadWrite") == 0)
      && add (e, "Action", req->action.id, "Action", "FileOpen", err) < 0)
    return -1;
  if (ab_model_parse_uid (e, resource, &req->resource, err) < 0)
    return ab_error_wrap (err, "resource");
  if (strcmp (req->resource.type, "Host") == 0)
    {
      req->resource.id = normalize_host (a, req->resource.id);
      return host_chain (e, &req->resource, err);
    }
  if (strcmp (req->resource.type, "File") == 0
      || strcmp (req->resource.type, "Dir") == 0)
    return path_chain (e, &req->resource, err);
  return 0;
}

static void
normalize_uid (struct ab_arena *a, struct ab_cedar_uid *u)
{
  if (strcmp (u->type, "Host") == 0)
    u->id = normalize_host (a, u->id);
}

static void
normalize_expr (struct ab_arena *a, struct ab_cedar_expr *x)
{
  if (x == NULL)
    return;
  if (x->kind == EK_LIT && x->lit->type == AB_CV_ENTITY)
    normalize_uid (a, &x->lit->u.e);
  normalize_expr (a, x->a);
  normalize_expr (a, x->b);
  normalize_expr (a, x->c);
  for (size_t i = 0; i < x->n; i++)
    normalize_expr (a, x->items[i]);
}

void
ab_model_normalize (struct ab_cedar_set *s)
{
  for (size_t i = 0; i < s->len; i++)
    {
      struct ab_cedar_policy *p = &s->policies[i];
      struct ab_cedar_scope *sc[] = { &p->principal, &p->action, &p->resource };
      for (size_t k = 0; k < 3; k++)
        for (size_t j = 0; j < sc[k]->n_entities; j++)
          normalize_uid (s->arena, &sc[k]->entities[j]);
      for (size_t j = 0; j < p->n_conds; j++)
        normalize_expr (s->arena, p->conds[j]);
    }
}
