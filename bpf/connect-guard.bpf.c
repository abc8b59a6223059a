// SPDX-License-Identifier: GPL-2.0
/* agentbox: the connect guard.  On the container's cgroup, connect() and
 * sendto()/sendmsg() with an address may reach only the peer, the
 * synthetic ranges and loopback; anything else gets EPERM (return 0).
 * User space sets the rodata below before load (hooks/lib/connect-guard.c).
 * All addresses are in network byte order. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ALLOW 1
#define DENY 0

const volatile __u32 peer4;
const volatile __u32 peer6[4];
const volatile __u32 syn4;
const volatile __u32 syn4_mask; /* 0: no range */
const volatile __u32 syn6[4];
const volatile __u32 syn6_len; /* 0: no range */

static __always_inline bool allowed4(__u32 ip)
{
	if ((ip & bpf_htonl(0xff000000)) == bpf_htonl(0x7f000000))
		return true;
	if (ip == peer4)
		return true;
	/* A zero mask means no range: fail closed, never "everything". */
	return syn4_mask != 0 && (ip & syn4_mask) == syn4;
}

/* The mask of 32-bit word I of a /syn6_len prefix. */
static __always_inline __u32 syn6_mask(int i)
{
	int bits = (int)syn6_len - 32 * i;

	if (bits <= 0)
		return 0;
	if (bits >= 32)
		return ~0U;
	return bpf_htonl(~0U << (32 - bits));
}

static __always_inline bool in_syn6(const __u32 ip[4])
{
	/* A zero length means no range: fail closed, never "everything". */
	if (syn6_len == 0)
		return false;
	for (int i = 0; i < 4; i++)
		if ((ip[i] & syn6_mask(i)) != (syn6[i] & syn6_mask(i)))
			return false;
	return true;
}

static __always_inline bool allowed6(const __u32 ip[4])
{
	if (ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] == bpf_htonl(1))
		return true;
	/* A v6 socket reaches v4 through ::ffff:a.b.c.d, and for TCP the
	 * kernel then skips the connect4 hook: judge the v4 address here. */
	if (ip[0] == 0 && ip[1] == 0 && ip[2] == bpf_htonl(0xffff))
		return allowed4(ip[3]);
	if (ip[0] == peer6[0] && ip[1] == peer6[1] && ip[2] == peer6[2] &&
	    ip[3] == peer6[3])
		return true;
	return in_syn6(ip);
}

/* The context allows only 4-byte loads of user_ip6[i], one at a time. */
static __always_inline int check6(struct bpf_sock_addr *ctx)
{
	__u32 ip[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
		       ctx->user_ip6[3]};

	return allowed6(ip) ? ALLOW : DENY;
}

SEC("cgroup/connect4")
int ab_connect4(struct bpf_sock_addr *ctx)
{
	return allowed4(ctx->user_ip4) ? ALLOW : DENY;
}

SEC("cgroup/sendmsg4")
int ab_sendmsg4(struct bpf_sock_addr *ctx)
{
	return allowed4(ctx->user_ip4) ? ALLOW : DENY;
}

SEC("cgroup/connect6")
int ab_connect6(struct bpf_sock_addr *ctx)
{
	return check6(ctx);
}

SEC("cgroup/sendmsg6")
int ab_sendmsg6(struct bpf_sock_addr *ctx)
{
	return check6(ctx);
}

char LICENSE[] SEC("license") = "GPL";
