/* agentbox: policy hot reload — a slot holds the IR in force; a reload
 * compiles a whole new IR and swaps one pointer.
 *
 * Readers: ab_ir_slot_get() announces itself (readers++), loads the
 * pointer, takes a reference, and leaves (readers--).  The writer swaps
 * the pointer and then waits until no reader is inside that short window
 * before dropping the slot's reference on the old IR: a reader that loaded
 * the old pointer has taken its own reference by then, so the old IR
 * stays valid until that reader lets go, and is freed by whoever drops
 * the last reference.  (tinyproxy frees a config live connections still
 * read; this does not.) */
#include <sched.h>

#include "policy/ir-internal.h"

void
ab_ir_slot_init (struct ab_ir_slot *s, struct ab_ir *initial)
{
  atomic_init (&s->cur, initial);
  atomic_init (&s->readers, 0);
  atomic_init (&s->generation, 0);
  if (initial)
    initial->generation = atomic_fetch_add (&s->generation, 1) + 1;
}

void
ab_ir_slot_destroy (struct ab_ir_slot *s)
{
  ab_ir_unref (atomic_exchange (&s->cur, NULL));
}

struct ab_ir *
ab_ir_slot_get (struct ab_ir_slot *s)
{
  struct ab_ir *ir;

  atomic_fetch_add (&s->readers, 1);
  ir = atomic_load (&s->cur);
  if (ir)
    ab_ir_ref (ir);
  atomic_fetch_sub (&s->readers, 1);
  return ir;
}

void
ab_ir_slot_swap (struct ab_ir_slot *s, struct ab_ir *ir)
{
  struct ab_ir *old;

  /* The generation is written before the IR is published, never after:
   * readers see an immutable object. */
  if (ir)
    ir->generation = atomic_fetch_add (&s->generation, 1) + 1;
  old = atomic_exchange (&s->cur, ir);
  while (atomic_load (&s->readers) != 0)
    sched_yield ();
  ab_ir_unref (old);
}

int
ab_ir_reload (struct ab_ir_slot *s, struct ab_ir_source *src, ab_error_t *err)
{
  struct ab_ir *ir;

  /* Fails closed to the old policy: nothing is swapped unless the new
   * one compiled whole. */
  if (ab_ir_compile (src, &ir, err) < 0)
    return ab_error_wrap (err, "reload: old policy kept");
  ab_ir_slot_swap (s, ir);
  return 0;
}
