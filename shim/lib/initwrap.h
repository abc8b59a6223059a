/* agentbox: agentbox-init in front of a container's processes.
 *
 * agentbox-init (shim/init) runs first in the container.  It applies the
 * Landlock rules of the file layer (filelayer.h), then agentbox's seccomp
 * filter (seccomp-bpf.h), then execs the process.  What it applies for a
 * container is what STATE/run holds (landlock.rules, seccomp.bpf, seen
 * in the container under /run/agentbox); the same words go in front of
 * process.args and of every process exec'd into the container, since
 * runc's exec does not descend from the first process. */
#ifndef AB_SHIM_INITWRAP_H
#define AB_SHIM_INITWRAP_H

#include "lib/error.h"
#include "shim/lib/harden.h"
#include "spec/spec.h"

/* In STATE/run, so under the one mount of /run/agentbox (initwrap.c). */
#define AB_INIT_FILE "agentbox-init"
#define AB_INIT_PATH "/run/agentbox/" AB_INIT_FILE

enum
{
  AB_INIT_LANDLOCK = 1u << 0,
  AB_INIT_SECCOMP = 1u << 1,
};

/* The words, NULL-terminated, for a container WHAT (AB_INIT_*) says:
 * agentbox-init, its options, "--". */
#define AB_INIT_PREFIX_MAX 7
void ab_init_prefix (unsigned what, const char *out[AB_INIT_PREFIX_MAX]);

/* What agentbox-init applies for the container recorded in STATE_DIR
 * (0: it does not run). */
unsigned ab_init_what (const char *state_dir);

/* Put the prefix for WHAT in front of PROC's args, unless they already
 * start with exactly it.  (Only an exact match counts: a bundle whose
 * args start with agentbox-init and other options runs under ours, and
 * then under its own, whose Landlock and seccomp can only narrow.) */
int ab_init_prepend (struct ab_json *proc, unsigned what, ab_error_t *err);

/* Put agentbox-init into STATE_DIR/run (a hard link to a copy kept in
 * CFG's state directory, made once per agentbox-init binary), bind
 * STATE_DIR/run (read-only) into S and prepend the prefix to
 * process.args. */
int ab_init_rewrite (struct ab_spec *s, const struct ab_config *cfg,
                     const char *state_dir, unsigned what,
                     struct ab_harden_report *rep, ab_error_t *err);

#endif
