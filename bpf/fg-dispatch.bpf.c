// SPDX-License-Identifier: GPL-2.0
/* agentbox: the file guard's dispatcher.  One per host: plain BPF LSM
 * programs (BPF_LSM_MAC), attached globally, hook by hook as guards need
 * them.  A task in a guarded container (its cgroup or an ancestor in
 * `fg_cgroups`, or `fg_global` for the ten lsm_cgroup hooks) is handed, by tail call, to that container's own program
 * for the hook (bpf/file-guard.bpf.c: ab_fg_x_*, or ab_fg_g_* for a
 * container in global mode), which decides with the container's maps.
 * Everyone else passes at the cost of a few lookups.  One prog array per
 * hook: a tail call stays within one hook. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/file-guard.h"

/* How deep below the root a container's cgroup may sit. */
#define AB_FGD_MAX_LEVEL 16

/* Guarded cgroups: every guard is in fg_cgroups (the four hooks past
 * the lsm_cgroup ones); guards in global mode in fg_global too (the ten
 * others), so a guard on its cgroup is not dispatched those. */
#define CGROUP_MAP(name)                                                       \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_HASH);                               \
		__uint(max_entries, AB_FGD_SLOTS);                             \
		__type(key, __u64);   /* cgroup id */                          \
		__type(value, __u32); /* slot in the prog arrays */            \
	} name SEC(".maps")

CGROUP_MAP(fg_cgroups);
CGROUP_MAP(fg_global);

static __always_inline __u32 *container_slot(void *cgroups)
{
	__u64 id = bpf_get_current_cgroup_id();
	__u32 *slot = bpf_map_lookup_elem(cgroups, &id);
	int level;

	if (slot)
		return slot;
	/* The task's depth, then the innermost guarded ancestor. */
	for (level = 1; level <= AB_FGD_MAX_LEVEL; level++)
		if (!bpf_get_current_ancestor_cgroup_id(level))
			break;
	for (level--; !slot && level > 0; level--) {
		id = bpf_get_current_ancestor_cgroup_id(level);
		slot = bpf_map_lookup_elem(cgroups, &id);
	}
	return slot;
}

/* A container is in CGROUPS only while its programs are in the arrays
 * (user space adds it last and removes it first), so a tail call that
 * falls through is a race with that: deny. */
#define DISPATCHER(name, hook, cgroups)                                        \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_PROG_ARRAY);                         \
		__uint(max_entries, AB_FGD_SLOTS);                             \
		__type(key, __u32);                                            \
		__type(value, __u32);                                          \
	} tail_##name SEC(".maps");                                            \
                                                                               \
	SEC("lsm/" #hook)                                                      \
	int BPF_PROG(ab_fgd_##name)                                            \
	{                                                                      \
		__u32 *slot = container_slot(&cgroups);                        \
                                                                               \
		if (!slot)                                                     \
			return 0;                                              \
		bpf_tail_call(ctx, &tail_##name, *slot);                       \
		return -1; /* -EPERM */                                        \
	}

/* In enum ab_fgd_hook order. */
DISPATCHER(file_open, file_open, fg_global)
DISPATCHER(exec, bprm_check_security, fg_global)
DISPATCHER(mmap, mmap_file, fg_global)
DISPATCHER(truncate, path_truncate, fg_global)
DISPATCHER(mknod, path_mknod, fg_global)
DISPATCHER(mkdir, path_mkdir, fg_global)
DISPATCHER(unlink, path_unlink, fg_global)
DISPATCHER(link, path_link, fg_global)
DISPATCHER(rename, path_rename, fg_global)
DISPATCHER(unix_connect, unix_stream_connect, fg_global)
DISPATCHER(rmdir, path_rmdir, fg_cgroups)
DISPATCHER(symlink, path_symlink, fg_cgroups)
DISPATCHER(chmod, path_chmod, fg_cgroups)
DISPATCHER(chown, path_chown, fg_cgroups)

char LICENSE[] SEC("license") = "GPL";
