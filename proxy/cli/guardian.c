/* agentbox guardian status|reload: ask agentboxd over its control
 * socket, for the config's state directory. */
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "proxy/cli/cli.h"
#include "shim/lib/net.h"

static const char usage[]
    = "usage: agentbox guardian status|reload\n"
      "\n"
      "  status   containers registered, connections open, policy generation\n"
      "  reload   recompile network.policy; a policy that does not compile\n"
      "           changes nothing and the error is printed\n"
      "\n"
      "The config is $AGENTBOX_CONFIG, else " AB_SYSCONFDIR
      "/agentbox/config.yaml.\n";

int
ab_guardian_cli (int argc, char **argv)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_config struct ab_config *cfg = NULL;
  cleanup_free char *reply = NULL;
  const char *req;

  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      fputs (usage, stdout);
      return 0;
    }
  if (argc != 2
      || (strcmp (argv[1], "status") != 0 && strcmp (argv[1], "reload") != 0))
    {
      fputs (usage, stderr);
      return 2;
    }
  req = strcmp (argv[1], "status") == 0 ? "{\"op\": \"status\"}"
                                        : "{\"op\": \"reload\"}";
  if (ab_config_load (NULL, &cfg, &err) < 0
      || ab_guardian_call (cfg, req, &reply, &err) < 0)
    {
      fprintf (stderr, "agentbox guardian %s: %s\n", argv[1], err->msg);
      return 1;
    }
  fputs (reply, stdout);
  return 0;
}
