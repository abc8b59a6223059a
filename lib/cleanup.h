/* agentbox: cleanup attributes, one per resource kind.
 *
 * A variable declared with one of these is released when it leaves scope.
 * Ownership that leaves a function is handed over with steal_pointer() or
 * steal_fd(), so a reader sees every transfer. */
#ifndef AB_CLEANUP_H
#define AB_CLEANUP_H

#ifdef AB_NOLIBC
#include "lib/nolibc.h"
#else
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#endif

static inline void
ab_freep (void *p)
{
  free (*(void **)p);
}

static inline void
ab_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
ab_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

/* A NULL-terminated vector of heap strings. */
static inline void
ab_strvfree (char **v)
{
  if (v == NULL)
    return;
  for (char **i = v; *i; i++)
    free (*i);
  free (v);
}

static inline void
ab_strvfreep (char ***v)
{
  ab_strvfree (*v);
}

#define cleanup_free __attribute__ ((cleanup (ab_freep)))
#define cleanup_close __attribute__ ((cleanup (ab_closep)))
#define cleanup_file __attribute__ ((cleanup (ab_fclosep)))
#define cleanup_strv __attribute__ ((cleanup (ab_strvfreep)))

static inline void *
ab_steal_pointer (void *pp)
{
  void **p = (void **)pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) ab_steal_pointer (pp)

static inline int
ab_steal_fd (int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}
#define steal_fd(fdp) ab_steal_fd (fdp)

#endif
