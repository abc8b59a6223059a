/* agentbox: links, addresses and routes for one container (libnl).
 *
 * The createRuntime hook builds the container's network as a list of
 * steps, each with its undo (bubblewrap's SetupOp list): on failure, what
 * ran is undone in reverse and nothing is left behind.  Teardown is
 * idempotent: what is already gone is not an error. */
#ifndef AB_HOOKS_NETNS_H
#define AB_HOOKS_NETNS_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "lib/error.h"

struct ab_netplan
{
  const char *container_netns; /* path: /proc/PID/ns/net */
  const char *proxy_netns;     /* path: STATE/netns/proxy (bind mount) */
  char peer_if[IFNAMSIZ];      /* the peer's name in the proxy netns */
  /* /31: the container gets CT4, the peer PEER4 (the other address of the
   * pair); /127 likewise for IPv6. */
  struct in_addr ct4, peer4;
  struct in6_addr ct6, peer6;
  bool ipv6;    /* false: no IPv6 address or route */
  unsigned mtu; /* 0: the kernel's default */
};

/* Is PATH a namespace file (a live netns, or a bind mount of one)?  A
 * mount point left behind by umount is a plain file: false. */
bool ab_net_is_nsfs (const char *path);

/* In the container netns: `lo` up, `eth0` (the veth end) with CT4/31 and
 * CT6/127 (nodad), up, default routes via PEER4 / PEER6.  In the proxy
 * netns: PEER_IF with PEER4/31 and PEER6/127 (nodad), up.  The pair is
 * created in the caller's netns under temporary names and moved; a name
 * clash in either netns is an error (EEXIST), not a takeover. */
int ab_net_setup (const struct ab_netplan *p, ab_error_t *err);

/* Delete PEER_IF in the proxy netns (its container end goes with it).
 * ENOENT (already gone, or the netns is gone) is success. */
int ab_net_teardown (const char *proxy_netns, const char *peer_if,
                     ab_error_t *err);

/* The guardian's side, run once inside the proxy netns (the caller's
 * current netns): `lo` up; local routes ("AnyIP": `ip route add local
 * RANGE dev lo`) for the synthetic ranges so that one listener per port
 * accepts every synthetic address; existing identical routes are fine. */
int ab_net_proxy_routes (const struct in_addr *syn4, unsigned len4,
                         const struct in6_addr *syn6, unsigned len6,
                         ab_error_t *err);

#endif
