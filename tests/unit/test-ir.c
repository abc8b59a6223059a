/* Property tests for policy/ir: on generated policy sets and requests
 * (fixed seed), and on the differential corpus when it is there, every
 * compiled lookup returns the decision of full Cedar evaluation of the
 * request the lookup stands for (ab_ir_cedar_request, agentbox's entity
 * model); the deciding rule is one of Cedar's reasons.  Also: reload
 * keeps the old IR when a compile fails, and readers holding a reference
 * keep a valid IR across swaps. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "policy/cedar.h"
#include "policy/ir.h"
#include "policy/model.h"
#include "policy/yaml.h"
#include "spec/json.h"
#include "tests/unit/unit.h"

/* ---- generator (xorshift, fixed seed) ---- */

static uint64_t rng;
static uint32_t
rnd (uint32_t n)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}
#define PICK(a) ((a)[rnd (sizeof (a) / sizeof *(a))])

static const char *const FILES[] = {
  "/work/a/b",
  "/work/a/c.txt",
  "/work/x",
  "/workx/y",
  "/etc/passwd",
  "/home/u/.ssh/id_rsa",
  "/work/a/secrets/key",
  "/usr/bin/git",
  "/tmp/f",
  "/work/",
  "/work/a/",
  "/",
  "/work",
  "//x",
  "/a//b/",
};
static const char *const DIRS[]
    = { "/",     "/work/",    "/work/a/", "/workx/", "/etc/", "/home/u/.ssh/",
        "/work", "/usr/bin/", "/a//" };
static const char *const HOSTS[] = {
  "api.example.com", "a.b.example.com",  "example.com", "evil.com",
  "localhost",       "API.Example.COM.", "x.npmjs.org", "npmjs.org",
  "10.1.2.3",        "*.example.com",
};
static const char *const HOST_IDS[] = {
  "api.example.com",
  "*.example.com",
  "example.com",
  "*.com",
  "a.b.example.com",
  "*.b.example.com",
  "evil.com",
  "localhost",
  "api.example.com:443",
  "*.npmjs.org",
  "x.com:443",
  "API.example.com",
  "example.com.",
  "10.1.2.3",
  "10.1.2.3:443",
  "[2001:db8::1]",
  "*.example.com:443",
  "a..com",
  "*",
};
static const char *const ADDRS[]
    = { "10.1.2.3", "10.200.0.1",  "192.168.0.10", "127.0.0.1",      "8.8.8.8",
        "::1",      "2001:db8::1", "fe80::1",      "::ffff:10.1.2.3" };
static const char *const RANGES[]
    = { "10.0.0.0/8",     "10.1.2.3/32",   "0.0.0.0/0",
        "::/0",           "2001:db8::/32", "fe80::/10",
        "192.168.0.0/16", "10.1.2.3/8",    "127.0.0.0/8" };
static const char *const SERVERS[] = { "s1", "s2" };
static const char *const TOOLS[] = { "t1", "t2", "shell" };
static const char *const COMMANDS[]
    = { "git status", "make check", "rm -rf /" };
static const char *const ACTIONS[] = {
  "FileOpen",    "FileOpenReadOnly", "FileOpenReadWrite",
  "ProcessExec", "NetworkConnect",   "HttpRequest",
  "HttpRewrite", "McpCall",          "HostExec",
};

static void
gen_entity (struct ab_buf *b, const char *type)
{
  if (strcmp (type, "File") == 0)
    ab_buf_printf (b, "File::\"%s\"", PICK (FILES));
  else if (strcmp (type, "Dir") == 0)
    ab_buf_printf (b, "Dir::\"%s\"", PICK (DIRS));
  else if (strcmp (type, "Host") == 0)
    ab_buf_printf (b, "Host::\"%s\"", PICK (HOST_IDS));
  else if (strcmp (type, "MCP::Server") == 0)
    ab_buf_printf (b, "MCP::Server::\"%s\"", PICK (SERVERS));
  else if (strcmp (type, "MCP::Tool") == 0)
    ab_buf_printf (b, "MCP::Tool::\"%s\"", PICK (TOOLS));
  else
    ab_buf_printf (b, "Command::\"%s\"", PICK (COMMANDS));
}

static const char *
type_for_action (const char *a)
{
  static const char *const file[] = { "File", "Dir", "Dir", "Dir" };
  static const char *const mcp[] = { "MCP::Server", "MCP::Tool" };

  if (rnd (10) == 0) /* now and then a type the action never sees */
    return PICK (ACTIONS)[0] == 'F' ? "Host" : "File";
  if (a == NULL || strncmp (a, "File", 4) == 0
      || strcmp (a, "ProcessExec") == 0)
    return PICK (file);
  if (strcmp (a, "McpCall") == 0)
    return PICK (mcp);
  if (strcmp (a, "HostExec") == 0)
    return "Command";
  return "Host";
}

static void
gen_principal (struct ab_buf *b)
{
  static const char *const p[] = {
    "principal",
    "principal",
    "principal == Container::\"c1\"",
    "principal in Project::\"alpha\"",
    "principal is Container",
    "principal is Container in Project::\"beta\"",
    "principal in Container::\"c2\"",
    "principal == User::\"x\"",
  };
  ab_buf_puts (b, PICK (p));
}

/* Returns the action (or NULL for `action`), for the resource's type. */
static const char *
gen_action (struct ab_buf *b)
{
  const char *a = PICK (ACTIONS), *a2 = PICK (ACTIONS);

  switch (rnd (6))
    {
    case 0:
      ab_buf_puts (b, "action");
      return NULL;
    case 1:
      ab_buf_printf (b, "action in [Action::\"%s\", Action::\"%s\"]", a,
                     strncmp (a, "File", 4) == 0 ? "ProcessExec" : a2);
      return a;
    case 2:
      ab_buf_puts (b, "action in Action::\"FileOpen\"");
      return "FileOpen";
    case 3:
      ab_buf_printf (b, "action in [Action::\"%s\"]", a);
      return a;
    default:
      ab_buf_printf (b, "action == Action::\"%s\"", a);
      return a;
    }
}

static void
gen_resource (struct ab_buf *b, const char *action)
{
  const char *t = type_for_action (action);

  switch (rnd (6))
    {
    case 0:
      ab_buf_puts (b, "resource");
      return;
    case 1:
      ab_buf_puts (b, "resource == ");
      break;
    case 2:
      ab_buf_printf (b, "resource is %s", t);
      return;
    case 3:
      ab_buf_printf (b, "resource is %s in ",
                     rnd (2)                  ? t
                     : strcmp (t, "Dir") == 0 ? "File"
                                              : t);
      break;
    default:
      ab_buf_puts (b, "resource in ");
      break;
    }
  gen_entity (b, t);
}

static void
gen_cidr_cond (struct ab_buf *b)
{
  int n = 1 + (int)rnd (3);

  ab_buf_puts (b, " when { ");
  if (rnd (2))
    ab_buf_puts (b, "context has addr && ");
  ab_buf_puts (b, "(");
  for (int i = 0; i < n; i++)
    ab_buf_printf (b, "%sip(context.addr).isInRange(ip(\"%s\"))",
                   i ? " || " : "", PICK (RANGES));
  ab_buf_puts (b, ") }");
}

static void
gen_cond (struct ab_buf *b)
{
  static const char *const c[] = {
    "context.n > 3",
    "principal in Project::\"alpha\"",
    "resource in Dir::\"/work/\"",
    "context.s like \"a*\"",
    "ip(context.addr).isLoopback()",
    "context.nosuch == 1",
    "context has n && context.n == 5",
    "resource is Host",
    "ip(context.addr).isInRange(ip(\"10.0.0.0/8\")) && context has s",
  };
  ab_buf_printf (b, " %s { %s }", rnd (4) ? "when" : "unless", PICK (c));
}

/* Resource constraints written as conditions (Leash's style), which the
 * compiler folds into the tables. */
static void
gen_fold_cond (struct ab_buf *b, const char *act)
{
  const char *t = type_for_action (act), *t2 = type_for_action (act);

  ab_buf_puts (b, " when { ");
  switch (rnd (7))
    {
    case 0:
      ab_buf_puts (b, "resource in [");
      gen_entity (b, t);
      ab_buf_puts (b, ", ");
      gen_entity (b, t2);
      ab_buf_puts (b, "]");
      break;
    case 1:
      ab_buf_puts (b, "resource in ");
      gen_entity (b, t);
      break;
    case 2:
      ab_buf_puts (b, "resource == ");
      gen_entity (b, t);
      break;
    case 3:
      gen_entity (b, t);
      ab_buf_puts (b, " == resource");
      break;
    case 4:
      ab_buf_puts (b, "resource in [");
      gen_entity (b, t);
      ab_buf_puts (b, "] && context.n > 3");
      break;
    case 5:
      ab_buf_puts (b, "context.n > 3 && resource in ");
      gen_entity (b, t);
      break;
    default:
      ab_buf_puts (b, "resource in []");
      break;
    }
  ab_buf_puts (b, " }");
}

static void
gen_policy (struct ab_buf *b)
{
  const char *act;

  ab_buf_puts (b, rnd (3) ? "permit (" : "forbid (");
  gen_principal (b);
  ab_buf_puts (b, ", ");
  if (rnd (4) == 0)
    {
      /* The CIDR shape. */
      ab_buf_puts (b, "action == Action::\"NetworkConnect\", ");
      ab_buf_puts (b, rnd (3) ? "resource" : "resource is Host");
      ab_buf_puts (b, ")");
      gen_cidr_cond (b);
      ab_buf_puts (b, ";\n");
      return;
    }
  act = gen_action (b);
  ab_buf_puts (b, ", ");
  if (rnd (5) == 0)
    {
      ab_buf_puts (b, "resource)");
      gen_fold_cond (b, act);
      if (rnd (4) == 0)
        gen_cond (b);
      ab_buf_puts (b, ";\n");
      return;
    }
  gen_resource (b, act);
  ab_buf_puts (b, ")");
  if (rnd (4) == 0)
    gen_cond (b);
  ab_buf_puts (b, ";\n");
}

static struct ab_cv ctx_vals[2], ctx_rec;
static struct ab_cv_record_entry ctx_entries[2];

static const struct ab_cv *
gen_context (void)
{
  if (rnd (2))
    return NULL;
  ctx_vals[0].type = AB_CV_LONG;
  ctx_vals[0].u.l = rnd (2) ? 5 : 1;
  ctx_vals[1].type = AB_CV_STRING;
  ctx_vals[1].u.s.ptr = rnd (2) ? "abc" : "xyz";
  ctx_vals[1].u.s.len = 3;
  ctx_entries[0].key = "n";
  ctx_entries[0].val = &ctx_vals[0];
  ctx_entries[1].key = "s";
  ctx_entries[1].val = &ctx_vals[1];
  ctx_rec.type = AB_CV_RECORD;
  ctx_rec.u.rec.entries = ctx_entries;
  ctx_rec.u.rec.len = 2;
  return &ctx_rec;
}

static struct ab_cidr gen_addr;

static void
gen_query (struct ab_ir_query *q)
{
  static const char *const containers[] = { "c1", "c2", "c3", NULL };
  static const char *const projects[] = { "alpha", "beta", NULL, NULL };
  static const unsigned ports[] = { 0, 443, 22 };
  int c = (int)rnd (4);
  cleanup_error ab_error_t err = NULL;

  memset (q, 0, sizeof *q);
  q->principal.container = containers[c];
  q->principal.project = projects[c];
  q->action = (enum ab_ir_action)rnd (AB_IR_N_ACTIONS);
  q->context = gen_context ();
  switch (q->action)
    {
    case AB_IR_MCP_CALL:
      q->server = rnd (4) ? PICK (SERVERS) : NULL;
      q->tool = q->server == NULL || rnd (3) ? PICK (TOOLS) : NULL;
      break;
    case AB_IR_HOST_EXEC:
      q->command = PICK (COMMANDS);
      break;
    case AB_IR_NETWORK_CONNECT:
    case AB_IR_HTTP_REQUEST:
    case AB_IR_HTTP_REWRITE:
      q->port = PICK (ports);
      if (rnd (2))
        {
          ab_cidr_parse (PICK (ADDRS), &gen_addr, &err);
          q->ip = &gen_addr;
        }
      else
        q->host = PICK (HOSTS);
      break;
    default:
      q->path = PICK (FILES);
      break;
    }
}

/* ---- comparing one query ---- */

static int compared, mismatches;

static bool
in_reasons (const struct ab_cedar_response *r, size_t policy)
{
  for (size_t i = 0; i < r->n_reasons; i++)
    if (r->reasons[i] == policy)
      return true;
  return false;
}

static void
describe (const struct ab_ir_query *q)
{
  char a[80] = "";
  if (q->ip)
    ab_cidr_format (q->ip, a, sizeof a);
  printf ("#   query %s principal %s/%s path %s host %s ip %s port %u mcp "
          "%s/%s cmd %s ctx %s\n",
          ab_ir_action_name (q->action), q->principal.container,
          q->principal.project, q->path, q->host, a, q->port, q->server,
          q->tool, q->command, q->context ? "yes" : "no");
}

static void
compare (const struct ab_ir *ir, const struct ab_ir_query *q, const char *src)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_cedar_entities *ents = ab_cedar_entities_new ();
  struct ab_cedar_request req;
  struct ab_cedar_response resp;
  struct ab_ir_result res;
  int rc_ir, rc_ref;

  rc_ir = ab_ir_check (ir, q, &res, &err);
  rc_ref = ab_ir_cedar_request (q, ents, &req, &err);
  if (rc_ref == 0)
    rc_ref = ab_cedar_authorize (ab_ir_cedar (ir), ents, &req, &resp, &err);
  if (rc_ir < 0 || rc_ref < 0)
    {
      /* Both sides must refuse the same queries (invalid host names). */
      if ((rc_ir < 0) != (rc_ref < 0) && mismatches++ < 5)
        {
          printf ("# refused by one side only (ir %d, ref %d): %s\n", rc_ir,
                  rc_ref, err ? err->msg : "");
          describe (q);
        }
      if (rc_ref == 0)
        ab_cedar_response_free (&resp);
      ab_cedar_entities_free (ents);
      return;
    }
  compared++;
  bool same = resp.allow == (res.decision == AB_IR_ALLOW);
  if (same && res.rule && res.rule->origin == AB_IR_ORIGIN_CEDAR)
    same = in_reasons (&resp, res.rule->policy);
  if (!same && mismatches++ < 5)
    {
      printf ("# mismatch: cedar %s, ir %s (rule %s)\n",
              resp.allow ? "allow" : "deny",
              res.decision == AB_IR_ALLOW ? "allow" : "deny",
              res.rule ? res.rule->id : "-");
      describe (q);
      printf ("#   policies:\n%s", src);
    }
  ab_cedar_response_free (&resp);
  ab_cedar_entities_free (ents);
}

static struct ab_ir *
compile_text (const char *src, ab_error_t *err)
{
  struct ab_cedar_set *set = ab_cedar_set_new ();
  struct ab_ir_source s = { .cedar = set };
  struct ab_ir *ir;

  if (ab_cedar_parse (set, "gen.cedar", src, strlen (src), err) < 0)
    {
      ab_cedar_set_free (set);
      return NULL;
    }
  ab_model_normalize (set);
  if (ab_ir_compile (&s, &ir, err) < 0)
    return NULL;
  return ir;
}

TEST (generated_sets_match_cedar)
{
  int sets = 0, parse_fail = 0, kinds[4] = { 0 };

  rng = 20250101;
  compared = mismatches = 0;
  for (int s = 0; s < 400; s++)
    {
      struct ab_buf b = AB_BUF_INIT;
      cleanup_error ab_error_t err = NULL;
      int n = 1 + (int)rnd (12);

      for (int i = 0; i < n; i++)
        gen_policy (&b);
      cleanup_free char *src = ab_buf_steal (&b);
      cleanup_ir struct ab_ir *ir = compile_text (src, &err);
      if (ir == NULL)
        {
          if (parse_fail++ < 3)
            printf ("# generated set rejected: %s\n%s", err->msg, src);
          continue;
        }
      sets++;
      for (size_t i = 0; i < ab_ir_n_rules (ir); i++)
        kinds[ab_ir_rule_at (ir, i)->kind]++;
      for (int k = 0; k < 60; k++)
        {
          struct ab_ir_query q;
          gen_query (&q);
          compare (ir, &q, src);
        }
    }
  printf ("# %d sets, %d queries compared, %d mismatches; rules: %d table, "
          "%d cidr, %d residual, %d dead\n",
          sets, compared, mismatches, kinds[0], kinds[1], kinds[2], kinds[3]);
  CHECK (parse_fail == 0);
  CHECK (mismatches == 0);
  CHECK (compared > 15000);
  /* The generator exercises every kind of rule. */
  CHECK (kinds[0] > 100 && kinds[1] > 50 && kinds[2] > 50 && kinds[3] > 10);
}

/* ---- the differential corpus (tests/policy/corpus/corpus.jsonl) ---- */

static const char *
parent_of (const struct ab_json *ents, const char *type, const char *id,
           const char *ptype)
{
  for (size_t i = 0; ents && i < ents->u.array.len; i++)
    {
      const struct ab_json *e = ents->u.array.items[i];
      const struct ab_json *u = ab_json_get (e, "uid");
      const struct ab_json *ps = ab_json_get (e, "parents");
      const char *t = ab_json_get_string (u, "type");
      const char *x = ab_json_get_string (u, "id");
      if (!t || !x || strcmp (t, type) || strcmp (x, id) || !ps)
        continue;
      for (size_t k = 0; k < ps->u.array.len; k++)
        {
          const char *pt = ab_json_get_string (ps->u.array.items[k], "type");
          if (pt && strcmp (pt, ptype) == 0)
            return ab_json_get_string (ps->u.array.items[k], "id");
        }
    }
  return NULL;
}

/* Turn the corpus request into a query; false when the model cannot
 * express it (e.g. FileOpen on a Host). */
static bool
corpus_query (const struct ab_json *c, struct ab_cedar_entities *scratch,
              struct ab_ir_query *q, char **hostbuf)
{
  const struct ab_json *rq = ab_json_get (c, "request");
  const struct ab_json *ents = ab_json_get (c, "entities");
  const struct ab_json *pr = ab_json_get (rq, "principal");
  const struct ab_json *rs = ab_json_get (rq, "resource");
  const char *act = ab_json_get_string (ab_json_get (rq, "action"), "id");
  const char *rt = ab_json_get_string (rs, "type");
  const char *rid = ab_json_get_string (rs, "id");
  struct ab_cedar_request tmp;
  cleanup_error ab_error_t err = NULL;
  int a;

  memset (q, 0, sizeof *q);
  for (a = 0; a < AB_IR_N_ACTIONS; a++)
    if (act && strcmp (act, ab_ir_action_name (a)) == 0)
      break;
  if (a == AB_IR_N_ACTIONS || !rt || !rid
      || strcmp (ab_json_get_string (pr, "type"), "Container") != 0)
    return false;
  q->action = (enum ab_ir_action)a;
  q->principal.container = ab_json_get_string (pr, "id");
  q->principal.project
      = parent_of (ents, "Container", q->principal.container, "Project");
  if (ab_cedar_request_from_json (scratch, rq, &tmp, &err) < 0)
    return false;
  q->context = tmp.context;
  size_t n = strlen (rid);
  if (a <= AB_IR_PROCESS_EXEC)
    {
      if (strcmp (rt, n && rid[n - 1] == '/' ? "Dir" : "File") != 0)
        return false;
      q->path = rid;
      return true;
    }
  if (a == AB_IR_MCP_CALL)
    {
      if (strcmp (rt, "MCP::Tool") != 0)
        return false;
      q->tool = rid;
      q->server = parent_of (ents, "MCP::Tool", rid, "MCP::Server");
      return true;
    }
  if (a == AB_IR_HOST_EXEC)
    {
      q->command = rid;
      return strcmp (rt, "Command") == 0;
    }
  if (strcmp (rt, "Host") != 0)
    return false;
  const char *colon = strrchr (rid, ':');
  *hostbuf = strdup (rid);
  if (colon && strchr (colon, ']') == NULL)
    {
      (*hostbuf)[colon - rid] = '\0';
      q->port = (unsigned)atoi (colon + 1);
    }
  q->host = *hostbuf;
  return true;
}

static char *
join_policies (const struct ab_json *pols)
{
  struct ab_buf b = AB_BUF_INIT;

  ab_buf_puts (&b, "");
  for (size_t i = 0; pols && i < pols->u.array.len; i++)
    ab_buf_printf (&b, "%s\n", ab_json_string (pols->u.array.items[i]));
  return ab_buf_steal (&b);
}

TEST (corpus_matches_cedar)
{
  cleanup_file FILE *f = fopen ("tests/policy/corpus/corpus.jsonl", "r");
  char *line = NULL;
  size_t cap = 0;
  int cases = 0, skipped = 0;

  if (f == NULL)
    SKIP ("no tests/policy/corpus/corpus.jsonl (test-cedar-diff makes it)");
  compared = mismatches = 0;
  while (getline (&line, &cap, f) > 0)
    {
      cleanup_error ab_error_t err = NULL;
      struct ab_json *c = NULL;
      struct ab_ir_query q;
      cleanup_free char *host = NULL;
      struct ab_cedar_entities *scratch = ab_cedar_entities_new ();

      if (ab_json_parse (line, strlen (line), "corpus", &c, &err) < 0)
        {
          ab_cedar_entities_free (scratch);
          continue;
        }
      cleanup_free char *src = join_policies (ab_json_get (c, "policies"));
      cleanup_ir struct ab_ir *ir = compile_text (src, &err);
      cases++;
      if (ir == NULL || !corpus_query (c, scratch, &q, &host))
        skipped++;
      else
        compare (ir, &q, src);
      ab_cedar_entities_free (scratch);
      ab_json_free (c);
    }
  free (line);
  printf ("# corpus: %d cases, %d compared, %d not expressible as a query, "
          "%d mismatches\n",
          cases, compared, skipped, mismatches);
  CHECK (mismatches == 0);
  CHECK (compared >= cases / 2);
}

/* ---- fixed cases that name the behaviour ---- */

static struct ab_ir *
must_compile (const char *src)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_ir *ir = compile_text (src, &err);

  if (ir == NULL)
    printf ("# compile failed: %s\n", err->msg);
  return ir;
}

TEST (file_rules_and_locations)
{
  cleanup_ir struct ab_ir *ir = must_compile (
      "permit (principal, action in Action::\"FileOpen\", resource in "
      "Dir::\"/work/\");\n"
      "@id(\"no-secrets\")\n"
      "forbid (principal, action == Action::\"FileOpenReadWrite\",\n"
      "        resource in Dir::\"/work/secrets/\");\n");
  struct ab_ir_result r;
  cleanup_error ab_error_t err = NULL;

  if (ir == NULL)
    {
      CHECK (ir != NULL);
      return;
    }
  CHECK (ab_ir_check_file (ir, NULL, "/work/a", AB_IR_FILE_OPEN_RO, &r, &err)
         == 0);
  CHECK (r.decision == AB_IR_ALLOW && r.rule && r.rule->loc.line == 1);
  CHECK (ab_ir_check_file (ir, NULL, "/workx/a", AB_IR_FILE_OPEN_RO, &r, &err)
         == 0);
  CHECK (r.decision == AB_IR_DENY && r.rule == NULL);
  CHECK (ab_ir_check_file (ir, NULL, "/work/secrets/k", AB_IR_FILE_OPEN_RW, &r,
                           &err)
         == 0);
  CHECK (r.decision == AB_IR_DENY && r.rule);
  CHECK_STR (r.rule ? r.rule->id : NULL, "no-secrets");
  CHECK (r.rule && r.rule->loc.line == 3 && r.rule->loc.col == 1);
  CHECK_STR (r.rule ? r.rule->loc.file : NULL, "gen.cedar");
  CHECK (ab_ir_check_exec (ir, NULL, "/work/a", &r, &err) == 0);
  CHECK (r.decision == AB_IR_DENY);
}

TEST (host_ip_mcp)
{
  cleanup_ir struct ab_ir *ir = must_compile (
      "permit (principal, action == Action::\"NetworkConnect\", resource in "
      "Host::\"*.example.com\");\n"
      "forbid (principal, action == Action::\"NetworkConnect\", resource == "
      "Host::\"evil.example.com:443\");\n"
      "permit (principal, action == Action::\"NetworkConnect\", resource) "
      "when { ip(context.addr).isInRange(ip(\"10.0.0.0/8\")) };\n"
      "forbid (principal, action == Action::\"NetworkConnect\", resource) "
      "when { ip(context.addr).isInRange(ip(\"10.9.0.0/16\")) };\n"
      "permit (principal in Project::\"alpha\", action == "
      "Action::\"McpCall\", resource in MCP::Server::\"s1\");\n"
      "forbid (principal, action == Action::\"McpCall\", resource == "
      "MCP::Tool::\"shell\");\n");
  struct ab_ir_principal alpha = { "c1", "alpha" }, beta = { "c2", "beta" };
  struct ab_ir_result r;
  struct ab_cidr a;
  cleanup_error ab_error_t err = NULL;

  if (ir == NULL)
    {
      CHECK (ir != NULL);
      return;
    }
  CHECK (ab_ir_check_host (ir, NULL, "API.example.com.", 443, &r, &err) == 0
         && r.decision == AB_IR_ALLOW);
  CHECK (ab_ir_check_host (ir, NULL, "example.com", 443, &r, &err) == 0
         && r.decision == AB_IR_DENY);
  CHECK (ab_ir_check_host (ir, NULL, "evil.example.com", 443, &r, &err) == 0
         && r.decision == AB_IR_DENY && r.rule && !r.rule->permit);
  CHECK (ab_ir_check_host (ir, NULL, "evil.example.com", 80, &r, &err) == 0
         && r.decision == AB_IR_ALLOW);
  CHECK (ab_ir_check_host (ir, NULL, "a..example.com", 80, &r, &err) < 0);
  ab_cidr_parse ("10.1.2.3", &a, &err);
  CHECK (ab_ir_check_ip (ir, NULL, &a, 443, &r, &err) == 0
         && r.decision == AB_IR_ALLOW && r.rule
         && r.rule->kind == AB_IR_KIND_CIDR);
  ab_cidr_parse ("10.9.1.1", &a, &err);
  CHECK (ab_ir_check_ip (ir, NULL, &a, 443, &r, &err) == 0
         && r.decision == AB_IR_DENY);
  ab_cidr_parse ("2001:db8::1", &a, &err);
  CHECK (ab_ir_check_ip (ir, NULL, &a, 443, &r, &err) == 0
         && r.decision == AB_IR_DENY);
  CHECK (ab_ir_check_mcp (ir, &alpha, "s1", "read", &r, &err) == 0
         && r.decision == AB_IR_ALLOW);
  CHECK (ab_ir_check_mcp (ir, &beta, "s1", "read", &r, &err) == 0
         && r.decision == AB_IR_DENY);
  CHECK (ab_ir_check_mcp (ir, &alpha, "s1", "shell", &r, &err) == 0
         && r.decision == AB_IR_DENY && r.rule && !r.rule->permit);
}

TEST (yaml_proxy_and_hostexec)
{
  static const char yaml[] = "proxy:\n"
                             "  allow:\n"
                             "    - domain: api.anthropic.com\n"
                             "    - pattern: \"*.npmjs.org\"\n"
                             "      ports: [443]\n"
                             "  deny:\n"
                             "    - domain: bad.npmjs.org\n"
                             "hostexec:\n"
                             "  auto_approve: [ \"git status\" ]\n"
                             "  manual_approve: [ \"git push( .*)?\" ]\n"
                             "  deny: [ \"rm .*\" ]\n";
  cleanup_error ab_error_t err = NULL;
  cleanup_projconf struct ab_projconf *pc = NULL;
  struct ab_hostexec *hx = NULL;
  struct ab_ir *ir = NULL;
  struct ab_ir_result r;
  enum ab_hostexec_verdict v;
  const struct ab_ir_rule *rule;
  const struct ab_hostexec_rule *hrule;
  struct ab_cedar_set *set = ab_cedar_set_new ();
  static const char cedar[]
      = "forbid (principal, action == Action::\"HostExec\", resource == "
        "Command::\"git push --force\");\n"
        "permit (principal, action == Action::\"HostExec\", resource == "
        "Command::\"make check\");\n";

  CHECK (ab_projconf_load_string ("p.yaml", yaml, sizeof yaml - 1,
                                  AB_YAML_LAYER_PROJECT, &pc, &err)
         == 0);
  if (pc == NULL)
    return;
  CHECK (ab_projconf_hostexec (pc, &hx, &err) == 0);
  CHECK (ab_cedar_parse (set, "h.cedar", cedar, sizeof cedar - 1, &err) == 0);
  struct ab_ir_source src
      = { .cedar = set, .yaml = pc, .hostexec = hx, .mode = AB_IR_MODE_SHADOW };
  CHECK (ab_ir_compile (&src, &ir, &err) == 0);
  CHECK (src.cedar == NULL && src.hostexec == NULL);
  /* The IR keeps nothing of the YAML tree: free it now. */
  ab_projconf_free (steal_pointer (&pc));
  if (ir == NULL)
    return;
  CHECK (ab_ir_check_host (ir, NULL, "api.anthropic.com", 443, &r, &err) == 0
         && r.decision == AB_IR_ALLOW && r.rule
         && r.rule->origin == AB_IR_ORIGIN_YAML && r.rule->loc.line == 3);
  CHECK_STR (r.rule ? r.rule->loc.file : NULL, "p.yaml");
  CHECK (ab_ir_check_host (ir, NULL, "registry.npmjs.org", 443, &r, &err) == 0
         && r.decision == AB_IR_ALLOW);
  CHECK (ab_ir_check_host (ir, NULL, "registry.npmjs.org", 80, &r, &err) == 0
         && r.decision == AB_IR_DENY);
  CHECK (ab_ir_check_host (ir, NULL, "npmjs.org", 443, &r, &err) == 0
         && r.decision == AB_IR_DENY);
  CHECK (ab_ir_check_host (ir, NULL, "bad.npmjs.org", 443, &r, &err) == 0
         && r.decision == AB_IR_DENY && r.rule && r.rule->loc.line == 7);
  /* Shadow mode lets the denied request through. */
  CHECK (ab_ir_mode_permits (ab_ir_mode (ir), &r));
  CHECK (ab_ir_check_hostexec (ir, NULL, "git status", &v, &rule, &hrule, &err)
             == 0
         && v == AB_HOSTEXEC_VERDICT_RUN && hrule);
  CHECK (ab_ir_check_hostexec (ir, NULL, "make check", &v, &rule, &hrule, &err)
             == 0
         && v == AB_HOSTEXEC_VERDICT_RUN && rule && hrule == NULL);
  CHECK (ab_ir_check_hostexec (ir, NULL, "git push x", &v, &rule, &hrule, &err)
             == 0
         && v == AB_HOSTEXEC_VERDICT_ASK);
  CHECK (ab_ir_check_hostexec (ir, NULL, "git push --force", &v, &rule, &hrule,
                               &err)
             == 0
         && v == AB_HOSTEXEC_VERDICT_DENY && rule && !rule->permit);
  CHECK (ab_ir_check_hostexec (ir, NULL, "rm -rf /", &v, &rule, &hrule, &err)
             == 0
         && v == AB_HOSTEXEC_VERDICT_DENY && hrule);
  CHECK (ab_ir_check_hostexec (ir, NULL, "ls", &v, &rule, &hrule, &err) == 0
         && v == AB_HOSTEXEC_VERDICT_DENY && !hrule && !rule);
  ab_ir_unref (ir);
}

TEST (dump)
{
  cleanup_ir struct ab_ir *ir = must_compile (
      "permit (principal, action, resource in Dir::\"/work/\");\n"
      "permit (principal, action == Action::\"NetworkConnect\", resource) "
      "when { ip(context.addr).isInRange(ip(\"10.0.0.0/8\")) };\n"
      "forbid (principal, action, resource) when { context.n > 1 };\n"
      "permit (principal, action == Action::\"Nope\", resource);\n");
  char *text = NULL;
  size_t len = 0;
  cleanup_error ab_error_t err = NULL;
  FILE *f = open_memstream (&text, &len);

  if (ir == NULL)
    {
      CHECK (ir != NULL);
      return;
    }
  CHECK (ab_ir_dump (ir, f, &err) == 0);
  fclose (f);
  CHECK_CONTAINS (text, "rules     4: 1 table, 1 cidr, 1 residual, 1 dead");
  CHECK_CONTAINS (text, "gen.cedar:2:1");
  CHECK_CONTAINS (text, "context.addr in 10.0.0.0/8");
  CHECK_CONTAINS (text, "resource in Dir::\"/work/\"");
  CHECK_CONTAINS (text, "never applies");
  free (text);
}

TEST (leash_when_style_is_compiled_to_tables)
{
  cleanup_ir struct ab_ir *ir = must_compile (
      "permit (principal, action == Action::\"NetworkConnect\", resource)\n"
      "when { resource in [ Host::\"api.anthropic.com\", "
      "Host::\"*.openai.com\" "
      "] };\n"
      "forbid (principal, action == Action::\"FileOpenReadWrite\", resource)\n"
      "when { resource in [ Dir::\"/workspace/secrets/\" ] };\n"
      "permit (principal, action, resource) when { resource in "
      "Dir::\"/workspace/\" && context.n > 3 };\n");
  struct ab_ir_result r;
  cleanup_error ab_error_t err = NULL;

  if (ir == NULL)
    {
      CHECK (ir != NULL);
      return;
    }
  CHECK (ab_ir_rule_at (ir, 0)->kind == AB_IR_KIND_TABLE);
  CHECK (ab_ir_rule_at (ir, 1)->kind == AB_IR_KIND_TABLE);
  CHECK (ab_ir_rule_at (ir, 2)->kind == AB_IR_KIND_RESIDUAL);
  CHECK (ab_ir_check_host (ir, NULL, "chat.openai.com", 443, &r, &err) == 0
         && r.decision == AB_IR_ALLOW);
  CHECK (ab_ir_check_host (ir, NULL, "openai.com", 443, &r, &err) == 0
         && r.decision == AB_IR_DENY);
  CHECK (ab_ir_check_file (ir, NULL, "/workspace/secrets/k", AB_IR_FILE_OPEN_RW,
                           &r, &err)
             == 0
         && r.decision == AB_IR_DENY && r.rule && r.rule->index == 1);
}

/* ---- narrowing ---- */

/* A request under a policy narrowed by another is allowed only when both
 * allow it; the rule named is the forbid, then the narrowing policy's
 * default deny, then the base's permit. */
TEST (narrowing_allows_what_both_allow)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_ir struct ab_ir *base = compile_text (
      "permit (principal, action == Action::\"NetworkConnect\", resource in "
      "Host::\"a.example\");\n"
      "permit (principal, action == Action::\"NetworkConnect\", resource in "
      "Host::\"b.example\");\n"
      "forbid (principal, action == Action::\"NetworkConnect\", resource in "
      "Host::\"x.b.example\");\n",
      &err);
  cleanup_ir struct ab_ir *narrow = compile_text (
      "permit (principal, action == Action::\"NetworkConnect\", resource in "
      "Host::\"b.example\");\n"
      "permit (principal, action == Action::\"NetworkConnect\", resource in "
      "Host::\"c.example\");\n"
      "forbid (principal, action == Action::\"NetworkConnect\", resource in "
      "Host::\"y.b.example\");\n",
      &err);
  static const struct
  {
    const char *host;
    bool allow;
    int rule_line; /* 0: default deny; negative: the narrowing policy's */
  } cases[] = {
    { "a.example", false, 0 },    { "b.example", true, 2 },
    { "c.example", false, 0 },    { "x.b.example", false, 3 },
    { "y.b.example", false, -3 }, { "d.example", false, 0 },
  };

  CHECK (base && narrow);
  for (size_t i = 0; base && narrow && i < sizeof cases / sizeof *cases; i++)
    {
      struct ab_ir_result r, n;
      const struct ab_ir_rule *want = NULL;

      CHECK (ab_ir_check_host (base, NULL, cases[i].host, 443, &r, &err) == 0);
      CHECK (ab_ir_check_host (narrow, NULL, cases[i].host, 443, &n, &err)
             == 0);
      ab_ir_result_narrow (&r, &n);
      CHECK ((r.decision == AB_IR_ALLOW) == cases[i].allow);
      if (cases[i].rule_line > 0)
        want = ab_ir_rule_at (base, (size_t)cases[i].rule_line - 1);
      else if (cases[i].rule_line < 0)
        want = ab_ir_rule_at (narrow, (size_t)-cases[i].rule_line - 1);
      if (r.rule != want)
        printf ("# %s: wrong rule\n", cases[i].host);
      CHECK (r.rule == want);
    }
}

TEST (narrowing_hostexec_verdicts)
{
  enum ab_hostexec_verdict D = AB_HOSTEXEC_VERDICT_DENY,
                           R = AB_HOSTEXEC_VERDICT_RUN,
                           A = AB_HOSTEXEC_VERDICT_ASK;

  CHECK (ab_hostexec_verdict_narrow (R, R) == R);
  CHECK (ab_hostexec_verdict_narrow (R, A) == A);
  CHECK (ab_hostexec_verdict_narrow (A, R) == A);
  CHECK (ab_hostexec_verdict_narrow (A, A) == A);
  CHECK (ab_hostexec_verdict_narrow (R, D) == D);
  CHECK (ab_hostexec_verdict_narrow (D, R) == D);
  CHECK (ab_hostexec_verdict_narrow (A, D) == D);
}

/* ---- reload ---- */

TEST (reload_keeps_old_on_failure)
{
  struct ab_ir_slot slot;
  cleanup_error ab_error_t err = NULL;
  struct ab_ir_result r;
  struct ab_ir *held, *now;

  ab_ir_slot_init (&slot, must_compile ("permit (principal, action, resource "
                                        "in Dir::\"/work/\");\n"));
  held = ab_ir_slot_get (&slot);
  CHECK (held && ab_ir_generation (held) == 1);

  /* A source that fails to compile: a parsed set cannot fail, so feed a
   * YAML proxy rule with an invalid host through the compiler. */
  struct ab_projconf *pc = ab_projconf_new ();
  struct ab_proxy_rule bad = { .match = AB_PROXY_DOMAIN, .host = "a..b" };
  pc->proxy_allow.v = &bad;
  pc->proxy_allow.len = 1;
  struct ab_ir_source src = { .cedar = ab_cedar_set_new (), .yaml = pc };
  CHECK (ab_ir_reload (&slot, &src, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "old policy kept");
  pc->proxy_allow.v = NULL;
  pc->proxy_allow.len = 0;
  ab_projconf_free (pc);

  now = ab_ir_slot_get (&slot);
  CHECK (now == held);
  CHECK (ab_ir_check_file (now, NULL, "/work/x", AB_IR_FILE_OPEN, &r, &err) == 0
         && r.decision == AB_IR_ALLOW);
  ab_ir_unref (now);

  /* A good reload swaps; the reader's old reference stays valid. */
  struct ab_cedar_set *set = ab_cedar_set_new ();
  ab_cedar_parse (set, "new.cedar",
                  "permit (principal, action, resource in Dir::\"/tmp/\");", 54,
                  &err);
  struct ab_ir_source good = { .cedar = set };
  CHECK (ab_ir_reload (&slot, &good, &err) == 0);
  now = ab_ir_slot_get (&slot);
  CHECK (now != held && ab_ir_generation (now) == 2);
  CHECK (ab_ir_check_file (now, NULL, "/work/x", AB_IR_FILE_OPEN, &r, &err) == 0
         && r.decision == AB_IR_DENY);
  CHECK (ab_ir_check_file (held, NULL, "/work/x", AB_IR_FILE_OPEN, &r, &err)
             == 0
         && r.decision == AB_IR_ALLOW);
  CHECK_STR (r.rule ? r.rule->loc.file : NULL, "gen.cedar");
  ab_ir_unref (now);
  ab_ir_unref (held);
  ab_ir_slot_destroy (&slot);
}

/* Readers look up while a writer reloads: every answer is one of the two
 * policies' answers, and nothing is freed under a reader (ASan/valgrind
 * would see it; the checks see a torn or freed object as a wrong
 * answer). */
static struct ab_ir_slot race_slot;
static atomic_int race_stop;
static atomic_int race_bad;

static void *
race_reader (void *arg)
{
  unsigned long n = 0;

  while (!atomic_load (&race_stop) || n < 1000)
    {
      struct ab_ir *ir = ab_ir_slot_get (&race_slot);
      struct ab_ir_result r;
      ab_error_t err = NULL;
      if (ir == NULL
          || ab_ir_check_file (ir, NULL, "/work/x", AB_IR_FILE_OPEN, &r, &err)
                 < 0
          || (ab_ir_generation (ir) % 2 == 1) != (r.decision == AB_IR_ALLOW))
        atomic_fetch_add (&race_bad, 1);
      ab_error_free (&err);
      ab_ir_unref (ir);
      n++;
    }
  return NULL;
}

TEST (reload_under_readers)
{
  static const char *const src[2]
      = { "permit (principal, action, resource in Dir::\"/work/\");",
          "forbid (principal, action, resource in Dir::\"/work/\");" };
  pthread_t th[2];

  ab_ir_slot_init (&race_slot, must_compile (src[0]));
  atomic_store (&race_stop, 0);
  atomic_store (&race_bad, 0);
  for (int i = 0; i < 2; i++)
    pthread_create (&th[i], NULL, race_reader, NULL);
  for (int k = 1; k <= 300; k++)
    {
      cleanup_error ab_error_t err = NULL;
      struct ab_cedar_set *set = ab_cedar_set_new ();
      ab_cedar_parse (set, "r.cedar", src[k % 2], strlen (src[k % 2]), &err);
      struct ab_ir_source s = { .cedar = set };
      CHECK (ab_ir_reload (&race_slot, &s, &err) == 0);
    }
  atomic_store (&race_stop, 1);
  for (int i = 0; i < 2; i++)
    pthread_join (th[i], NULL);
  CHECK (atomic_load (&race_bad) == 0);
  ab_ir_slot_destroy (&race_slot);
}

int
main (void)
{
  RUN (file_rules_and_locations);
  RUN (host_ip_mcp);
  RUN (yaml_proxy_and_hostexec);
  RUN (dump);
  RUN (leash_when_style_is_compiled_to_tables);
  RUN (generated_sets_match_cedar);
  RUN (corpus_matches_cedar);
  RUN (narrowing_allows_what_both_allow);
  RUN (narrowing_hostexec_verdicts);
  RUN (reload_keeps_old_on_failure);
  RUN (reload_under_readers);
  return unit_done ();
}
