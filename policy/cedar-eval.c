/* agentbox: Cedar evaluation (see cedar.h for the semantics). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/cedar-internal.h"

struct ectx
{
  const struct ab_cedar_entities *ents;
  const struct ab_cedar_request *req;
  struct ab_arena *arena;
  char *err; /* first error, malloc'd */
  struct ab_cv vars[4];
  struct ab_cv empty_record;
};

static const char *
type_name (enum ab_cv_type t)
{
  static const char *const n[]
      = { "bool", "long", "string", "entity", "set", "record", "ipaddr" };
  return n[t];
}

static struct ab_cv *fail (struct ectx *c, const struct ab_cedar_expr *at,
                           const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static struct ab_cv *
fail (struct ectx *c, const struct ab_cedar_expr *at, const char *fmt, ...)
{
  char *msg = NULL, *full = NULL;
  va_list ap;

  if (c->err)
    return NULL;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (asprintf (&full, "%s:%u:%u: %s", at->loc.file, at->loc.line, at->loc.col,
                msg ? msg : "?")
      < 0)
    full = NULL;
  free (msg);
  c->err = full ? full : strdup ("evaluation error");
  return NULL;
}

static struct ab_cv *
new_value (struct ectx *c, enum ab_cv_type t)
{
  struct ab_cv *v = ab_arena_alloc (c->arena, sizeof *v);

  if (v == NULL)
    {
      if (!c->err)
        c->err = strdup ("out of memory");
      return NULL;
    }
  v->type = t;
  return v;
}

static struct ab_cv *
bool_value (struct ectx *c, bool b)
{
  struct ab_cv *v = new_value (c, AB_CV_BOOL);

  if (v)
    v->u.b = b;
  return v;
}

static struct ab_cv *
long_value (struct ectx *c, int64_t l)
{
  struct ab_cv *v = new_value (c, AB_CV_LONG);

  if (v)
    v->u.l = l;
  return v;
}

/* ---- equality ---- */

bool
ab_cedar_uid_equal (const struct ab_cedar_uid *a, const struct ab_cedar_uid *b)
{
  return strcmp (a->type, b->type) == 0 && strcmp (a->id, b->id) == 0;
}

static bool
set_has (const struct ab_cv *set, const struct ab_cv *v)
{
  for (size_t i = 0; i < set->u.set.len; i++)
    if (ab_cv_equal (set->u.set.items[i], v))
      return true;
  return false;
}

static const struct ab_cv *
record_get (const struct ab_cv *rec, const char *key)
{
  for (size_t i = 0; i < rec->u.rec.len; i++)
    if (strcmp (rec->u.rec.entries[i].key, key) == 0)
      return rec->u.rec.entries[i].val;
  return NULL;
}

bool
ab_cv_equal (const struct ab_cv *a, const struct ab_cv *b)
{
  if (a->type != b->type)
    return false;
  switch (a->type)
    {
    case AB_CV_BOOL:
      return a->u.b == b->u.b;
    case AB_CV_LONG:
      return a->u.l == b->u.l;
    case AB_CV_STRING:
      return a->u.s.len == b->u.s.len
             && memcmp (a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0;
    case AB_CV_ENTITY:
      return ab_cedar_uid_equal (&a->u.e, &b->u.e);
    case AB_CV_IP:
      return a->u.ip.v6 == b->u.ip.v6 && a->u.ip.prefix == b->u.ip.prefix
             && memcmp (a->u.ip.addr, b->u.ip.addr, 16) == 0;
    case AB_CV_SET:
      /* Sets: every element of each is in the other (duplicates fold). */
      for (size_t i = 0; i < a->u.set.len; i++)
        if (!set_has (b, a->u.set.items[i]))
          return false;
      for (size_t i = 0; i < b->u.set.len; i++)
        if (!set_has (a, b->u.set.items[i]))
          return false;
      return true;
    case AB_CV_RECORD:
      if (a->u.rec.len != b->u.rec.len)
        return false;
      for (size_t i = 0; i < a->u.rec.len; i++)
        {
          const struct ab_cv *o = record_get (b, a->u.rec.entries[i].key);
          if (o == NULL || !ab_cv_equal (a->u.rec.entries[i].val, o))
            return false;
        }
      return true;
    }
  return false;
}

/* ---- ip ---- */

bool
ab_cedar_parse_ip (const char *s, struct ab_cedar_ip *out)
{
  char addr[64];
  const char *slash = strchr (s, '/');
  size_t n = slash ? (size_t)(slash - s) : strlen (s);
  unsigned long prefix;

  memset (out, 0, sizeof *out);
  if (n == 0 || n >= sizeof addr)
    return false;
  memcpy (addr, s, n);
  addr[n] = '\0';
  out->v6 = strchr (addr, ':') != NULL;
  /* Cedar refuses IPv4 embedded in IPv6 and octets with leading zeros. */
  if (out->v6 && strchr (addr, '.'))
    return false;
  if (!out->v6)
    for (const char *p = addr; *p; p++)
      if (*p == '0' && (p == addr || p[-1] == '.') && p[1] >= '0'
          && p[1] <= '9')
        return false;
  if (inet_pton (out->v6 ? AF_INET6 : AF_INET, addr, out->addr) != 1)
    return false;
  if (slash == NULL)
    prefix = out->v6 ? 128 : 32;
  else
    {
      char *end = NULL;
      const char *p = slash + 1;
      if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
        return false;
      errno = 0;
      prefix = strtoul (p, &end, 10);
      if (errno || *end || prefix > (out->v6 ? 128u : 32u))
        return false;
    }
  out->prefix = (uint8_t)prefix;
  return true;
}

/* Do the first BITS bits of A and B agree? */
static bool
prefix_equal (const uint8_t *a, const uint8_t *b, unsigned bits)
{
  unsigned full = bits / 8, rest = bits % 8;

  if (memcmp (a, b, full) != 0)
    return false;
  if (rest == 0)
    return true;
  uint8_t mask = (uint8_t)(0xFF << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

static bool
ip_in_range (const struct ab_cedar_ip *a, const struct ab_cedar_ip *range)
{
  return a->v6 == range->v6 && a->prefix >= range->prefix
         && prefix_equal (a->addr, range->addr, range->prefix);
}

static bool
ip_loopback (const struct ab_cedar_ip *ip)
{
  static const uint8_t one[16] = { [15] = 1 };

  /* As Cedar: the whole range must be loopback. */
  return ip->v6 ? memcmp (ip->addr, one, 16) == 0 && ip->prefix == 128
                : ip->addr[0] == 127 && ip->prefix >= 8;
}

static bool
ip_multicast (const struct ab_cedar_ip *ip)
{
  return ip->v6 ? ip->addr[0] == 0xFF && ip->prefix >= 8
                : (ip->addr[0] & 0xF0) == 0xE0 && ip->prefix >= 4;
}

/* ---- like ---- */

static bool
like_match (const int *pat, size_t plen, const char *s, size_t slen)
{
  size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;

  while (i < slen)
    {
      if (p < plen && pat[p] == AB_LIKE_STAR)
        {
          star_p = p++;
          star_i = i;
        }
      else if (p < plen && pat[p] == (unsigned char)s[i])
        {
          p++;
          i++;
        }
      else if (star_p != (size_t)-1)
        {
          p = star_p + 1;
          i = ++star_i;
        }
      else
        return false;
    }
  while (p < plen && pat[p] == AB_LIKE_STAR)
    p++;
  return p == plen;
}

/* ---- evaluation ---- */

static struct ab_cv *eval (struct ectx *c, const struct ab_cedar_expr *e);

static struct ab_cv *
eval_typed (struct ectx *c, const struct ab_cedar_expr *e, enum ab_cv_type t,
            const char *what)
{
  struct ab_cv *v = eval (c, e);

  if (v && v->type != t)
    return fail (c, e, "%s: expected %s, got %s", what, type_name (t),
                 type_name (v->type));
  return v;
}

static struct ab_cv *
eval_in (struct ectx *c, const struct ab_cedar_expr *e)
{
  struct ab_cv *a = eval_typed (c, e->a, AB_CV_ENTITY, "`in`"), *b;

  if (a == NULL || (b = eval (c, e->b)) == NULL)
    return NULL;
  if (b->type == AB_CV_ENTITY)
    return bool_value (c, ab_cedar_entity_in (c->ents, &a->u.e, &b->u.e));
  if (b->type != AB_CV_SET)
    return fail (c, e->b, "`in`: expected entity or set, got %s",
                 type_name (b->type));
  bool found = false;
  for (size_t i = 0; i < b->u.set.len; i++)
    {
      const struct ab_cv *x = b->u.set.items[i];
      if (x->type != AB_CV_ENTITY)
        return fail (c, e->b, "`in`: set element: expected entity, got %s",
                     type_name (x->type));
      if (!found && ab_cedar_entity_in (c->ents, &a->u.e, &x->u.e))
        found = true;
    }
  return bool_value (c, found);
}

static struct ab_cv *
eval_arith (struct ectx *c, const struct ab_cedar_expr *e)
{
  static const char *const ops[]
      = { [EK_ADD] = "+", [EK_SUB] = "-", [EK_MUL] = "*" };
  struct ab_cv *a = eval_typed (c, e->a, AB_CV_LONG, ops[e->kind]), *b;
  int64_t r;
  bool over;

  if (a == NULL || (b = eval_typed (c, e->b, AB_CV_LONG, ops[e->kind])) == NULL)
    return NULL;
  if (e->kind == EK_ADD)
    over = __builtin_add_overflow (a->u.l, b->u.l, &r);
  else if (e->kind == EK_SUB)
    over = __builtin_sub_overflow (a->u.l, b->u.l, &r);
  else
    over = __builtin_mul_overflow (a->u.l, b->u.l, &r);
  if (over)
    return fail (c, e, "integer overflow in `%s`", ops[e->kind]);
  return long_value (c, r);
}

static struct ab_cv *
eval_compare (struct ectx *c, const struct ab_cedar_expr *e)
{
  struct ab_cv *a = eval_typed (c, e->a, AB_CV_LONG, "comparison"), *b;

  if (a == NULL || (b = eval_typed (c, e->b, AB_CV_LONG, "comparison")) == NULL)
    return NULL;
  switch (e->kind)
    {
    case EK_LT:
      return bool_value (c, a->u.l < b->u.l);
    case EK_LE:
      return bool_value (c, a->u.l <= b->u.l);
    case EK_GT:
      return bool_value (c, a->u.l > b->u.l);
    default:
      return bool_value (c, a->u.l >= b->u.l);
    }
}

/* The record behind V for `.attr` / `has`: a record itself, or an
 * entity's attributes.  *MISSING is set for an entity not in the store. */
static const struct ab_cv *
attrs_of (struct ectx *c, const struct ab_cedar_expr *at, const struct ab_cv *v,
          bool *missing)
{
  *missing = false;
  if (v->type == AB_CV_RECORD)
    return v;
  if (v->type == AB_CV_ENTITY)
    {
      const struct ab_cv *a = ab_cedar_entity_attrs (c->ents, &v->u.e);
      if (a == NULL)
        *missing = true;
      return a;
    }
  fail (c, at, "expected entity or record, got %s", type_name (v->type));
  return NULL;
}

static struct ab_cv *
eval_attr (struct ectx *c, const struct ab_cedar_expr *e)
{
  struct ab_cv *v = eval (c, e->a);
  const struct ab_cv *rec, *r;
  bool missing;

  if (v == NULL || ((rec = attrs_of (c, e, v, &missing)) == NULL && !missing))
    return NULL;
  if (missing)
    return fail (c, e, "entity %s::\"%s\" does not exist", v->u.e.type,
                 v->u.e.id);
  if ((r = record_get (rec, e->name)) == NULL)
    return fail (c, e, "%s does not have the attribute `%s`",
                 v->type == AB_CV_ENTITY ? "entity" : "record", e->name);
  return (struct ab_cv *)r;
}

static struct ab_cv *
eval_has (struct ectx *c, const struct ab_cedar_expr *e)
{
  struct ab_cv *v = eval (c, e->a);
  const struct ab_cv *rec;
  bool missing;

  if (v == NULL || ((rec = attrs_of (c, e, v, &missing)) == NULL && !missing))
    return NULL;
  return bool_value (c, !missing && record_get (rec, e->name) != NULL);
}

static struct ab_cv *
eval_method (struct ectx *c, const struct ab_cedar_expr *e)
{
  struct ab_cv *recv = eval (c, e->a), *arg = NULL;
  bool r = false;

  if (recv == NULL)
    return NULL;
  if (e->n == 1 && (arg = eval (c, e->items[0])) == NULL)
    return NULL;
  switch (e->method)
    {
    case M_CONTAINS:
      if (recv->type != AB_CV_SET)
        return fail (c, e, "contains: expected set, got %s",
                     type_name (recv->type));
      return bool_value (c, set_has (recv, arg));
    case M_CONTAINS_ALL:
    case M_CONTAINS_ANY:
      if (recv->type != AB_CV_SET || arg->type != AB_CV_SET)
        return fail (
            c, e, "%s: expected set, got %s",
            e->method == M_CONTAINS_ALL ? "containsAll" : "containsAny",
            type_name (recv->type != AB_CV_SET ? recv->type : arg->type));
      if (e->method == M_CONTAINS_ALL)
        {
          r = true;
          for (size_t i = 0; r && i < arg->u.set.len; i++)
            r = set_has (recv, arg->u.set.items[i]);
        }
      else
        for (size_t i = 0; !r && i < arg->u.set.len; i++)
          r = set_has (recv, arg->u.set.items[i]);
      return bool_value (c, r);
    default:
      break;
    }
  if (recv->type != AB_CV_IP)
    return fail (c, e, "expected ipaddr, got %s", type_name (recv->type));
  switch (e->method)
    {
    case M_IS_IPV4:
      return bool_value (c, !recv->u.ip.v6);
    case M_IS_IPV6:
      return bool_value (c, recv->u.ip.v6);
    case M_IS_LOOPBACK:
      return bool_value (c, ip_loopback (&recv->u.ip));
    case M_IS_MULTICAST:
      return bool_value (c, ip_multicast (&recv->u.ip));
    default:
      if (arg->type != AB_CV_IP)
        return fail (c, e, "isInRange: expected ipaddr, got %s",
                     type_name (arg->type));
      return bool_value (c, ip_in_range (&recv->u.ip, &arg->u.ip));
    }
}

static struct ab_cv *
eval_collection (struct ectx *c, const struct ab_cedar_expr *e)
{
  struct ab_cv *v = new_value (c, e->kind == EK_SET ? AB_CV_SET : AB_CV_RECORD);

  if (v == NULL)
    return NULL;
  if (e->kind == EK_SET)
    {
      v->u.set.items = ab_arena_alloc (c->arena, (e->n + 1) * sizeof (void *));
      if (v->u.set.items == NULL)
        return fail (c, e, "out of memory");
      for (size_t i = 0; i < e->n; i++)
        if ((v->u.set.items[v->u.set.len++] = eval (c, e->items[i])) == NULL)
          return NULL;
      return v;
    }
  v->u.rec.entries
      = ab_arena_alloc (c->arena, (e->n + 1) * sizeof *v->u.rec.entries);
  if (v->u.rec.entries == NULL)
    return fail (c, e, "out of memory");
  for (size_t i = 0; i < e->n; i++)
    {
      v->u.rec.entries[i].key = e->keys[i];
      if ((v->u.rec.entries[i].val = eval (c, e->items[i])) == NULL)
        return NULL;
      v->u.rec.len++;
    }
  return v;
}

static struct ab_cv *
eval_bool_op (struct ectx *c, const struct ab_cedar_expr *e)
{
  const char *op = e->kind == EK_AND ? "&&" : "||";
  struct ab_cv *a = eval_typed (c, e->a, AB_CV_BOOL, op);

  if (a == NULL)
    return NULL;
  /* Short-circuit, as Cedar: the right side is not evaluated. */
  if (a->u.b == (e->kind == EK_OR))
    return a;
  return eval_typed (c, e->b, AB_CV_BOOL, op);
}

static struct ab_cv *
eval (struct ectx *c, const struct ab_cedar_expr *e)
{
  struct ab_cv *a, *b;

  switch (e->kind)
    {
    case EK_LIT:
      return e->lit;
    case EK_VAR:
      return &c->vars[e->var];
    case EK_NOT:
      if ((a = eval_typed (c, e->a, AB_CV_BOOL, "`!`")) == NULL)
        return NULL;
      return bool_value (c, !a->u.b);
    case EK_NEG:
      if ((a = eval_typed (c, e->a, AB_CV_LONG, "unary `-`")) == NULL)
        return NULL;
      if (a->u.l == INT64_MIN)
        return fail (c, e, "integer overflow in unary `-`");
      return long_value (c, -a->u.l);
    case EK_AND:
    case EK_OR:
      return eval_bool_op (c, e);
    case EK_EQ:
    case EK_NE:
      if ((a = eval (c, e->a)) == NULL || (b = eval (c, e->b)) == NULL)
        return NULL;
      return bool_value (c, ab_cv_equal (a, b) == (e->kind == EK_EQ));
    case EK_LT:
    case EK_LE:
    case EK_GT:
    case EK_GE:
      return eval_compare (c, e);
    case EK_IN:
      return eval_in (c, e);
    case EK_ADD:
    case EK_SUB:
    case EK_MUL:
      return eval_arith (c, e);
    case EK_HAS:
      return eval_has (c, e);
    case EK_LIKE:
      if ((a = eval_typed (c, e->a, AB_CV_STRING, "`like`")) == NULL)
        return NULL;
      return bool_value (
          c, like_match (e->pattern, e->plen, a->u.s.ptr, a->u.s.len));
    case EK_IS:
      if ((a = eval_typed (c, e->a, AB_CV_ENTITY, "`is`")) == NULL)
        return NULL;
      return bool_value (c, strcmp (a->u.e.type, e->name) == 0);
    case EK_ATTR:
      return eval_attr (c, e);
    case EK_IF:
      if ((a = eval_typed (c, e->a, AB_CV_BOOL, "`if` condition")) == NULL)
        return NULL;
      return eval (c, a->u.b ? e->b : e->c);
    case EK_SET:
    case EK_RECORD:
      return eval_collection (c, e);
    case EK_METHOD:
      return eval_method (c, e);
    case EK_IP:
      if ((a = eval_typed (c, e->items[0], AB_CV_STRING, "ip()")) == NULL
          || (b = new_value (c, AB_CV_IP)) == NULL)
        return NULL;
      {
        char *s = ab_arena_strndup (c->arena, a->u.s.ptr, a->u.s.len);
        if (s == NULL || strlen (s) != a->u.s.len
            || !ab_cedar_parse_ip (s, &b->u.ip))
          return fail (c, e, "ip(): `%s` is not an IP address or range",
                       s ? s : "?");
      }
      return b;
    }
  return fail (c, e, "unknown expression");
}

/* ---- scope ---- */

static bool
scope_ok (const struct ectx *c, const struct ab_cedar_scope *sc,
          const struct ab_cedar_uid *v)
{
  switch (sc->op)
    {
    case AB_SCOPE_ANY:
      return true;
    case AB_SCOPE_EQ:
      return ab_cedar_uid_equal (v, &sc->entities[0]);
    case AB_SCOPE_IS:
      return strcmp (v->type, sc->is_type) == 0;
    case AB_SCOPE_IS_IN:
      if (strcmp (v->type, sc->is_type) != 0)
        return false;
      /* fall through */
    case AB_SCOPE_IN:
      for (size_t i = 0; i < sc->n_entities; i++)
        if (ab_cedar_entity_in (c->ents, v, &sc->entities[i]))
          return true;
      return false;
    }
  return false;
}

static void
set_entity (struct ab_cv *v, const struct ab_cedar_uid *uid)
{
  v->type = AB_CV_ENTITY;
  v->u.e = *uid;
}

static void
ectx_init (struct ectx *c, const struct ab_cedar_entities *e,
           const struct ab_cedar_request *req, struct ab_arena *arena)
{
  memset (c, 0, sizeof *c);
  c->ents = e;
  c->req = req;
  c->arena = arena;
  set_entity (&c->vars[VAR_PRINCIPAL], &req->principal);
  set_entity (&c->vars[VAR_ACTION], &req->action);
  set_entity (&c->vars[VAR_RESOURCE], &req->resource);
  c->empty_record.type = AB_CV_RECORD;
  c->vars[VAR_CONTEXT] = req->context ? *req->context : c->empty_record;
}

static int
policy_eval (struct ectx *c, const struct ab_cedar_policy *p)
{
  if (!scope_ok (c, &p->principal, &c->req->principal)
      || !scope_ok (c, &p->action, &c->req->action)
      || !scope_ok (c, &p->resource, &c->req->resource))
    return 0;
  for (size_t i = 0; i < p->n_conds; i++)
    {
      const char *what = p->cond_unless[i] ? "`unless`" : "`when`";
      struct ab_cv *v = eval_typed (c, p->conds[i], AB_CV_BOOL, what);
      if (v == NULL)
        return -1;
      if (v->u.b == p->cond_unless[i])
        return 0;
    }
  return 1;
}

int
ab_cedar_policy_eval (const struct ab_cedar_policy *p,
                      const struct ab_cedar_entities *e,
                      const struct ab_cedar_request *req, char **msg)
{
  struct ab_arena *arena = ab_arena_new ();
  struct ectx c;
  int r;

  if (arena == NULL)
    {
      *msg = strdup ("out of memory");
      return -1;
    }
  ectx_init (&c, e, req, arena);
  r = policy_eval (&c, p);
  *msg = r < 0 ? c.err : NULL;
  if (r >= 0)
    free (c.err);
  ab_arena_free (arena);
  return r;
}

void
ab_cedar_response_free (struct ab_cedar_response *r)
{
  free (r->reasons);
  free (r->errors);
  for (size_t i = 0; i < r->n_errors; i++)
    free (r->error_msgs[i]);
  free (r->error_msgs);
  memset (r, 0, sizeof *r);
}

int
ab_cedar_authorize (const struct ab_cedar_set *s,
                    const struct ab_cedar_entities *e,
                    const struct ab_cedar_request *req,
                    struct ab_cedar_response *out, ab_error_t *err)
{
  struct ab_arena *arena = ab_arena_new ();
  size_t *permits = calloc (s->len + 1, sizeof *permits);
  size_t *forbids = calloc (s->len + 1, sizeof *forbids);
  size_t np = 0, nf = 0;

  memset (out, 0, sizeof *out);
  out->errors = calloc (s->len + 1, sizeof *out->errors);
  out->error_msgs = calloc (s->len + 1, sizeof *out->error_msgs);
  if (arena == NULL || permits == NULL || forbids == NULL || out->errors == NULL
      || out->error_msgs == NULL)
    {
      ab_arena_free (arena);
      free (permits);
      free (forbids);
      ab_cedar_response_free (out);
      return ab_error_set (err, ENOMEM, "authorize: out of memory");
    }
  for (size_t i = 0; i < s->len; i++)
    {
      struct ectx c;
      int r;

      ectx_init (&c, e, req, arena);
      r = policy_eval (&c, &s->policies[i]);
      ab_arena_reset (arena);
      if (r < 0)
        {
          /* A policy that errors does not apply (Cedar's semantics): for
           * a forbid that fails open, so agentbox reports every error. */
          out->errors[out->n_errors] = i;
          out->error_msgs[out->n_errors++] = c.err;
          continue;
        }
      free (c.err);
      if (r == 1 && s->policies[i].permit)
        permits[np++] = i;
      else if (r == 1)
        forbids[nf++] = i;
    }
  ab_arena_free (arena);
  out->allow = np > 0 && nf == 0;
  if (nf > 0)
    {
      out->reasons = forbids;
      out->n_reasons = nf;
      free (permits);
    }
  else
    {
      out->reasons = permits;
      out->n_reasons = np;
      free (forbids);
    }
  return 0;
}
