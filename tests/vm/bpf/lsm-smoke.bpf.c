// SPDX-License-Identifier: GPL-2.0
/* agentbox VM test: the smallest BPF LSM program that proves the hook
 * works in the VM's kernel.  It counts file_open calls of one process and,
 * while user space sets deny, fails them with EPERM.  No vmlinux.h: the
 * hook's argument is never read, so struct file stays opaque. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EPERM 1

struct file;

const volatile __u32 target_tgid; /* set before load */
__u32 deny;			  /* flipped by user space while attached */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ab_smoke_opens SEC(".maps");

SEC("lsm/file_open")
int BPF_PROG(ab_smoke_file_open, struct file *file)
{
	__u32 key = 0;
	__u64 *n;

	/* Other processes are never touched: the test must not break the VM. */
	if (bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
	n = bpf_map_lookup_elem(&ab_smoke_opens, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return deny ? -EPERM : 0;
}

char LICENSE[] SEC("license") = "GPL";
