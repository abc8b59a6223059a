// SPDX-License-Identifier: GPL-2.0
/* agentbox VM bench: the floor under the file guard's cost.  An
 * lsm_cgroup/file_open program that allows at once, attached to a
 * container's cgroup as the file guard's is: what the kernel's
 * BPF_LSM_CGROUP path alone costs an open, with no walk and no lookup. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct file;

SEC("lsm_cgroup/file_open")
int BPF_PROG(ab_floor_file_open, struct file *file)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
