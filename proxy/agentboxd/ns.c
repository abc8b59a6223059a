/* agentboxd: the proxy network namespace and the upstream one.
 *
 * The proxy namespace outlives the guardian: it is bind-mounted at
 * STATE/netns/proxy, so the containers' veth peers (and so their routes)
 * stay while the guardian is down, and nothing answers on them: no DNS,
 * no egress (closed).  A restarted guardian enters the same namespace
 * and listens again. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks/lib/container.h"
#include "hooks/lib/netns.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "proxy/agentboxd/guardian.h"

static int upstream_fd = -1, proxy_fd = -1, host_fd = -1;

int
ns_host_fd (void)
{
  return host_fd;
}

/* A new netns, pinned by a bind mount of this thread's nsfs file. */
static int
create_proxy_ns (const char *path, ab_error_t *err)
{
  cleanup_close int fd = -1;

  fd = open (path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return ab_error_errno (err, "create %s", path);
  if (unshare (CLONE_NEWNET) < 0)
    return ab_error_errno (err, "unshare(CLONE_NEWNET)");
  if (mount ("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
    return ab_error_errno (err, "bind-mount the proxy netns on %s", path);
  return 0;
}

int
ns_setup (const struct ab_config *cfg, ab_error_t *err)
{
  cleanup_free char *path = NULL, *dir = NULL;
  const struct ab_netconf *n = &cfg->net;

  host_fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (host_fd < 0)
    return ab_error_errno (err, "open the host netns");
  upstream_fd = open (n->upstream_netns ? n->upstream_netns
                                        : "/proc/thread-self/ns/net",
                      O_RDONLY | O_CLOEXEC);
  if (upstream_fd < 0)
    return ab_error_errno (err, "upstream netns %s",
                           n->upstream_netns ? n->upstream_netns : "(own)");
  if (ab_proxy_netns_path (cfg, &path, err) < 0
      || asprintf (&dir, "%s/netns", cfg->state_dir) < 0)
    return -1;
  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return ab_error_errno (err, "mkdir %s", dir);
  if (ab_net_is_nsfs (path))
    {
      cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns (fd, CLONE_NEWNET) < 0)
        return ab_error_errno (err, "enter the proxy netns %s", path);
      ab_log_info ("adopted the proxy netns %s", path);
    }
  else if (create_proxy_ns (path, err) < 0)
    return -1;
  proxy_fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (proxy_fd < 0)
    return ab_error_errno (err, "open the proxy netns");
  /* The proxy namespace forwards nothing: a new netns starts with
   * forwarding off, and nothing here turns it on.  Only the local routes
   * for the synthetic ranges (AnyIP) are added. */
  if (ab_net_proxy_routes (&n->syn4, n->syn4_len, &n->syn6, n->syn6_len, err)
      < 0)
    return ab_error_wrap (err, "proxy netns routes");
  return 0;
}

/* Stream sockets for the proxy's upstream side come from a small pool,
 * filled POOL_FILL at a time: entering the upstream namespace and coming
 * back costs two setns calls, paid once per fill instead of once per
 * connection. */
#define POOL_FILL 32
static int pool4[POOL_FILL], pool6[POOL_FILL];
static unsigned n_pool4, n_pool6;

static int
fill (int domain, int *pool, unsigned *n)
{
  if (setns (upstream_fd, CLONE_NEWNET) < 0)
    return -1;
  while (*n < POOL_FILL)
    {
      int fd = socket (domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0)
        break;
      pool[(*n)++] = fd;
    }
  if (setns (proxy_fd, CLONE_NEWNET) < 0)
    {
      ab_log_error ("cannot return to the proxy netns: %s", strerror (errno));
      abort ();
    }
  return *n ? 0 : -1;
}

int
ns_upstream_socket (int domain, int type, ab_error_t *err)
{
  int fd, saved;

  if (type == SOCK_STREAM && (domain == AF_INET || domain == AF_INET6))
    {
      int *pool = domain == AF_INET ? pool4 : pool6;
      unsigned *n = domain == AF_INET ? &n_pool4 : &n_pool6;
      if (*n == 0 && fill (domain, pool, n) < 0)
        return ab_error_errno (err, "upstream socket");
      return pool[--*n];
    }

  if (setns (upstream_fd, CLONE_NEWNET) < 0)
    return ab_error_errno (err, "enter the upstream netns");
  fd = socket (domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  saved = errno;
  /* Closed: a guardian that cannot get back must not keep serving
   * containers from the upstream namespace. */
  if (setns (proxy_fd, CLONE_NEWNET) < 0)
    {
      ab_log_error ("cannot return to the proxy netns: %s", strerror (errno));
      abort ();
    }
  if (fd < 0)
    {
      errno = saved;
      return ab_error_errno (err, "upstream socket");
    }
  return fd;
}
