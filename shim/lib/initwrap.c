/* agentbox: agentbox-init in front of a container's processes
 * (initwrap.h). */
#include "shim/lib/initwrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "shim/lib/filelayer.h"
#include "shim/lib/harden-internal.h"
#include "shim/lib/net.h"
#include "shim/lib/seccomp-bpf.h"

void
ab_init_prefix (unsigned what, const char *out[AB_INIT_PREFIX_MAX])
{
  size_t n = 0;

  out[n++] = AB_INIT_PATH;
  if (what & AB_INIT_LANDLOCK)
    {
      out[n++] = "--rules";
      out[n++] = AB_RULES_PATH;
    }
  if (what & AB_INIT_SECCOMP)
    {
      out[n++] = "--seccomp";
      out[n++] = AB_SECCOMP_PATH;
    }
  out[n++] = "--";
  out[n] = NULL;
}

static bool
has_run_file (const char *state_dir, const char *name)
{
  cleanup_free char *path = NULL;

  return asprintf (&path, "%s/run/%s", state_dir, name) >= 0
         && access (path, F_OK) == 0;
}

unsigned
ab_init_what (const char *state_dir)
{
  return (has_run_file (state_dir, AB_RULES_FILE) ? AB_INIT_LANDLOCK : 0)
         | (has_run_file (state_dir, AB_SECCOMP_FILE) ? AB_INIT_SECCOMP : 0);
}

int
ab_init_prepend (struct ab_json *proc, unsigned what, ab_error_t *err)
{
  cleanup_free const char **args = NULL;
  const char *prefix[AB_INIT_PREFIX_MAX];
  size_t i;

  ab_init_prefix (what, prefix);
  if (ab_process_args (proc, &args, err) < 0)
    return -1;
  for (i = 0; prefix[i] && args[i] && strcmp (prefix[i], args[i]) == 0; i++)
    ;
  if (prefix[i] == NULL)
    return 0;
  return ab_process_prepend_args (proc, prefix, err) < 0 ? -1 : 1;
}

int
ab_init_rewrite (struct ab_spec *s, const char *state_dir, unsigned what,
                 struct ab_harden_report *rep, ab_error_t *err)
{
  cleanup_free char *init = NULL;
  struct ab_json *proc = ab_spec_process (s);
  int r;

  if (ab_sibling_path ("agentbox-init", &init, err) < 0
      || ab_net_bind_run (s, state_dir, rep, err) < 0
      || ab_net_bind_file (s, AB_INIT_PATH, init, rep, err) < 0)
    return ab_error_wrap (err, "agentbox-init");
  if (proc == NULL)
    return 0;
  r = ab_init_prepend (proc, what, err);
  if (r == 1)
    ab_harden_report_add (
        rep, "process.args: run under %s (%s%s%s)", AB_INIT_PATH,
        what & AB_INIT_LANDLOCK ? "Landlock" : "",
        what == (AB_INIT_LANDLOCK | AB_INIT_SECCOMP) ? ", " : "",
        what & AB_INIT_SECCOMP ? "seccomp" : "");
  return r < 0 ? -1 : 0;
}
