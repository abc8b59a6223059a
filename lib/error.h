/* agentbox: one error type for every layer.
 *
 * Contract (docs/errors.md): a function that can fail takes `ab_error_t *err`
 * as its last argument, returns a negative value on failure after filling
 * *err, and returns >= 0 on success.  Callers add context on the way up with
 * ab_error_wrap(); only main() prints.  The status is an errno value (or
 * EINVAL for bad input); foreign libraries' codes are converted once, at
 * their boundary, by the converter beside the code that calls them. */
#ifndef AB_ERROR_H
#define AB_ERROR_H

#include <stdarg.h>

struct ab_error_s
{
  int status; /* errno-style, > 0 */
  char *msg;  /* "outer context: inner context: cause" */
};
typedef struct ab_error_s *ab_error_t;

/* Fill *err with STATUS and a formatted message.  Returns -1 so that a
 * caller can write `return ab_error_set (err, EINVAL, "...")`.  If *err is
 * already set, the old error is freed (last writer wins). */
int ab_error_set (ab_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Like ab_error_set, with the message followed by ": strerror(errno)" and
 * errno as the status.  Reads errno before doing anything else. */
int ab_error_errno (ab_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Prefix the message of *err with context: "context: old message".
 * Returns -1. */
int ab_error_wrap (ab_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

int ab_error_vset (ab_error_t *err, int status, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));

void ab_error_free (ab_error_t *err);

static inline void
ab_error_freep (ab_error_t *err)
{
  ab_error_free (err);
}
#define cleanup_error __attribute__ ((cleanup (ab_error_freep)))

#endif
