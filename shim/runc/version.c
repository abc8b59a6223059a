/* agentbox-runc --version: agentbox's lines, then the delegate's own, which
 * engines parse ("runc version ...", "commit: ..."; docker takes the last
 * line containing "version", so the delegate's lines come last). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "shim/lib/spawn.h"
#include "shim/runc/runc.h"

/* The OCI runtime-spec version agentbox reads and writes. */
#define AB_OCI_SPEC_VERSION "1.0.2"

int
abr_cmd_version (struct abr_ctx *c, ab_error_t *err)
{
  cleanup_free char *out = NULL;
  char *argv[] = { NULL, (char *)"--version", NULL };
  int status;

  printf ("agentbox-runc version %s\nspec: %s\n", AB_VERSION,
          AB_OCI_SPEC_VERSION);
  fflush (stdout);
  if (abr_load_config (c, err) < 0)
    return -1;
  printf ("delegate: %s\n", c->delegate);
  fflush (stdout);
  argv[0] = c->delegate;
  if (ab_spawn_capture (argv, false, &out, &status, err) < 0)
    return -1;
  fputs (out, stdout);
  if (*out && out[strlen (out) - 1] != '\n')
    putchar ('\n');
  if (status != 0)
    return ab_error_set (err, EIO, "%s --version exited with status %d",
                         c->delegate, status);
  return 0;
}
