/* agentbox: the compiled policy — one immutable IR that every layer reads.
 *
 * ab_ir_compile() turns a Cedar policy set (policy/cedar.h), the YAML
 * proxy lists (policy/yaml.h) and the hostexec regex rules
 * (policy/hostexec.h) into:
 *
 *   rules      one per Cedar policy or YAML entry, with its source
 *              location (file:line:col) for the audit log;
 *   paths      a path table (policy/pathtab.h) for File/Dir resources;
 *   hosts      a reversed-label trie (policy/hosttab.h) for Host;
 *   cidrs      v4/v6 prefix tables (policy/cidrtab.h) for NetworkConnect
 *              rules whose condition is `ip(context.addr).isInRange(..)`;
 *   mcp        MCP::Server and MCP::Tool sets; commands (Command::"...");
 *   hostexec   the YAML hostexec PCRE2 ruleset (compiled once, JIT);
 *   mode       enforce / shadow / record.
 *
 * Every lookup returns the decision full Cedar evaluation would return
 * for the request the lookup stands for (ab_ir_cedar_request() builds
 * that request, with agentbox's entity model, policy/model.h): the tables
 * find the rules whose scope matches in O(path depth / labels / prefix
 * lengths); a rule whose `when`/`unless` cannot be compiled to a table is
 * "residual": it sits in the tables by its scope, and only when its scope
 * matches is its condition evaluated by the Cedar evaluator, for that
 * request only.  docs/policy-ir.md explains the tables and the proof
 * obligations; tests/unit/test-ir.c checks the equality on generated
 * policy sets and on the differential corpus.
 *
 * An IR is immutable after compilation and reference counted; a reload
 * compiles a new one and swaps a pointer (struct ab_ir_slot).  Lookups
 * are thread-safe (they only read), except ab_ir_check_hostexec, which
 * reuses the PCRE2 match block (one thread: the guardian's loop). */
#ifndef AB_POLICY_IR_H
#define AB_POLICY_IR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/error.h"
#include "policy/cedar.h"
#include "policy/cidrtab.h"
#include "policy/hostexec.h"

struct ab_projconf;

enum ab_ir_mode
{
  AB_IR_MODE_ENFORCE = 0,
  AB_IR_MODE_SHADOW, /* decide, log would-deny, allow */
  AB_IR_MODE_RECORD, /* allow, log everything */
};

/* The actions of agentbox's model; bit (1u << a) in ab_ir_rule.actions. */
enum ab_ir_action
{
  AB_IR_FILE_OPEN = 0,
  AB_IR_FILE_OPEN_RO,
  AB_IR_FILE_OPEN_RW,
  AB_IR_PROCESS_EXEC,
  AB_IR_NETWORK_CONNECT,
  AB_IR_HTTP_REQUEST,
  AB_IR_HTTP_REWRITE,
  AB_IR_MCP_CALL,
  AB_IR_HOST_EXEC,
  AB_IR_N_ACTIONS
};

enum ab_ir_origin
{
  AB_IR_ORIGIN_CEDAR,
  AB_IR_ORIGIN_YAML,
};

/* How a rule is matched. */
enum ab_ir_kind
{
  AB_IR_KIND_TABLE,    /* by its scope alone */
  AB_IR_KIND_CIDR,     /* scope + the CIDR table */
  AB_IR_KIND_RESIDUAL, /* scope, then the Cedar evaluator */
  AB_IR_KIND_DEAD,     /* can match no request of the model */
};

struct ab_ir_loc
{
  const char *file;
  unsigned line, col;
};

struct ab_ir_rule
{
  uint32_t index;
  enum ab_ir_origin origin;
  enum ab_ir_kind kind;
  bool permit;
  const char *id; /* Cedar policy id ("policy0", @id) or "proxy.deny[2]" */
  struct ab_ir_loc loc; /* where the policy or YAML entry was written */
  size_t policy;        /* index in the Cedar set (origin CEDAR) */
  uint32_t actions;     /* 1u << enum ab_ir_action */
  const char *dead_why; /* kind DEAD: why */
  /* private to ir.c */
  const struct ab_cedar_scope *principal; /* NULL: any */
  const struct ab_cedar_scope *resource;  /* where it sits in the tables */
  bool folded;            /* RESOURCE comes from a `when` (Leash style) */
  char *desc;             /* YAML: the entry, as text */
  char *file;             /* YAML: owned copy of loc.file */
  struct ab_cidr *ranges; /* kind CIDR */
  size_t n_ranges;
};

enum ab_ir_decision
{
  AB_IR_DENY = 0,
  AB_IR_ALLOW = 1,
};

struct ab_ir_result
{
  enum ab_ir_decision decision;
  /* The rule that decided: the forbid that denied, or the (most
   * specific) permit that allowed; NULL for the default deny.  Valid
   * while the caller holds its reference on the IR. */
  const struct ab_ir_rule *rule;
  /* Residual policies skipped because their evaluation failed (Cedar
   * skips them: a failing forbid does not deny). */
  unsigned n_errors;
};

struct ab_ir_principal
{
  const char *container; /* Container::"id"; NULL: the anonymous "" */
  const char *project;   /* its parent Project::"name", or NULL */
};

struct ab_ir_query
{
  enum ab_ir_action action;
  struct ab_ir_principal principal;
  const char *path;            /* file actions: File::"p", Dir::"p/" */
  const char *host;            /* network actions: Host::"host[:port]" */
  unsigned port;               /* 0: none */
  const struct ab_cidr *ip;    /* NetworkConnect to an address (host unused) */
  const char *server, *tool;   /* McpCall: MCP::Tool::"tool" in Server */
  const char *command;         /* HostExec: Command::"canonical argv" */
  const struct ab_cv *context; /* a record for residual rules, or NULL;
                                  ignored for ip queries */
};

struct ab_ir;

struct ab_ir_source
{
  struct ab_cedar_set *cedar;     /* taken, may be NULL */
  const struct ab_projconf *yaml; /* proxy lists; read, not kept; or NULL */
  struct ab_hostexec *hostexec;   /* taken, may be NULL */
  enum ab_ir_mode mode;
};

/* Compile SRC into a new IR (one reference).  SRC->cedar and
 * SRC->hostexec are taken in every case (set to NULL).  Host ids in the
 * Cedar set are compared as written: normalise it first
 * (ab_model_normalize), as the loaders do. */
int ab_ir_compile (struct ab_ir_source *src, struct ab_ir **out,
                   ab_error_t *err);

struct ab_ir *ab_ir_ref (struct ab_ir *ir);
void ab_ir_unref (struct ab_ir *ir);

static inline void
ab_ir_unrefp (struct ab_ir **ir)
{
  if (*ir)
    ab_ir_unref (*ir);
}
#define cleanup_ir __attribute__ ((cleanup (ab_ir_unrefp)))

enum ab_ir_mode ab_ir_mode (const struct ab_ir *ir);
uint64_t ab_ir_generation (const struct ab_ir *ir);
size_t ab_ir_n_rules (const struct ab_ir *ir);
const struct ab_ir_rule *ab_ir_rule_at (const struct ab_ir *ir, size_t i);
const struct ab_cedar_set *ab_ir_cedar (const struct ab_ir *ir);

/* ---- lookups: 0 with *RES filled, or negative (out of memory, an
 * invalid host name): callers deny — fail closed. ---- */

int ab_ir_check (const struct ab_ir *ir, const struct ab_ir_query *q,
                 struct ab_ir_result *res, ab_error_t *err);

/* ACCESS: AB_IR_FILE_OPEN, AB_IR_FILE_OPEN_RO or AB_IR_FILE_OPEN_RW. */
int ab_ir_check_file (const struct ab_ir *ir, const struct ab_ir_principal *p,
                      const char *path, enum ab_ir_action access,
                      struct ab_ir_result *res, ab_error_t *err);
int ab_ir_check_exec (const struct ab_ir *ir, const struct ab_ir_principal *p,
                      const char *path, struct ab_ir_result *res,
                      ab_error_t *err);
/* NetworkConnect to NAME (any case, one trailing dot ignored), PORT 0 for
 * none. */
int ab_ir_check_host (const struct ab_ir *ir, const struct ab_ir_principal *p,
                      const char *name, unsigned port, struct ab_ir_result *res,
                      ab_error_t *err);
/* NetworkConnect to an address: resource Host::"10.1.2.3:443" (or
 * "[2001:db8::1]:443"), context {"addr": "10.1.2.3"}. */
int ab_ir_check_ip (const struct ab_ir *ir, const struct ab_ir_principal *p,
                    const struct ab_cidr *addr, unsigned port,
                    struct ab_ir_result *res, ab_error_t *err);
/* McpCall of TOOL on SERVER (TOOL NULL: the server itself). */
int ab_ir_check_mcp (const struct ab_ir *ir, const struct ab_ir_principal *p,
                     const char *server, const char *tool,
                     struct ab_ir_result *res, ab_error_t *err);

/* hostexec: Cedar HostExec rules on Command::"CANONICAL" and the YAML
 * regex lists.  Order: a Cedar forbid, then a YAML deny rule, deny; then
 * a YAML auto_approve or a Cedar permit, run; then manual_approve, ask;
 * else deny.  *RULE / *HRULE get the deciding Cedar or YAML rule. */
int
ab_ir_check_hostexec (const struct ab_ir *ir, const struct ab_ir_principal *p,
                      const char *canonical, enum ab_hostexec_verdict *verdict,
                      const struct ab_ir_rule **rule,
                      const struct ab_hostexec_rule **hrule, ab_error_t *err);

/* Whether to let the request through under mode M (the IR's, or a
 * container's own io.agentbox.mode): enforce obeys the decision, shadow
 * and record allow (and the caller logs `would-deny`). */
bool ab_ir_mode_permits (enum ab_ir_mode m, const struct ab_ir_result *res);

/* ---- narrowing (annotation io.agentbox.policy, docs/narrowing.md) ----
 * A container may name a second policy that narrows the one in force: a
 * request is allowed only when both allow it.  The layers decide the
 * request under each IR and combine the answers with these. */

/* BASE := BASE narrowed by NARROW, two results for one request: a deny
 * from either denies (an explicit forbid is named before a default
 * deny, BASE's before NARROW's); when both allow, BASE's permit
 * decides. */
void ab_ir_result_narrow (struct ab_ir_result *base,
                          const struct ab_ir_result *narrow);

/* hostexec: deny when either denies, ask when either asks, run only when
 * both would run. */
enum ab_hostexec_verdict
ab_hostexec_verdict_narrow (enum ab_hostexec_verdict a,
                            enum ab_hostexec_verdict b);

/* The Cedar request (and its entities, added to E) that Q stands for:
 * what ab_ir_check's answer equals under full evaluation. */
int ab_ir_cedar_request (const struct ab_ir_query *q,
                         struct ab_cedar_entities *e,
                         struct ab_cedar_request *req, ab_error_t *err);

const char *ab_ir_action_name (enum ab_ir_action a);
const char *ab_ir_mode_name (enum ab_ir_mode m);
int ab_ir_mode_parse (const char *s, enum ab_ir_mode *m);

/* Human-readable dump (`agentbox policy ir`). */
int ab_ir_dump (const struct ab_ir *ir, FILE *out, ab_error_t *err);

/* Compile the policy in FILES (Cedar, and YAML project files by their
 * .yaml/.yml suffix; a YAML file's mode applies, else enforce). */
int ab_ir_load_files (char **files, int n, struct ab_ir **out, ab_error_t *err);

/* `agentbox policy ir FILE... [--mode M]`: ARGV[0] is "ir"; returns the
 * exit status (policy/cli-ir.c, called from policy/cli.c). */
int ab_policy_cmd_ir (int argc, char **argv);

/* ---- reload: a slot holds the IR in force ---- */

struct ab_ir_slot
{
  _Atomic (struct ab_ir *) cur;
  atomic_uint readers; /* inside ab_ir_slot_get's load-and-ref */
  atomic_ullong generation;
};

/* INITIAL (taken) may be NULL: then every get returns NULL (callers
 * deny). */
void ab_ir_slot_init (struct ab_ir_slot *s, struct ab_ir *initial);
void ab_ir_slot_destroy (struct ab_ir_slot *s);
/* A new reference to the IR in force (ab_ir_unref it), or NULL. */
struct ab_ir *ab_ir_slot_get (struct ab_ir_slot *s);
/* Put IR (taken) in force; the old one is freed when its last reader
 * lets go. */
void ab_ir_slot_swap (struct ab_ir_slot *s, struct ab_ir *ir);
/* Compile SRC and swap it in.  On failure nothing changes: the old IR
 * stays in force, and *err says why. */
int ab_ir_reload (struct ab_ir_slot *s, struct ab_ir_source *src,
                  ab_error_t *err);

#endif
