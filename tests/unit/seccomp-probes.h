/* agentbox unit tests: probes for a seccomp filter loaded in a child.
 * Each probe records what a syscall got (0 or its errno) against what
 * the filter should give. */
#ifndef AB_TEST_SECCOMP_PROBES_H
#define AB_TEST_SECCOMP_PROBES_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct probe
{
  const char *name;
  int got, want;
};

/* What a syscall returning R did: 0 or the errno. */
static inline int
probe_result (long r)
{
  return r < 0 ? errno : 0;
}

/* clone with FLAGS (and SIGCHLD); the child exits at once. */
static inline int
probe_clone (unsigned long flags)
{
  long r = syscall (SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);

  if (r == 0)
    _exit (0);
  if (r > 0)
    waitpid ((pid_t)r, NULL, 0);
  return probe_result (r);
}

/* Print each of the N probes that got the wrong answer; 1 if any did. */
static inline int
probes_report (const struct probe *p, size_t n)
{
  int bad = 0;

  for (size_t i = 0; i < n; i++)
    if (p[i].got != p[i].want)
      {
        printf ("# probe %s: got %s, want %s\n", p[i].name,
                p[i].got ? strerror (p[i].got) : "success",
                p[i].want ? strerror (p[i].want) : "success");
        bad = 1;
      }
  fflush (stdout);
  return bad;
}

#endif
