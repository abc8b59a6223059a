/* agentbox: the policy compiler — Cedar set + YAML lists to the IR (see
 * ir.h and docs/policy-ir.md). */
#include "policy/ir-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/cedar-internal.h"
#include "policy/yaml.h"

static const char *const action_names[AB_IR_N_ACTIONS] = {
  "FileOpen",    "FileOpenReadOnly", "FileOpenReadWrite",
  "ProcessExec", "NetworkConnect",   "HttpRequest",
  "HttpRewrite", "McpCall",          "HostExec",
};

#define ALL_ACTIONS ((1u << AB_IR_N_ACTIONS) - 1)
#define FILE_OPEN_FAMILY                                                       \
  ((1u << AB_IR_FILE_OPEN) | (1u << AB_IR_FILE_OPEN_RO)                        \
   | (1u << AB_IR_FILE_OPEN_RW))

const char *
ab_ir_action_name (enum ab_ir_action a)
{
  return a < AB_IR_N_ACTIONS ? action_names[a] : "?";
}

static const char *const rtype_names[]
    = { "any",       "File",        "Dir",     "Host",
        "MCP::Tool", "MCP::Server", "Command", "(other)" };

enum ir_rtype
ab_ir_rtype (const char *type)
{
  for (int t = RT_FILE; t < RT_OTHER; t++)
    if (strcmp (type, rtype_names[t]) == 0)
      return (enum ir_rtype)t;
  return RT_OTHER;
}

const char *
ab_ir_rtype_name (enum ir_rtype t)
{
  return t <= RT_OTHER ? rtype_names[t] : "?";
}

/* ---- string map ---- */

static void
strmap_free (struct ir_strmap *m)
{
  for (size_t i = 0; i < m->cap; i++)
    {
      free (m->slots[i].key);
      ab_tabvec_free (&m->slots[i].v);
    }
  free (m->slots);
}

static size_t
strmap_index (const struct ir_strmap *m, const char *key)
{
  size_t mask = m->cap - 1;
  size_t i = (size_t)ab_tab_hash (AB_TAB_HASH_INIT, key, strlen (key)) & mask;

  while (m->slots[i].key && strcmp (m->slots[i].key, key) != 0)
    i = (i + 1) & mask;
  return i;
}

const struct ab_tabvec *
ab_ir_strmap_get (const struct ir_strmap *m, const char *key)
{
  if (m->cap == 0)
    return NULL;
  size_t i = strmap_index (m, key);
  return m->slots[i].key ? &m->slots[i].v : NULL;
}

static int
strmap_grow (struct ir_strmap *m)
{
  struct ir_strmap old = *m;

  m->cap = old.cap ? old.cap * 2 : 16;
  m->slots = calloc (m->cap, sizeof *m->slots);
  if (m->slots == NULL)
    {
      *m = old;
      return -1;
    }
  for (size_t i = 0; i < old.cap; i++)
    if (old.slots[i].key)
      m->slots[strmap_index (m, old.slots[i].key)] = old.slots[i];
  free (old.slots);
  return 0;
}

static int
strmap_add (struct ir_strmap *m, const char *key, uint32_t value)
{
  size_t i;

  if ((m->n + 1) * 2 > m->cap && strmap_grow (m) < 0)
    return -1;
  i = strmap_index (m, key);
  if (m->slots[i].key == NULL)
    {
      if ((m->slots[i].key = strdup (key)) == NULL)
        return -1;
      m->n++;
    }
  return ab_tabvec_push (&m->slots[i].v, value);
}

/* ---- host ids ---- */

bool
ab_ir_host_id (const char *id, size_t *name_len, int *port)
{
  const char *colon = strrchr (id, ':');
  size_t n = strlen (id), cl;

  *port = AB_HOSTTAB_NO_PORT;
  /* The model's split: a last ":digits" with no ']' after it. */
  if (colon && strchr (colon, ']') == NULL && colon[1]
      && strspn (colon + 1, "0123456789") == strlen (colon + 1))
    {
      /* Requests spell ports as %u, 1..65535: anything else never
       * equals one. */
      if (colon[1] == '0' || strlen (colon + 1) > 5 || atoi (colon + 1) > 65535)
        return false;
      *port = atoi (colon + 1);
      n = (size_t)(colon - id);
    }
  *name_len = n;
  for (size_t i = 0; i < n; i++)
    if (isupper ((unsigned char)id[i]))
      return false;
  return ab_hosttab_name_valid (id, n, &cl) && cl == n;
}

/* ---- building ---- */

static int
oom (ab_error_t *err)
{
  return ab_error_set (err, ENOMEM, "compile policy: out of memory");
}

static struct ab_ir_rule *
new_rule (struct ab_ir *ir)
{
  if (ir->n_rules == ir->cap_rules)
    {
      size_t cap = ir->cap_rules ? ir->cap_rules * 2 : 64;
      struct ab_ir_rule *r = realloc (ir->rules, cap * sizeof *r);
      if (r == NULL)
        return NULL;
      ir->rules = r;
      ir->cap_rules = cap;
    }
  struct ab_ir_rule *r = &ir->rules[ir->n_rules];
  memset (r, 0, sizeof *r);
  r->index = (uint32_t)ir->n_rules++;
  return r;
}

/* A new entry for RULE requiring RTYPE; its index in *IDX. */
static int
new_entry (struct ab_ir *ir, uint32_t rule, enum ir_rtype rtype, uint32_t *idx)
{
  if (ir->n_entries == ir->cap_entries)
    {
      size_t cap = ir->cap_entries ? ir->cap_entries * 2 : 64;
      struct ir_entry *e = realloc (ir->entries, cap * sizeof *e);
      if (e == NULL)
        return -1;
      ir->entries = e;
      ir->cap_entries = cap;
    }
  ir->entries[ir->n_entries].rule = rule;
  ir->entries[ir->n_entries].rtype = (uint8_t)rtype;
  *idx = (uint32_t)ir->n_entries++;
  return 0;
}

static uint32_t
action_bits (const struct ab_cedar_uid *u, bool in)
{
  if (strcmp (u->type, "Action") != 0)
    return 0;
  /* The model's only action hierarchy: FileOpenReadOnly and
   * FileOpenReadWrite are in FileOpen. */
  if (in && strcmp (u->id, "FileOpen") == 0)
    return FILE_OPEN_FAMILY;
  for (int a = 0; a < AB_IR_N_ACTIONS; a++)
    if (strcmp (u->id, action_names[a]) == 0)
      return 1u << a;
  return 0;
}

static uint32_t
scope_actions (const struct ab_cedar_scope *sc)
{
  uint32_t bits = 0;

  switch (sc->op)
    {
    case AB_SCOPE_ANY:
      return ALL_ACTIONS;
    case AB_SCOPE_EQ:
      return action_bits (&sc->entities[0], false);
    case AB_SCOPE_IS:
      return strcmp (sc->is_type, "Action") == 0 ? ALL_ACTIONS : 0;
    case AB_SCOPE_IS_IN:
      if (strcmp (sc->is_type, "Action") != 0)
        return 0;
      /* fall through */
    case AB_SCOPE_IN:
      for (size_t i = 0; i < sc->n_entities; i++)
        bits |= action_bits (&sc->entities[i], true);
      return bits;
    }
  return 0;
}

/* Can the principal scope match Container::"x" (in Project::"p")? */
static bool
principal_possible (const struct ab_cedar_scope *sc, const char **why)
{
  const char *t = sc->op == AB_SCOPE_IS || sc->op == AB_SCOPE_IS_IN
                      ? sc->is_type
                  : sc->op == AB_SCOPE_EQ ? sc->entities[0].type
                                          : NULL;

  if (t && strcmp (t, "Container") != 0)
    {
      *why = "the principal is always a Container";
      return false;
    }
  return true;
}

/* ---- the CIDR condition pattern ---- */

static bool
is_context_addr (const struct ab_cedar_expr *e)
{
  return e->kind == EK_ATTR && strcmp (e->name, "addr") == 0
         && e->a->kind == EK_VAR && e->a->var == VAR_CONTEXT;
}

static bool
lit_range (const struct ab_cedar_expr *e, struct ab_cidr *out)
{
  struct ab_cedar_ip ip;
  char buf[128];
  const struct ab_cv *v;

  if (e->kind != EK_IP || e->n != 1 || e->items[0]->kind != EK_LIT)
    return false;
  v = e->items[0]->lit;
  if (v->type != AB_CV_STRING || v->u.s.len >= sizeof buf
      || memchr (v->u.s.ptr, '\0', v->u.s.len))
    return false;
  memcpy (buf, v->u.s.ptr, v->u.s.len);
  buf[v->u.s.len] = '\0';
  /* The evaluator's own parser, so both read the literal alike. */
  if (!ab_cedar_parse_ip (buf, &ip))
    return false;
  out->v6 = ip.v6;
  memcpy (out->addr, ip.addr, 16);
  out->prefix = ip.prefix;
  return true;
}

/* E is true exactly when context.addr is in one of the ranges it adds
 * (given an ip query's context {"addr": "<address>"}), and never errs. */
static bool
range_expr (const struct ab_cedar_expr *e, struct ab_cidr **ranges, size_t *n)
{
  struct ab_cidr c;

  switch (e->kind)
    {
    case EK_OR:
      return range_expr (e->a, ranges, n) && range_expr (e->b, ranges, n);
    case EK_AND:
      if (e->a->kind == EK_HAS && strcmp (e->a->name, "addr") == 0
          && e->a->a->kind == EK_VAR && e->a->a->var == VAR_CONTEXT)
        return range_expr (e->b, ranges, n);
      return false;
    case EK_METHOD:
      if (e->method != M_IS_IN_RANGE || e->n != 1 || e->a->kind != EK_IP
          || e->a->n != 1 || !is_context_addr (e->a->items[0])
          || !lit_range (e->items[0], &c))
        return false;
      {
        struct ab_cidr *r = realloc (*ranges, (*n + 1) * sizeof *r);
        if (r == NULL)
          return false;
        r[(*n)++] = c;
        *ranges = r;
      }
      return true;
    default:
      return false;
    }
}

/* Compile P's conditions: TABLE (none), CIDR or RESIDUAL. */
static void
classify (const struct ab_cedar_policy *p, struct ab_ir_rule *r)
{
  const struct ab_cedar_scope *res = &p->resource;
  bool ok = true;

  if (p->n_conds == 0)
    {
      r->kind = AB_IR_KIND_TABLE;
      return;
    }
  r->kind = AB_IR_KIND_RESIDUAL;
  /* CIDR rules are NetworkConnect only, on any Host: an ip query's
   * resource always satisfies that scope. */
  if (r->actions != (1u << AB_IR_NETWORK_CONNECT)
      || !(res->op == AB_SCOPE_ANY
           || (res->op == AB_SCOPE_IS && strcmp (res->is_type, "Host") == 0)))
    return;
  for (size_t i = 0; ok && i < p->n_conds; i++)
    ok = !p->cond_unless[i]
         && range_expr (p->conds[i], &r->ranges, &r->n_ranges);
  /* Several `when` clauses are a conjunction: only one is a union. */
  if (ok && p->n_conds == 1)
    r->kind = AB_IR_KIND_CIDR;
  else
    {
      free (r->ranges);
      r->ranges = NULL;
      r->n_ranges = 0;
    }
}

/* ---- placing a rule by its resource scope ---- */

static int
put_any (struct ab_ir *ir, uint32_t rule, enum ir_rtype rt)
{
  uint32_t e;
  return new_entry (ir, rule, rt, &e) < 0 || ab_tabvec_push (&ir->any, e) < 0
             ? -1
             : 0;
}

static int
put_path (struct ab_ir *ir, uint32_t rule, enum ir_rtype rt, const char *p,
          enum ab_pathtab_kind kind, ab_error_t *err)
{
  uint32_t e;

  if (new_entry (ir, rule, rt, &e) < 0)
    return oom (err);
  return ab_pathtab_add (ir->paths, p, strlen (p), kind, e, err);
}

static int
put_host (struct ab_ir *ir, uint32_t rule, enum ir_rtype rt, const char *name,
          size_t len, enum ab_hosttab_kind kind, int port, ab_error_t *err)
{
  uint32_t e;

  if (new_entry (ir, rule, rt, &e) < 0)
    return oom (err);
  return ab_hosttab_add (ir->hosts, name, len, kind, port, e, err);
}

static int
put_str (struct ab_ir *ir, struct ir_strmap *m, uint32_t rule, enum ir_rtype rt,
         const char *key, ab_error_t *err)
{
  uint32_t e;

  if (new_entry (ir, rule, rt, &e) < 0 || strmap_add (m, key, e) < 0)
    return oom (err);
  return 0;
}

/* U's exact match (== U, or the equality half of `in U`), requiring the
 * request to be of type U.type (and of IS_TYPE when not RT_ANY). */
static int
place_exact (struct ab_ir *ir, uint32_t rule, const struct ab_cedar_uid *u,
             enum ir_rtype is_type, ab_error_t *err)
{
  enum ir_rtype t = ab_ir_rtype (u->type);
  size_t nl;
  int port;

  if (t == RT_OTHER || (is_type != RT_ANY && is_type != t))
    return 0; /* matches no request */
  switch (t)
    {
    case RT_FILE:
    case RT_DIR:
      return put_path (ir, rule, t, u->id, AB_PATHTAB_EXACT, err);
    case RT_HOST:
      if (!ab_ir_host_id (u->id, &nl, &port))
        return 0; /* never equals a canonical request id */
      return put_host (ir, rule, t, u->id, nl, AB_HOSTTAB_EXACT, port, err);
    case RT_MCP_TOOL:
      return put_str (ir, &ir->tools, rule, t, u->id, err);
    case RT_MCP_SERVER:
      return put_str (ir, &ir->servers, rule, t, u->id, err);
    case RT_COMMAND:
      return put_str (ir, &ir->commands, rule, t, u->id, err);
    default:
      return 0;
    }
}

/* The descendants of U in the model: below a Dir "p/", a port-less Host
 * (with a port), "*.zone" (names below zone), tools of a server. */
static int
place_below (struct ab_ir *ir, uint32_t rule, const struct ab_cedar_uid *u,
             enum ir_rtype is_type, ab_error_t *err)
{
  enum ir_rtype t = ab_ir_rtype (u->type);
  size_t nl, n = strlen (u->id);
  int port;

  if (t == RT_DIR && n > 0 && u->id[n - 1] == '/')
    return put_path (ir, rule, is_type, u->id, AB_PATHTAB_UNDER, err);
  if (t == RT_MCP_SERVER)
    return is_type == RT_ANY || is_type == RT_MCP_TOOL
               ? put_str (ir, &ir->servers, rule, RT_MCP_TOOL, u->id, err)
               : 0;
  if (t != RT_HOST || (is_type != RT_ANY && is_type != RT_HOST)
      || !ab_ir_host_id (u->id, &nl, &port) || port != AB_HOSTTAB_NO_PORT)
    return 0;
  if (put_host (ir, rule, RT_HOST, u->id, nl, AB_HOSTTAB_ANY_PORT,
                AB_HOSTTAB_NO_PORT, err)
      < 0)
    return -1;
  if (nl > 2 && strncmp (u->id, "*.", 2) == 0)
    return put_host (ir, rule, RT_HOST, u->id + 2, nl - 2, AB_HOSTTAB_BELOW,
                     AB_HOSTTAB_NO_PORT, err);
  return 0;
}

static int
place_resource (struct ab_ir *ir, struct ab_ir_rule *r,
                const struct ab_cedar_scope *sc, ab_error_t *err)
{
  enum ir_rtype is_type = RT_ANY;

  switch (sc->op)
    {
    case AB_SCOPE_ANY:
      return put_any (ir, r->index, RT_ANY) < 0 ? oom (err) : 0;
    case AB_SCOPE_IS:
      if (ab_ir_rtype (sc->is_type) == RT_OTHER)
        {
          r->kind = AB_IR_KIND_DEAD;
          r->dead_why = "no request has that resource type";
          return 0;
        }
      return put_any (ir, r->index, ab_ir_rtype (sc->is_type)) < 0 ? oom (err)
                                                                   : 0;
    case AB_SCOPE_EQ:
      return place_exact (ir, r->index, &sc->entities[0], RT_ANY, err);
    case AB_SCOPE_IS_IN:
      is_type = ab_ir_rtype (sc->is_type);
      /* fall through */
    case AB_SCOPE_IN:
      for (size_t i = 0; i < sc->n_entities; i++)
        if (place_exact (ir, r->index, &sc->entities[i], is_type, err) < 0
            || place_below (ir, r->index, &sc->entities[i], is_type, err) < 0)
          return -1;
      return 0;
    }
  return 0;
}

static int
add_cidrs (struct ab_ir *ir, struct ab_ir_rule *r, ab_error_t *err)
{
  for (size_t i = 0; i < r->n_ranges; i++)
    if (ab_cidrtab_add (ir->cidrs, &r->ranges[i], r->index, err) < 0)
      return -1;
  return ab_tabvec_push (&ir->cidr_rules, r->index) < 0 ? oom (err) : 0;
}

/* ---- resource constraints written as conditions ----
 *
 * Leash's policies keep the resource in `when`:
 *   permit (principal, action == Action::"NetworkConnect", resource)
 *   when { resource in [Host::"api.anthropic.com", Host::"*.openai.com"] };
 * `resource in E`, `resource in [E, ...]` (entity literals) and
 * `resource == E` never err and mean what the scope forms mean, so such a
 * `when` (alone, or one side of a top-level &&) places the rule in the
 * tables like a scope would. */

static bool
is_var (const struct ab_cedar_expr *e, int var)
{
  return e->kind == EK_VAR && e->var == var;
}

static bool
entity_lit (const struct ab_cedar_expr *e)
{
  return e->kind == EK_LIT && e->lit->type == AB_CV_ENTITY;
}

/* Does E constrain the resource exactly?  Fills OUT (entities in A). */
static bool
fold_atom (struct ab_arena *a, const struct ab_cedar_expr *e,
           struct ab_cedar_scope *out)
{
  const struct ab_cedar_expr *rhs;

  memset (out, 0, sizeof *out);
  if (e->kind == EK_EQ
      && (is_var (e->a, VAR_RESOURCE) || is_var (e->b, VAR_RESOURCE)))
    {
      rhs = is_var (e->a, VAR_RESOURCE) ? e->b : e->a;
      if (!entity_lit (rhs))
        return false;
      out->op = AB_SCOPE_EQ;
      out->entities = &rhs->lit->u.e;
      out->n_entities = 1;
      return true;
    }
  if (e->kind != EK_IN || !is_var (e->a, VAR_RESOURCE))
    return false;
  out->op = AB_SCOPE_IN;
  if (entity_lit (e->b))
    {
      out->entities = &e->b->lit->u.e;
      out->n_entities = 1;
      return true;
    }
  if (e->b->kind != EK_SET)
    return false;
  out->entities = ab_arena_alloc (a, (e->b->n + 1) * sizeof *out->entities);
  if (out->entities == NULL)
    return false;
  for (size_t i = 0; i < e->b->n; i++)
    {
      if (!entity_lit (e->b->items[i]))
        return false;
      out->entities[i] = e->b->items[i]->lit->u.e;
    }
  out->n_entities = e->b->n;
  return true;
}

/* A resource constraint in E or on one side of its top-level &&: *REST
 * says whether anything else is left to evaluate. */
static bool
fold_expr (struct ab_arena *a, const struct ab_cedar_expr *e,
           struct ab_cedar_scope *out, bool *rest)
{
  if (fold_atom (a, e, out))
    return true;
  if (e->kind == EK_AND
      && (fold_atom (a, e->a, out) || fold_atom (a, e->b, out)))
    {
      *rest = true;
      return true;
    }
  return false;
}

static bool
fold_conds (struct ab_arena *a, const struct ab_cedar_policy *p,
            struct ab_cedar_scope *out, bool *rest)
{
  if (p->resource.op != AB_SCOPE_ANY)
    return false;
  for (size_t i = 0; i < p->n_conds; i++)
    if (!p->cond_unless[i] && fold_expr (a, p->conds[i], out, rest))
      {
        *rest = *rest || p->n_conds > 1;
        return true;
      }
  return false;
}

static int
compile_policy (struct ab_ir *ir, size_t i, ab_error_t *err)
{
  const struct ab_cedar_policy *p = &ir->cedar->policies[i];
  struct ab_ir_rule *r = new_rule (ir);

  if (r == NULL)
    return oom (err);
  r->origin = AB_IR_ORIGIN_CEDAR;
  r->permit = p->permit;
  r->id = p->annot_id ? p->annot_id : p->id;
  r->loc.file = p->loc.file;
  r->loc.line = p->loc.line;
  r->loc.col = p->loc.col;
  r->policy = i;
  r->principal = &p->principal;
  r->actions = scope_actions (&p->action);
  if (r->actions == 0)
    {
      r->kind = AB_IR_KIND_DEAD;
      r->dead_why = "no action of agentbox's model is in its scope";
      return 0;
    }
  if (!principal_possible (&p->principal, &r->dead_why))
    {
      r->kind = AB_IR_KIND_DEAD;
      return 0;
    }
  r->resource = &p->resource;
  struct ab_cedar_scope *fs = ab_arena_alloc (ir->cedar->arena, sizeof *fs);
  bool rest = false;
  if (fs == NULL)
    return oom (err);
  if (fold_conds (ir->cedar->arena, p, fs, &rest))
    {
      /* The residual evaluation still evaluates every condition; the
       * fold only chooses where the rule sits. */
      r->kind = rest ? AB_IR_KIND_RESIDUAL : AB_IR_KIND_TABLE;
      r->resource = fs;
      r->folded = true;
      return place_resource (ir, r, fs, err);
    }
  classify (p, r);
  if (r->kind == AB_IR_KIND_CIDR)
    return add_cidrs (ir, r, err);
  return place_resource (ir, r, &p->resource, err);
}

/* ---- YAML proxy lists: deny is a forbid, allow a permit ---- */

static int
compile_proxy_rule (struct ab_ir *ir, const struct ab_proxy_rule *pr,
                    bool permit, size_t k, ab_error_t *err)
{
  struct ab_ir_rule *r = new_rule (ir);
  size_t n = strlen (pr->host);
  uint32_t idx;

  if (r == NULL)
    return oom (err);
  idx = r->index;
  r->origin = AB_IR_ORIGIN_YAML;
  r->kind = AB_IR_KIND_TABLE;
  r->permit = permit;
  r->actions = 1u << AB_IR_NETWORK_CONNECT;
  /* The YAML tree is not kept: the rule owns its file name. */
  if (pr->loc.file && (r->file = strdup (pr->loc.file)) == NULL)
    return oom (err);
  r->loc.file = r->file;
  r->loc.line = pr->loc.line;
  r->loc.col = pr->loc.col;
  if (asprintf (&r->desc, "%s %s%s", permit ? "proxy.allow" : "proxy.deny",
                pr->match == AB_PROXY_PATTERN ? "*." : "", pr->host)
      < 0)
    {
      r->desc = NULL;
      return oom (err);
    }
  r->id = permit ? "proxy.allow" : "proxy.deny";
  (void)k;
  if (pr->match == AB_PROXY_PATTERN && pr->n_ports == 0)
    return put_host (ir, idx, RT_HOST, pr->host, n, AB_HOSTTAB_BELOW,
                     AB_HOSTTAB_NO_PORT, err);
  if (pr->match == AB_PROXY_PATTERN)
    {
      for (size_t i = 0; i < pr->n_ports; i++)
        if (put_host (ir, idx, RT_HOST, pr->host, n, AB_HOSTTAB_BELOW,
                      pr->ports[i], err)
            < 0)
          return -1;
      return 0;
    }
  if (pr->n_ports == 0)
    return put_host (ir, idx, RT_HOST, pr->host, n, AB_HOSTTAB_EXACT,
                     AB_HOSTTAB_NO_PORT, err)
                       < 0
                   || put_host (ir, idx, RT_HOST, pr->host, n,
                                AB_HOSTTAB_ANY_PORT, AB_HOSTTAB_NO_PORT, err)
                          < 0
               ? -1
               : 0;
  for (size_t i = 0; i < pr->n_ports; i++)
    if (put_host (ir, idx, RT_HOST, pr->host, n, AB_HOSTTAB_EXACT, pr->ports[i],
                  err)
        < 0)
      return -1;
  return 0;
}

static int
compile_yaml (struct ab_ir *ir, const struct ab_projconf *c, ab_error_t *err)
{
  for (size_t i = 0; i < c->proxy_deny.len; i++)
    if (compile_proxy_rule (ir, &c->proxy_deny.v[i], false, i, err) < 0)
      return ab_error_wrap (
          err, "%s:%u:%u: proxy.deny", c->proxy_deny.v[i].loc.file,
          c->proxy_deny.v[i].loc.line, c->proxy_deny.v[i].loc.col);
  for (size_t i = 0; i < c->proxy_allow.len; i++)
    if (compile_proxy_rule (ir, &c->proxy_allow.v[i], true, i, err) < 0)
      return ab_error_wrap (
          err, "%s:%u:%u: proxy.allow", c->proxy_allow.v[i].loc.file,
          c->proxy_allow.v[i].loc.line, c->proxy_allow.v[i].loc.col);
  return 0;
}

/* ---- lifetime ---- */

static void
ir_free (struct ab_ir *ir)
{
  for (size_t i = 0; i < ir->n_rules; i++)
    {
      free (ir->rules[i].desc);
      free (ir->rules[i].file);
      free (ir->rules[i].ranges);
    }
  free (ir->rules);
  free (ir->entries);
  ab_pathtab_free (ir->paths);
  ab_hosttab_free (ir->hosts);
  ab_cidrtab_free (ir->cidrs);
  strmap_free (&ir->tools);
  strmap_free (&ir->servers);
  strmap_free (&ir->commands);
  ab_tabvec_free (&ir->any);
  ab_tabvec_free (&ir->cidr_rules);
  ab_cedar_set_free (ir->cedar);
  ab_hostexec_free (ir->hostexec);
  free (ir);
}

struct ab_ir *
ab_ir_ref (struct ab_ir *ir)
{
  atomic_fetch_add_explicit (&ir->refs, 1, memory_order_relaxed);
  return ir;
}

void
ab_ir_unref (struct ab_ir *ir)
{
  if (ir && atomic_fetch_sub_explicit (&ir->refs, 1, memory_order_acq_rel) == 1)
    ir_free (ir);
}

int
ab_ir_compile (struct ab_ir_source *src, struct ab_ir **out, ab_error_t *err)
{
  struct ab_ir *ir = calloc (1, sizeof *ir);

  *out = NULL;
  if (ir == NULL)
    {
      ab_cedar_set_free (steal_pointer (&src->cedar));
      ab_hostexec_free (steal_pointer (&src->hostexec));
      return oom (err);
    }
  atomic_init (&ir->refs, 1);
  ir->mode = src->mode;
  ir->cedar = steal_pointer (&src->cedar);
  ir->hostexec = steal_pointer (&src->hostexec);
  ir->paths = ab_pathtab_new ();
  ir->hosts = ab_hosttab_new ();
  ir->cidrs = ab_cidrtab_new ();
  if (ir->paths == NULL || ir->hosts == NULL || ir->cidrs == NULL)
    goto fail_oom;
  for (size_t i = 0; ir->cedar && i < ir->cedar->len; i++)
    if (compile_policy (ir, i, err) < 0)
      {
        const struct ab_cedar_loc *l = &ir->cedar->policies[i].loc;
        ab_error_wrap (err, "%s:%u:%u: compile policy", l->file, l->line,
                       l->col);
        goto fail;
      }
  if (src->yaml && compile_yaml (ir, src->yaml, err) < 0)
    goto fail;
  *out = ir;
  return 0;
fail_oom:
  oom (err);
fail:
  ir_free (ir);
  return -1;
}

enum ab_ir_mode
ab_ir_mode (const struct ab_ir *ir)
{
  return ir->mode;
}

uint64_t
ab_ir_generation (const struct ab_ir *ir)
{
  return ir->generation;
}

size_t
ab_ir_n_rules (const struct ab_ir *ir)
{
  return ir->n_rules;
}

const struct ab_ir_rule *
ab_ir_rule_at (const struct ab_ir *ir, size_t i)
{
  return i < ir->n_rules ? &ir->rules[i] : NULL;
}

const struct ab_cedar_set *
ab_ir_cedar (const struct ab_ir *ir)
{
  return ir->cedar;
}

static const char *const mode_names[] = { "enforce", "shadow", "record" };

const char *
ab_ir_mode_name (enum ab_ir_mode m)
{
  return m <= AB_IR_MODE_RECORD ? mode_names[m] : "?";
}

int
ab_ir_mode_parse (const char *s, enum ab_ir_mode *m)
{
  for (int i = 0; i <= AB_IR_MODE_RECORD; i++)
    if (strcmp (s, mode_names[i]) == 0)
      {
        *m = (enum ab_ir_mode)i;
        return 0;
      }
  return -1;
}

bool
ab_ir_mode_permits (enum ab_ir_mode m, const struct ab_ir_result *res)
{
  /* Shadow and record let everything through by definition; the caller
   * logs the decision it would have made. */
  return m != AB_IR_MODE_ENFORCE || res->decision == AB_IR_ALLOW;
}

void
ab_ir_result_narrow (struct ab_ir_result *base,
                     const struct ab_ir_result *narrow)
{
  base->n_errors += narrow->n_errors;
  if (narrow->decision == AB_IR_ALLOW)
    return; /* BASE's answer, allow or deny, stands */
  if (base->decision == AB_IR_ALLOW || base->rule == NULL)
    base->rule = narrow->rule;
  base->decision = AB_IR_DENY;
}

enum ab_hostexec_verdict
ab_hostexec_verdict_narrow (enum ab_hostexec_verdict a,
                            enum ab_hostexec_verdict b)
{
  if (a == AB_HOSTEXEC_VERDICT_DENY || b == AB_HOSTEXEC_VERDICT_DENY)
    return AB_HOSTEXEC_VERDICT_DENY;
  if (a == AB_HOSTEXEC_VERDICT_ASK || b == AB_HOSTEXEC_VERDICT_ASK)
    return AB_HOSTEXEC_VERDICT_ASK;
  return AB_HOSTEXEC_VERDICT_RUN;
}
