/* agentbox: the hardening profile (docs/hardening.md).  Every rule is an
 * edit of the tree in memory; the caller writes the bundle. */
#include "shim/lib/harden.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "shim/lib/harden-internal.h"

/* runc spec's defaults: kernel interfaces that leak host state or let a
 * process poke the hardware. */
static const char *const masked_paths[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
  NULL,
};

static const char *const readonly_paths[] = {
  "/proc/bus",           "/proc/fs", "/proc/irq", "/proc/sys",
  "/proc/sysrq-trigger", NULL,
};

void
ab_harden_report_free (struct ab_harden_report *r)
{
  ab_strvfree (r->changes);
  memset (r, 0, sizeof *r);
}

int
ab_harden_report_add (struct ab_harden_report *rep, const char *fmt, ...)
{
  char *line = NULL;
  va_list ap;

  if (rep == NULL)
    return 0;
  va_start (ap, fmt);
  if (vasprintf (&line, fmt, ap) < 0)
    line = NULL;
  va_end (ap);
  if (line == NULL)
    return -1;
  if (rep->len + 2 > rep->cap)
    {
      size_t cap = rep->cap ? rep->cap * 2 : 16;
      char **p = realloc (rep->changes, cap * sizeof *p);
      if (p == NULL)
        {
          free (line);
          return -1;
        }
      rep->changes = p;
      rep->cap = cap;
    }
  rep->changes[rep->len++] = line;
  rep->changes[rep->len] = NULL;
  return 0;
}

int
ab_harden_process (struct ab_json *proc, const struct ab_config *cfg,
                   struct ab_harden_report *rep, ab_error_t *err)
{
  if (!ab_json_is (proc, AB_JSON_OBJECT))
    return ab_error_set (err, EINVAL, "process: expected an object");
  for (char **cap = cfg->drop_capabilities; cap && *cap; cap++)
    {
      int n = ab_process_drop_cap (proc, *cap);
      if (n > 0
          && ab_harden_report_add (rep,
                                   "capability %s: dropped (%d "
                                   "entries)",
                                   *cap, n)
                 < 0)
        return ab_error_set (err, ENOMEM, "out of memory");
    }
  /* Closed: setuid binaries and file capabilities cannot raise what the
   * agent holds. */
  if (cfg->no_new_privileges && !ab_process_no_new_privileges (proc))
    {
      if (ab_process_set_no_new_privileges (proc, true, err) < 0)
        return -1;
      ab_harden_report_add (rep, "process.noNewPrivileges: set to true");
    }
  return 0;
}

static int
harden_paths (struct ab_spec *s, struct ab_harden_report *rep, ab_error_t *err)
{
  for (size_t i = 0; masked_paths[i]; i++)
    {
      int r = ab_spec_ensure_masked_path (s, masked_paths[i], err);
      if (r < 0)
        return -1;
      if (r > 0)
        ab_harden_report_add (rep, "linux.maskedPaths: added %s",
                              masked_paths[i]);
    }
  for (size_t i = 0; readonly_paths[i]; i++)
    {
      int r = ab_spec_ensure_readonly_path (s, readonly_paths[i], err);
      if (r < 0)
        return -1;
      if (r > 0)
        ab_harden_report_add (rep, "linux.readonlyPaths: added %s",
                              readonly_paths[i]);
    }
  return 0;
}

int
ab_harden_spec (struct ab_spec *s, const struct ab_config *cfg, const char *id,
                unsigned flags, struct ab_harden_report *rep, ab_error_t *err)
{
  struct ab_json *proc = ab_spec_process (s);

  if (ab_harden_mounts (s, cfg, rep, err) < 0)
    return ab_error_wrap (err, "mounts");
  if (proc && ab_harden_process (proc, cfg, rep, err) < 0)
    return ab_error_wrap (err, "process");
  if (cfg->masked_paths && harden_paths (s, rep, err) < 0)
    return ab_error_wrap (err, "masked paths");
  if (cfg->isolate_namespaces && ab_harden_namespaces (s, cfg, rep, err) < 0)
    return ab_error_wrap (err, "namespaces");
  if (cfg->seccomp && ab_harden_seccomp (s, cfg, rep, err) < 0)
    return ab_error_wrap (err, "linux.seccomp");
  /* The bundle had no profile: agentbox's, here or by the caller. */
  if (cfg->seccomp && !ab_spec_seccomp (s)
      && !(flags & AB_HARDEN_SECCOMP_DEFAULT_LATER)
      && ab_harden_seccomp_default (s, cfg, rep, err) < 0)
    return ab_error_wrap (err, "linux.seccomp");
  return 0;
}
