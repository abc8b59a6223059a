/* agentbox: IR lookups (see ir.h).  Each lookup walks the table of its
 * resource kind, collects the rules whose scope matches, evaluates the
 * residual ones with the Cedar evaluator, and decides as Cedar does: deny
 * if a forbid applies, else allow if a permit applies, else deny. */
#include "policy/ir-internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/cedar-internal.h"
#include "policy/model.h"

struct lk
{
  const struct ab_ir *ir;
  const struct ab_ir_query *q;
  uint32_t act_bit;
  enum ir_rtype rtype;
  const struct ab_ir_rule *forbid, *permit;
  unsigned n_errors;
  /* The Cedar request for residual rules, built on first need. */
  struct ab_cedar_entities *ents;
  struct ab_cedar_request req;
  int failed;
  ab_error_t *err;
};

static bool
uid_is (const struct ab_cedar_uid *u, const char *type, const char *id)
{
  return strcmp (u->type, type) == 0 && strcmp (u->id, id) == 0;
}

/* The principal is Container::"id", in Project::"name" when it has one
 * (policy/model.h). */
static bool
principal_ok (const struct ab_cedar_scope *sc, const struct ab_ir_principal *p)
{
  const char *c = p->container ? p->container : "";

  if (sc == NULL)
    return true;
  switch (sc->op)
    {
    case AB_SCOPE_ANY:
      return true;
    case AB_SCOPE_EQ:
      return uid_is (&sc->entities[0], "Container", c);
    case AB_SCOPE_IS:
      return strcmp (sc->is_type, "Container") == 0;
    case AB_SCOPE_IS_IN:
      if (strcmp (sc->is_type, "Container") != 0)
        return false;
      /* fall through */
    case AB_SCOPE_IN:
      for (size_t i = 0; i < sc->n_entities; i++)
        if (uid_is (&sc->entities[i], "Container", c)
            || (p->project && uid_is (&sc->entities[i], "Project", p->project)))
          return true;
      return false;
    }
  return false;
}

/* 1 satisfied, 0 not (or skipped on an evaluation error), -1 fatal. */
static int
residual (struct lk *l, const struct ab_ir_rule *r)
{
  const struct ab_cedar_policy *p = &l->ir->cedar->policies[r->policy];
  char *msg = NULL;
  int v;

  if (l->ents == NULL)
    {
      if ((l->ents = ab_cedar_entities_new ()) == NULL)
        return ab_error_set (l->err, ENOMEM, "policy lookup: out of memory");
      if (ab_ir_cedar_request (l->q, l->ents, &l->req, l->err) < 0)
        return -1;
    }
  v = ab_cedar_policy_eval (p, l->ents, &l->req, &msg);
  if (v < 0)
    {
      /* Cedar skips a policy whose evaluation fails: a failing forbid
       * fails open here exactly as in Cedar; the count goes to audit. */
      l->n_errors++;
      free (msg);
      return 0;
    }
  return v;
}

/* Consider the rule of entry EI; nonzero stops the walk. */
static int
consider_rule (struct lk *l, const struct ab_ir_rule *r)
{
  if (!(r->actions & l->act_bit))
    return 0;
  /* A residual permit cannot change an allow already found. */
  if (r->permit && l->permit && r->kind == AB_IR_KIND_RESIDUAL)
    return 0;
  if (!principal_ok (r->principal, &l->q->principal))
    return 0;
  if (r->kind == AB_IR_KIND_RESIDUAL || r->kind == AB_IR_KIND_CIDR)
    {
      int v = r->kind == AB_IR_KIND_CIDR && l->q->ip ? 1 : residual (l, r);
      if (v < 0)
        return l->failed = 1;
      if (v == 0)
        return 0;
    }
  if (!r->permit)
    {
      l->forbid = r;
      return 1; /* any forbid denies: stop */
    }
  l->permit = r;
  return 0;
}

static int
visit_entries (struct lk *l, const uint32_t *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      const struct ir_entry *e = &l->ir->entries[v[i]];
      int r;
      if (e->rtype != RT_ANY && e->rtype != l->rtype)
        continue;
      if ((r = consider_rule (l, &l->ir->rules[e->rule])) != 0)
        return r;
    }
  return 0;
}

static int
visit_path (void *ctx, enum ab_pathtab_kind kind, const uint32_t *v, size_t n)
{
  return visit_entries (ctx, v, n);
}

static int
visit_host (void *ctx, enum ab_hosttab_kind kind, const uint32_t *v, size_t n)
{
  return visit_entries (ctx, v, n);
}

static int
visit_cidr (void *ctx, unsigned prefix, const uint32_t *v, size_t n)
{
  struct lk *l = ctx;

  for (size_t i = 0; i < n; i++)
    {
      int r = consider_rule (l, &l->ir->rules[v[i]]);
      if (r != 0)
        return r;
    }
  return 0;
}

static int
visit_vec (struct lk *l, const struct ab_tabvec *v)
{
  return v ? visit_entries (l, v->v, v->n) : 0;
}

/* ---- names as the model spells them ---- */

/* Host id of a name query: lower-case, one trailing dot dropped, then
 * ":port".  Invalid names are EINVAL: they are not host names, and
 * callers deny them (fail closed). */
static char *
host_id (const char *name, unsigned port, ab_error_t *err)
{
  size_t n = strlen (name), nl;
  int p;
  char *id;

  if (n > 1 && name[n - 1] == '.')
    n--;
  if (port > 65535)
    {
      ab_error_set (err, EINVAL, "port %u out of range", port);
      return NULL;
    }
  if (asprintf (&id, port ? "%.*s:%u" : "%.*s", (int)n, name, port) < 0)
    {
      ab_error_set (err, ENOMEM, "out of memory");
      return NULL;
    }
  for (char *c = id; *c; c++)
    *c = (char)tolower ((unsigned char)*c);
  if (!ab_ir_host_id (id, &nl, &p))
    {
      ab_error_set (err, EINVAL, "`%s`: not a valid host name", name);
      free (id);
      return NULL;
    }
  return id;
}

/* The address as text that Cedar's ip() parses back to the same address.
 * IPv6 is written in hex groups with the longest zero run as "::" (RFC
 * 5952), never with a dotted IPv4 tail ("::ffff:10.1.2.3"), which
 * Cedar's parser refuses. */
static void
ip_text (const struct ab_cidr *ip, char *buf, size_t size)
{
  int best = -1, best_len = 0, n = 0;
  size_t off = 0;
  unsigned g[8];

  if (!ip->v6)
    {
      snprintf (buf, size, "%u.%u.%u.%u", ip->addr[0], ip->addr[1], ip->addr[2],
                ip->addr[3]);
      return;
    }
  for (int i = 0; i < 8; i++)
    g[i] = (unsigned)ip->addr[2 * i] << 8 | ip->addr[2 * i + 1];
  for (int i = 0; i < 8; i++)
    {
      n = g[i] == 0 ? n + 1 : 0;
      if (n > best_len && n >= 2)
        {
          best_len = n;
          best = i - n + 1;
        }
    }
  buf[0] = '\0';
  for (int i = 0; i < 8 && off < size; i++)
    {
      if (i == best)
        {
          off += (size_t)snprintf (buf + off, size - off, "::");
          i += best_len - 1;
          continue;
        }
      off += (size_t)snprintf (buf + off, size - off, "%s%x",
                               i == 0 || i == best + best_len ? "" : ":", g[i]);
    }
}

/* The resource's Host id for an ip query: "10.1.2.3", "[2001:db8::1]". */
static char *
ip_host_name (const struct ab_cidr *ip)
{
  char a[INET6_ADDRSTRLEN];
  char *out;

  ip_text (ip, a, sizeof a);
  if (asprintf (&out, ip->v6 ? "[%s]" : "%s", a) < 0)
    return NULL;
  return out;
}

/* ---- the Cedar request a query stands for ---- */

static int
add_addr_context (struct ab_cedar_entities *e, const struct ab_cidr *ip,
                  struct ab_cedar_request *req, ab_error_t *err)
{
  struct ab_arena *a = ab_cedar_entities_arena (e);
  struct ab_cv *rec = ab_arena_alloc (a, sizeof *rec);
  struct ab_cv *s = ab_arena_alloc (a, sizeof *s);
  struct ab_cv_record_entry *ent = ab_arena_alloc (a, sizeof *ent);
  char buf[INET6_ADDRSTRLEN];

  if (rec == NULL || s == NULL || ent == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  ip_text (ip, buf, sizeof buf);
  s->type = AB_CV_STRING;
  s->u.s.ptr = ab_arena_strdup (a, buf);
  s->u.s.len = strlen (buf);
  ent->key = "addr";
  ent->val = s;
  rec->type = AB_CV_RECORD;
  rec->u.rec.entries = ent;
  rec->u.rec.len = 1;
  req->context = rec;
  return s->u.s.ptr ? 0 : ab_error_set (err, ENOMEM, "out of memory");
}

static char *
resource_text (const struct ab_ir_query *q, ab_error_t *err)
{
  cleanup_free char *name = NULL;
  char *out = NULL;
  int r = -1;

  switch (q->action)
    {
    case AB_IR_FILE_OPEN:
    case AB_IR_FILE_OPEN_RO:
    case AB_IR_FILE_OPEN_RW:
    case AB_IR_PROCESS_EXEC:
      if (q->path == NULL)
        break;
      {
        size_t n = strlen (q->path);
        r = asprintf (&out, "%s::\"%s\"",
                      n && q->path[n - 1] == '/' ? "Dir" : "File", q->path);
      }
      break;
    case AB_IR_NETWORK_CONNECT:
    case AB_IR_HTTP_REQUEST:
    case AB_IR_HTTP_REWRITE:
      if (q->ip)
        {
          cleanup_free char *h = ip_host_name (q->ip);
          name = h ? host_id (h, q->port, err) : NULL;
        }
      else if (q->host)
        name = host_id (q->host, q->port, err);
      if (name == NULL)
        return NULL;
      r = asprintf (&out, "Host::\"%s\"", name);
      break;
    case AB_IR_MCP_CALL:
      if (q->tool)
        r = asprintf (&out, "MCP::Tool::\"%s\"", q->tool);
      else if (q->server)
        r = asprintf (&out, "MCP::Server::\"%s\"", q->server);
      break;
    case AB_IR_HOST_EXEC:
      if (q->command)
        r = asprintf (&out, "Command::\"%s\"", q->command);
      break;
    default:
      break;
    }
  if (r < 0)
    {
      ab_error_set (err, EINVAL, "policy query: no resource for %s",
                    ab_ir_action_name (q->action));
      return NULL;
    }
  return out;
}

int
ab_ir_cedar_request (const struct ab_ir_query *q, struct ab_cedar_entities *e,
                     struct ab_cedar_request *req, ab_error_t *err)
{
  cleanup_free char *principal = NULL;
  cleanup_free char *resource = resource_text (q, err);

  if (resource == NULL)
    return -1;
  if (asprintf (&principal, "Container::\"%s\"",
                q->principal.container ? q->principal.container : "")
      < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (ab_model_request (e, principal, q->principal.project,
                        ab_ir_action_name (q->action), resource, req, err)
      < 0)
    return -1;
  if (q->action == AB_IR_MCP_CALL && q->tool && q->server)
    {
      /* MCP::Tool::"t" in MCP::Server::"s". */
      struct ab_cedar_uid server = { "MCP::Server", q->server };
      if (ab_cedar_entities_add (e, &req->resource, NULL, &server, 1, err) < 0)
        return -1;
    }
  if (q->ip)
    return add_addr_context (e, q->ip, req, err);
  req->context = q->context;
  return 0;
}

/* ---- the walk ---- */

static enum ir_rtype
query_rtype (const struct ab_ir_query *q)
{
  size_t n;

  switch (q->action)
    {
    case AB_IR_FILE_OPEN:
    case AB_IR_FILE_OPEN_RO:
    case AB_IR_FILE_OPEN_RW:
    case AB_IR_PROCESS_EXEC:
      n = q->path ? strlen (q->path) : 0;
      return n && q->path[n - 1] == '/' ? RT_DIR : RT_FILE;
    case AB_IR_MCP_CALL:
      return q->tool ? RT_MCP_TOOL : RT_MCP_SERVER;
    case AB_IR_HOST_EXEC:
      return RT_COMMAND;
    default:
      return RT_HOST;
    }
}

static bool
context_has_addr (const struct ab_cv *c)
{
  if (c == NULL || c->type != AB_CV_RECORD)
    return false;
  for (size_t i = 0; i < c->u.rec.len; i++)
    if (strcmp (c->u.rec.entries[i].key, "addr") == 0)
      return true;
  return false;
}

/* The canonical Host id of a network query, or NULL (EINVAL: callers
 * deny). */
static char *
query_host_id (const struct ab_ir_query *q, ab_error_t *err)
{
  if (q->ip)
    {
      cleanup_free char *h = ip_host_name (q->ip);
      if (h == NULL)
        {
          ab_error_set (err, ENOMEM, "out of memory");
          return NULL;
        }
      return host_id (h, q->port, err);
    }
  return host_id (q->host ? q->host : "", q->port, err);
}

static int
walk_host (struct lk *l, const char *id)
{
  const struct ab_ir_query *q = l->q;
  size_t nl;
  int port, r;

  if (!ab_ir_host_id (id, &nl, &port))
    return ab_error_set (l->err, EINVAL, "`%s`: not a valid host name", id);
  r = ab_hosttab_lookup (l->ir->hosts, id, nl, port, visit_host, l);
  if (r != 0 || l->failed)
    return 0;
  if (q->ip && q->action == AB_IR_NETWORK_CONNECT)
    return ab_cidrtab_lookup (l->ir->cidrs, q->ip->v6, q->ip->addr, visit_cidr,
                              l),
           0;
  /* CIDR rules on a query without an address in its context: they could
   * hold only if the caller's context has one (else Cedar errs on them,
   * which skips them). */
  if (context_has_addr (q->context))
    for (uint32_t i = 0; i < l->ir->cidr_rules.n && !l->forbid && !l->failed;
         i++)
      {
        const struct ab_ir_rule *rule = &l->ir->rules[l->ir->cidr_rules.v[i]];
        int v;
        if (!(rule->actions & l->act_bit)
            || !principal_ok (rule->principal, &q->principal))
          continue;
        if ((v = residual (l, rule)) < 0)
          l->failed = 1;
        else if (v > 0 && !rule->permit)
          l->forbid = rule;
        else if (v > 0)
          l->permit = rule;
      }
  return 0;
}

static int
walk (struct lk *l)
{
  const struct ab_ir_query *q = l->q;
  cleanup_free char *id = NULL;

  /* Refuse a query with no valid resource before any rule is matched:
   * full evaluation could not be asked it either. */
  if (l->rtype == RT_HOST && (id = query_host_id (q, l->err)) == NULL)
    return -1;
  /* Rules with no resource key apply to every request of their actions. */
  if (visit_vec (l, &l->ir->any) != 0)
    return 0;
  switch (l->rtype)
    {
    case RT_FILE:
    case RT_DIR:
      if (q->path == NULL)
        return ab_error_set (l->err, EINVAL, "policy query: no path");
      ab_pathtab_lookup (l->ir->paths, q->path, strlen (q->path), visit_path,
                         l);
      return 0;
    case RT_HOST:
      return walk_host (l, id);
    case RT_MCP_TOOL:
      if (visit_vec (l, ab_ir_strmap_get (&l->ir->tools, q->tool)) != 0)
        return 0;
      if (q->server)
        visit_vec (l, ab_ir_strmap_get (&l->ir->servers, q->server));
      return 0;
    case RT_MCP_SERVER:
      if (q->server == NULL)
        return ab_error_set (l->err, EINVAL, "policy query: no MCP server");
      visit_vec (l, ab_ir_strmap_get (&l->ir->servers, q->server));
      return 0;
    case RT_COMMAND:
      if (q->command == NULL)
        return ab_error_set (l->err, EINVAL, "policy query: no command");
      visit_vec (l, ab_ir_strmap_get (&l->ir->commands, q->command));
      return 0;
    default:
      return ab_error_set (l->err, EINVAL, "policy query: bad action");
    }
}

int
ab_ir_check (const struct ab_ir *ir, const struct ab_ir_query *q,
             struct ab_ir_result *res, ab_error_t *err)
{
  struct lk l = { .ir = ir, .q = q, .err = err };
  int r;

  /* Until decided otherwise: deny (fail closed on every error path). */
  memset (res, 0, sizeof *res);
  if (q->action >= AB_IR_N_ACTIONS)
    return ab_error_set (err, EINVAL, "policy query: bad action");
  l.act_bit = 1u << q->action;
  l.rtype = query_rtype (q);
  r = walk (&l);
  ab_cedar_entities_free (l.ents);
  if (r < 0 || l.failed)
    return -1;
  res->n_errors = l.n_errors;
  if (l.forbid)
    res->rule = l.forbid;
  else if (l.permit)
    {
      res->rule = l.permit;
      res->decision = AB_IR_ALLOW;
    }
  return 0;
}

int
ab_ir_check_file (const struct ab_ir *ir, const struct ab_ir_principal *p,
                  const char *path, enum ab_ir_action access,
                  struct ab_ir_result *res, ab_error_t *err)
{
  struct ab_ir_query q = { .action = access, .path = path };

  if (access > AB_IR_FILE_OPEN_RW)
    return ab_error_set (err, EINVAL, "check file: not a file access");
  if (p)
    q.principal = *p;
  return ab_ir_check (ir, &q, res, err);
}

int
ab_ir_check_exec (const struct ab_ir *ir, const struct ab_ir_principal *p,
                  const char *path, struct ab_ir_result *res, ab_error_t *err)
{
  struct ab_ir_query q = { .action = AB_IR_PROCESS_EXEC, .path = path };

  if (p)
    q.principal = *p;
  return ab_ir_check (ir, &q, res, err);
}

int
ab_ir_check_host (const struct ab_ir *ir, const struct ab_ir_principal *p,
                  const char *name, unsigned port, struct ab_ir_result *res,
                  ab_error_t *err)
{
  struct ab_ir_query q
      = { .action = AB_IR_NETWORK_CONNECT, .host = name, .port = port };

  if (p)
    q.principal = *p;
  return ab_ir_check (ir, &q, res, err);
}

int
ab_ir_check_ip (const struct ab_ir *ir, const struct ab_ir_principal *p,
                const struct ab_cidr *addr, unsigned port,
                struct ab_ir_result *res, ab_error_t *err)
{
  struct ab_cidr a = *addr;
  struct ab_ir_query q
      = { .action = AB_IR_NETWORK_CONNECT, .ip = &a, .port = port };

  a.prefix = a.v6 ? 128 : 32; /* an address, not a range */
  if (p)
    q.principal = *p;
  return ab_ir_check (ir, &q, res, err);
}

int
ab_ir_check_mcp (const struct ab_ir *ir, const struct ab_ir_principal *p,
                 const char *server, const char *tool, struct ab_ir_result *res,
                 ab_error_t *err)
{
  struct ab_ir_query q
      = { .action = AB_IR_MCP_CALL, .server = server, .tool = tool };

  if (p)
    q.principal = *p;
  return ab_ir_check (ir, &q, res, err);
}

int
ab_ir_check_hostexec (const struct ab_ir *ir, const struct ab_ir_principal *p,
                      const char *canonical, enum ab_hostexec_verdict *verdict,
                      const struct ab_ir_rule **rule,
                      const struct ab_hostexec_rule **hrule, ab_error_t *err)
{
  struct ab_ir_query q = { .action = AB_IR_HOST_EXEC, .command = canonical };
  struct ab_hostexec_result hr = { AB_HOSTEXEC_VERDICT_DENY, NULL };
  struct ab_ir_result res;

  *verdict = AB_HOSTEXEC_VERDICT_DENY;
  *rule = NULL;
  *hrule = NULL;
  if (p)
    q.principal = *p;
  if (ab_ir_check (ir, &q, &res, err) < 0)
    return -1;
  if (ir->hostexec
      && ab_hostexec_decide (ir->hostexec, canonical, strlen (canonical), &hr,
                             err)
             < 0)
    return -1; /* a matcher failure denies: fail closed */
  *rule = res.rule;
  if (res.rule && !res.rule->permit)
    return 0; /* a Cedar forbid beats every list */
  *hrule = hr.rule;
  if (hr.rule && hr.verdict == AB_HOSTEXEC_VERDICT_DENY)
    return 0;
  if (hr.verdict == AB_HOSTEXEC_VERDICT_RUN || res.decision == AB_IR_ALLOW)
    *verdict = AB_HOSTEXEC_VERDICT_RUN;
  else
    *verdict = hr.verdict;
  if (*verdict == AB_HOSTEXEC_VERDICT_RUN
      && hr.verdict != AB_HOSTEXEC_VERDICT_RUN)
    *hrule = NULL; /* decided by the Cedar permit */
  return 0;
}
