/* agentbox: links, addresses and routes for one container (libnl).
 *
 * A netlink socket acts in the netns it was created in, so setup opens one
 * socket per netns first (setns there, connect, setns straight back) and
 * the thread never leaves its own netns afterwards: every step only picks
 * a socket.  Setup is a table of typed steps walked by run_steps(); on
 * failure the undos of the steps that ran are called newest first. */
#include "hooks/lib/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/vfs.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "lib/cleanup.h"

#define CT_IFNAME "eth0"

/* ---- libnl boundary: cleanups and the one error converter -------------- */

static inline void
nl_sock_freep (struct nl_sock **sk)
{
  if (*sk)
    nl_socket_free (*sk);
}

static inline void
rtnl_link_putp (struct rtnl_link **l)
{
  if (*l)
    rtnl_link_put (*l);
}

static inline void
rtnl_addr_putp (struct rtnl_addr **a)
{
  if (*a)
    rtnl_addr_put (*a);
}

static inline void
rtnl_route_putp (struct rtnl_route **r)
{
  if (*r)
    rtnl_route_put (*r);
}

static inline void
nl_addr_putp (struct nl_addr **a)
{
  if (*a)
    nl_addr_put (*a);
}

#define cleanup_nl_sock __attribute__ ((cleanup (nl_sock_freep)))
#define cleanup_link __attribute__ ((cleanup (rtnl_link_putp)))
#define cleanup_rtaddr __attribute__ ((cleanup (rtnl_addr_putp)))
#define cleanup_route __attribute__ ((cleanup (rtnl_route_putp)))
#define cleanup_nladdr __attribute__ ((cleanup (nl_addr_putp)))

static int
nl_status (int nlerr)
{
  switch (nlerr < 0 ? -nlerr : nlerr)
    {
    case NLE_EXIST:
      return EEXIST;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
      return ENOENT;
    case NLE_NOMEM:
      return ENOMEM;
    case NLE_PERM:
      return EPERM;
    case NLE_NOACCESS:
      return EACCES;
    case NLE_BUSY:
      return EBUSY;
    case NLE_AGAIN:
      return EAGAIN;
    case NLE_INTR:
      return EINTR;
    case NLE_INVAL:
    case NLE_MISSING_ATTR:
      return EINVAL;
    case NLE_RANGE:
      return ERANGE;
    case NLE_OPNOTSUPP:
      return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT:
      return EAFNOSUPPORT;
    case NLE_NOADDR:
      return EADDRNOTAVAIL;
    case NLE_BAD_SOCK:
      return EBADF;
    case NLE_MSGSIZE:
      return EMSGSIZE;
    default:
      return EIO;
    }
}

/* Fill *ERR from a negative NLE_* code: "what: libnl's message". */
static int __attribute__ ((format (printf, 3, 4)))
nl_fail (ab_error_t *err, int nlerr, const char *fmt, ...)
{
  cleanup_free char *what = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&what, fmt, ap) < 0)
    what = NULL;
  va_end (ap);
  return ab_error_set (err, nl_status (nlerr), "%s: %s",
                       what ? what : "netlink", nl_geterror (nlerr));
}

static bool
nl_absent (int nlerr)
{
  return nlerr == -NLE_OBJ_NOTFOUND || nlerr == -NLE_NODEV;
}

/* ---- sockets bound to a netns ------------------------------------------ */

static int
open_self_netns (ab_error_t *err)
{
  /* setns() moves the calling thread only: thread-self, not self. */
  int fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return ab_error_errno (err, "open /proc/thread-self/ns/net");
  return fd;
}

/* A socket connected in the netns NSFD (-1: the current one).  The thread
 * is back in SELFFD before this returns, on every path; if even that
 * setns fails the thread is lost in NSFD and the error says so. */
static int
sock_in (int nsfd, int selffd, struct nl_sock **out, ab_error_t *err)
{
  cleanup_nl_sock struct nl_sock *sk = nl_socket_alloc ();
  int rc;

  if (sk == NULL)
    return ab_error_set (err, ENOMEM, "netlink socket: out of memory");
  if (nsfd >= 0 && setns (nsfd, CLONE_NEWNET) < 0)
    return ab_error_errno (err, "enter netns");
  rc = nl_connect (sk, NETLINK_ROUTE);
  if (nsfd >= 0 && setns (selffd, CLONE_NEWNET) < 0)
    return ab_error_errno (err, "return to the caller's netns");
  if (rc < 0)
    return nl_fail (err, rc, "netlink connect");
  *out = steal_pointer (&sk);
  return 0;
}

/* ---- link, address and route primitives -------------------------------- */

static int
link_get (struct nl_sock *sk, const char *name, struct rtnl_link **out,
          ab_error_t *err)
{
  int rc = rtnl_link_get_kernel (sk, 0, name, out);

  if (rc < 0)
    return nl_fail (err, rc, "look up %s", name);
  return 0;
}

static int
link_index (struct nl_sock *sk, const char *name, int *ifindex, ab_error_t *err)
{
  cleanup_link struct rtnl_link *l = NULL;

  if (link_get (sk, name, &l, err) < 0)
    return -1;
  *ifindex = rtnl_link_get_ifindex (l);
  return 0;
}

/* Apply CHANGES to the link NAME; SUFFIX ends the error context. */
static int
link_change (struct nl_sock *sk, const char *name, struct rtnl_link *changes,
             const char *suffix, ab_error_t *err)
{
  cleanup_link struct rtnl_link *orig = NULL;
  int rc;

  if (link_get (sk, name, &orig, err) < 0)
    return -1;
  rc = rtnl_link_change (sk, orig, changes, 0);
  if (rc < 0)
    return nl_fail (err, rc, "%s%s", name, suffix);
  return 0;
}

static int
link_up (struct nl_sock *sk, const char *name, ab_error_t *err)
{
  cleanup_link struct rtnl_link *ch = rtnl_link_alloc ();

  if (ch == NULL)
    return ab_error_set (err, ENOMEM, "%s: out of memory", name);
  rtnl_link_set_flags (ch, IFF_UP);
  return link_change (sk, name, ch, "", err);
}

/* Deleting a link that is not there is success: 1 if it was there. */
static int
link_delete (struct nl_sock *sk, const char *name, ab_error_t *err)
{
  cleanup_link struct rtnl_link *l = rtnl_link_alloc ();
  int rc;

  if (l == NULL)
    return ab_error_set (err, ENOMEM, "delete %s: out of memory", name);
  rtnl_link_set_name (l, name);
  rc = rtnl_link_delete (sk, l);
  if (nl_absent (rc))
    return 0;
  if (rc < 0)
    return nl_fail (err, rc, "delete %s", name);
  return 1;
}

static int
ip_addr (int family, const void *ip, unsigned plen, struct nl_addr **out,
         ab_error_t *err)
{
  struct nl_addr *a = nl_addr_build (family, ip, family == AF_INET ? 4 : 16);

  if (a == NULL)
    return ab_error_set (err, ENOMEM, "address: out of memory");
  nl_addr_set_prefixlen (a, plen);
  *out = a;
  return 0;
}

static const char *
ip_str (int family, const void *ip, char buf[static INET6_ADDRSTRLEN])
{
  return inet_ntop (family, ip, buf, INET6_ADDRSTRLEN) ? buf : "?";
}

/* A route to DST via IFINDEX (and GW when not NULL). */
static struct rtnl_route *
route_new (int family, uint8_t type, uint32_t table, uint8_t scope,
           struct nl_addr *dst, int ifindex, struct nl_addr *gw)
{
  cleanup_route struct rtnl_route *r = rtnl_route_alloc ();
  struct rtnl_nexthop *nh = rtnl_route_nh_alloc ();

  if (r == NULL || nh == NULL || rtnl_route_set_family (r, family) < 0
      || rtnl_route_set_type (r, type) < 0 || rtnl_route_set_dst (r, dst) < 0)
    {
      if (nh)
        rtnl_route_nh_free (nh);
      return NULL;
    }
  rtnl_route_set_table (r, table);
  rtnl_route_set_scope (r, scope);
  rtnl_route_set_protocol (r, RTPROT_BOOT);
  rtnl_route_nh_set_ifindex (nh, ifindex);
  if (gw)
    rtnl_route_nh_set_gateway (nh, gw);
  rtnl_route_add_nexthop (r, nh);
  return steal_pointer (&r);
}

/* ---- setup: the steps ---------------------------------------------------- */

enum side
{
  SIDE_SELF,
  SIDE_CT,
  SIDE_PX,
  N_SIDES
};

enum end_id
{
  END_CT,
  END_PX
};

/* Where one end of the pair is now: its netns and name. */
struct end
{
  enum side side;
  char name[IFNAMSIZ];
};

struct netctx
{
  const struct ab_netplan *p;
  int fd[N_SIDES]; /* fd[SIDE_SELF]: where the thread returns */
  struct nl_sock *sk[N_SIDES];
  struct end end[2];
};

static void
ctx_close (struct netctx *c)
{
  for (int i = 0; i < N_SIDES; i++)
    {
      nl_sock_freep (&c->sk[i]);
      ab_closep (&c->fd[i]);
    }
}
#define cleanup_ctx __attribute__ ((cleanup (ctx_close)))

static enum side
end_side (enum end_id e)
{
  return e == END_CT ? SIDE_CT : SIDE_PX;
}

static const char *
end_final_name (const struct netctx *c, enum end_id e)
{
  return e == END_CT ? CT_IFNAME : c->p->peer_if;
}

enum step_kind
{
  STEP_VETH,
  STEP_RENAME,
  STEP_UP,
  STEP_ADDR,
  STEP_ROUTE
};

struct step
{
  enum step_kind kind;
  enum end_id end;
  int family; /* STEP_ADDR, STEP_ROUTE; AF_INET6 steps need p->ipv6 */
  bool lo;    /* STEP_UP: the netns's lo rather than the pair's end */
};

static int
veth_run (struct netctx *c, const struct step *s, ab_error_t *err)
{
  cleanup_link struct rtnl_link *l = rtnl_link_veth_alloc ();
  struct rtnl_link *ct;
  uint32_t r;
  int rc;

  if (l == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (getrandom (&r, sizeof r, 0) != sizeof r)
    return ab_error_errno (err, "getrandom");
  /* The pair is made by the proxy netns's socket: its end there is
   * already named PEER_IF, and the container end is born in the
   * container's netns (VETH_INFO_PEER's IFLA_NET_NS_FD) under a random
   * temporary name.  Moving an existing link between netns waits for the
   * network's RCU grace period: 17 ms of every start here.  Whatever
   * kills the setup after this, deleting PEER_IF in the proxy netns
   * removes both ends, so teardown by name always finds it. */
  c->end[END_PX].side = SIDE_PX;
  snprintf (c->end[END_PX].name, IFNAMSIZ, "%s", c->p->peer_if);
  c->end[END_CT].side = SIDE_CT;
  snprintf (c->end[END_CT].name, IFNAMSIZ, "abtmp%08x", r);
  ct = rtnl_link_veth_get_peer (l);
  rtnl_link_set_name (l, c->end[END_PX].name);
  rtnl_link_set_name (ct, c->end[END_CT].name);
  rtnl_link_set_ns_fd (ct, c->fd[SIDE_CT]);
  if (c->p->mtu)
    {
      rtnl_link_set_mtu (l, c->p->mtu);
      rtnl_link_set_mtu (ct, c->p->mtu);
    }
  rtnl_link_put (ct);
  rc = rtnl_link_add (c->sk[SIDE_PX], l, NLM_F_CREATE | NLM_F_EXCL);
  if (rc < 0)
    return nl_fail (err, rc, "%s in the proxy netns", c->p->peer_if);
  return 0;
}

/* Deleting either end removes both: delete the proxy end, where the pair
 * was made.  Best effort: the error the caller sees is the one that made
 * us undo. */
static void
veth_undo (struct netctx *c, const struct step *s)
{
  const struct end *e = &c->end[END_PX];
  cleanup_error ab_error_t ignored = NULL;

  link_delete (c->sk[e->side], e->name, &ignored);
}

/* The container end was born under a temporary name, so that making the
 * pair cannot clash with a link the container's netns already has; the
 * rename is the step that may. */
static int
rename_run (struct netctx *c, const struct step *s, ab_error_t *err)
{
  struct end *e = &c->end[s->end];
  const char *name = end_final_name (c, s->end);
  cleanup_link struct rtnl_link *ch = rtnl_link_alloc ();
  char suffix[IFNAMSIZ + 8];

  if (ch == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  rtnl_link_set_name (ch, name);
  snprintf (suffix, sizeof suffix, " -> %s", name);
  /* A clash is EEXIST, never a takeover of the existing link. */
  if (link_change (c->sk[e->side], e->name, ch, suffix, err) < 0)
    return -1;
  snprintf (e->name, IFNAMSIZ, "%s", name);
  return 0;
}

static int
up_run (struct netctx *c, const struct step *s, ab_error_t *err)
{
  const struct end *e = &c->end[s->end];

  if (s->lo)
    return link_up (c->sk[end_side (s->end)], "lo", err);
  return link_up (c->sk[e->side], e->name, err);
}

/* The end's own address: CT4/CT6 in the container, PEER4/PEER6 across. */
static const void *
end_ip (const struct netctx *c, enum end_id e, int family)
{
  const struct ab_netplan *p = c->p;

  if (family == AF_INET)
    return e == END_CT ? (const void *)&p->ct4 : (const void *)&p->peer4;
  return e == END_CT ? (const void *)&p->ct6 : (const void *)&p->peer6;
}

/* Engines may have turned IPv6 off in the namespace before the hook
 * runs (Docker's prestart hook writes disable_ipv6=1); agentbox's
 * addresses need it on.  /proc/sys/net follows the opener's netns. */
static int
ct_enable_ipv6 (struct netctx *c, const char *ifname, ab_error_t *err)
{
  const char *const names[] = { "all", "default", ifname };
  int r = 0;

  if (setns (c->fd[SIDE_CT], CLONE_NEWNET) < 0)
    return ab_error_errno (err, "enter the container's netns");
  for (size_t i = 0; i < 3 && r == 0; i++)
    {
      char path[128];
      int fd;

      snprintf (path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
                names[i]);
      fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT)
        continue; /* no IPv6 in this kernel: the address step says so */
      if (fd < 0 || write (fd, "0", 1) != 1)
        r = ab_error_errno (err, "enable IPv6: %s", path);
      if (fd >= 0)
        close (fd);
    }
  if (setns (c->fd[SIDE_SELF], CLONE_NEWNET) < 0)
    return ab_error_errno (err, "return to the caller's netns");
  return r;
}

static int
addr_run (struct netctx *c, const struct step *s, ab_error_t *err)
{
  const struct end *e = &c->end[s->end];
  const void *ip = end_ip (c, s->end, s->family);
  unsigned plen = s->family == AF_INET ? 31 : 127;
  cleanup_nladdr struct nl_addr *local = NULL;
  cleanup_rtaddr struct rtnl_addr *a = rtnl_addr_alloc ();
  char buf[INET6_ADDRSTRLEN];
  int ifindex, rc;

  if (a == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (s->family == AF_INET6 && s->end == END_CT
      && ct_enable_ipv6 (c, e->name, err) < 0)
    return -1;
  if (ip_addr (s->family, ip, plen, &local, err) < 0)
    return -1;
  if (link_index (c->sk[e->side], e->name, &ifindex, err) < 0)
    return -1;
  rtnl_addr_set_ifindex (a, ifindex);
  rc = rtnl_addr_set_local (a, local);
  rtnl_addr_set_prefixlen (a, plen);
  /* Both ends are ours and the /127 has no third party: DAD would only
   * delay the address (tentative) past the moment the container starts. */
  if (s->family == AF_INET6)
    rtnl_addr_set_flags (a, IFA_F_NODAD);
  if (rc >= 0)
    rc = rtnl_addr_add (c->sk[e->side], a, NLM_F_EXCL);
  if (rc < 0)
    return nl_fail (err, rc, "%s/%u on %s", ip_str (s->family, ip, buf), plen,
                    e->name);
  return 0;
}

static int
route_run (struct netctx *c, const struct step *s, ab_error_t *err)
{
  const struct end *e = &c->end[s->end];
  const void *gwip = end_ip (c, s->end == END_CT ? END_PX : END_CT, s->family);
  cleanup_nladdr struct nl_addr *dst = NULL;
  cleanup_nladdr struct nl_addr *gw = NULL;
  cleanup_route struct rtnl_route *r = NULL;
  char buf[INET6_ADDRSTRLEN];
  int ifindex, rc;

  if (link_index (c->sk[e->side], e->name, &ifindex, err) < 0)
    return -1;
  rc = nl_addr_parse ("default", s->family, &dst);
  if (rc < 0)
    return nl_fail (err, rc, "default route");
  if (ip_addr (s->family, gwip, s->family == AF_INET ? 32 : 128, &gw, err) < 0)
    return -1;
  r = route_new (s->family, RTN_UNICAST, RT_TABLE_MAIN, RT_SCOPE_UNIVERSE, dst,
                 ifindex, gw);
  if (r == NULL)
    return ab_error_set (err, ENOMEM, "default route: out of memory");
  rc = rtnl_route_add (c->sk[e->side], r, NLM_F_EXCL);
  if (rc < 0)
    return nl_fail (err, rc, "default via %s dev %s",
                    ip_str (s->family, gwip, buf), e->name);
  return 0;
}

struct step_ops
{
  const char *what;
  int (*run) (struct netctx *c, const struct step *s, ab_error_t *err);
  /* NULL: nothing to undo beyond what deleting the pair undoes (addresses
   * and routes go with the link; lo up in a netns is harmless). */
  void (*undo) (struct netctx *c, const struct step *s);
};

static const struct step_ops step_ops[] = {
  [STEP_VETH] = { "create veth pair", veth_run, veth_undo },
  [STEP_RENAME] = { "rename", rename_run, NULL },
  [STEP_UP] = { "set link up", up_run, NULL },
  [STEP_ADDR] = { "add address", addr_run, NULL },
  [STEP_ROUTE] = { "add route", route_run, NULL },
};

static const struct step setup_steps[] = {
  { STEP_VETH },
  { STEP_RENAME, END_CT },
  /* The proxy end first, so that the container end comes up with carrier
   * and its default routes go onto a running link. */
  { STEP_ADDR, END_PX, AF_INET },
  { STEP_ADDR, END_PX, AF_INET6 },
  { STEP_UP, END_PX },
  { STEP_UP, END_CT, .lo = true },
  { STEP_ADDR, END_CT, AF_INET },
  { STEP_ADDR, END_CT, AF_INET6 },
  { STEP_UP, END_CT },
  { STEP_ROUTE, END_CT, AF_INET },
  { STEP_ROUTE, END_CT, AF_INET6 },
};

static bool
step_wanted (const struct netctx *c, const struct step *s)
{
  return s->family != AF_INET6 || c->p->ipv6;
}

/* Fail closed: on the first failure undo what ran, newest first, so that
 * nothing half-built is left in any of the three netns. */
static int
run_steps (struct netctx *c, const struct step *steps, size_t n,
           ab_error_t *err)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (step_wanted (c, &steps[i])
        && step_ops[steps[i].kind].run (c, &steps[i], err) < 0)
      break;
  if (i == n)
    return 0;
  ab_error_wrap (err, "%s", step_ops[steps[i].kind].what);
  while (i-- > 0)
    if (step_wanted (c, &steps[i]) && step_ops[steps[i].kind].undo)
      step_ops[steps[i].kind].undo (c, &steps[i]);
  return -1;
}

static int
open_netns (const char *what, const char *path, ab_error_t *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return ab_error_errno (err, "open %s netns %s", what, path);
  return fd;
}

static int
ctx_open (struct netctx *c, ab_error_t *err)
{
  if ((c->fd[SIDE_SELF] = open_self_netns (err)) < 0
      || (c->fd[SIDE_CT] = open_netns ("container", c->p->container_netns, err))
             < 0
      || (c->fd[SIDE_PX] = open_netns ("proxy", c->p->proxy_netns, err)) < 0)
    return -1;
  if (sock_in (-1, -1, &c->sk[SIDE_SELF], err) < 0
      || sock_in (c->fd[SIDE_CT], c->fd[SIDE_SELF], &c->sk[SIDE_CT], err) < 0
      || sock_in (c->fd[SIDE_PX], c->fd[SIDE_SELF], &c->sk[SIDE_PX], err) < 0)
    return -1;
  return 0;
}

static bool
ifname_ok (const char *name)
{
  size_t n = strnlen (name, IFNAMSIZ);

  return n > 0 && n < IFNAMSIZ && strcmp (name, ".") && strcmp (name, "..")
         && strpbrk (name, "/: \t\n") == NULL;
}

int
ab_net_setup (const struct ab_netplan *p, ab_error_t *err)
{
  cleanup_ctx struct netctx c = { .p = p, .fd = { -1, -1, -1 } };

  if (!ifname_ok (p->peer_if))
    return ab_error_set (err, EINVAL, "setup veth: invalid peer name");
  if (ctx_open (&c, err) < 0
      || run_steps (&c, setup_steps, sizeof setup_steps / sizeof setup_steps[0],
                    err)
             < 0)
    return ab_error_wrap (err, "setup veth %s", p->peer_if);
  return 0;
}

/* ---- teardown and the proxy's own routes -------------------------------- */

/* Whether FD is a namespace file: a bind mount's target left behind by
 * umount is a plain file, and its netns is gone. */
static bool
is_nsfs (int fd)
{
  struct statfs st;

  return fstatfs (fd, &st) == 0 && st.f_type == NSFS_MAGIC;
}

bool
ab_net_is_nsfs (const char *path)
{
  struct statfs st;

  return statfs (path, &st) == 0 && st.f_type == NSFS_MAGIC;
}

int
ab_net_teardown (const char *proxy_netns, const char *peer_if, ab_error_t *err)
{
  cleanup_close int px = open (proxy_netns, O_RDONLY | O_CLOEXEC);
  cleanup_close int self = -1;
  cleanup_nl_sock struct nl_sock *sk = NULL;

  if (px < 0 && errno == ENOENT)
    return 0;
  if (px < 0)
    return ab_error_errno (err, "teardown %s: open proxy netns %s", peer_if,
                           proxy_netns);
  if (!is_nsfs (px))
    return 0;
  if ((self = open_self_netns (err)) < 0 || sock_in (px, self, &sk, err) < 0
      || link_delete (sk, peer_if, err) < 0)
    return ab_error_wrap (err, "teardown %s", peer_if);
  return 0;
}

static int
local_route (struct nl_sock *sk, int family, const void *ip, unsigned len,
             int lo, ab_error_t *err)
{
  cleanup_nladdr struct nl_addr *dst = NULL;
  cleanup_route struct rtnl_route *r = NULL;
  char buf[INET6_ADDRSTRLEN];
  int rc;

  if (ip_addr (family, ip, len, &dst, err) < 0)
    return -1;
  r = route_new (family, RTN_LOCAL, RT_TABLE_LOCAL, RT_SCOPE_HOST, dst, lo,
                 NULL);
  if (r == NULL)
    return ab_error_set (err, ENOMEM, "local route: out of memory");
  rc = rtnl_route_add (sk, r, 0);
  if (rc < 0 && rc != -NLE_EXIST)
    return nl_fail (err, rc, "local %s/%u dev lo", ip_str (family, ip, buf),
                    len);
  return 0;
}

int
ab_net_proxy_routes (const struct in_addr *syn4, unsigned len4,
                     const struct in6_addr *syn6, unsigned len6,
                     ab_error_t *err)
{
  cleanup_nl_sock struct nl_sock *sk = NULL;
  int lo;

  if ((syn4 && len4 > 32) || (syn6 && len6 > 128))
    return ab_error_set (err, EINVAL, "proxy routes: bad prefix length");
  if (sock_in (-1, -1, &sk, err) < 0 || link_up (sk, "lo", err) < 0
      || link_index (sk, "lo", &lo, err) < 0
      || (syn4 && local_route (sk, AF_INET, syn4, len4, lo, err) < 0)
      || (syn6 && local_route (sk, AF_INET6, syn6, len6, lo, err) < 0))
    return ab_error_wrap (err, "proxy routes");
  return 0;
}
