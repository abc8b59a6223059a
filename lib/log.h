/* agentbox: logging where engines read it.
 *
 * Messages go to the --log file, if one was given, in runc's shapes:
 *   json: {"level":"error","msg":"...","time":"2026-11-22T12:00:00.000000000Z"}
 *   text: time="2026-11-22T12:00:00Z" level=error msg="..."
 * Warnings and errors also go to stderr, where a person running the command
 * sees them.  Debug lines are written only when debug is on. */
#ifndef AB_LOG_H
#define AB_LOG_H

#include <stdbool.h>

#include "error.h"

enum ab_log_level
{
  AB_LOG_ERROR,
  AB_LOG_WARNING,
  AB_LOG_INFO,
  AB_LOG_DEBUG,
};

enum ab_log_format
{
  AB_LOG_TEXT,
  AB_LOG_JSON,
};

/* PATH may be NULL (stderr only).  Opens PATH for append, creating it. */
int ab_log_open (const char *path, enum ab_log_format format, bool debug,
                 ab_error_t *err);
void ab_log_close (void);
/* The name stderr lines start with ("agentbox-runc: ..."). */
void ab_log_set_program (const char *name);
bool ab_log_debug_enabled (void);

/* Parse "text" or "json"; -1 on anything else. */
int ab_log_format_parse (const char *s);

void ab_log (enum ab_log_level level, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#define ab_log_error(...) ab_log (AB_LOG_ERROR, __VA_ARGS__)
#define ab_log_warning(...) ab_log (AB_LOG_WARNING, __VA_ARGS__)
#define ab_log_info(...) ab_log (AB_LOG_INFO, __VA_ARGS__)
#define ab_log_debug(...) ab_log (AB_LOG_DEBUG, __VA_ARGS__)

/* Append S to the buffer OUT as a JSON string body (no quotes), escaping
 * quotes, backslashes and control bytes.  Returns the new length or -1. */
struct ab_buf;
int ab_json_escape (struct ab_buf *out, const char *s);

#endif
