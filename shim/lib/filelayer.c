/* agentbox: the Landlock file layer's part of create (filelayer.h). */
#include "shim/lib/filelayer.h"

#include <errno.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "policy/landlock.h"
#include "shim/lib/harden-internal.h"
#include "shim/lib/net.h"

const char *const ab_init_prefix[]
    = { AB_INIT_PATH, "--rules", AB_RULES_PATH, "--", NULL };

int
ab_config_load_policy (const struct ab_config *cfg, struct ab_ir **out,
                       ab_error_t *err)
{
  char *files[64];
  int n = 0;

  for (char **f = cfg->net.policy; f && *f && n < 64; f++)
    {
      /* The built-in default may be absent (nothing allowed); a file the
       * config names must exist. */
      if (!cfg->net.policy_set && access (*f, F_OK) < 0 && errno == ENOENT)
        continue;
      files[n++] = *f;
    }
  if (ab_ir_load_files (files, n, out, err) < 0)
    return ab_error_wrap (err, "load policy");
  return 0;
}

static bool
landlock_available (void)
{
#ifdef SYS_landlock_create_ruleset
  return syscall (SYS_landlock_create_ruleset, NULL, 0,
                  LANDLOCK_CREATE_RULESET_VERSION)
         >= 1;
#else
  return false;
#endif
}

int
ab_filelayer_prepare (const struct ab_ir *ir, const char *id,
                      const char *project, const char *state_dir,
                      ab_error_t *err)
{
  cleanup_free char *text = NULL, *path = NULL;
  cleanup_file FILE *f = NULL;
  struct ab_ir_principal p = { .container = id, .project = project };
  int r;

  r = ab_ir_landlock_rules (ir, &p, &text, err);
  if (r != 0)
    return r < 0 ? ab_error_wrap (err, "file layer") : 0;
  /* Closed: a policy with file rules and no layer to enforce them. */
  if (!landlock_available ())
    return ab_error_set (err, ENOTSUP,
                         "file layer: the policy has file rules, and this "
                         "kernel has neither BPF LSM for agentbox nor "
                         "Landlock");
  if (ab_net_make_run_dir (state_dir, err) < 0
      || asprintf (&path, "%s/run/landlock.rules", state_dir) < 0)
    return -1;
  f = fopen (path, "we");
  if (f == NULL || fputs (text, f) < 0 || fflush (f) != 0)
    return ab_error_errno (err, "write %s", path);
  fchmod (fileno (f), 0644);
  return 1;
}

bool
ab_filelayer_active (const char *state_dir)
{
  cleanup_free char *path = NULL;

  return asprintf (&path, "%s/run/landlock.rules", state_dir) >= 0
         && access (path, F_OK) == 0;
}

int
ab_filelayer_rewrite (struct ab_spec *s, const struct ab_config *cfg,
                      const char *state_dir, struct ab_harden_report *rep,
                      ab_error_t *err)
{
  cleanup_free char *init = NULL;
  cleanup_free const char **args = NULL;
  struct ab_json *proc = ab_spec_process (s);

  if (ab_sibling_path ("agentbox-init", &init, err) < 0
      || ab_net_bind_run (s, state_dir, rep, err) < 0
      || ab_net_bind_file (s, AB_INIT_PATH, init, rep, err) < 0)
    return ab_error_wrap (err, "file layer");
  if (proc == NULL)
    return 0;
  if (ab_process_args (proc, &args, err) < 0)
    return -1;
  if (args[0] && strcmp (args[0], AB_INIT_PATH) == 0)
    return 0;
  ab_harden_report_add (rep, "process.args: run under %s (Landlock)",
                        AB_INIT_PATH);
  return ab_process_prepend_args (proc, ab_init_prefix, err);
}
