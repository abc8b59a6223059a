/* Unit tests for agentboxd's relay (proxy/agentboxd/relay.c) over real
 * sockets and pipes: bytes arrive whole and in order; the interest the
 * relay asks for follows the pipe it really has.  F_SETPIPE_SZ may give
 * less than 1 MiB (past fs.pipe-user-pages-soft without
 * CAP_SYS_RESOURCE); a relay that still asked for EPOLLIN on a full
 * small pipe would wake the loop for nothing until the other side
 * drained. */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/agentboxd/relay.c"
#include "tests/unit/unit.h"

/* What relay.c calls back into (conn.c and loop.c in agentboxd). */
static uint32_t want_c, want_u;
static bool closed;

uint64_t
now_ms (void)
{
  return 0;
}

void
conn_interest (struct conn *c, uint32_t cev, uint32_t uev)
{
  want_c = cev;
  want_u = uev;
}

void
conn_close (struct conn *c)
{
  closed = true;
}

#define TOTAL (1024 * 1024)

/* A conn relaying CLIENT <-> UPSTREAM, with both halves pipe-less. */
static void
conn_init (struct conn *c, int client, int upstream)
{
  memset (c, 0, sizeof *c);
  c->cev.fd = client;
  c->uev.fd = upstream;
  c->c2u.pipe[0] = c->c2u.pipe[1] = c->u2c.pipe[0] = c->u2c.pipe[1] = -1;
}

static void
nonblock (int fd)
{
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
}

TEST (small_pipe_full_asks_no_read)
{
  int a[2], b[2], p[2], small = 4096;
  static char buf[TOTAL], got[TOTAL];
  size_t sent = 0, recvd = 0;
  struct conn c;
  int rounds = 0;

  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (char)(i * 7 + i / 4096);
  CHECK (socketpair (AF_UNIX, SOCK_STREAM, 0, a) == 0);
  CHECK (socketpair (AF_UNIX, SOCK_STREAM, 0, b) == 0);
  for (int i = 0; i < 2; i++)
    nonblock (a[i]), nonblock (b[i]);
  /* The upstream fills quickly: it is not read until later. */
  setsockopt (b[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  setsockopt (b[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  /* The pool's one pipe kept the default size, as when F_SETPIPE_SZ is
   * refused. */
  CHECK (pipe2 (p, O_NONBLOCK | O_CLOEXEC) == 0);
  pool[0].fd[0] = p[0];
  pool[0].fd[1] = p[1];
  pool[0].cap = (size_t)fcntl (p[1], F_GETPIPE_SZ);
  pool_len = 1;
  CHECK (pool[0].cap < PIPE_SIZE);
  conn_init (&c, a[1], b[0]);
  c.state = S_RELAY;

  /* The client sends as much as its socket takes; the relay pumps once. */
  while (sent < TOTAL)
    {
      ssize_t n = write (a[0], buf + sent, TOTAL - sent);
      if (n <= 0)
        break;
      sent += (size_t)n;
    }
  relay_event (&c, &c.cev, EPOLLIN);
  CHECK (!closed);
  CHECK (c.c2u.cap == pool[0].cap);
  CHECK (c.c2u.inpipe == c.c2u.cap); /* the pipe filled: the upstream is full */
  CHECK (!(want_c & EPOLLIN));       /* so no read is asked for */
  CHECK (want_u & EPOLLOUT);         /* but the upstream's room is */

  /* Drain the upstream, relay on its EPOLLOUT, refill the client: every
   * byte arrives, in order. */
  while (recvd < TOTAL && rounds++ < 100000)
    {
      ssize_t n = read (b[1], got + recvd, TOTAL - recvd);
      if (n > 0)
        recvd += (size_t)n;
      if (sent < TOTAL && (n = write (a[0], buf + sent, TOTAL - sent)) > 0)
        sent += (size_t)n;
      relay_event (&c, &c.uev, EPOLLOUT);
      if (want_c & EPOLLIN)
        relay_event (&c, &c.cev, EPOLLIN);
      CHECK (!(want_c & EPOLLIN) || has_room (&c.c2u));
    }
  CHECK (recvd == TOTAL);
  CHECK (memcmp (buf, got, TOTAL) == 0);
  CHECK (!closed);
  half_free (&c.c2u);
  half_free (&c.u2c);
  for (int i = 0; i < 2; i++)
    close (a[i]), close (b[i]);
}

int
main (void)
{
  RUN (small_pipe_full_asks_no_read);
  return unit_done ();
}
