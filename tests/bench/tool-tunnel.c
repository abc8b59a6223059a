/* agentbox bench: the load tool of tests/bench/bench-net.sh.  One binary
 * plays both ends: the upstream server (in the test internet) and the
 * client (in a container's network namespace, or a plain one for the
 * peers).  Through a proxy the client sends `CONNECT NAME:PORT`, then,
 * inside the tunnel, an HTTP request whose Host is NAME: agentboxd checks
 * the first bytes of a tunnel against the name.
 *
 *   tool-tunnel server [-R READY-FILE] ADDR:PORT...
 *       GET /source: a header, then bytes until the client goes;
 *       GET /small: one short response, then close; GET /echo: a
 *       header, then what it reads comes back.
 *   tool-tunnel stream [-p PROXY] -t TARGET -n NAME:PORT [-s SECONDS]
 *       one download of /source; prints mbps= (MB/s, 10^6 bytes).
 *   tool-tunnel rate [-p PROXY] -t TARGET -n NAME:PORT [-s SECS] [-c N]
 *       N connections in flight, each tunnel + /small + close; rate=.
 *   tool-tunnel dns SERVER NAME COUNT
 *       sequential A queries over UDP; p50= p99= in microseconds.
 *   tool-tunnel idle -p PROXY -n NAME:PORT -r PID [-H SECS] STEP...
 *       opens idle /echo tunnels up to each STEP, prints PID's VmRSS at
 *       each, then checks that every tunnel still echoes a byte.
 *
 * ADDR:PORT is a v4 address or [v6].  Without arguments it prints one
 * line and exits 0: tests/bench/run.sh runs every build/bench program. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BIG (256 * 1024)
#define HEAD_MAX 2048
#define WARMUP_S 0.3

static char big[BIG];

static void
die (const char *what)
{
  fprintf (stderr, "tool-tunnel: %s: %s\n", what, strerror (errno));
  exit (1);
}

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The value at fraction Q of sorted V (nearest rank). */
static double
quantile (const double *v, size_t n, double q)
{
  size_t i = (size_t)(q * (double)n);

  return n == 0 ? 0 : v[i < n ? i : n - 1];
}

/* ---- addresses ---- */

struct addr
{
  struct sockaddr_storage sa;
  socklen_t len;
};

static bool
parse_addr (const char *s, struct addr *a)
{
  char host[128];
  const char *colon = strrchr (s, ':');
  size_t hl;

  memset (a, 0, sizeof *a);
  if (colon == NULL || (hl = (size_t)(colon - s)) >= sizeof host)
    return false;
  memcpy (host, s, hl);
  host[hl] = '\0';
  if (host[0] == '[' && hl > 2 && host[hl - 1] == ']')
    {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
      host[hl - 1] = '\0';
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons ((uint16_t)atoi (colon + 1));
      a->len = sizeof *s6;
      return inet_pton (AF_INET6, host + 1, &s6->sin6_addr) == 1;
    }
  struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
  s4->sin_family = AF_INET;
  s4->sin_port = htons ((uint16_t)atoi (colon + 1));
  a->len = sizeof *s4;
  return inet_pton (AF_INET, host, &s4->sin_addr) == 1;
}

static void
need_addr (const char *s, struct addr *a)
{
  if (s == NULL || !parse_addr (s, a))
    {
      fprintf (stderr, "tool-tunnel: `%s`: not ADDR:PORT\n", s ? s : "");
      exit (2);
    }
}

/* A connect in progress: non-blocking, so many can be in flight. */
static int
connect_nb (const struct addr *a)
{
  int fd = socket (a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int on = 1;

  if (fd < 0)
    return -1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (connect (fd, (const struct sockaddr *)&a->sa, a->len) < 0
      && errno != EINPROGRESS)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Close with a reset: no TIME_WAIT left behind to eat the ports of the
 * phases that follow. */
static void
close_rst (int fd)
{
  struct linger l = { .l_onoff = 1, .l_linger = 0 };

  setsockopt (fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close (fd);
}

/* ---- the client's requests ---- */

struct target
{
  struct addr proxy, direct;
  bool via_proxy;
  char authority[300]; /* NAME:PORT */
  char host[256];      /* NAME */
};

static int
format_connect (const struct target *t, char *buf, size_t cap)
{
  return snprintf (buf, cap, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
                   t->authority, t->authority);
}

static int
format_get (const struct target *t, const char *path, char *buf, size_t cap)
{
  return snprintf (buf, cap,
                   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: bench\r\n\r\n",
                   path, t->host);
}

static bool
send_all (int fd, const char *p, size_t len)
{
  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      p += n;
      len -= (size_t)n;
    }
  return true;
}

/* A response head ends at the blank line; one byte at a time so nothing
 * after it is eaten (blocking sockets only). */
static bool
read_head_blocking (int fd, char *buf, size_t cap)
{
  size_t len = 0;

  while (len + 1 < cap)
    {
      ssize_t n = recv (fd, buf + len, 1, 0);
      if (n <= 0)
        return false;
      len++;
      buf[len] = '\0';
      if (len >= 4 && memcmp (buf + len - 4, "\r\n\r\n", 4) == 0)
        return strncmp (buf, "HTTP/1.", 7) == 0 && strstr (buf, " 200 ");
    }
  return false;
}

static void
parse_target (struct target *t, const char *proxy, const char *direct,
              const char *authority)
{
  const char *colon;

  memset (t, 0, sizeof *t);
  if (authority == NULL || (colon = strrchr (authority, ':')) == NULL
      || (size_t)(colon - authority) >= sizeof t->host)
    {
      fprintf (stderr, "tool-tunnel: -n NAME:PORT is required\n");
      exit (2);
    }
  snprintf (t->authority, sizeof t->authority, "%s", authority);
  memcpy (t->host, authority, (size_t)(colon - authority));
  t->via_proxy = proxy != NULL;
  if (proxy)
    need_addr (proxy, &t->proxy);
  else
    need_addr (direct, &t->direct);
}

/* ---- stream: one tunnel, as fast as it goes ---- */

static int
open_blocking (const struct target *t, const char *path)
{
  const struct addr *a = t->via_proxy ? &t->proxy : &t->direct;
  int fd = socket (a->sa.ss_family, SOCK_STREAM, 0);
  char req[512], head[HEAD_MAX] = "";

  if (fd < 0 || connect (fd, (const struct sockaddr *)&a->sa, a->len) < 0)
    die ("connect");
  if (t->via_proxy
      && (!send_all (fd, req, (size_t)format_connect (t, req, sizeof req))
          || !read_head_blocking (fd, head, sizeof head)))
    {
      fprintf (stderr, "tool-tunnel: CONNECT refused: %s\n", head);
      exit (1);
    }
  if (!send_all (fd, req, (size_t)format_get (t, path, req, sizeof req)))
    die ("send");
  return fd;
}

static int
cmd_stream (const struct target *t, double secs)
{
  int fd = open_blocking (t, "/source");
  double t0 = now (), start = 0;
  unsigned long long bytes = 0;

  for (;;)
    {
      ssize_t n = recv (fd, big, sizeof big, 0);
      double tn;
      if (n <= 0)
        die ("recv");
      tn = now ();
      if (start == 0 && tn - t0 >= WARMUP_S)
        start = tn;
      else if (start)
        bytes += (unsigned long long)n;
      if (start && tn - start >= secs)
        {
          printf ("mbps=%.1f bytes=%llu secs=%.3f\n",
                  (double)bytes / (tn - start) / 1e6, bytes, tn - start);
          close_rst (fd);
          return 0;
        }
    }
}

/* ---- non-blocking client connections (rate, idle) ---- */

enum cstate
{
  C_CONNECTING,
  C_PROXY_HEAD, /* reading the proxy's answer to CONNECT */
  C_RESPONSE,   /* reading the server's answer */
  C_IDLE,
};

struct cconn
{
  int fd;
  enum cstate state;
  char buf[HEAD_MAX];
  size_t len;
  double started;
};

static int epfd;

static bool
watch (struct cconn *c, int op, uint32_t events)
{
  struct epoll_event ev = { .events = events, .data.ptr = c };

  return epoll_ctl (epfd, op, c->fd, &ev) == 0;
}

static bool
cconn_open (struct cconn *c, const struct target *t)
{
  c->fd = connect_nb (t->via_proxy ? &t->proxy : &t->direct);
  c->state = C_CONNECTING;
  c->len = 0;
  c->started = now ();
  return c->fd >= 0 && watch (c, EPOLL_CTL_ADD, EPOLLOUT);
}

/* The request that starts the exchange: CONNECT, or PATH directly. */
static bool
cconn_connected (struct cconn *c, const struct target *t, const char *path)
{
  char req[512];
  int n = t->via_proxy ? format_connect (t, req, sizeof req)
                       : format_get (t, path, req, sizeof req);
  int soerr = 0;
  socklen_t l = sizeof soerr;

  getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
  if (soerr || send (c->fd, req, (size_t)n, MSG_NOSIGNAL) != n)
    return false;
  c->state = t->via_proxy ? C_PROXY_HEAD : C_RESPONSE;
  return watch (c, EPOLL_CTL_MOD, EPOLLIN);
}

/* Read what is there.  1: the head is whole; 0: more; -1: broken. */
static int
cconn_read_head (struct cconn *c)
{
  ssize_t n = recv (c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);

  if (n < 0 && errno == EAGAIN)
    return 0;
  if (n <= 0)
    return -1;
  c->len += (size_t)n;
  c->buf[c->len] = '\0';
  if (strstr (c->buf, "\r\n\r\n") == NULL)
    return c->len + 1 < sizeof c->buf ? 0 : -1;
  return strncmp (c->buf, "HTTP/1.", 7) == 0 && strstr (c->buf, " 200 ") ? 1
                                                                         : -1;
}

/* CONNECT answered: the request inside the tunnel. */
static bool
cconn_tunnel_up (struct cconn *c, const struct target *t, const char *path)
{
  char req[512];
  int n = format_get (t, path, req, sizeof req);

  c->len = 0;
  c->state = C_RESPONSE;
  return send (c->fd, req, (size_t)n, MSG_NOSIGNAL) == n;
}

/* ---- rate: connections per second ---- */

struct rate
{
  const struct target *t;
  unsigned long long ok, failed;
  double *lat;
  size_t n_lat, cap_lat;
  bool more; /* still starting new connections */
  unsigned in_flight;
};

static void
rate_done (struct rate *r, struct cconn *c, bool ok)
{
  close (c->fd);
  c->fd = -1;
  r->in_flight--;
  if (ok)
    {
      r->ok++;
      if (r->n_lat == r->cap_lat)
        {
          r->cap_lat = r->cap_lat ? r->cap_lat * 2 : 65536;
          r->lat = realloc (r->lat, r->cap_lat * sizeof *r->lat);
          if (r->lat == NULL)
            die ("realloc");
        }
      r->lat[r->n_lat++] = now () - c->started;
    }
  else
    r->failed++;
  if (r->more)
    {
      if (cconn_open (c, r->t))
        r->in_flight++;
      else
        r->failed++;
    }
}

/* The response is read to EOF: the server closes after /small. */
static int
rate_read_body (struct cconn *c)
{
  for (;;)
    {
      size_t room = sizeof c->buf - 1 - c->len;
      ssize_t n = recv (c->fd, room ? c->buf + c->len : big,
                        room ? room : sizeof big, 0);
      if (n < 0 && errno == EAGAIN)
        return 0;
      if (n < 0)
        return -1;
      if (n == 0)
        {
          c->buf[c->len] = '\0';
          return strncmp (c->buf, "HTTP/1.1 200", 12) == 0 ? 1 : -1;
        }
      if (room)
        c->len += (size_t)n;
    }
}

static void
rate_event (struct rate *r, struct cconn *c)
{
  int h;

  switch (c->state)
    {
    case C_CONNECTING:
      if (!cconn_connected (c, r->t, "/small"))
        rate_done (r, c, false);
      return;
    case C_PROXY_HEAD:
      h = cconn_read_head (c);
      if (h < 0 || (h > 0 && !cconn_tunnel_up (c, r->t, "/small")))
        rate_done (r, c, false);
      return;
    case C_RESPONSE:
      h = rate_read_body (c);
      if (h != 0)
        rate_done (r, c, h > 0);
      return;
    default:
      return;
    }
}

static int
cmd_rate (const struct target *t, double secs, unsigned conc)
{
  struct rate r = { .t = t, .more = true };
  struct cconn *cs = calloc (conc, sizeof *cs);
  struct epoll_event evs[256];
  double t0 = now (), stop = t0 + secs, elapsed;

  if (cs == NULL)
    die ("calloc");
  for (unsigned i = 0; i < conc; i++)
    if (cconn_open (&cs[i], t))
      r.in_flight++;
    else
      r.failed++;
  /* After the deadline nothing new starts; those in flight get 5 s. */
  while (r.in_flight > 0 && now () < stop + 5)
    {
      int n = epoll_wait (epfd, evs, 256, 100);
      r.more = now () < stop;
      for (int i = 0; i < n; i++)
        rate_event (&r, evs[i].data.ptr);
    }
  elapsed = now () - t0;
  qsort (r.lat, r.n_lat, sizeof *r.lat, cmp_double);
  printf ("rate=%.0f ok=%llu failed=%llu unfinished=%u secs=%.3f "
          "p50_ms=%.3f p99_ms=%.3f\n",
          (double)r.ok / elapsed, r.ok, r.failed, r.in_flight, elapsed,
          quantile (r.lat, r.n_lat, 0.5) * 1e3,
          quantile (r.lat, r.n_lat, 0.99) * 1e3);
  return r.failed || r.in_flight ? 1 : 0;
}

/* ---- dns: answer latency ---- */

static size_t
dns_query (uint8_t *q, uint16_t id, const char *name)
{
  size_t n = 12;

  memset (q, 0, 12);
  q[0] = (uint8_t)(id >> 8);
  q[1] = (uint8_t)id;
  q[2] = 0x01; /* RD */
  q[5] = 1;    /* QDCOUNT */
  for (const char *p = name; *p;)
    {
      const char *dot = strchr (p, '.');
      size_t l = dot ? (size_t)(dot - p) : strlen (p);
      q[n++] = (uint8_t)l;
      memcpy (q + n, p, l);
      n += l;
      p += l + (dot ? 1 : 0);
    }
  q[n++] = 0;
  q[n++] = 0, q[n++] = 1; /* A */
  q[n++] = 0, q[n++] = 1; /* IN */
  return n;
}

/* One query, its answer awaited.  Seconds, or -1 on a wrong answer. */
static double
dns_one (int fd, uint16_t id, const char *name)
{
  uint8_t q[300], a[512];
  size_t ql = dns_query (q, id, name);
  double t0 = now ();
  ssize_t n;

  if (send (fd, q, ql, 0) != (ssize_t)ql)
    return -1;
  do
    n = recv (fd, a, sizeof a, 0);
  while (n >= 2 && (a[0] << 8 | a[1]) != id);
  /* NOERROR with at least one answer: an allowed name's A. */
  if (n < 12 || (a[3] & 0x0f) != 0 || (a[6] << 8 | a[7]) == 0)
    return -1;
  return now () - t0;
}

static int
cmd_dns (const char *server, const char *name, unsigned count)
{
  struct addr a;
  struct timeval tv = { .tv_sec = 1 };
  double *lat = calloc (count, sizeof *lat);
  unsigned ok = 0, failed = 0;
  int fd;

  need_addr (server, &a);
  fd = socket (a.sa.ss_family, SOCK_DGRAM, 0);
  if (lat == NULL || fd < 0
      || connect (fd, (struct sockaddr *)&a.sa, a.len) < 0)
    die ("dns socket");
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (unsigned i = 0; i < 200; i++)
    dns_one (fd, (uint16_t)(i + 1), name);
  for (unsigned i = 0; i < count; i++)
    {
      double d = dns_one (fd, (uint16_t)(i * 7919 + 301), name);
      if (d < 0)
        failed++;
      else
        lat[ok++] = d;
    }
  qsort (lat, ok, sizeof *lat, cmp_double);
  printf ("queries=%u failed=%u p50_us=%.1f p90_us=%.1f p99_us=%.1f "
          "max_us=%.1f\n",
          ok, failed, quantile (lat, ok, 0.5) * 1e6,
          quantile (lat, ok, 0.9) * 1e6, quantile (lat, ok, 0.99) * 1e6,
          ok ? lat[ok - 1] * 1e6 : 0);
  return failed ? 1 : 0;
}

/* ---- idle: memory per open tunnel ---- */

static long
proc_rss_kib (pid_t pid)
{
  char path[64], line[256];
  long kib = -1;
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
  if ((f = fopen (path, "r")) == NULL)
    return -1;
  while (fgets (line, sizeof line, f))
    if (sscanf (line, "VmRSS: %ld kB", &kib) == 1)
      break;
  fclose (f);
  return kib;
}

static long
proc_fds (pid_t pid)
{
  char path[64];
  long n = 0;
  DIR *d;

  snprintf (path, sizeof path, "/proc/%d/fd", (int)pid);
  if ((d = opendir (path)) == NULL)
    return -1;
  while (readdir (d))
    n++;
  closedir (d);
  return n - 2;
}

/* One tunnel's setup step.  1: idle now; 0: more to do; -1: failed. */
static int
idle_event (struct cconn *c, const struct target *t)
{
  int h;

  switch (c->state)
    {
    case C_CONNECTING:
      return cconn_connected (c, t, "/echo") ? 0 : -1;
    case C_PROXY_HEAD:
      h = cconn_read_head (c);
      return h < 0 || (h > 0 && !cconn_tunnel_up (c, t, "/echo")) ? -1 : 0;
    case C_RESPONSE:
      h = cconn_read_head (c);
      if (h <= 0)
        return h;
      c->state = C_IDLE;
      return watch (c, EPOLL_CTL_MOD, 0) ? 1 : -1;
    default:
      /* An idle tunnel hung up: stop hearing of it; the ping finds it. */
      epoll_ctl (epfd, EPOLL_CTL_DEL, c->fd, NULL);
      return 0;
    }
}

/* Open tunnels until OPEN+FAILED reach GOAL, WINDOW handshakes at once. */
static void
idle_open (struct cconn *cs, unsigned goal, const struct target *t,
           unsigned *open, unsigned *failed)
{
  const unsigned window = 128;
  unsigned next = *open + *failed, busy = 0;
  struct epoll_event evs[256];
  double deadline = now () + 60;

  while ((next < goal || busy > 0) && now () < deadline)
    {
      while (next < goal && busy < window)
        {
          if (cconn_open (&cs[next++], t))
            busy++;
          else
            (*failed)++;
        }
      int n = epoll_wait (epfd, evs, 256, 100);
      for (int i = 0; i < n; i++)
        {
          struct cconn *c = evs[i].data.ptr;
          int r = idle_event (c, t);
          if (r == 0)
            continue;
          busy--;
          if (r > 0)
            (*open)++;
          else
            {
              (*failed)++;
              close_rst (c->fd);
              c->fd = -1;
            }
        }
    }
  *failed += busy; /* still not up after a minute */
}

/* Every idle tunnel sends one byte and must get it back. */
static unsigned
idle_ping (struct cconn *cs, unsigned n)
{
  struct epoll_event evs[256];
  unsigned sent = 0, back = 0;
  double deadline;

  for (unsigned i = 0; i < n; i++)
    if (cs[i].fd >= 0 && cs[i].state == C_IDLE
        && send (cs[i].fd, "x", 1, MSG_NOSIGNAL) == 1
        && watch (&cs[i], EPOLL_CTL_MOD, EPOLLIN))
      sent++;
  deadline = now () + 10;
  while (back < sent && now () < deadline)
    {
      int k = epoll_wait (epfd, evs, 256, 100);
      for (int i = 0; i < k; i++)
        {
          struct cconn *c = evs[i].data.ptr;
          char b;
          if (recv (c->fd, &b, 1, 0) == 1 && b == 'x')
            back++;
          watch (c, EPOLL_CTL_MOD, 0);
        }
    }
  return back;
}

static int
cmd_idle (const struct target *t, pid_t pid, double hold, unsigned *steps,
          unsigned n_steps)
{
  unsigned max = steps[n_steps - 1], open = 0, failed = 0, alive;
  struct cconn *cs = calloc (max, sizeof *cs);

  if (cs == NULL)
    die ("calloc");
  printf ("step=0 open=0 failed=0 rss_kib=%ld fds=%ld\n", proc_rss_kib (pid),
          proc_fds (pid));
  for (unsigned s = 0; s < n_steps; s++)
    {
      idle_open (cs, steps[s], t, &open, &failed);
      sleep (1); /* let the guardian settle: pipes back in the pool */
      printf ("step=%u open=%u failed=%u rss_kib=%ld fds=%ld\n", steps[s], open,
              failed, proc_rss_kib (pid), proc_fds (pid));
      fflush (stdout);
    }
  usleep ((useconds_t)(hold * 1e6));
  alive = idle_ping (cs, max);
  printf ("alive=%u open=%u held_s=%.0f\n", alive, open, hold);
  for (unsigned i = 0; i < max; i++)
    if (cs[i].fd >= 0)
      close_rst (cs[i].fd);
  return alive == open && failed == 0 ? 0 : 1;
}

/* ---- server ---- */

enum sstate
{
  S_HEAD,
  S_SOURCE, /* /source: bytes until the client goes */
  S_ECHO,
  S_CLOSE, /* /small: close once the response is out */
};

struct sconn
{
  int fd;
  bool listener;
  enum sstate state;
  char head[HEAD_MAX];
  size_t len;
  const char *out; /* a response head still to write */
  size_t out_len;
};

static const char ok_head[] = "HTTP/1.1 200 OK\r\n\r\n";
static const char small_resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n"
                                 "Connection: close\r\n\r\nsmall\n";

static void
sconn_free (struct sconn *c)
{
  close (c->fd);
  free (c);
}

static void
server_accept (struct sconn *l)
{
  for (;;)
    {
      int fd = accept4 (l->fd, NULL, NULL, SOCK_NONBLOCK);
      struct sconn *c;
      if (fd < 0)
        return;
      if ((c = calloc (1, sizeof *c)) == NULL)
        {
          close (fd);
          continue;
        }
      c->fd = fd;
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
      if (epoll_ctl (epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        sconn_free (c);
    }
}

/* Write what is owed.  false: the connection is gone. */
static bool
server_write (struct sconn *c)
{
  while (c->out_len > 0)
    {
      ssize_t n = send (c->fd, c->out, c->out_len, MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN)
        return true;
      if (n <= 0)
        return false;
      c->out += n;
      c->out_len -= (size_t)n;
    }
  if (c->state == S_CLOSE)
    return false;
  while (c->state == S_SOURCE)
    {
      ssize_t n = send (c->fd, big, sizeof big, MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN)
        return true;
      if (n <= 0)
        return false;
    }
  return true;
}

static bool
server_route (struct sconn *c)
{
  struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

  c->out = ok_head;
  c->out_len = sizeof ok_head - 1;
  if (strncmp (c->head, "GET /source ", 12) == 0)
    c->state = S_SOURCE;
  else if (strncmp (c->head, "GET /echo ", 10) == 0)
    c->state = S_ECHO, ev.events = EPOLLIN;
  else if (strncmp (c->head, "GET /small ", 11) == 0)
    {
      c->state = S_CLOSE;
      c->out = small_resp;
      c->out_len = sizeof small_resp - 1;
    }
  else
    return false;
  return server_write (c) && epoll_ctl (epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0;
}

static bool
server_read (struct sconn *c)
{
  char buf[4096];
  ssize_t n;

  if (c->state == S_ECHO)
    {
      n = recv (c->fd, buf, sizeof buf, 0);
      /* Echoed bytes are few: what does not fit now is dropped. */
      return (n < 0 && errno == EAGAIN)
             || (n > 0 && send (c->fd, buf, (size_t)n, MSG_NOSIGNAL) >= 0);
    }
  n = recv (c->fd, c->head + c->len, sizeof c->head - 1 - c->len, 0);
  if (n < 0 && errno == EAGAIN)
    return true;
  if (n <= 0)
    return false;
  c->len += (size_t)n;
  c->head[c->len] = '\0';
  if (strstr (c->head, "\r\n\r\n"))
    return server_route (c);
  return c->len + 1 < sizeof c->head;
}

static void
server_event (struct sconn *c, uint32_t events)
{
  bool alive;

  if (c->listener)
    {
      server_accept (c);
      return;
    }
  if (events & (EPOLLERR | EPOLLHUP))
    alive = false;
  else if (events & EPOLLOUT)
    alive = server_write (c);
  else
    alive = server_read (c);
  if (!alive)
    sconn_free (c);
}

static void
server_listen (const char *spec)
{
  struct addr a;
  struct sconn *l = calloc (1, sizeof *l);
  int on = 1;

  need_addr (spec, &a);
  if (l == NULL)
    die ("calloc");
  l->listener = true;
  l->fd = socket (a.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  setsockopt (l->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (l->fd < 0 || bind (l->fd, (struct sockaddr *)&a.sa, a.len) < 0
      || listen (l->fd, 4096) < 0)
    die (spec);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l };
  if (epoll_ctl (epfd, EPOLL_CTL_ADD, l->fd, &ev) < 0)
    die ("epoll_ctl");
}

static int
cmd_server (int argc, char **argv, const char *ready)
{
  struct epoll_event evs[256];

  for (int i = 0; i < argc; i++)
    server_listen (argv[i]);
  if (ready && close (open (ready, O_WRONLY | O_CREAT, 0644)) < 0)
    die (ready);
  for (;;)
    {
      int n = epoll_wait (epfd, evs, 256, -1);
      if (n < 0 && errno != EINTR)
        break;
      for (int i = 0; i < n; i++)
        server_event (evs[i].data.ptr, evs[i].events);
    }
  die ("epoll_wait");
  return 1;
}

/* ---- main ---- */

struct opts
{
  const char *proxy, *direct, *authority, *ready;
  double secs, hold;
  unsigned conc;
  pid_t pid;
};

static void
parse_opts (int argc, char **argv, struct opts *o)
{
  int ch;

  *o = (struct opts){ .secs = 3, .hold = 3, .conc = 32 };
  while ((ch = getopt (argc, argv, "p:t:n:s:c:r:H:R:")) != -1)
    switch (ch)
      {
      case 'p':
        o->proxy = optarg;
        break;
      case 't':
        o->direct = optarg;
        break;
      case 'n':
        o->authority = optarg;
        break;
      case 's':
        o->secs = atof (optarg);
        break;
      case 'c':
        o->conc = (unsigned)atoi (optarg);
        break;
      case 'r':
        o->pid = (pid_t)atoi (optarg);
        break;
      case 'H':
        o->hold = atof (optarg);
        break;
      case 'R':
        o->ready = optarg;
        break;
      default:
        exit (2);
      }
}

static int
run_idle (const struct opts *o, int argc, char **argv)
{
  struct target t;
  unsigned *steps = calloc ((size_t)argc + 1, sizeof *steps);

  if (steps == NULL || argc == 0 || o->proxy == NULL || o->pid <= 0)
    {
      fprintf (stderr, "tool-tunnel idle -p PROXY -n NAME:PORT -r PID "
                       "STEP...\n");
      return 2;
    }
  parse_target (&t, o->proxy, NULL, o->authority);
  for (int i = 0; i < argc; i++)
    steps[i] = (unsigned)atoi (argv[i]);
  return cmd_idle (&t, o->pid, o->hold, steps, (unsigned)argc);
}

int
main (int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : NULL;
  struct target t;
  struct opts o;

  if (cmd == NULL)
    {
      puts ("tool-tunnel: the load tool of tests/bench/bench-net.sh "
            "(it measures nothing alone)");
      return 0;
    }
  signal (SIGPIPE, SIG_IGN);
  memset (big, 'b', sizeof big);
  if ((epfd = epoll_create1 (0)) < 0)
    die ("epoll_create1");
  parse_opts (argc - 1, argv + 1, &o);
  argc -= optind + 1;
  argv += optind + 1;
  if (strcmp (cmd, "server") == 0 && argc > 0)
    return cmd_server (argc, argv, o.ready);
  if (strcmp (cmd, "dns") == 0 && argc == 3)
    return cmd_dns (argv[0], argv[1], (unsigned)atoi (argv[2]));
  if (strcmp (cmd, "idle") == 0)
    return run_idle (&o, argc, argv);
  if (strcmp (cmd, "stream") == 0 || strcmp (cmd, "rate") == 0)
    {
      parse_target (&t, o.proxy, o.direct, o.authority);
      return cmd[0] == 's' ? cmd_stream (&t, o.secs)
                           : cmd_rate (&t, o.secs, o.conc);
    }
  fprintf (stderr, "usage: see the head of tests/bench/tool-tunnel.c\n");
  return 2;
}
