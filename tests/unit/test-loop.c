/* Unit tests for agentboxd's event loop (proxy/agentboxd/loop.c): a
 * handler that deletes another event source, or deletes it and reuses it
 * for a new fd, must not see that source's events still pending in the
 * same epoll batch.  Closing a tunnel frees both of its ends: before
 * loop_del dropped pending events, the other end's handler could run on
 * freed memory, and the guardian crashed under the bench's load. */
#include <stdbool.h>
#include <unistd.h>

#include "proxy/agentboxd/loop.c"
#include "tests/unit/unit.h"

/* loop.c's one dependency outside itself: the resolver's queue. */
void
resolve_flush (void)
{
}

static void
no_tick (uint64_t now)
{
}

struct src
{
  struct ev ev;
  int pipe[2];
};

static struct src a, b, fresh;
static int order, a_at, b_at, stale_calls;
static bool reuse;

static void
on_b (struct ev *e, uint32_t events)
{
  b_at = ++order;
}

static void
on_stale (struct ev *e, uint32_t events)
{
  stale_calls++;
}

/* A takes B down: deletes it and, as a freed conn's memory might by
 * then, points it at a handler that must never run.  With REUSE, B is
 * added again on a new fd that is not ready. */
static void
on_a (struct ev *e, uint32_t events)
{
  cleanup_error ab_error_t err = NULL;

  a_at = ++order;
  loop_stop ();
  loop_del (&b.ev);
  b.ev.fn = on_stale;
  if (reuse)
    {
      b.ev.fd = fresh.pipe[0];
      CHECK (loop_add (&b.ev, EPOLLIN, &err) == 0);
    }
}

/* Both sources ready before the wait, A added first: epoll reports them
 * in one batch, in the order they became ready.  A_FN handles A. */
static void
run_batch (ev_fn a_fn, bool reuse_b)
{
  cleanup_error ab_error_t err = NULL;

  reuse = reuse_b;
  order = a_at = b_at = stale_calls = 0;
  stopping = false;
  CHECK (loop_init (&err) == 0);
  CHECK (pipe (a.pipe) == 0 && pipe (b.pipe) == 0 && pipe (fresh.pipe) == 0);
  CHECK (write (a.pipe[1], "x", 1) == 1 && write (b.pipe[1], "x", 1) == 1);
  a.ev = (struct ev){ .fd = a.pipe[0], .fn = a_fn };
  b.ev = (struct ev){ .fd = b.pipe[0], .fn = on_b };
  CHECK (loop_add (&a.ev, EPOLLIN, &err) == 0);
  CHECK (loop_add (&b.ev, EPOLLIN, &err) == 0);
  CHECK (loop_run (no_tick, &err) == 0);
  close (epfd);
  for (int i = 0; i < 2; i++)
    {
      close (a.pipe[i]);
      close (b.pipe[i]);
      close (fresh.pipe[i]);
    }
}

TEST (deleted_source_gets_no_pending_event)
{
  run_batch (on_a, false);
  CHECK (a_at == 1);
  CHECK (b_at == 0);
  CHECK (stale_calls == 0);
}

TEST (reused_source_gets_no_stale_event)
{
  run_batch (on_a, true);
  CHECK (a_at == 1);
  CHECK (b_at == 0);
  CHECK (stale_calls == 0);
}

/* Without a deletion, both handlers run in the batch: the scrub takes
 * only what was deleted. */
static void
on_a_quiet (struct ev *e, uint32_t events)
{
  a_at = ++order;
  loop_stop ();
}

TEST (undeleted_sources_all_run)
{
  run_batch (on_a_quiet, false);
  CHECK (a_at == 1);
  CHECK (b_at == 2);
}

int
main (void)
{
  RUN (deleted_source_gets_no_pending_event);
  RUN (reused_source_gets_no_stale_event);
  RUN (undeleted_sources_all_run);
  return unit_done ();
}
