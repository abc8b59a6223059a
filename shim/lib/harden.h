/* agentbox: the hardening profile applied to a bundle on create/run and to
 * a process on exec.  Pure edits of the tree: nothing here touches the
 * bundle file, the runtime or the host, so every rule is unit-testable. */
#ifndef AB_HARDEN_H
#define AB_HARDEN_H

#include "shim/lib/config.h"
#include "spec/spec.h"

/* What a rewrite changed, one human-readable line per change
 * ("mount /root/.ssh -> /home/agent/.ssh: removed (sensitive: ~/.ssh)").
 * Recorded under the container's state dir and logged at debug level. */
struct ab_harden_report
{
  char **changes; /* NULL-terminated */
  size_t len, cap;
};

void ab_harden_report_free (struct ab_harden_report *r);
/* Write the report as JSON lines or text; used by the state record. */

/* What ab_harden_spec may leave to its caller. */
enum
{
  /* A bundle without seccomp gets no profile here: the caller installs
   * agentbox's (ab_seccomp_default_to_init, or ab_harden_seccomp_default
   * for the runtime to compile). */
  AB_HARDEN_SECCOMP_DEFAULT_LATER = 1 << 0,
};

/* Apply every rule of the profile to S, but what FLAGS leave to the
 * caller.  Idempotent: applying it to its own output changes nothing
 * (and reports no change).  ID is the container id, for messages. */
int ab_harden_spec (struct ab_spec *s, const struct ab_config *cfg,
                    const char *id, unsigned flags,
                    struct ab_harden_report *rep, ab_error_t *err);

/* Apply the process rules (capabilities, noNewPrivileges) to one process
 * object: config.json's or `exec --process`'s. */
int ab_harden_process (struct ab_json *proc, const struct ab_config *cfg,
                       struct ab_harden_report *rep, ab_error_t *err);

#endif
