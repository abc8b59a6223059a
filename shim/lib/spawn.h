/* agentbox: run the delegate runtime as a child and wait for it (for the
 * verbs where agentbox-runc has work to do after it: run, delete,
 * --version, features, and the namespace check's `state` query), or
 * exec it.
 *
 * In a shim server's worker (shim/runc/serve.c) the exec and the runs
 * whose stdio is the caller's are the front's to do: agentbox-runc, in
 * the engine's place, with the engine's descriptors, cgroup and
 * limits.  ab_spawn_set_front() sends them there. */
#ifndef AB_SPAWN_H
#define AB_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

/* Run ARGV (ARGV[0] is a path) with stdin, stdout and stderr inherited and
 * wait.  *STATUS is its exit status, or 128 + the signal that killed it
 * (the shell's convention).  Fails only when it cannot be started. */
int ab_spawn_wait (char *const *argv, int *status, ab_error_t *err);

/* Run ARGV as runc run's foreground child: HUP, INT, QUIT, TERM, USR1,
 * USR2 and WINCH sent to us are passed on to it, and it starts with
 * their default actions.  *WSTATUS is the raw wait status.  Fails with -1
 * when it did not start, -2 when it did but how it ended is unknown. */
int ab_spawn_foreground (char *const *argv, int *wstatus, ab_error_t *err);

/* FD (not close-on-exec) is for the delegate to inherit, and *ARG is
 * how its argv names it: /proc/self/fd/FD here; in a worker the next exec
 * or run takes FD to the front, which names it there. */
int ab_spawn_pass_fd (int fd, char **arg, ab_error_t *err);

/* Exec ARGV (ARGV[0] is a path).  Returns only on failure, or with 0
 * when the front exec'd it: the caller then returns, doing nothing
 * more, as if it had exec'd. */
int ab_exec (char *const *argv, ab_error_t *err);

/* The exit status for a child killed by SIG: this process dies by it
 * too, so that the caller sees what the child's caller would have (a
 * worker has its front do that, and returns 128 + SIG). */
int ab_exit_by_signal (int sig);

/* From now on, send execs and foreground runs to the front on SOCK (-1:
 * do them here again).  RELEASE, if not NULL, lets go of the caller's
 * stdio once the front has exec'd and this process carries on
 * (ab_spawn_exec_watched).  After the call, ab_spawn_front_signal() is
 * the signal a child died by (0 if none), and ab_spawn_front_exec()
 * whether the front exec'd the delegate, the call's end. */
void ab_spawn_set_front (int sock, void (*release) (void));

/* Can the process the front becomes be watched to its end from here?
 * 1, with *PID its pid, in a worker on Linux 6.5 or later (a pidfd of
 * the front, SO_PEERPIDFD); 0 otherwise. */
int ab_spawn_front_watch (pid_t *pid);
/* After ab_spawn_front_watch(): have the front exec ARGV, then wait
 * here until that process ends (its exit status is the engine's to
 * see, not ours).  0 when it has ended; -1 when the exec failed and
 * nothing ran; -2 when its end cannot be known. */
int ab_spawn_exec_watched (char *const *argv, ab_error_t *err);
int ab_spawn_front_signal (void);
bool ab_spawn_front_exec (void);

/* The same with stdout captured into *OUT (NUL-terminated, caller frees);
 * QUIET sends stderr to /dev/null instead of ours. */
int ab_spawn_capture (char *const *argv, bool quiet, char **out, int *status,
                      ab_error_t *err);

#endif
