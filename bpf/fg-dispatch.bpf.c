// SPDX-License-Identifier: GPL-2.0
/* agentbox: the file guard's dispatcher.  One set per host, attached
 * globally (BPF_LSM_MAC) to the hooks past the kernel's ten lsm_cgroup
 * slots: rmdir, symlink, chmod, chown.  A task in a guarded container
 * (its cgroup or an ancestor in `fg_cgroups`) is handed, by tail call,
 * to that container's own program (bpf/file-guard.bpf.c, ab_fg_x_*),
 * which decides with the container's maps.  Everyone else passes at
 * the cost of a few lookups.  One prog array per hook: a tail call
 * stays within one hook. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/file-guard.h"

/* How deep below the root a container's cgroup may sit. */
#define AB_FGD_MAX_LEVEL 16

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AB_FGD_SLOTS);
	__type(key, __u64);   /* cgroup id */
	__type(value, __u32); /* slot in the prog arrays */
} fg_cgroups SEC(".maps");

#define TAIL_ARRAY(name)                                                       \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_PROG_ARRAY);                         \
		__uint(max_entries, AB_FGD_SLOTS);                             \
		__type(key, __u32);                                            \
		__type(value, __u32);                                          \
	} name SEC(".maps")

TAIL_ARRAY(tail_rmdir);
TAIL_ARRAY(tail_symlink);
TAIL_ARRAY(tail_chmod);
TAIL_ARRAY(tail_chown);

static __always_inline __u32 *container_slot(void)
{
	__u64 id = bpf_get_current_cgroup_id();
	__u32 *slot = bpf_map_lookup_elem(&fg_cgroups, &id);

	/* The innermost guarded cgroup holding the task. */
	for (int level = AB_FGD_MAX_LEVEL; !slot && level > 0; level--) {
		id = bpf_get_current_ancestor_cgroup_id(level);
		if (id)
			slot = bpf_map_lookup_elem(&fg_cgroups, &id);
	}
	return slot;
}

/* A container is in fg_cgroups only while its programs are in the
 * arrays (user space adds it last and removes it first), so a tail call
 * that falls through is a race with that: deny. */
#define DISPATCH(array)                                                        \
	do {                                                                   \
		__u32 *slot = container_slot();                                \
                                                                               \
		if (!slot)                                                     \
			return 0;                                              \
		bpf_tail_call(ctx, &array, *slot);                             \
		return -1; /* -EPERM */                                        \
	} while (0)

SEC("lsm/path_rmdir")
int BPF_PROG(ab_fgd_rmdir)
{
	DISPATCH(tail_rmdir);
}

SEC("lsm/path_symlink")
int BPF_PROG(ab_fgd_symlink)
{
	DISPATCH(tail_symlink);
}

SEC("lsm/path_chmod")
int BPF_PROG(ab_fgd_chmod)
{
	DISPATCH(tail_chmod);
}

SEC("lsm/path_chown")
int BPF_PROG(ab_fgd_chown)
{
	DISPATCH(tail_chown);
}

char LICENSE[] SEC("license") = "GPL";
