/* agentbox: the file and exec rules of a policy as a Landlock ruleset
 * for agentbox-init (docs/landlock.md).
 *
 * Landlock is an allowlist: it can grant rights beneath a directory or on
 * a file, and nothing else.  So a policy translates when its permits are
 * plain scopes (File == , Dir in, any) and no forbid falls strictly inside
 * a permitted path; a permit inside a forbid is void (forbid wins) and is
 * left out; a permit with a condition is left out (stricter).  Anything
 * else cannot be expressed and is an error: the caller fails closed. */
#ifndef AB_POLICY_LANDLOCK_H
#define AB_POLICY_LANDLOCK_H

#include "policy/ir.h"

/* The rules for principal P, one per line ("ro PATH", "rw PATH",
 * "x PATH"), in *TEXT (heap).  Returns 0, 1 when the policy has no file
 * or exec rule for P (no file layer is needed: *TEXT is NULL), or -1 with
 * ERR naming the rules that cannot be expressed. */
int ab_ir_landlock_rules (const struct ab_ir *ir,
                          const struct ab_ir_principal *p, char **text,
                          ab_error_t *err);

#endif
