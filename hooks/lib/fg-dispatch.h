/* agentbox: the file guard's dispatcher (bpf/fg-dispatch.bpf.c), one per
 * host: plain BPF LSM programs, attached globally hook by hook as guards
 * need them, that tail-call the guarded container's own program.  It
 * serves the four hooks past the kernel's ten lsm_cgroup ones (rmdir,
 * symlink, chmod, chown) for every guard, and all fourteen for guards in
 * global mode (no BPF_LSM_CGROUP).  Pinned under
 * /sys/fs/bpf/agentbox/@fg-dispatch ('@' is in no container id) and left
 * in place: with no container registered it allows everything for a few
 * lookups. */
#ifndef AB_HOOKS_FG_DISPATCH_H
#define AB_HOOKS_FG_DISPATCH_H

#include <stdint.h>

#include "bpf/file-guard.h"
#include "lib/error.h"

#define AB_FGD_PIN_DIR "/sys/fs/bpf/agentbox/@fg-dispatch"

/* A container's programs by enum ab_fgd_hook: file descriptors of loaded,
 * unattached BPF_LSM_MAC programs, -1 for a hook not dispatched to it. */
struct ab_fgd_progs
{
  int fd[AB_FGD_N_HOOKS];
};

/* The hook's name in the dispatcher's pins and programs ("file_open"). */
const char *ab_fgd_hook_name (enum ab_fgd_hook h);

/* Register the cgroup CGROUP_ID with PROGS: load, attach and pin what the
 * dispatcher lacks for those hooks, take a free slot (*SLOT), fill the
 * prog arrays, then map the cgroup to the slot.  All or nothing. */
int ab_fgd_add (const struct ab_fgd_progs *progs, uint64_t cgroup_id,
                uint32_t *slot, ab_error_t *err);

/* Unregister CGROUP_ID from SLOT: the cgroup first, then its programs.
 * Missing is success. */
int ab_fgd_remove (uint64_t cgroup_id, uint32_t slot, ab_error_t *err);

#endif
