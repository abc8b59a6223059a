/* agentboxd: the event loop — epoll, level-triggered, one thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "proxy/agentboxd/guardian.h"

static int epfd = -1;
static bool stopping;
/* The batch loop_run is dispatching: events after the one being handled
 * are still to come, and a handler may delete (and free) their owners. */
static struct epoll_event batch[256];
static int batch_next, batch_n;

int
loop_init (ab_error_t *err)
{
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  return epfd < 0 ? ab_error_errno (err, "epoll_create1") : 0;
}

int
loop_add (struct ev *e, uint32_t events, ab_error_t *err)
{
  struct epoll_event ee = { .events = events, .data.ptr = e };

  if (epoll_ctl (epfd, EPOLL_CTL_ADD, e->fd, &ee) < 0)
    return ab_error_errno (err, "epoll_ctl add");
  e->armed = events;
  return 0;
}

int
loop_mod (struct ev *e, uint32_t events)
{
  struct epoll_event ee = { .events = events, .data.ptr = e };

  if (e->armed == events)
    return 0;
  e->armed = events;
  return epoll_ctl (epfd, EPOLL_CTL_MOD, e->fd, &ee);
}

/* Also drops E's events still pending in the batch: the caller may free
 * E next (closing a tunnel frees both of its ends), or reuse it for a
 * new fd (the next upstream address). */
void
loop_del (struct ev *e)
{
  if (e->fd >= 0)
    epoll_ctl (epfd, EPOLL_CTL_DEL, e->fd, NULL);
  for (int i = batch_next; i < batch_n; i++)
    if (batch[i].data.ptr == e)
      batch[i].data.ptr = NULL;
}

uint64_t
now_ms (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

void
loop_stop (void)
{
  stopping = true;
}

int
loop_run (void (*tick) (uint64_t now), ab_error_t *err)
{
  uint64_t last = now_ms ();

  while (!stopping)
    {
      int n = epoll_wait (epfd, batch, (int)(sizeof batch / sizeof batch[0]),
                          1000);
      uint64_t now;

      if (n < 0 && errno != EINTR)
        return ab_error_errno (err, "epoll_wait");
      batch_n = n < 0 ? 0 : n;
      for (batch_next = 0; batch_next < batch_n;)
        {
          struct epoll_event *ee = &batch[batch_next++];
          struct ev *e = ee->data.ptr;
          if (e)
            e->fn (e, ee->events);
        }
      batch_n = batch_next = 0;
      resolve_flush ();
      now = now_ms ();
      if (now - last >= 1000)
        {
          last = now;
          tick (now);
        }
    }
  return 0;
}

void
sa_unmap (struct sockaddr_storage *sa)
{
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
  struct sockaddr_in s4 = { .sin_family = AF_INET };

  if (sa->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED (&s6->sin6_addr))
    return;
  s4.sin_port = s6->sin6_port;
  memcpy (&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
  memset (sa, 0, sizeof *sa);
  memcpy (sa, &s4, sizeof s4);
}

const char *
sa_ntop (const struct sockaddr_storage *sa, char *buf, size_t cap)
{
  const void *a
      = sa->ss_family == AF_INET
            ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
            : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

  if (inet_ntop (sa->ss_family, a, buf, (socklen_t)cap) == NULL)
    snprintf (buf, cap, "?");
  return buf;
}

unsigned
sa_port (const struct sockaddr_storage *sa)
{
  return ntohs (sa->ss_family == AF_INET
                    ? ((const struct sockaddr_in *)sa)->sin_port
                    : ((const struct sockaddr_in6 *)sa)->sin6_port);
}
