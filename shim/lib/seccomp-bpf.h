/* agentbox: agentbox's own seccomp profile, compiled once and installed
 * by agentbox-init (docs/hardening.md, "Seccomp").
 *
 * runc compiles linux.seccomp with libseccomp on every start: for
 * agentbox's 360-name allowlist that is 6–8 ms of each container start on
 * these machines.  When the profile is agentbox's (the bundle had none),
 * the shim compiles it here instead, keeps the result in a cache under
 * the state directory, and writes it to STATE/containers/ID/run/seccomp.bpf
 * (the container's /run/agentbox/seccomp.bpf); the bundle gets no
 * linux.seccomp.  agentbox-init installs the filter as the last step
 * before it execs the container's process, and before every exec'd one.
 *
 * The cache is keyed by what the profile is made from (this build,
 * libseccomp's version, the host's architecture, the deny list), so a
 * start that finds it builds no profile at all: that took 0.36 ms of
 * each start, and looking the profile's text up another 0.1 ms.
 *
 * The filter is what runc would install for the same profile: one
 * libseccomp filter, with runc's ENOSYS rule in front (a syscall newer
 * than any the profile names fails with ENOSYS, so libc falls back to an
 * older one), and libseccomp's binary-tree layout, which runc does not
 * ask for (a syscall costs O(log n) comparisons, not O(n)). */
#ifndef AB_SHIM_SECCOMP_BPF_H
#define AB_SHIM_SECCOMP_BPF_H

#include <stddef.h>

#include "lib/error.h"
#include "shim/lib/config.h"
#include "shim/lib/harden.h"
#include "spec/spec.h"

/* Where agentbox-init finds the filter, in the container and in STATE. */
#define AB_SECCOMP_PATH "/run/agentbox/seccomp.bpf"
#define AB_SECCOMP_FILE "seccomp.bpf"

/* Compile the OCI seccomp object PROFILE into a classic BPF program
 * (struct sock_filter[], *LEN bytes).  0: done; 1: PROFILE uses what
 * only the runtime can do (a notify listener, flags, tracing), so it is
 * left to the runtime; -1: error. */
int ab_seccomp_compile (const struct ab_json *profile, unsigned char **bpf,
                        size_t *len, ab_error_t *err);

/* agentbox's allowlist profile for S, which has none, as agentbox-init's
 * filter: from the cache, or built, compiled and cached; written to
 * STATE_DIR/run/seccomp.bpf.  1: written; 0: not agentbox-init's to
 * install (S has no process, or the profile is one only the runtime can
 * load): the caller gives S the profile (ab_harden_seccomp_default);
 * -1: error. */
int ab_seccomp_default_to_init (struct ab_spec *s, const struct ab_config *cfg,
                                const char *state_dir,
                                struct ab_harden_report *rep, ab_error_t *err);

#endif
