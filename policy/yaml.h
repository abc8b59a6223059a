/* agentbox: the YAML project config (Cloister-shaped), parsed with libyaml.
 *
 *   mode: enforce                 # enforce | shadow | record
 *   proxy:
 *     allow:
 *       - domain: api.anthropic.com
 *       - pattern: "*.npmjs.org"
 *         ports: [443]
 *     deny:
 *       - domain: evil.example.com
 *   hostexec:
 *     auto_approve:
 *       - "^git status( .*)?$"             # a plain string is a pattern
 *       - pattern: "^git log( .*)?$"       # or a mapping
 *     manual_approve: [ "^git push( .*)?$" ]
 *     deny: [ "^rm .*" ]
 *   refs:
 *     - path: /home/me/docs                # read-only mount
 *       target: /refs/docs                 # default: same as path
 *   env: [ TERM, LANG ]
 *   secrets:
 *     GITHUB_TOKEN:
 *       env: GH_TOKEN                      # or file: /path
 *       header: "Authorization: Bearer ${secret}"   # optional
 *       hosts: [ api.github.com ]                   # with header
 *
 * Layers merge global -> project -> approval decisions (ab_projconf_merge);
 * a deny anywhere beats an allow anywhere.  docs/policy-yaml.md is the
 * reference.  Every error names FILE:LINE:COL. */
#ifndef AB_POLICY_YAML_H
#define AB_POLICY_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"
#include "policy/hostexec.h"

/* Strictness order: a larger value is stricter (merge keeps the max). */
enum ab_yaml_mode
{
  AB_YAML_MODE_UNSET = 0,
  AB_YAML_MODE_RECORD,
  AB_YAML_MODE_SHADOW,
  AB_YAML_MODE_ENFORCE,
};

/* What kind of file a layer is.  Approval-decision files (written when a
 * human approves or denies) may hold only `proxy` and `hostexec`. */
enum ab_yaml_layer
{
  AB_YAML_LAYER_GLOBAL,
  AB_YAML_LAYER_PROJECT,
  AB_YAML_LAYER_DECISIONS,
};

struct ab_yaml_loc
{
  char *file;
  unsigned line, col; /* 1-based */
};

enum ab_proxy_match
{
  AB_PROXY_DOMAIN,  /* exactly HOST */
  AB_PROXY_PATTERN, /* "*.zone": any name below zone, not zone itself */
};

struct ab_proxy_rule
{
  enum ab_proxy_match match;
  char *host;            /* lower case, no trailing dot; for PATTERN the zone
                            without "*." */
  unsigned short *ports; /* NULL/0: any port */
  size_t n_ports;
  struct ab_yaml_loc loc;
};

struct ab_hostexec_pattern
{
  char *pattern;
  struct ab_yaml_loc loc;
};

struct ab_env_name
{
  char *name;
  struct ab_yaml_loc loc;
};

struct ab_ref
{
  char *path;   /* host path, absolute */
  char *target; /* container path, absolute */
  struct ab_yaml_loc loc;
};

enum ab_secret_source
{
  AB_SECRET_ENV,
  AB_SECRET_FILE,
};

struct ab_secret
{
  char *name;
  enum ab_secret_source source;
  char *from;   /* env var name or file path */
  char *header; /* optional "Name: value with ${secret}" template */
  char **hosts; /* NULL-terminated; hosts the header may go to */
  struct ab_yaml_loc loc;
};

#define AB_DEFINE_VEC(name, type)                                              \
  struct name                                                                  \
  {                                                                            \
    type *v;                                                                   \
    size_t len, cap;                                                           \
  }
AB_DEFINE_VEC (ab_proxy_rules, struct ab_proxy_rule);
AB_DEFINE_VEC (ab_hostexec_patterns, struct ab_hostexec_pattern);
AB_DEFINE_VEC (ab_refs, struct ab_ref);
AB_DEFINE_VEC (ab_secrets, struct ab_secret);
AB_DEFINE_VEC (ab_env_names, struct ab_env_name);

struct ab_projconf
{
  enum ab_yaml_mode mode;
  struct ab_yaml_loc mode_loc;
  struct ab_proxy_rules proxy_allow, proxy_deny;
  struct ab_hostexec_patterns hostexec[AB_HOSTEXEC_N_LISTS];
  struct ab_refs refs;
  struct ab_env_names env;
  struct ab_secrets secrets;
};

struct ab_projconf *ab_projconf_new (void);
void ab_projconf_free (struct ab_projconf *c);
static inline void
ab_projconf_freep (struct ab_projconf **c)
{
  ab_projconf_free (*c);
}
#define cleanup_projconf __attribute__ ((cleanup (ab_projconf_freep)))

/* Parse one layer.  A missing file is ENOENT (callers decide whether that
 * layer is optional).  Unknown keys, duplicate keys, wrong types and bad
 * values are errors "FILE:LINE:COL: what is wrong". */
int ab_projconf_load (const char *path, enum ab_yaml_layer layer,
                      struct ab_projconf **out, ab_error_t *err);
int ab_projconf_load_string (const char *name, const char *data, size_t len,
                             enum ab_yaml_layer layer, struct ab_projconf **out,
                             ab_error_t *err);

/* Merge SRC (a later layer) into DST: lists are concatenated (DST's rules
 * first), so deny rules from any layer are checked before any allow; the
 * mode is the stricter of the two; a secret or ref defined again in SRC
 * replaces DST's (same name / same target).  SRC is left untouched. */
int ab_projconf_merge (struct ab_projconf *dst, const struct ab_projconf *src,
                       ab_error_t *err);

/* The mode after merging: enforce when no layer set one. */
enum ab_yaml_mode ab_projconf_mode (const struct ab_projconf *c);
const char *ab_yaml_mode_name (enum ab_yaml_mode m);

/* Reference semantics of the proxy lists, for tests, `explain` and the
 * IR's property test (the IR compiles them into a label trie): deny if a
 * deny rule matches, else allow if an allow rule matches, else deny.
 * HOST is matched case-insensitively, trailing dot ignored, at label
 * boundaries.  *RULE (if not NULL) gets the deciding rule or NULL. */
bool ab_projconf_proxy_allows (const struct ab_projconf *c, const char *host,
                               unsigned port,
                               const struct ab_proxy_rule **rule);

struct ab_ir_source;

/* Fill the YAML part of an IR source (policy/ir.h): SRC->yaml = C (read by
 * ab_ir_compile, not kept), SRC->hostexec = the compiled hostexec lists
 * (SRC takes it), SRC->mode = the merged mode.  SRC->cedar is left as is. */
int ab_projconf_ir_source (const struct ab_projconf *c,
                           struct ab_ir_source *src, ab_error_t *err);

/* Compile the three hostexec lists into a ruleset (patterns compiled once,
 * with their file:line:col). */
int ab_projconf_hostexec (const struct ab_projconf *c, struct ab_hostexec **out,
                          ab_error_t *err);

#endif
