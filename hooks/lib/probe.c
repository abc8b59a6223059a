/* agentbox: host probes (probe.h).  Everything is read, nothing set. */
#include "hooks/lib/probe.h"

#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hooks/lib/connect-guard.h"
#include "lib/cleanup.h"

static void
read_line (const char *path, char *out, size_t cap)
{
  cleanup_file FILE *f = fopen (path, "re");

  out[0] = '\0';
  if (f && fgets (out, (int)cap, f))
    out[strcspn (out, "\n")] = '\0';
}

void
ab_probe_cgroup2 (struct ab_probe *p)
{
  cleanup_file FILE *f = fopen ("/proc/self/mountinfo", "re");
  char *out = p->cgroup2, line[1024];
  size_t cap = sizeof p->cgroup2;

  out[0] = '\0';
  while (f && fgets (line, sizeof line, f))
    {
      char mnt[256], type[64];
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - TYPE SOURCE ... */
      const char *dash = strstr (line, " - ");
      if (dash == NULL || sscanf (dash, " - %63s", type) != 1
          || strcmp (type, "cgroup2") != 0
          || sscanf (line, "%*s %*s %*s %*s %255s", mnt) != 1)
        continue;
      snprintf (out, cap, "%s", mnt);
      return;
    }
}

void
ab_probe_lsm (struct ab_probe *p)
{
  char lock[128];
  const char *open_, *close_;

  memset (p, 0, sizeof *p);
  read_line ("/sys/kernel/security/lsm", p->lsm, sizeof p->lsm);
  for (char *save = NULL, *copy = strdupa (p->lsm),
            *t = strtok_r (copy, ",", &save);
       t; t = strtok_r (NULL, ",", &save))
    if (strcmp (t, "bpf") == 0)
      p->bpf_in_lsm = true;
  /* "none [integrity] confidentiality": the bracketed one is in force. */
  read_line ("/sys/kernel/security/lockdown", lock, sizeof lock);
  open_ = strchr (lock, '[');
  close_ = open_ ? strchr (open_, ']') : NULL;
  if (open_ && close_)
    snprintf (p->lockdown, sizeof p->lockdown, "%.*s",
              (int)(close_ - open_ - 1), open_ + 1);
}

void
ab_probe_host (struct ab_probe *p)
{
  ab_probe_lsm (p);
  ab_probe_cgroup2 (p);
#ifdef SYS_landlock_create_ruleset
  long abi = syscall (SYS_landlock_create_ruleset, NULL, 0,
                      LANDLOCK_CREATE_RULESET_VERSION);
  p->landlock_abi = abi > 0 ? (int)abi : 0;
#endif
  p->connect_guard = p->cgroup2[0] && connect_guard_supported ();
}

bool
ab_probe_bpf_lsm_usable (const struct ab_probe *p)
{
  return p->bpf_in_lsm && strcmp (p->lockdown, "confidentiality") != 0;
}
