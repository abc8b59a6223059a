/* Unit tests for hooks/lib/connect-guard (root only): a child in a test
 * cgroup2 directory and its own network namespace tries TCP connect, UDP
 * connect and UDP sendto, over IPv4, IPv6 and v4-mapped IPv6, to loopback,
 * the peer, the synthetic ranges (inside and just outside) and another
 * address; with the guard only the allowed ones pass and the rest get
 * EPERM; after detach everything passes.  Also: all-or-nothing attach
 * when a pin is in the way, errors, detach of nothing, ab_cgroup2_dir_of.
 *
 * The whole test runs in a private mount namespace, so a bpffs that the
 * library mounts on /sys/fs/bpf goes away with it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "hooks/lib/connect-guard.h"
#include "lib/cleanup.h"
#include "tests/unit/unit.h"

#define PORT 47001

#define PEER4 "198.51.100.2"
#define SYN4 "198.18.0.0" /* /15 */
#define SYN4_IN "198.18.0.5"
#define SYN4_OUT "198.20.0.1"
#define OTHER4 "192.0.2.1"
#define PEER6 "2001:db8:1::2"
#define SYN6 "fd00:ab::" /* /64 */
#define SYN6_IN "fd00:ab::5"
#define SYN6_OUT "fd00:ab:0:1::5"
#define OTHER6 "2001:db8:ff::1"

enum op
{
  OP_CONNECT,
  OP_SENDTO,
};

struct probe
{
  const char *name;
  int family, type;
  enum op op;
  const char *addr;
  int guarded; /* errno expected while the guard is on */
};

#define T SOCK_STREAM
#define U SOCK_DGRAM
static const struct probe probes[] = {
  { "tcp4 loopback", AF_INET, T, OP_CONNECT, "127.0.0.9", 0 },
  { "tcp4 peer", AF_INET, T, OP_CONNECT, PEER4, 0 },
  { "tcp4 synthetic", AF_INET, T, OP_CONNECT, SYN4_IN, 0 },
  { "tcp4 beside synthetic", AF_INET, T, OP_CONNECT, SYN4_OUT, EPERM },
  { "tcp4 other", AF_INET, T, OP_CONNECT, OTHER4, EPERM },
  { "udp4 connect other", AF_INET, U, OP_CONNECT, OTHER4, EPERM },
  { "udp4 sendto other", AF_INET, U, OP_SENDTO, OTHER4, EPERM },
  { "udp4 sendto peer", AF_INET, U, OP_SENDTO, PEER4, 0 },
  { "udp4 sendto synthetic", AF_INET, U, OP_SENDTO, SYN4_IN, 0 },
  { "udp4 sendto loopback", AF_INET, U, OP_SENDTO, "127.0.0.1", 0 },
  { "tcp6 loopback", AF_INET6, T, OP_CONNECT, "::1", 0 },
  { "tcp6 peer", AF_INET6, T, OP_CONNECT, PEER6, 0 },
  { "tcp6 synthetic", AF_INET6, T, OP_CONNECT, SYN6_IN, 0 },
  { "tcp6 beside synthetic", AF_INET6, T, OP_CONNECT, SYN6_OUT, EPERM },
  { "tcp6 other", AF_INET6, T, OP_CONNECT, OTHER6, EPERM },
  { "udp6 connect other", AF_INET6, U, OP_CONNECT, OTHER6, EPERM },
  { "udp6 sendto other", AF_INET6, U, OP_SENDTO, OTHER6, EPERM },
  { "udp6 sendto peer", AF_INET6, U, OP_SENDTO, PEER6, 0 },
  { "udp6 sendto loopback", AF_INET6, U, OP_SENDTO, "::1", 0 },
  { "tcp6 mapped loopback", AF_INET6, T, OP_CONNECT, "::ffff:127.0.0.1", 0 },
  { "tcp6 mapped peer", AF_INET6, T, OP_CONNECT, "::ffff:" PEER4, 0 },
  { "tcp6 mapped synthetic", AF_INET6, T, OP_CONNECT, "::ffff:" SYN4_IN, 0 },
  { "tcp6 mapped other", AF_INET6, T, OP_CONNECT, "::ffff:" OTHER4, EPERM },
  { "udp6 connect mapped other", AF_INET6, U, OP_CONNECT, "::ffff:" OTHER4,
    EPERM },
  { "udp6 sendto mapped other", AF_INET6, U, OP_SENDTO, "::ffff:" OTHER4,
    EPERM },
  { "udp6 sendto mapped peer", AF_INET6, U, OP_SENDTO, "::ffff:" PEER4, 0 },
};
#undef T
#undef U
#define NPROBES (sizeof probes / sizeof probes[0])

/* Addresses on the child's lo, so that without the guard every probe
 * reaches a wildcard listener. */
static const char *const lo_addrs[] = {
  PEER4 "/32",  SYN4_IN "/32",  SYN4_OUT "/32",  OTHER4 "/32",
  PEER6 "/128", SYN6_IN "/128", SYN6_OUT "/128", OTHER6 "/128",
};

static const enum bpf_attach_type attach_types[] = {
  BPF_CGROUP_INET4_CONNECT,
  BPF_CGROUP_INET6_CONNECT,
  BPF_CGROUP_UDP4_SENDMSG,
  BPF_CGROUP_UDP6_SENDMSG,
};

static const char *const pin_names[]
    = { "connect4", "connect6", "sendmsg4", "sendmsg6" };

static bool private_mounts;
static bool have_ipv6;

static const char *
skip_reason (void)
{
  if (geteuid () != 0)
    return "needs root";
  if (!private_mounts)
    return "cannot make a private mount namespace";
  if (!connect_guard_supported ())
    return "cgroup sock_addr programs do not load or attach here";
  return NULL;
}

static struct ab_guard_conf
test_conf (void)
{
  struct ab_guard_conf c = { .syn4_len = 15, .syn6_len = 64 };

  inet_pton (AF_INET, PEER4, &c.peer4);
  inet_pton (AF_INET6, PEER6, &c.peer6);
  inet_pton (AF_INET, SYN4, &c.syn4);
  inet_pton (AF_INET6, SYN6, &c.syn6);
  return c;
}

/* ---- plumbing ------------------------------------------------------------ */

static bool
write_full (int fd, const void *buf, size_t n)
{
  const char *p = buf;

  while (n > 0)
    {
      ssize_t w = write (fd, p, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return false;
      p += w, n -= (size_t)w;
    }
  return true;
}

static bool
read_full (int fd, void *buf, size_t n)
{
  char *p = buf;

  while (n > 0)
    {
      ssize_t r = read (fd, p, n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return false;
      p += r, n -= (size_t)r;
    }
  return true;
}

static int
write_file (const char *path, const char *s)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0 || !write_full (fd, s, strlen (s)))
    return -1;
  return 0;
}

static int
prog_count (const char *cgroup, enum bpf_attach_type type)
{
  cleanup_close int fd = open (cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  __u32 ids[8], cnt = 8, flags = 0;

  if (fd < 0 || bpf_prog_query (fd, type, 0, &flags, ids, &cnt) < 0)
    return -1;
  return (int)cnt;
}

static bool
all_counts (const char *cgroup, int want)
{
  for (size_t i = 0; i < 4; i++)
    if (prog_count (cgroup, attach_types[i]) != want)
      return false;
  return true;
}

static bool
pin_exists (const char *dir, const char *name)
{
  char path[PATH_MAX + 32];
  struct stat st;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  return stat (path, &st) == 0;
}

static void
remove_cgroup (const char *dir)
{
  /* The last task leaving is seen by rmdir a moment later. */
  for (int i = 0; i < 100 && rmdir (dir) < 0 && errno == EBUSY; i++)
    usleep (10000);
}

/* ---- the child: its own netns, probes on command ---------------------------
 */

static int
lo_up (void)
{
  cleanup_close int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = { .ifr_name = "lo" };

  if (fd < 0 || ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
    return -1;
  ifr.ifr_flags |= IFF_UP;
  return ioctl (fd, SIOCSIFFLAGS, &ifr);
}

static int
lo_addresses (void)
{
  FILE *ip = popen ("ip -batch - >/dev/null", "w");

  if (ip == NULL)
    return -1;
  for (size_t i = 0; i < sizeof lo_addrs / sizeof lo_addrs[0]; i++)
    if (have_ipv6 || strchr (lo_addrs[i], ':') == NULL)
      fprintf (ip, "addr add %s dev lo%s\n", lo_addrs[i],
               strchr (lo_addrs[i], ':') ? " nodad" : "");
  return pclose (ip) == 0 ? 0 : -1;
}

union addr
{
  struct sockaddr sa;
  struct sockaddr_in in;
  struct sockaddr_in6 in6;
};

/* ADDR (NULL: the wildcard) and PORT as a sockaddr of FAMILY. */
static socklen_t
make_addr (union addr *a, int family, const char *addr)
{
  memset (a, 0, sizeof *a);
  a->sa.sa_family = (sa_family_t)family;
  if (family == AF_INET)
    {
      a->in.sin_port = htons (PORT);
      if (addr)
        inet_pton (AF_INET, addr, &a->in.sin_addr);
      return sizeof a->in;
    }
  a->in6.sin6_port = htons (PORT);
  if (addr)
    inet_pton (AF_INET6, addr, &a->in6.sin6_addr);
  return sizeof a->in6;
}

static int
listen_on (int family)
{
  int fd = socket (family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  union addr a;
  socklen_t len = make_addr (&a, family, NULL);

  if (fd < 0)
    return -1;
  if (family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind (fd, &a.sa, len) < 0 || listen (fd, 256) < 0)
    return -1;
  return fd;
}

static int
probe_one (const struct probe *p)
{
  union addr a;
  socklen_t len = make_addr (&a, p->family, p->addr);
  struct timeval tv = { .tv_sec = 2 };
  cleanup_close int fd = socket (p->family, p->type | SOCK_CLOEXEC, 0);
  int zero = 0, rc;

  if (fd < 0)
    return errno;
  /* Dual stack, so that ::ffff:a.b.c.d reaches the v4 listener. */
  if (p->family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (p->op == OP_CONNECT)
    rc = connect (fd, &a.sa, len);
  else
    rc = (int)sendto (fd, "x", 1, 0, &a.sa, len);
  return rc < 0 ? errno : 0;
}

static int
child_setup (const char *cgroup)
{
  char path[PATH_MAX + 32], pid[32];

  snprintf (path, sizeof path, "%s/cgroup.procs", cgroup);
  snprintf (pid, sizeof pid, "%d", (int)getpid ());
  if (write_file (path, pid) < 0)
    return errno ? errno : EIO;
  if (unshare (CLONE_NEWNET) < 0 || lo_up () < 0)
    return errno;
  if (lo_addresses () < 0)
    return EHOSTUNREACH;
  if (listen_on (AF_INET) < 0 || (have_ipv6 && listen_on (AF_INET6) < 0))
    return errno;
  return 0;
}

/* Sockets are created here, after joining the cgroup: the kernel judges
 * a socket by the cgroup it was created in. */
static void
child_main (const char *cgroup, int in, int out)
{
  int status = child_setup (cgroup), results[NPROBES];
  char cmd;

  write_full (out, &status, sizeof status);
  while (status == 0 && read_full (in, &cmd, 1) && cmd == 'p')
    {
      for (size_t i = 0; i < NPROBES; i++)
        results[i] = probe_one (&probes[i]);
      if (!write_full (out, results, sizeof results))
        break;
    }
  _exit (0);
}

/* ---- the parent's side -----------------------------------------------------
 */

/* Short paths, so that the names below them always fit in PATH_MAX. */
struct fixture
{
  char cgroup[1024];
  char pin_dir[256];
  pid_t child;
  int to_child, from_child;
};

static int
fixture_cgroup (struct fixture *f)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *mine = NULL;

  /* Beside the test's own cgroup: on this host the cgroup2 root. */
  if (ab_cgroup2_dir_of (getpid (), &mine, &err) < 0)
    {
      printf ("# %s\n", err->msg);
      return -1;
    }
  snprintf (f->cgroup, sizeof f->cgroup, "%s/ab-test-guard-%d", mine,
            (int)getpid ());
  snprintf (f->pin_dir, sizeof f->pin_dir, "/sys/fs/bpf/agentbox-test-%d",
            (int)getpid ());
  if (mkdir (f->cgroup, 0755) < 0)
    {
      printf ("# mkdir %s: %s\n", f->cgroup, strerror (errno));
      f->cgroup[0] = '\0';
      return -1;
    }
  return 0;
}

static int
fixture_start (struct fixture *f)
{
  int down[2], up[2], status;

  *f = (struct fixture){ .child = -1, .to_child = -1, .from_child = -1 };
  if (fixture_cgroup (f) < 0)
    return -1;
  if (pipe2 (down, O_CLOEXEC) < 0 || pipe2 (up, O_CLOEXEC) < 0)
    return -1;
  f->child = fork ();
  if (f->child == 0)
    {
      close (down[1]), close (up[0]);
      child_main (f->cgroup, down[0], up[1]);
    }
  close (down[0]), close (up[1]);
  f->to_child = down[1], f->from_child = up[0];
  if (f->child < 0 || !read_full (f->from_child, &status, sizeof status))
    return -1;
  if (status)
    printf ("# child setup: %s\n", strerror (status));
  return status ? -1 : 0;
}

static void
fixture_end (struct fixture *f)
{
  cleanup_error ab_error_t err = NULL;

  if (f->to_child >= 0)
    close (f->to_child);
  if (f->from_child >= 0)
    close (f->from_child);
  if (f->child > 0)
    {
      kill (f->child, SIGKILL);
      waitpid (f->child, NULL, 0);
    }
  if (f->pin_dir[0])
    connect_guard_detach (f->pin_dir, &err);
  if (f->cgroup[0])
    remove_cgroup (f->cgroup);
}

static bool
run_probes (struct fixture *f, int results[NPROBES])
{
  return write_full (f->to_child, "p", 1)
         && read_full (f->from_child, results, NPROBES * sizeof (int));
}

static void
check_probes (const int results[NPROBES], bool guarded)
{
  for (size_t i = 0; i < NPROBES; i++)
    {
      int want = guarded ? probes[i].guarded : 0;

      if (probes[i].family == AF_INET6 && !have_ipv6)
        continue;
      if (results[i] != want)
        printf ("# %s %s: got %s, want %s\n", guarded ? "guarded" : "open",
                probes[i].name, strerror (results[i]), strerror (want));
      CHECK (results[i] == want);
    }
}

TEST (guard_allows_and_denies)
{
  struct fixture f;
  struct ab_guard_conf conf = test_conf ();
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *dir = NULL;
  struct stat st;
  int results[NPROBES];

  if (skip_reason ())
    SKIP (skip_reason ());
  CHECK (fixture_start (&f) == 0);
  if (unit_cur_failed)
    goto out;

  CHECK (ab_cgroup2_dir_of (f.child, &dir, &err) == 0);
  CHECK_STR (dir, f.cgroup);

  CHECK (connect_guard_attach (&conf, f.cgroup, f.pin_dir, &err) == 0);
  if (err)
    printf ("# attach: %s\n", err->msg);
  CHECK (stat (f.pin_dir, &st) == 0 && (st.st_mode & 0777) == 0700);
  for (size_t i = 0; i < 4; i++)
    CHECK (pin_exists (f.pin_dir, pin_names[i]));
  CHECK (all_counts (f.cgroup, 1));
  CHECK (run_probes (&f, results));
  check_probes (results, true);

  CHECK (connect_guard_detach (f.pin_dir, &err) == 0);
  CHECK (stat (f.pin_dir, &st) < 0 && errno == ENOENT);
  CHECK (all_counts (f.cgroup, 0));
  CHECK (run_probes (&f, results));
  check_probes (results, false);

out:
  fixture_end (&f);
}

/* A map pinned where the last link's pin goes: the attach fails there and
 * the three links before it are unpinned and detached. */
TEST (attach_is_all_or_nothing)
{
  struct fixture f = { .child = -1, .to_child = -1, .from_child = -1 };
  struct ab_guard_conf conf = test_conf ();
  cleanup_error ab_error_t err = NULL;
  char path[PATH_MAX];
  cleanup_close int map = -1;

  if (skip_reason ())
    SKIP (skip_reason ());
  CHECK (fixture_cgroup (&f) == 0);
  if (unit_cur_failed)
    goto out;
  /* A first attach mounts the bpffs if need be. */
  CHECK (connect_guard_attach (&conf, f.cgroup, f.pin_dir, &err) == 0);
  CHECK (connect_guard_detach (f.pin_dir, &err) == 0);

  CHECK (mkdir (f.pin_dir, 0700) == 0);
  map = bpf_map_create (BPF_MAP_TYPE_ARRAY, "ab_test", 4, 4, 1, NULL);
  snprintf (path, sizeof path, "%s/sendmsg6", f.pin_dir);
  CHECK (map >= 0 && bpf_obj_pin (map, path) == 0);

  CHECK (connect_guard_attach (&conf, f.cgroup, f.pin_dir, &err) < 0);
  CHECK (err && err->status == EEXIST);
  CHECK_CONTAINS (err ? err->msg : NULL, "sendmsg6");
  for (size_t i = 0; i < 3; i++)
    CHECK (!pin_exists (f.pin_dir, pin_names[i]));
  CHECK (all_counts (f.cgroup, 0));
  unlink (path);

out:
  fixture_end (&f);
}

TEST (errors)
{
  struct ab_guard_conf conf = test_conf ();
  cleanup_error ab_error_t err = NULL;
  char *dir = NULL;
  struct stat st;

  CHECK (connect_guard_detach ("/nonexistent/ab-test-guard", &err) == 0);
  CHECK (ab_cgroup2_dir_of (-2, &dir, &err) < 0 && dir == NULL);
  CHECK (err && err->status == ENOENT);
  if (skip_reason ())
    SKIP (skip_reason ());

  CHECK (connect_guard_attach (&conf, "/nonexistent/cgroup",
                               "/sys/fs/bpf/ab-test-guard-none", &err)
         < 0);
  CHECK (err && err->status == ENOENT);
  CHECK_CONTAINS (err ? err->msg : NULL, "open cgroup /nonexistent/cgroup");
  CHECK (stat ("/sys/fs/bpf/ab-test-guard-none", &st) < 0);

  conf.syn4_len = 33;
  CHECK (connect_guard_attach (&conf, "/", "/sys/fs/bpf/x", &err) < 0);
  CHECK (err && err->status == EINVAL);
}

TEST (cgroup2_dir_of_self)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *dir = NULL;
  struct stat st;

  if (access ("/proc/self/cgroup", R_OK) < 0)
    SKIP ("no /proc/self/cgroup");
  if (ab_cgroup2_dir_of (getpid (), &dir, &err) < 0)
    SKIP ("no cgroup2 here");
  CHECK (dir[0] == '/');
  CHECK (stat (dir, &st) == 0 && S_ISDIR (st.st_mode));
  CHECK (dir[strlen (dir) - 1] != '/');
}

int
main (void)
{
  have_ipv6 = access ("/proc/sys/net/ipv6", F_OK) == 0;
  /* A bpffs the library mounts must not outlive the test. */
  if (geteuid () == 0 && unshare (CLONE_NEWNS) == 0
      && mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
    private_mounts = true;
  RUN (errors);
  RUN (cgroup2_dir_of_self);
  RUN (guard_allows_and_denies);
  RUN (attach_is_all_or_nothing);
  return unit_done ();
}
