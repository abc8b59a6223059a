/* agentbox: logging in runc's line shapes (see log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

static int log_fd = -1;
static enum ab_log_format log_format = AB_LOG_TEXT;
static bool log_debug = false;
static const char *log_program = "agentbox";

void
ab_log_set_program (const char *name)
{
  log_program = name;
}

static const char *const level_names[] = {
  [AB_LOG_ERROR] = "error",
  [AB_LOG_WARNING] = "warning",
  [AB_LOG_INFO] = "info",
  [AB_LOG_DEBUG] = "debug",
};

int
ab_log_format_parse (const char *s)
{
  if (strcmp (s, "text") == 0)
    return AB_LOG_TEXT;
  if (strcmp (s, "json") == 0)
    return AB_LOG_JSON;
  return -1;
}

int
ab_log_open (const char *path, enum ab_log_format format, bool debug,
             ab_error_t *err)
{
  log_format = format;
  log_debug = debug;
  if (path == NULL || *path == '\0')
    return 0;
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return ab_error_errno (err, "open log file `%s`", path);
  ab_log_close ();
  log_fd = fd;
  return 0;
}

void
ab_log_close (void)
{
  if (log_fd >= 0)
    close (log_fd);
  log_fd = -1;
}

bool
ab_log_debug_enabled (void)
{
  return log_debug;
}

int
ab_json_escape (struct ab_buf *out, const char *s)
{
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    {
      int r;
      switch (*p)
        {
        case '"':
          r = ab_buf_puts (out, "\\\"");
          break;
        case '\\':
          r = ab_buf_puts (out, "\\\\");
          break;
        case '\n':
          r = ab_buf_puts (out, "\\n");
          break;
        case '\t':
          r = ab_buf_puts (out, "\\t");
          break;
        default:
          if (*p < 0x20 || *p == 0x7f)
            r = ab_buf_printf (out, "\\u%04x", *p);
          else
            r = ab_buf_append (out, p, 1);
        }
      if (r < 0)
        return -1;
    }
  return (int)out->len;
}

static void
format_time (char *out, size_t len, bool nanos)
{
  struct timespec ts;
  struct tm tm;
  char base[32];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  if (nanos)
    snprintf (out, len, "%s.%09ldZ", base, ts.tv_nsec);
  else
    snprintf (out, len, "%sZ", base);
}

static void
write_all (int fd, const char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return; /* logging never fails the caller */
      data += n;
      len -= (size_t)n;
    }
}

static void
write_file_line (enum ab_log_level level, const char *msg)
{
  cleanup_buf struct ab_buf line = AB_BUF_INIT;
  char when[64];

  format_time (when, sizeof when, log_format == AB_LOG_JSON);
  if (log_format == AB_LOG_JSON)
    {
      ab_buf_printf (&line, "{\"level\":\"%s\",\"msg\":\"", level_names[level]);
      ab_json_escape (&line, msg);
      ab_buf_printf (&line, "\",\"time\":\"%s\"}\n", when);
    }
  else
    {
      ab_buf_printf (&line, "time=\"%s\" level=%s msg=\"", when,
                     level_names[level]);
      ab_json_escape (&line, msg);
      ab_buf_puts (&line, "\"\n");
    }
  if (line.data)
    write_all (log_fd, line.data, line.len);
}

void
ab_log (enum ab_log_level level, const char *fmt, ...)
{
  cleanup_buf struct ab_buf msg = AB_BUF_INIT;
  int saved = errno;
  va_list ap;
  char *text = NULL;

  if (level == AB_LOG_DEBUG && !log_debug)
    return;
  va_start (ap, fmt);
  if (vasprintf (&text, fmt, ap) < 0)
    text = NULL;
  va_end (ap);
  if (text == NULL)
    return;
  if (log_fd >= 0)
    write_file_line (level, text);
  if (level <= AB_LOG_WARNING || (log_fd < 0 && level == AB_LOG_DEBUG))
    {
      ab_buf_printf (&msg, "%s: %s%s\n", log_program,
                     level == AB_LOG_WARNING ? "warning: " : "", text);
      if (msg.data)
        write_all (STDERR_FILENO, msg.data, msg.len);
    }
  free (text);
  errno = saved;
}
