/* agentbox: run the delegate runtime as a child and wait for it (for the
 * verbs where agentbox-runc has work to do after it: delete, --version,
 * features, and the namespace check's `state` query). */
#ifndef AB_SPAWN_H
#define AB_SPAWN_H

#include <stdbool.h>

#include "lib/error.h"

/* Run ARGV (ARGV[0] is a path) with stdin, stdout and stderr inherited and
 * wait.  *STATUS is its exit status, or 128 + the signal that killed it
 * (the shell's convention).  Fails only when it cannot be started. */
int ab_spawn_wait (char *const *argv, int *status, ab_error_t *err);

/* The same with stdout captured into *OUT (NUL-terminated, caller frees);
 * QUIET sends stderr to /dev/null instead of ours. */
int ab_spawn_capture (char *const *argv, bool quiet, char **out, int *status,
                      ab_error_t *err);

#endif
