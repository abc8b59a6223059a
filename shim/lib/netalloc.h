/* agentbox: one address pair per container, collision-free under
 * concurrent creates and persisted across restarts.
 *
 * Slot N of the container range is the /31 at range + 2N (the container
 * takes the even address, its peer in the proxy netns the odd one) and
 * the /127 at range6 + 2N; the peer link is "abpN".  A slot is taken by
 * creating STATE/net/slots/N, holding the container id, under an flock of
 * STATE/net/lock; a slot whose container has no state directory any more
 * (a create killed before it recorded) is taken back.  The container's
 * copy, STATE/containers/ID/net.json, is what the hook, the guardian and
 * delete read. */
#ifndef AB_SHIM_NETALLOC_H
#define AB_SHIM_NETALLOC_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "lib/error.h"
#include "shim/lib/config.h"

struct ab_netaddr
{
  unsigned slot;
  char peer_if[IFNAMSIZ];
  struct in_addr ct4, peer4;
  struct in6_addr ct6, peer6;
  bool ipv6;
};

/* The addresses of SLOT under NET (no allocation). */
int ab_netaddr_of_slot (const struct ab_netconf *net, unsigned slot,
                        struct ab_netaddr *out, ab_error_t *err);

/* Take the lowest free slot for ID and fill OUT. */
int ab_netalloc_take (const struct ab_config *cfg, const char *id,
                      struct ab_netaddr *out, ab_error_t *err);
/* Give SLOT back if ID holds it (a slot taken again by another container
 * is left alone).  A missing slot is success. */
int ab_netalloc_release (const struct ab_config *cfg, unsigned slot,
                         const char *id, ab_error_t *err);

/* net.json in the container's state directory DIR. */
int ab_netaddr_write (const char *dir, const struct ab_netaddr *a,
                      ab_error_t *err);
/* 0 and OUT filled; ENOENT when there is none (network off for it). */
int ab_netaddr_read (const char *dir, struct ab_netaddr *out, ab_error_t *err);

/* "a.b.c.d" / IPv6 text of A's fields, in static-free buffers. */
#define AB_ADDRSTRLEN 46

#endif
