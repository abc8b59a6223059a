/* agentboxd: following the containers' file guards (hooks/lib/file-guard.h).
 *
 * Each followed container's pinned `events` ring buffer is one map of a
 * libbpf ring_buffer whose epoll fd sits in the loop; every event becomes
 * one audit line, "layer":"file".  The BPF programs enforce whether or
 * not the guardian runs: following is for the record only, so failing to
 * follow a container is logged and never fails its registration.  An
 * event the ring buffer had no room for is counted in the `drops` map,
 * which `status` shows. */
#ifndef AGENTBOXD_FILEGUARD_H
#define AGENTBOXD_FILEGUARD_H

#include <time.h>

#include "bpf/file-guard.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "policy/ir.h"

/* Follow container ID's events (a no-op when followed already).  ENOENT
 * when it has no file guard. */
int fg_follow (const char *id, ab_error_t *err);
/* Stop following ID, after reading what its buffer still holds. */
void fg_unfollow (const char *id);
/* Follow every container with a pinned file guard (at start). */
void fg_readopt (void);
/* Drop the containers whose pins went away (once in a while). */
void fg_tick (uint64_t now);
/* `status`: ,"file_guard":[{"id","mode","generation","drops","events"}]. */
void fg_status (struct ab_buf *out);

/* The audit line (with its '\n') of event EV of CONTAINER (PROJECT may be
 * NULL), which happened at WHEN (wall clock).  RULE is the rule EV->rule
 * names in the policy in force, NULL when EV->rule is 0 or names none.
 * Pure, for tests (tests/unit/test-fg-audit.c). */
int fg_audit_line (struct ab_buf *b, const struct timespec *when,
                   const char *container, const char *project,
                   const struct ab_fg_event *ev, const struct ab_ir_rule *rule);

/* Put IR's file rules in force in every followed container's guard (one
 * generation flip each). */
void fg_update_all (struct ab_ir *ir);

#endif
