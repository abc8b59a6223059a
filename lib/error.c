/* agentbox: the error type (see error.h and docs/errors.md). */
#include "error.h"

#ifdef AB_NOLIBC
#include "lib/nolibc.h" /* agentbox-init's build */
#else
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#endif

/* Formatting an error must never fail the caller's error path, so an
 * allocation failure degrades to a static message instead of NULL. */
static char oom_msg[] = "out of memory while formatting an error";

static void
free_msg (char *msg)
{
  if (msg != oom_msg)
    free (msg);
}

int
ab_error_vset (ab_error_t *err, int status, const char *fmt, va_list ap)
{
  char *msg = NULL;

  if (err == NULL)
    return -1;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = oom_msg;
  if (*err == NULL)
    {
      *err = calloc (1, sizeof (**err));
      if (*err == NULL)
        {
          free_msg (msg);
          return -1;
        }
    }
  else
    free_msg ((*err)->msg);
  (*err)->status = status > 0 ? status : EINVAL;
  (*err)->msg = msg;
  return -1;
}

int
ab_error_set (ab_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  ab_error_vset (err, status, fmt, ap);
  va_end (ap);
  return -1;
}

int
ab_error_errno (ab_error_t *err, const char *fmt, ...)
{
  int saved = errno;
  char *prefix = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end (ap);
  ab_error_set (err, saved, "%s: %s", prefix ? prefix : "?", strerror (saved));
  free (prefix);
  errno = saved;
  return -1;
}

int
ab_error_wrap (ab_error_t *err, const char *fmt, ...)
{
  char *prefix = NULL, *msg = NULL;
  va_list ap;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end (ap);
  if (prefix && asprintf (&msg, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free_msg ((*err)->msg);
      (*err)->msg = msg;
    }
  free (prefix);
  return -1;
}

void
ab_error_free (ab_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free_msg ((*err)->msg);
  free (*err);
  *err = NULL;
}
