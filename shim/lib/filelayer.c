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

int
ab_config_annotation_mode (const struct ab_config *cfg, const char *value,
                           enum ab_ir_mode *mode, ab_error_t *err)
{
  if (ab_ir_mode_parse (value, mode) < 0)
    return ab_error_set (err, EINVAL,
                         "annotation " AB_ANN_MODE ": '%s' is not a mode "
                         "(enforce, shadow, record)",
                         value);
  if (!(cfg->net.annotation_modes & (1u << *mode)))
    return ab_error_set (err, EPERM,
                         "annotation " AB_ANN_MODE ": '%s' is not allowed "
                         "here (network.annotation_modes in %s)",
                         value, cfg->path ? cfg->path : "the config");
  return 0;
}

enum ab_ir_mode
ab_config_container_mode (const struct ab_config *cfg, const char *value,
                          enum ab_ir_mode dflt)
{
  cleanup_error ab_error_t err = NULL;
  enum ab_ir_mode m;

  if (value == NULL)
    return dflt;
  return ab_config_annotation_mode (cfg, value, &m, &err) == 0
             ? m
             : AB_IR_MODE_ENFORCE;
}

static bool
policy_name_ok (const char *name)
{
  size_t n = strlen (name);

  return n > 0 && n <= 64 && name[0] != '.'
         && strspn (name, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
                == n;
}

int
ab_config_load_narrow (const struct ab_config *cfg, const char *name,
                       struct ab_ir **out, ab_error_t *err)
{
  static const char *const suffixes[] = { ".cedar", ".yaml" };
  char *files[2];
  int n = 0, r;

  *out = NULL;
  if (!policy_name_ok (name))
    return ab_error_set (err, EINVAL,
                         "annotation " AB_ANN_POLICY ": '%s' is not a policy "
                         "name (letters, digits, '.', '_', '-')",
                         name);
  for (size_t i = 0; i < 2; i++)
    {
      if (asprintf (&files[n], "%s/%s%s", cfg->net.policy_dir, name,
                    suffixes[i])
          < 0)
        {
          while (n > 0)
            free (files[--n]);
          return ab_error_set (err, ENOMEM, "out of memory");
        }
      if (access (files[n], F_OK) == 0)
        n++;
      else
        free (files[n]);
    }
  if (n == 0)
    return ab_error_set (err, ENOENT,
                         "annotation " AB_ANN_POLICY ": no policy '%s' in %s "
                         "(%s.cedar or %s.yaml)",
                         name, cfg->net.policy_dir, name, name);
  r = ab_ir_load_files (files, n, out, err);
  while (n > 0)
    free (files[--n]);
  if (r < 0)
    return ab_error_wrap (err, "annotation " AB_ANN_POLICY " '%s'", name);
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

/* The Landlock rules of IR for P, wrapped in ERR as WHAT's. */
static int
rules_of (const struct ab_ir *ir, const struct ab_ir_principal *p,
          const char *what, char **text, ab_error_t *err)
{
  int r;

  *text = NULL;
  if (ir == NULL)
    return 1;
  r = ab_ir_landlock_rules (ir, p, text, err);
  return r < 0 ? ab_error_wrap (err, "file layer: %s", what) : r;
}

int
ab_filelayer_prepare (const struct ab_ir *ir, const struct ab_ir *narrow,
                      const char *id, const char *project,
                      const char *state_dir, ab_error_t *err)
{
  cleanup_free char *base = NULL, *nar = NULL, *path = NULL;
  cleanup_file FILE *f = NULL;
  struct ab_ir_principal p = { .container = id, .project = project };
  int rb, rn;

  if ((rb = rules_of (ir, &p, "the policy", &base, err)) < 0
      || (rn = rules_of (narrow, &p, "the narrowing policy", &nar, err)) < 0)
    return -1;
  if (rb == 1 && rn == 1)
    return 0;
  /* Closed: a policy with file rules and no layer to enforce them. */
  if (!landlock_available ())
    return ab_error_set (err, ENOTSUP,
                         "file layer: the policy has file rules, and this "
                         "kernel has neither BPF LSM for agentbox nor "
                         "Landlock");
  if (ab_net_make_run_dir (state_dir, err) < 0
      || asprintf (&path, "%s/run/" AB_RULES_FILE, state_dir) < 0)
    return -1;
  f = fopen (path, "we");
  /* A narrowing policy is a second ruleset stacked on the first. */
  if (f == NULL || (base && fputs (base, f) < 0)
      || (base && nar && fputs ("layer\n", f) < 0)
      || (nar && fputs (nar, f) < 0) || fflush (f) != 0)
    return ab_error_errno (err, "write %s", path);
  fchmod (fileno (f), 0644);
  return 1;
}
