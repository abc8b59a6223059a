/* agentbox: a container's network, brought up by the createRuntime hook
 * and taken down by the poststop hook and by delete.
 *
 * Up is a list of steps, each with its undo (STYLE.md): veth pair and
 * addresses, connect guard on the container's cgroup, registration with
 * the guardian.  If a step fails, the ones that ran are undone in reverse
 * and the error names the step.  Down is idempotent and best effort: it
 * tries every step even when one fails, and reports the first failure. */
#ifndef AB_HOOKS_CONTAINER_H
#define AB_HOOKS_CONTAINER_H

#include <sys/types.h>

#include "lib/error.h"
#include "policy/ir.h"
#include "shim/lib/config.h"

/* STATE_DIR/netns/proxy: the guardian's network namespace (a bind
 * mount of its nsfs file). */
int ab_proxy_netns_path (const struct ab_config *cfg, char **out,
                         ab_error_t *err);
/* /sys/fs/bpf/agentbox/ID */
int ab_guard_pin_dir (const char *id, char **out, ab_error_t *err);

/* Set up the network of container ID, whose init is PID.  A container
 * without net.json (network off, or a pod container joining its
 * sandbox's namespace) needs nothing: 0. */
int ab_container_net_up (const struct ab_config *cfg, const char *id, pid_t pid,
                         ab_error_t *err);
/* Undo all of it; the address slot is given back last. */
int ab_container_net_down (const struct ab_config *cfg, const char *id,
                           ab_error_t *err);

/* create's share of the file guard: plan IR's rules for ID (PROJECT may
 * be NULL), narrowed by NARROW (NULL: none) which the annotation names
 * NARROW_NAME, and record in STATE_DIR what the hook needs (ROOTFS).
 * 1: the container gets a file guard; 0: no policy has file rules. */
int ab_fileguard_prepare (const struct ab_ir *ir, const struct ab_ir *narrow,
                          const char *narrow_name, const char *id,
                          const char *project, const char *state_dir,
                          const char *rootfs, ab_error_t *err);

/* Attach the file guard (hooks/lib/file-guard.h) of container ID, whose
 * init is PID, when create chose it (STATE/fileguard); else 0. */
int ab_container_fg_up (const struct ab_config *cfg, const char *id, pid_t pid,
                        ab_error_t *err);
/* Unpin it; missing is success. */
int ab_container_fg_down (const char *id, ab_error_t *err);

/* Everything the hook set up: file guard, then network.  Idempotent. */
int ab_container_down (const struct ab_config *cfg, const char *id,
                       ab_error_t *err);

#endif
