/* agentboxd: the audit log — one JSON object per decision, per line
 * (docs/network.md lists the fields). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "proxy/agentboxd/guardian.h"

static int audit_fd = -1;

static void
mkdir_parents (const char *path)
{
  cleanup_free char *copy = strdup (path);
  char *dir = copy ? dirname (copy) : NULL;

  if (dir == NULL || strcmp (dir, "/") == 0 || strcmp (dir, ".") == 0)
    return;
  mkdir_parents (dir);
  mkdir (dir, 0755);
}

int
audit_open (const char *path, ab_error_t *err)
{
  mkdir_parents (path);
  audit_fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  return audit_fd < 0 ? ab_error_errno (err, "audit log %s", path) : 0;
}

static void
field (struct ab_buf *b, const char *key, const char *value)
{
  if (value == NULL)
    {
      ab_buf_printf (b, ",\"%s\":null", key);
      return;
    }
  ab_buf_printf (b, ",\"%s\":\"", key);
  ab_json_escape (b, value);
  ab_buf_puts (b, "\"");
}

void
audit (const struct container *c, const char *layer, const char *action,
       const char *resource, const struct verdict *v, const char *reason)
{
  audit_extra (c, layer, action, resource, v, reason, NULL);
}

void
audit_extra (const struct container *c, const char *layer, const char *action,
             const char *resource, const struct verdict *v, const char *reason,
             const char *extra)
{
  struct ab_buf b = AB_BUF_INIT;
  struct timespec ts;
  struct tm tm;
  char when[40];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  ab_buf_printf (&b, "{\"time\":\"%s.%06ldZ\"", when, ts.tv_nsec / 1000);
  field (&b, "container", c ? c->id : NULL);
  field (&b, "project", c && c->project[0] ? c->project : NULL);
  field (&b, "layer", layer);
  field (&b, "action", action);
  field (&b, "resource", resource);
  field (&b, "decision", v->decision);
  field (&b, "mode", v->mode);
  field (&b, "rule", v->rule[0] ? v->rule : NULL);
  if (c && c->pid > 0)
    ab_buf_printf (&b, ",\"pid\":%d", (int)c->pid);
  else
    ab_buf_puts (&b, ",\"pid\":null");
  if (reason)
    field (&b, "reason", reason);
  if (extra)
    ab_buf_puts (&b, extra);
  ab_buf_puts (&b, "}\n");
  if (b.data)
    audit_write (b.data, b.len);
  ab_buf_free (&b);
}

void
audit_write (const char *line, size_t len)
{
  /* One write per line with O_APPEND: lines never interleave. */
  if (audit_fd >= 0 && write (audit_fd, line, len) < 0)
    ab_log_warning ("audit log: %s", strerror (errno));
}
