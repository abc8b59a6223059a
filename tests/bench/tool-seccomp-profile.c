/* tool-seccomp-profile: print agentbox's default seccomp profile (the one
 * a bundle without seccomp gets) as OCI JSON, for bench-runtime.sh's row
 * "runc, given agentbox's seccomp profile": the same protection, with
 * runc compiling the filter itself.  Reads $AGENTBOX_CONFIG like
 * agentbox-runc, for the deny list. */
#include <stdio.h>
#include <stdlib.h>

#include "lib/cleanup.h"
#include "shim/lib/config.h"
#include "shim/lib/harden-internal.h"

int
main (void)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_json struct ab_json *profile = NULL;
  cleanup_free char *text = NULL;
  struct ab_config *cfg = NULL;
  size_t n;

  if (ab_config_load (NULL, &cfg, &err) < 0)
    {
      fprintf (stderr, "tool-seccomp-profile: %s\n", err->msg);
      return 1;
    }
  profile = ab_seccomp_default_profile (cfg);
  if (profile == NULL
      || ab_json_serialize (profile, false, &text, &n, &err) < 0)
    {
      fprintf (stderr, "tool-seccomp-profile: %s\n",
               err ? err->msg : "out of memory");
      ab_config_free (cfg);
      return 1;
    }
  fwrite (text, 1, n, stdout);
  ab_config_free (cfg);
  return fflush (stdout) == 0 ? 0 : 1;
}
