/* agentbox: the file guard's dispatcher (bpf/fg-dispatch.bpf.c), one per
 * host: global BPF LSM programs on the hooks past the kernel's ten
 * lsm_cgroup slots (rmdir, symlink, chmod, chown) that tail-call the
 * guarded container's own programs.  Pinned under
 * /sys/fs/bpf/agentbox/@fg-dispatch ('@' is in no container id), loaded
 * by the first guard that needs it, and left in place: with no
 * container registered it allows everything for a few lookups. */
#ifndef AB_HOOKS_FG_DISPATCH_H
#define AB_HOOKS_FG_DISPATCH_H

#include <stdint.h>

#include "lib/error.h"

#define AB_FGD_PIN_DIR "/sys/fs/bpf/agentbox/@fg-dispatch"

/* The container's programs, one per dispatched hook (file descriptors
 * of loaded, unattached BPF_LSM_MAC programs). */
struct ab_fgd_progs
{
  int rmdir, symlink, chmod, chown;
};

/* Register the cgroup CGROUP_ID with PROGS: load and pin the dispatcher
 * if it is not there, take a free slot (*SLOT), fill the prog arrays,
 * then map the cgroup to the slot.  All or nothing. */
int ab_fgd_add (const struct ab_fgd_progs *progs, uint64_t cgroup_id,
                uint32_t *slot, ab_error_t *err);

/* Unregister CGROUP_ID from SLOT: the cgroup first, then the programs.
 * Missing is success. */
int ab_fgd_remove (uint64_t cgroup_id, uint32_t slot, ab_error_t *err);

#endif
