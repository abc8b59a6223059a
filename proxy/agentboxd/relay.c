/* agentboxd: moving bytes both ways with splice(2).
 *
 * Each direction splices SRC -> pipe -> DST.  A pipe is taken from a pool
 * when bytes arrive and given back when it is empty again, so an idle
 * tunnel costs two sockets and its struct, and file descriptors scale
 * with busy tunnels, not open ones.  A read of 0 (EOF) is passed on as
 * shutdown(SHUT_WR) once the pipe is drained: half-close is kept. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "proxy/agentboxd/conn.h"

/* 1 MiB, the default pipe-max-size: against 256 KiB, a bulk tunnel's
 * relay costs 43% of a core instead of 60-64% (bench-net).  Pipe pages
 * come with the bytes, and an idle tunnel holds no pipe. */
#define PIPE_SIZE (1024 * 1024)
/* Per direction per wakeup: one bulk tunnel must not starve the others
 * (1 MiB is under a millisecond here). */
#define BURST (1024 * 1024)
#define POOL_MAX 256

/* Empty pipes, with the capacity each got: F_SETPIPE_SZ can give less
 * than asked (a task without CAP_SYS_RESOURCE past fs.pipe-user-pages-
 * soft keeps the default, or one page). */
static struct
{
  int fd[2];
  size_t cap;
} pool[POOL_MAX];
static unsigned pool_len, in_use;

unsigned
relay_pipes_in_use (void)
{
  return in_use;
}

static bool
pipe_get (struct half *h)
{
  if (h->pipe[0] >= 0)
    return true;
  if (pool_len > 0)
    {
      pool_len--;
      h->pipe[0] = pool[pool_len].fd[0];
      h->pipe[1] = pool[pool_len].fd[1];
      h->cap = pool[pool_len].cap;
    }
  else if (pipe2 (h->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
    return false;
  else
    {
      int sz = fcntl (h->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
      if (sz < 0)
        sz = fcntl (h->pipe[1], F_GETPIPE_SZ);
      h->cap = sz > 0 ? (size_t)sz : 4096;
    }
  in_use++;
  return true;
}

/* Can H take bytes now?  Without a pipe it can: one is taken then. */
static bool
has_room (const struct half *h)
{
  return h->pipe[0] < 0 || h->inpipe < h->cap;
}

static void
pipe_put (struct half *h)
{
  if (h->pipe[0] < 0)
    return;
  /* Only empty pipes go back: a pipe with bytes in it belongs to the
   * connection that wrote them. */
  if (h->inpipe == 0 && pool_len < POOL_MAX)
    {
      pool[pool_len].fd[0] = h->pipe[0];
      pool[pool_len].fd[1] = h->pipe[1];
      pool[pool_len].cap = h->cap;
      pool_len++;
    }
  else
    {
      close (h->pipe[0]);
      close (h->pipe[1]);
    }
  h->pipe[0] = h->pipe[1] = -1;
  in_use--;
}

void
half_free (struct half *h)
{
  h->inpipe = 0; /* the bytes die with the connection */
  if (h->pipe[0] >= 0)
    {
      close (h->pipe[0]);
      close (h->pipe[1]);
      h->pipe[0] = h->pipe[1] = -1;
      in_use--;
    }
}

/* Move what can move now.  -1: the connection is broken. */
static int
pump (struct half *h, int src, int dst)
{
  size_t moved_total = 0;

  while (moved_total < BURST)
    {
      bool moved = false;

      if (!h->eof && has_room (h))
        {
          ssize_t n;
          if (!pipe_get (h))
            return -1;
          n = splice (src, NULL, h->pipe[1], NULL, h->cap - h->inpipe,
                      SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
          if (n > 0)
            h->inpipe += (size_t)n, moved = true, moved_total += (size_t)n;
          else if (n == 0)
            h->eof = true, moved = true;
          else if (errno != EAGAIN)
            return -1;
        }
      if (h->inpipe > 0)
        {
          ssize_t m = splice (h->pipe[0], NULL, dst, NULL, h->inpipe,
                              SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
          if (m > 0)
            h->inpipe -= (size_t)m, moved = true;
          else if (m < 0 && errno != EAGAIN)
            return -1;
        }
      if (!moved)
        break;
    }
  if (h->inpipe == 0)
    pipe_put (h);
  if (h->eof && h->inpipe == 0 && !h->shut)
    {
      shutdown (dst, SHUT_WR);
      h->shut = true;
    }
  return 0;
}

static uint32_t
want (const struct half *in, const struct half *out)
{
  uint32_t ev = 0;

  /* A full pipe waits for the other side: asking for EPOLLIN then
   * would wake the loop for nothing until DST drains. */
  if (!in->eof && has_room (in))
    ev |= EPOLLIN;
  if (out->inpipe > 0)
    ev |= EPOLLOUT;
  return ev;
}

/* E got EVENTS.  Only the halves it can move are pumped:
 * the client readable or the upstream writable moves c2u, the reverse
 * u2c, so a one-way bulk transfer pays no splice that can only say
 * EAGAIN.  An error or hang-up pumps both, so that it is seen. */
void
relay_event (struct conn *c, const struct ev *e, uint32_t events)
{
  bool all = events & (EPOLLERR | EPOLLHUP);
  bool up = e == &c->uev;
  bool c2u = all || (events & (up ? EPOLLOUT : EPOLLIN));
  bool u2c = all || (events & (up ? EPOLLIN : EPOLLOUT));

  c->last = now_ms ();
  if ((c2u && pump (&c->c2u, c->cev.fd, c->uev.fd) < 0)
      || (u2c && pump (&c->u2c, c->uev.fd, c->cev.fd) < 0))
    {
      conn_close (c);
      return;
    }
  if (c->c2u.shut && c->u2c.shut)
    {
      conn_close (c);
      return;
    }
  conn_interest (c, want (&c->c2u, &c->u2c), want (&c->u2c, &c->c2u));
}

void
relay_start (struct conn *c)
{
  /* Nothing to pump yet: epoll reports what is already waiting. */
  c->state = S_RELAY;
  c->last = now_ms ();
  conn_interest (c, want (&c->c2u, &c->u2c), want (&c->u2c, &c->c2u));
}
