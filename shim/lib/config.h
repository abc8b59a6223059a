/* agentbox: the global config, /etc/agentbox/config.yaml ($AGENTBOX_CONFIG
 * overrides).  Every field has a documented default (contrib/config.yaml);
 * a missing file means all defaults.  Unknown keys, wrong types and unknown
 * capability or syscall names are errors naming file:line:col. */
#ifndef AB_CONFIG_H
#define AB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

#define AB_DEFAULT_CONFIG AB_SYSCONFDIR "/agentbox/config.yaml"
#define AB_DEFAULT_STATE_DIR "/run/agentbox"

struct ab_config
{
  char *path;      /* the file read, NULL when built-in defaults */
  char *runtime;   /* `runtime:` as written: "runc", "crun" or a path;
                      NULL = default (runc if found, else crun) */
  char *state_dir; /* `state_dir:`, default /run/agentbox */

  /* hardening: */
  char **sensitive_paths;   /* `hardening.sensitive_paths`, NULL-terminated;
                               "~/x" means x under every home directory */
  char **drop_capabilities; /* `hardening.drop_capabilities`: "CAP_X" */
  bool no_new_privileges;   /* `hardening.no_new_privileges`, default true */
  bool seccomp;             /* `hardening.seccomp`, default true */
  char **seccomp_deny;      /* `hardening.seccomp_deny`: syscall names */
  bool masked_paths;        /* `hardening.masked_paths`, default true */
  bool isolate_namespaces;  /* `hardening.namespaces`, default true: host
                               pid/ipc/uts replaced by new ones */

  /* Not from the file.  Is the namespace file PATH a namespace of a
   * container agentbox confined (so joining it is kept)?  1 yes, 0 no,
   * negative on error (counted as no: closed).  NULL, the default, means
   * ab_state_is_confined_ns() on the containers recorded under state_dir;
   * tests and embedders set their own. */
  int (*is_confined_ns) (const struct ab_config *cfg, const char *path,
                         void *data);
  void *is_confined_ns_data;
};

/* Load PATH, or $AGENTBOX_CONFIG, or the default path when PATH is NULL.
 * A missing default file is not an error (defaults apply); a missing file
 * named by $AGENTBOX_CONFIG is. */
int ab_config_load (const char *path, struct ab_config **out, ab_error_t *err);
/* Parse config text DATA (LEN bytes); NAME is used in errors. */
int ab_config_parse (const char *name, const char *data, size_t len,
                     struct ab_config **out, ab_error_t *err);
/* Built-in defaults only. */
int ab_config_defaults (struct ab_config **out, ab_error_t *err);
void ab_config_free (struct ab_config *c);

/* The delegate runtime as an absolute path: config's `runtime`, else runc
 * from PATH, else crun.  Error if none is found. */
int ab_config_delegate (const struct ab_config *c, char **out, ab_error_t *err);

static inline void
ab_config_freep (struct ab_config **c)
{
  ab_config_free (*c);
}
#define cleanup_config __attribute__ ((cleanup (ab_config_freep)))

#endif
