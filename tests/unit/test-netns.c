/* Unit tests for hooks/lib/netns: a real veth pair between two throwaway
 * netns (ip netns add), checked with `ip -n`; traffic across it and to an
 * AnyIP local route; name clashes and failures midway leave nothing
 * behind (the step walker's undo); teardown is idempotent.
 *
 * Needs root.  The test process first moves into a private netns of its
 * own, so the "caller's netns" where the pair is created is one the test
 * made, never the host's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "hooks/lib/netns.h"
#include "lib/cleanup.h"
#include "tests/unit/unit.h"

/* ct: the container; px: the proxy; ct2, ct3: fresh containers for the
 * failure cases. */
enum
{
  NS_CT,
  NS_PX,
  NS_CT2,
  NS_CT3,
  N_NS
};
static const char *const ns_role[N_NS] = { "ct", "px", "ct2", "ct3" };
static char ns_name[N_NS][64], ns_path[N_NS][96];
static bool ns_made[N_NS];
static char peer[10]; /* "abt" and up to six digits */
static const char *skip_why;
static ino_t own_netns; /* the test's private netns */

/* ---- helpers ------------------------------------------------------------- */

static int __attribute__ ((format (printf, 1, 2))) sh (const char *fmt, ...)
{
  cleanup_free char *cmd = NULL;
  va_list ap;
  int rc;

  va_start (ap, fmt);
  rc = vasprintf (&cmd, fmt, ap);
  va_end (ap);
  if (rc < 0)
    return -1;
  return system (cmd);
}

/* The whole stdout of a shell command ("" on failure, never NULL). */
static char *__attribute__ ((format (printf, 1, 2))) out (const char *fmt, ...)
{
  cleanup_free char *cmd = NULL;
  cleanup_file FILE *f = NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *m;
  va_list ap;
  int rc, ch;

  va_start (ap, fmt);
  rc = vasprintf (&cmd, fmt, ap);
  va_end (ap);
  m = open_memstream (&buf, &len);
  if (rc >= 0 && m && (f = popen (cmd, "r")) != NULL)
    while ((ch = fgetc (f)) != EOF)
      fputc (ch, m);
  if (f)
    {
      pclose (f);
      f = NULL;
    }
  if (m)
    fclose (m);
  return buf ? buf : strdup ("");
}

#define CHECK_LACKS(a, b)                                                      \
  do                                                                           \
    {                                                                          \
      const char *lk_a_ = (a), *lk_b_ = (b);                                   \
      if (strstr (lk_a_, lk_b_))                                               \
        {                                                                      \
          printf ("# %s:%d: %s lacks %s\n#   got: %s\n", __FILE__, __LINE__,   \
                  #a, lk_b_, lk_a_);                                           \
          unit_cur_failed++;                                                   \
        }                                                                      \
    }                                                                          \
  while (0)

static int
count_lines (const char *s)
{
  int n = 0;

  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* A socket of DOMAIN created inside the netns at PATH (a socket stays in
 * the netns it was created in). */
static int
sock_in_ns (const char *path, int domain)
{
  cleanup_close int self = open ("/proc/thread-self/ns/net", O_RDONLY);
  cleanup_close int ns = open (path, O_RDONLY);
  int fd;

  if (self < 0 || ns < 0 || setns (ns, CLONE_NEWNET) < 0)
    return -1;
  fd = socket (domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* Stuck elsewhere, every later check would lie. */
  if (setns (self, CLONE_NEWNET) < 0)
    abort ();
  return fd;
}

static socklen_t
mkaddr (const char *ip, int port, struct sockaddr_storage *ss)
{
  struct sockaddr_in *in = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

  memset (ss, 0, sizeof *ss);
  if (inet_pton (AF_INET, ip, &in->sin_addr) == 1)
    {
      in->sin_family = AF_INET;
      in->sin_port = htons (port);
      return sizeof *in;
    }
  inet_pton (AF_INET6, ip, &in6->sin6_addr);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons (port);
  return sizeof *in6;
}

static int
listener (const char *ns, const char *ip, int port)
{
  struct sockaddr_storage ss;
  socklen_t len = mkaddr (ip, port, &ss);
  int fd = sock_in_ns (ns, ss.ss_family), one = 1;

  if (fd < 0)
    return -1;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind (fd, (struct sockaddr *)&ss, len) < 0 || listen (fd, 4) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Connect from the netns CLI to DST:PORT where LFD listens; true if the
 * listener accepts a connection addressed to DST. */
static bool
tcp_across (int lfd, const char *cli, const char *dst, int port)
{
  struct sockaddr_storage ss, got;
  socklen_t len = mkaddr (dst, port, &ss), glen = sizeof got;
  struct timeval tv = { .tv_sec = 3 };
  cleanup_close int c = sock_in_ns (cli, ss.ss_family);
  cleanup_close int a = -1;
  char want[INET6_ADDRSTRLEN], have[INET6_ADDRSTRLEN];

  if (lfd < 0 || c < 0)
    return false;
  setsockopt (c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect (c, (struct sockaddr *)&ss, len) < 0)
    {
      printf ("# connect %s:%d: %s\n", dst, port, strerror (errno));
      return false;
    }
  a = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  if (a < 0 || getsockname (a, (struct sockaddr *)&got, &glen) < 0)
    return false;
  mkaddr (dst, port, &ss);
  inet_ntop (ss.ss_family,
             ss.ss_family == AF_INET
                 ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
                 : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
             want, sizeof want);
  inet_ntop (got.ss_family,
             got.ss_family == AF_INET
                 ? (void *)&((struct sockaddr_in *)&got)->sin_addr
                 : (void *)&((struct sockaddr_in6 *)&got)->sin6_addr,
             have, sizeof have);
  return strcmp (want, have) == 0;
}

static struct ab_netplan
plan (int ct)
{
  struct ab_netplan p = {
    .container_netns = ns_path[ct],
    .proxy_netns = ns_path[NS_PX],
    .ipv6 = true,
    .mtu = 1400,
  };

  snprintf (p.peer_if, sizeof p.peer_if, "%s", peer);
  inet_pton (AF_INET, "100.96.0.0", &p.ct4);
  inet_pton (AF_INET, "100.96.0.1", &p.peer4);
  inet_pton (AF_INET6, "fd61:6762:6f78:1::", &p.ct6);
  inet_pton (AF_INET6, "fd61:6762:6f78:1::1", &p.peer6);
  return p;
}

/* No temporary end left in the caller's netns nor in NS. */
static void
check_no_tmp (int ns)
{
  cleanup_free char *self = out ("ip -o link");
  cleanup_free char *there = out ("ip -n %s -o link", ns_name[ns]);

  CHECK_LACKS (self, "abtmp");
  CHECK_LACKS (there, "abtmp");
}

/* Every call must leave the thread in the netns it was called in. */
static bool
in_own_netns (void)
{
  struct stat st;

  return stat ("/proc/thread-self/ns/net", &st) == 0 && st.st_ino == own_netns;
}

/* ---- tests --------------------------------------------------------------- */

TEST (setup_builds_both_ends)
{
  struct ab_netplan p = plan (NS_CT);
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *ct_addr = NULL, *ct_lo = NULL, *ct_r4 = NULL;
  cleanup_free char *ct_r6 = NULL, *px_addr = NULL;

  if (skip_why)
    SKIP (skip_why);
  CHECK (ab_net_setup (&p, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  CHECK (in_own_netns ());

  ct_addr = out ("ip -n %s -j addr show dev eth0", ns_name[NS_CT]);
  CHECK_CONTAINS (ct_addr, "\"local\":\"100.96.0.0\",\"prefixlen\":31");
  CHECK_CONTAINS (ct_addr,
                  "\"local\":\"fd61:6762:6f78:1::\",\"prefixlen\":127");
  CHECK_CONTAINS (ct_addr, "\"mtu\":1400");
  CHECK_CONTAINS (ct_addr, "\"operstate\":\"UP\"");
  /* Usable at once, not tentative: the kernel's link-local may be. */
  CHECK_CONTAINS (ct_addr, "\"local\":\"fd61:6762:6f78:1::\",\"prefixlen\":127,"
                           "\"scope\":\"global\",\"nodad\":true");
  ct_lo = out ("ip -n %s -j link show lo", ns_name[NS_CT]);
  CHECK_CONTAINS (ct_lo, "\"UP\"");
  ct_r4 = out ("ip -n %s -4 route", ns_name[NS_CT]);
  CHECK_CONTAINS (ct_r4, "default via 100.96.0.1 dev eth0");
  ct_r6 = out ("ip -n %s -6 route", ns_name[NS_CT]);
  CHECK_CONTAINS (ct_r6, "default via fd61:6762:6f78:1::1 dev eth0");

  px_addr = out ("ip -n %s -j addr show dev %s", ns_name[NS_PX], peer);
  CHECK_CONTAINS (px_addr, "\"local\":\"100.96.0.1\",\"prefixlen\":31");
  CHECK_CONTAINS (px_addr,
                  "\"local\":\"fd61:6762:6f78:1::1\",\"prefixlen\":127");
  CHECK_CONTAINS (px_addr, "\"mtu\":1400");
  CHECK_CONTAINS (px_addr, "\"operstate\":\"UP\"");
  check_no_tmp (NS_CT);
  check_no_tmp (NS_PX);
}

TEST (traffic_crosses_the_pair)
{
  cleanup_close int l4 = -1, l6 = -1;

  if (skip_why)
    SKIP (skip_why);
  l4 = listener (ns_path[NS_PX], "100.96.0.1", 7001);
  l6 = listener (ns_path[NS_PX], "fd61:6762:6f78:1::1", 7001);
  CHECK (tcp_across (l4, ns_path[NS_CT], "100.96.0.1", 7001));
  CHECK (tcp_across (l6, ns_path[NS_CT], "fd61:6762:6f78:1::1", 7001));
}

/* The same peer name again: the container already has eth0 and the proxy
 * already has PEER; EEXIST, and the new pair is gone. */
TEST (second_setup_is_eexist)
{
  struct ab_netplan p = plan (NS_CT);
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *ct = NULL, *px = NULL;

  if (skip_why)
    SKIP (skip_why);
  CHECK (ab_net_setup (&p, &err) == -1);
  CHECK (in_own_netns ());
  CHECK (err && err->status == EEXIST);
  CHECK_CONTAINS (err ? err->msg : NULL, "setup veth ");
  if (err)
    printf ("# %s\n", err->msg);
  ct = out ("ip -n %s -o link", ns_name[NS_CT]);
  px = out ("ip -n %s -o link", ns_name[NS_PX]);
  CHECK (count_lines (ct) == 2);
  CHECK (count_lines (px) == 2);
  check_no_tmp (NS_CT);
  check_no_tmp (NS_PX);
}

/* A fresh container, but PEER clashes in the proxy netns: the pair is
 * born there under PEER's name, so creating it fails and nothing reaches
 * the container. */
TEST (proxy_clash_undoes_container_end)
{
  struct ab_netplan p = plan (NS_CT2);
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *ct2 = NULL, *px = NULL;

  if (skip_why)
    SKIP (skip_why);
  CHECK (ab_net_setup (&p, &err) == -1);
  CHECK (in_own_netns ());
  CHECK (err && err->status == EEXIST);
  CHECK_CONTAINS (err ? err->msg : NULL, "create veth pair");
  CHECK_CONTAINS (err ? err->msg : NULL, peer);
  ct2 = out ("ip -n %s -o link", ns_name[NS_CT2]);
  CHECK (count_lines (ct2) == 1);
  CHECK_LACKS (ct2, "eth0");
  check_no_tmp (NS_CT2);
  check_no_tmp (NS_PX);
  /* Not taken over: the first pair's peer keeps its addresses. */
  px = out ("ip -n %s -j addr show dev %s", ns_name[NS_PX], peer);
  CHECK_CONTAINS (px, "\"local\":\"100.96.0.1\"");
}

/* Fault injection: a default IPv6 route already in the container netns
 * makes the last step (the container's IPv6 default route) fail after
 * both ends are addressed and up; both ends must go.  The engine having
 * turned IPv6 off there (Docker does) is not a fault: it is turned back
 * on. */
TEST (late_failure_undoes_both_ends)
{
  struct ab_netplan p = plan (NS_CT3);
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *ct3 = NULL, *px = NULL;

  if (skip_why)
    SKIP (skip_why);
  snprintf (p.peer_if, sizeof p.peer_if, "%s-3", peer);
  CHECK (sh ("ip netns exec %s sysctl -qw "
             "net.ipv6.conf.default.disable_ipv6=1",
             ns_name[NS_CT3])
         == 0);
  CHECK (sh ("ip -n %s link set lo up && ip -n %s -6 route add default dev lo",
             ns_name[NS_CT3], ns_name[NS_CT3])
         == 0);
  CHECK (ab_net_setup (&p, &err) == -1);
  CHECK (in_own_netns ());
  CHECK_CONTAINS (err ? err->msg : NULL, "add route");
  if (err)
    printf ("# %s\n", err->msg);
  ct3 = out ("ip -n %s -o link", ns_name[NS_CT3]);
  CHECK (count_lines (ct3) == 1);
  px = out ("ip -n %s -o link", ns_name[NS_PX]);
  CHECK_LACKS (px, p.peer_if);
  CHECK (count_lines (px) == 2);
  check_no_tmp (NS_CT3);
  check_no_tmp (NS_PX);
  CHECK (sh ("ip -n %s -6 route del default dev lo", ns_name[NS_CT3]) == 0);
  /* IPv6 was turned back on before the failure. */
  CHECK (sh ("ip netns exec %s sysctl -n net.ipv6.conf.default.disable_ipv6 "
             "| grep -qx 0",
             ns_name[NS_CT3])
         == 0);
}

TEST (bogus_container_netns)
{
  struct ab_netplan p = plan (NS_CT2);
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *px = NULL;

  if (skip_why)
    SKIP (skip_why);
  p.container_netns = "/run/netns/ab-test-no-such-netns";
  snprintf (p.peer_if, sizeof p.peer_if, "%s-b", peer);
  CHECK (ab_net_setup (&p, &err) == -1);
  CHECK (in_own_netns ());
  CHECK (err && err->status == ENOENT);
  CHECK_CONTAINS (err ? err->msg : NULL, "ab-test-no-such-netns");
  px = out ("ip -n %s -o link", ns_name[NS_PX]);
  CHECK (count_lines (px) == 2);
  check_no_tmp (NS_PX);
}

static int
proxy_routes_in (const char *path, ab_error_t *err)
{
  struct in_addr s4;
  struct in6_addr s6;
  cleanup_close int self = open ("/proc/thread-self/ns/net", O_RDONLY);
  cleanup_close int ns = open (path, O_RDONLY);
  int rc;

  inet_pton (AF_INET, "198.18.0.0", &s4);
  inet_pton (AF_INET6, "fd61:6762:6f78:ff::", &s6);
  if (self < 0 || ns < 0 || setns (ns, CLONE_NEWNET) < 0)
    return -1;
  rc = ab_net_proxy_routes (&s4, 15, &s6, 64, err);
  if (setns (self, CLONE_NEWNET) < 0)
    abort ();
  return rc;
}

TEST (proxy_routes_anyip)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *r4 = NULL, *r6 = NULL;
  cleanup_close int l4 = -1, l6 = -1;

  if (skip_why)
    SKIP (skip_why);
  CHECK (proxy_routes_in (ns_path[NS_PX], &err) == 0);
  /* Again: existing identical routes are fine. */
  CHECK (proxy_routes_in (ns_path[NS_PX], &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  r4 = out ("ip -n %s -4 route show table local", ns_name[NS_PX]);
  CHECK_CONTAINS (r4, "local 198.18.0.0/15 dev lo");
  r6 = out ("ip -n %s -6 route show table local", ns_name[NS_PX]);
  CHECK_CONTAINS (r6, "local fd61:6762:6f78:ff::/64 dev lo");

  /* One wildcard listener answers every synthetic address, reached from
   * the container through its default route. */
  l4 = listener (ns_path[NS_PX], "0.0.0.0", 8080);
  l6 = listener (ns_path[NS_PX], "::", 8080);
  CHECK (tcp_across (l4, ns_path[NS_CT], "198.18.3.4", 8080));
  CHECK (tcp_across (l4, ns_path[NS_CT], "198.19.255.1", 8080));
  CHECK (tcp_across (l6, ns_path[NS_CT], "fd61:6762:6f78:ff::34", 8080));
}

TEST (teardown_is_idempotent)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *ct = NULL, *px = NULL;

  if (skip_why)
    SKIP (skip_why);
  CHECK (ab_net_teardown (ns_path[NS_PX], peer, &err) == 0);
  CHECK (in_own_netns ());
  ct = out ("ip -n %s -o link", ns_name[NS_CT]);
  px = out ("ip -n %s -o link", ns_name[NS_PX]);
  CHECK_LACKS (ct, "eth0");
  CHECK_LACKS (px, peer);
  CHECK (count_lines (ct) == 1 && count_lines (px) == 1);
  CHECK (ab_net_teardown (ns_path[NS_PX], peer, &err) == 0);
  CHECK (ab_net_teardown ("/run/netns/ab-test-no-such-netns", peer, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
}

/* IPv4 only and the kernel's MTU, into a container netns reused from the
 * failure cases (which must have left it empty). */
TEST (ipv4_only)
{
  struct ab_netplan p = plan (NS_CT2);
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *ct = NULL, *r6 = NULL, *px = NULL;
  cleanup_close int l4 = -1;

  if (skip_why)
    SKIP (skip_why);
  p.ipv6 = false;
  p.mtu = 0;
  /* Its own /31: the proxy netns still holds the first pair's. */
  inet_pton (AF_INET, "100.96.0.2", &p.ct4);
  inet_pton (AF_INET, "100.96.0.3", &p.peer4);
  snprintf (p.peer_if, sizeof p.peer_if, "%s-4", peer);
  CHECK (ab_net_setup (&p, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  ct = out ("ip -n %s -j addr show dev eth0", ns_name[NS_CT2]);
  CHECK_CONTAINS (ct, "\"local\":\"100.96.0.2\",\"prefixlen\":31");
  CHECK_CONTAINS (ct, "\"mtu\":1500");
  CHECK_LACKS (ct, "fd61:");
  r6 = out ("ip -n %s -6 route", ns_name[NS_CT2]);
  CHECK_LACKS (r6, "default");
  px = out ("ip -n %s -j addr show dev %s", ns_name[NS_PX], p.peer_if);
  CHECK_LACKS (px, "fd61:");
  l4 = listener (ns_path[NS_PX], "100.96.0.3", 7002);
  CHECK (tcp_across (l4, ns_path[NS_CT2], "100.96.0.3", 7002));
  CHECK (ab_net_teardown (ns_path[NS_PX], p.peer_if, &err) == 0);
  px = (free (px), out ("ip -n %s -o link", ns_name[NS_PX]));
  CHECK_LACKS (px, p.peer_if);
}

TEST (rejects_bad_peer_name)
{
  struct ab_netplan p = plan (NS_CT);
  cleanup_error ab_error_t err = NULL;

  if (skip_why)
    SKIP (skip_why);
  memset (p.peer_if, 'x', sizeof p.peer_if);
  CHECK (ab_net_setup (&p, &err) == -1);
  CHECK (in_own_netns ());
  CHECK (err && err->status == EINVAL);
}

/* ---- fixture ------------------------------------------------------------- */

static void
netns_cleanup (void)
{
  for (int i = 0; i < N_NS; i++)
    if (ns_made[i])
      {
        sh ("ip netns del %s 2>/dev/null", ns_name[i]);
        ns_made[i] = false;
      }
}

static const char *
fixture (void)
{
  struct stat st;

  if (geteuid () != 0)
    return "needs root (netns, veth)";
  if (sh ("ip -V >/dev/null 2>&1") != 0)
    return "needs iproute2 (ip)";
  /* The caller's netns is the test's own: the pair's temporary names
   * never appear in the host's. */
  if (unshare (CLONE_NEWNET) < 0)
    return "unshare(CLONE_NEWNET) failed";
  if (sh ("ip link set lo up") != 0)
    return "ip link set lo up failed";
  if (stat ("/proc/thread-self/ns/net", &st) < 0)
    return "no /proc/thread-self/ns/net";
  own_netns = st.st_ino;
  snprintf (peer, sizeof peer, "abt%u", (unsigned)getpid () % 1000000u);
  atexit (netns_cleanup);
  for (int i = 0; i < N_NS; i++)
    {
      snprintf (ns_name[i], sizeof ns_name[i], "ab-test-%s-%d", ns_role[i],
                (int)getpid ());
      snprintf (ns_path[i], sizeof ns_path[i], "/run/netns/%s", ns_name[i]);
      if (sh ("ip netns add %s", ns_name[i]) != 0)
        return "ip netns add failed";
      ns_made[i] = true;
    }
  return NULL;
}

int
main (void)
{
  skip_why = fixture ();
  RUN (setup_builds_both_ends);
  RUN (traffic_crosses_the_pair);
  RUN (second_setup_is_eexist);
  RUN (proxy_clash_undoes_container_end);
  RUN (late_failure_undoes_both_ends);
  RUN (bogus_container_netns);
  RUN (ipv4_only);
  RUN (proxy_routes_anyip);
  RUN (teardown_is_idempotent);
  RUN (rejects_bad_peer_name);
  netns_cleanup ();
  return unit_done ();
}
