/* agentbox: the Cedar entity store and Cedar's JSON formats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/cedar-internal.h"
#include "spec/json.h"

struct entity
{
  struct ab_cedar_uid uid;
  struct ab_cv *attrs; /* a record */
  struct ab_cedar_uid *parents;
  size_t n_parents;
  struct entity *next; /* bucket chain */
};

struct ab_cedar_entities
{
  struct ab_arena *arena;
  struct entity **buckets;
  size_t n_buckets, count;
};

static size_t
uid_hash (const struct ab_cedar_uid *u)
{
  size_t h = 1469598103934665603ULL;

  for (const char *p = u->type; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  h = (h ^ 0xFF) * 1099511628211ULL;
  for (const char *p = u->id; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  return h;
}

struct ab_cedar_entities *
ab_cedar_entities_new (void)
{
  struct ab_cedar_entities *e = calloc (1, sizeof *e);

  if (e == NULL)
    return NULL;
  e->arena = ab_arena_new ();
  e->n_buckets = 64;
  e->buckets = calloc (e->n_buckets, sizeof *e->buckets);
  if (e->arena == NULL || e->buckets == NULL)
    {
      ab_cedar_entities_free (e);
      return NULL;
    }
  return e;
}

void
ab_cedar_entities_free (struct ab_cedar_entities *e)
{
  if (e == NULL)
    return;
  ab_arena_free (e->arena);
  free (e->buckets);
  free (e);
}

struct ab_arena *
ab_cedar_entities_arena (struct ab_cedar_entities *e)
{
  return e->arena;
}

static struct entity *
lookup (const struct ab_cedar_entities *e, const struct ab_cedar_uid *uid)
{
  for (struct entity *x = e->buckets[uid_hash (uid) % e->n_buckets]; x;
       x = x->next)
    if (ab_cedar_uid_equal (&x->uid, uid))
      return x;
  return NULL;
}

const struct ab_cv *
ab_cedar_entity_attrs (const struct ab_cedar_entities *e,
                       const struct ab_cedar_uid *uid)
{
  struct entity *x = lookup (e, uid);

  return x ? x->attrs : NULL;
}

/* A depth-first walk up the parents; VISITED bounds it on cycles. */
bool
ab_cedar_entity_in (const struct ab_cedar_entities *e,
                    const struct ab_cedar_uid *a, const struct ab_cedar_uid *b)
{
  const struct entity *stack[256], *visited[1024];
  size_t ns = 0, nv = 0;
  const struct entity *x;

  if (ab_cedar_uid_equal (a, b))
    return true;
  if ((x = lookup (e, a)) == NULL)
    return false;
  stack[ns++] = x;
  while (ns > 0)
    {
      x = stack[--ns];
      for (size_t i = 0; i < x->n_parents; i++)
        {
          const struct entity *p;
          bool seen = false;
          if (ab_cedar_uid_equal (&x->parents[i], b))
            return true;
          if ((p = lookup (e, &x->parents[i])) == NULL)
            continue;
          for (size_t k = 0; k < nv && !seen; k++)
            seen = visited[k] == p;
          if (seen || ns == sizeof stack / sizeof *stack
              || nv == sizeof visited / sizeof *visited)
            continue;
          visited[nv++] = p;
          stack[ns++] = p;
        }
    }
  return false;
}

static int
copy_uid (struct ab_arena *a, struct ab_cedar_uid *dst,
          const struct ab_cedar_uid *src)
{
  dst->type = ab_arena_strdup (a, src->type);
  dst->id = ab_arena_strdup (a, src->id);
  return dst->type && dst->id ? 0 : -1;
}

static int
grow (struct ab_cedar_entities *e)
{
  size_t n = e->n_buckets * 2;
  struct entity **b = calloc (n, sizeof *b);

  if (b == NULL)
    return -1;
  for (size_t i = 0; i < e->n_buckets; i++)
    for (struct entity *x = e->buckets[i], *next; x; x = next)
      {
        next = x->next;
        x->next = b[uid_hash (&x->uid) % n];
        b[uid_hash (&x->uid) % n] = x;
      }
  free (e->buckets);
  e->buckets = b;
  e->n_buckets = n;
  return 0;
}

int
ab_cedar_entities_add (struct ab_cedar_entities *e,
                       const struct ab_cedar_uid *uid,
                       const struct ab_cv *attrs,
                       const struct ab_cedar_uid *parents, size_t n_parents,
                       ab_error_t *err)
{
  struct entity *x = lookup (e, uid);
  static struct ab_cv empty = { .type = AB_CV_RECORD };

  if (x == NULL)
    {
      if (e->count + 1 > e->n_buckets && grow (e) < 0)
        return ab_error_set (err, ENOMEM, "entities: out of memory");
      x = ab_arena_alloc (e->arena, sizeof *x);
      if (x == NULL || copy_uid (e->arena, &x->uid, uid) < 0)
        return ab_error_set (err, ENOMEM, "entities: out of memory");
      x->next = e->buckets[uid_hash (uid) % e->n_buckets];
      e->buckets[uid_hash (uid) % e->n_buckets] = x;
      e->count++;
    }
  /* Values are not copied: callers build them in this store's arena or
   * keep them alive as long as the store. */
  x->attrs = (struct ab_cv *)(attrs ? attrs : &empty);
  x->parents = ab_arena_alloc (e->arena, (n_parents + 1) * sizeof *x->parents);
  if (x->parents == NULL)
    return ab_error_set (err, ENOMEM, "entities: out of memory");
  for (size_t i = 0; i < n_parents; i++)
    if (copy_uid (e->arena, &x->parents[i], &parents[i]) < 0)
      return ab_error_set (err, ENOMEM, "entities: out of memory");
  x->n_parents = n_parents;
  return 0;
}

/* ---- Cedar JSON ---- */

static int
uid_from_json (struct ab_arena *a, const struct ab_json *j,
               struct ab_cedar_uid *out, ab_error_t *err)
{
  const char *t = ab_json_get_string (j, "type"),
             *id = ab_json_get_string (j, "id");

  if (t == NULL || id == NULL)
    return ab_error_set (
        err, EINVAL, "entity uid: expected {\"type\": string, \"id\": string}");
  out->type = ab_arena_strdup (a, t);
  out->id = ab_arena_strndup (a, id, ab_json_get (j, "id")->u.string.len);
  return 0;
}

int
ab_cv_from_json (struct ab_arena *a, const struct ab_json *j,
                 struct ab_cv **out, ab_error_t *err)
{
  struct ab_cv *v = ab_arena_alloc (a, sizeof *v);
  char *end = NULL;

  if (v == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  *out = v;
  switch (j->type)
    {
    case AB_JSON_BOOL:
      v->type = AB_CV_BOOL;
      v->u.b = j->u.boolean;
      return 0;
    case AB_JSON_NUMBER:
      v->type = AB_CV_LONG;
      errno = 0;
      v->u.l = strtoll (j->u.number, &end, 10);
      if (errno || *end)
        return ab_error_set (err, EINVAL, "value %s: expected a 64-bit integer",
                             j->u.number);
      return 0;
    case AB_JSON_STRING:
      v->type = AB_CV_STRING;
      v->u.s.ptr = ab_arena_strndup (a, j->u.string.ptr, j->u.string.len);
      v->u.s.len = j->u.string.len;
      return 0;
    case AB_JSON_ARRAY:
      v->type = AB_CV_SET;
      v->u.set.items
          = ab_arena_alloc (a, (j->u.array.len + 1) * sizeof (void *));
      for (size_t i = 0; i < j->u.array.len; i++)
        if (ab_cv_from_json (a, j->u.array.items[i], &v->u.set.items[i], err)
            < 0)
          return -1;
      v->u.set.len = j->u.array.len;
      return 0;
    case AB_JSON_OBJECT:
      break;
    default:
      return ab_error_set (err, EINVAL, "value: null is not a Cedar value");
    }
  if (j->u.object.len == 1 && strcmp (j->u.object.keys[0], "__entity") == 0)
    {
      v->type = AB_CV_ENTITY;
      return uid_from_json (a, j->u.object.values[0], &v->u.e, err);
    }
  if (j->u.object.len == 1 && strcmp (j->u.object.keys[0], "__extn") == 0)
    {
      const struct ab_json *x = j->u.object.values[0];
      const char *fn = ab_json_get_string (x, "fn"),
                 *arg = ab_json_get_string (x, "arg");
      v->type = AB_CV_IP;
      if (fn == NULL || strcmp (fn, "ip") != 0 || arg == NULL)
        return ab_error_set (err, EINVAL, "value: unsupported extension `%s`",
                             fn ? fn : "?");
      if (!ab_cedar_parse_ip (arg, &v->u.ip))
        return ab_error_set (err, EINVAL, "value: `%s` is not an IP", arg);
      return 0;
    }
  v->type = AB_CV_RECORD;
  v->u.rec.entries
      = ab_arena_alloc (a, (j->u.object.len + 1) * sizeof *v->u.rec.entries);
  for (size_t i = 0; i < j->u.object.len; i++)
    {
      v->u.rec.entries[i].key = ab_arena_strdup (a, j->u.object.keys[i]);
      if (ab_cv_from_json (a, j->u.object.values[i], &v->u.rec.entries[i].val,
                           err)
          < 0)
        return -1;
    }
  v->u.rec.len = j->u.object.len;
  return 0;
}

int
ab_cedar_entities_from_json (struct ab_cedar_entities *e,
                             const struct ab_json *j, ab_error_t *err)
{
  if (!ab_json_is (j, AB_JSON_ARRAY))
    return ab_error_set (err, EINVAL, "entities: expected an array");
  for (size_t i = 0; i < j->u.array.len; i++)
    {
      const struct ab_json *ent = j->u.array.items[i];
      const struct ab_json *attrs = ab_json_get (ent, "attrs");
      const struct ab_json *parents = ab_json_get (ent, "parents");
      struct ab_cedar_uid uid, *ps = NULL;
      struct ab_cv *av = NULL;
      size_t np = 0;

      if (uid_from_json (e->arena, ab_json_get (ent, "uid"), &uid, err) < 0)
        return ab_error_wrap (err, "entities[%zu]", i);
      if (attrs && ab_cv_from_json (e->arena, attrs, &av, err) < 0)
        return ab_error_wrap (err, "entities[%zu].attrs", i);
      if (av && av->type != AB_CV_RECORD)
        return ab_error_set (err, EINVAL,
                             "entities[%zu].attrs: expected an object", i);
      if (parents)
        {
          if (!ab_json_is (parents, AB_JSON_ARRAY))
            return ab_error_set (err, EINVAL,
                                 "entities[%zu].parents: expected an array", i);
          ps = ab_arena_alloc (e->arena,
                               (parents->u.array.len + 1) * sizeof *ps);
          for (np = 0; np < parents->u.array.len; np++)
            if (uid_from_json (e->arena, parents->u.array.items[np], &ps[np],
                               err)
                < 0)
              return ab_error_wrap (err, "entities[%zu].parents[%zu]", i, np);
        }
      if (ab_cedar_entities_add (e, &uid, av, ps, np, err) < 0)
        return -1;
    }
  return 0;
}

int
ab_cedar_request_from_json (struct ab_cedar_entities *e,
                            const struct ab_json *j,
                            struct ab_cedar_request *out, ab_error_t *err)
{
  const struct ab_json *ctx = ab_json_get (j, "context");
  struct ab_cv *cv = NULL;

  memset (out, 0, sizeof *out);
  if (uid_from_json (e->arena, ab_json_get (j, "principal"), &out->principal,
                     err)
      < 0)
    return ab_error_wrap (err, "request.principal");
  if (uid_from_json (e->arena, ab_json_get (j, "action"), &out->action, err)
      < 0)
    return ab_error_wrap (err, "request.action");
  if (uid_from_json (e->arena, ab_json_get (j, "resource"), &out->resource, err)
      < 0)
    return ab_error_wrap (err, "request.resource");
  if (ctx)
    {
      if (ab_cv_from_json (e->arena, ctx, &cv, err) < 0)
        return ab_error_wrap (err, "request.context");
      if (cv->type != AB_CV_RECORD)
        return ab_error_set (err, EINVAL,
                             "request.context: expected an object");
      out->context = cv;
    }
  return 0;
}
