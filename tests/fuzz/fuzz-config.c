/* Fuzz target: agentbox's config.yaml parser.  Any input either loads or
 * fails with an error message; a loaded config has its invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim/lib/config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct ab_config *c = NULL;
  ab_error_t err = NULL;

  if (ab_config_parse ("fuzz.yaml", (const char *)data, size, &c, &err) < 0)
    {
      if (err == NULL || err->msg == NULL || strncmp (err->msg, "fuzz.yaml", 9))
        abort (); /* every error names the file */
      ab_error_free (&err);
      return 0;
    }
  if (c->state_dir == NULL || c->state_dir[0] != '/')
    abort ();
  for (char **p = c->sensitive_paths; p && *p; p++)
    if ((*p)[0] != '/' && strncmp (*p, "~/", 2) != 0)
      abort ();
  for (char **p = c->drop_capabilities; p && *p; p++)
    if (strncmp (*p, "CAP_", 4) != 0)
      abort ();
  ab_config_free (c);
  return 0;
}
