/* agentbox guardian status|reload: ask agentboxd over its control
 * socket, for the config's state directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "spec/json.h"

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

  if (argc == 2
      && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
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

/* agentbox approvals | approve ID | deny ID [--reason TEXT] */
static int
call_print (const char *what, const char *req, bool table)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_config struct ab_config *cfg = NULL;
  cleanup_free char *reply = NULL;
  cleanup_json struct ab_json *j = NULL;
  const struct ab_json *list;

  if (ab_config_load (NULL, &cfg, &err) < 0
      || ab_guardian_call (cfg, req, &reply, &err) < 0)
    {
      fprintf (stderr, "agentbox %s: %s\n", what, err->msg);
      return 1;
    }
  if (!table)
    return 0;
  if (ab_json_parse (reply, strlen (reply), "reply", &j, &err) < 0)
    {
      fputs (reply, stdout);
      return 0;
    }
  list = ab_json_get (j, "pending");
  printf ("%-16s  %-20s  %-10s  %5s  %s\n", "ID", "CONTAINER", "PROJECT", "AGE",
          "COMMAND (CWD)");
  for (size_t i = 0; ab_json_is (list, AB_JSON_ARRAY) && i < list->u.array.len;
       i++)
    {
      const struct ab_json *p = list->u.array.items[i];
      const struct ab_json *age = ab_json_get (p, "age_s");
      printf ("%-16s  %-20s  %-10s  %4ss  %s (%s)\n",
              ab_json_get_string (p, "id"), ab_json_get_string (p, "container"),
              ab_json_get_string (p, "project"),
              ab_json_is (age, AB_JSON_NUMBER) ? age->u.number : "?",
              ab_json_get_string (p, "command"), ab_json_get_string (p, "cwd"));
    }
  return 0;
}

static int
json_string (struct ab_buf *b, const char *key, const char *value)
{
  ab_buf_printf (b, ", \"%s\": \"", key);
  ab_json_escape (b, value);
  return ab_buf_puts (b, "\"");
}

int
ab_approvals_cli (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], "--help") == 0)
    {
      puts ("usage: agentbox approvals\n\nThe hostexec requests waiting for a "
            "human: `agentbox approve ID` runs one,\n`agentbox deny ID "
            "[--reason TEXT]` refuses it.");
      return 0;
    }
  if (argc != 1)
    {
      fputs ("usage: agentbox approvals\n", stderr);
      return 2;
    }
  return call_print ("approvals", "{\"op\": \"approvals\"}", true);
}

int
ab_decide_cli (int argc, char **argv)
{
  bool approve = strcmp (argv[0], "approve") == 0;
  struct ab_buf req = AB_BUF_INIT;
  const char *id = NULL, *reason = NULL;
  int r;

  for (int i = 1; i < argc; i++)
    {
      if (!approve && strcmp (argv[i], "--reason") == 0 && i + 1 < argc)
        reason = argv[++i];
      else if (id == NULL && argv[i][0] != '-')
        id = argv[i];
      else
        id = NULL, i = argc;
    }
  if (id == NULL)
    {
      fprintf (stderr, "usage: agentbox %s\n",
               approve ? "approve ID" : "deny ID [--reason TEXT]");
      return 2;
    }
  ab_buf_printf (&req, "{\"op\": \"%s\"", approve ? "approve" : "deny");
  json_string (&req, "id", id);
  if (approve)
    {
      const char *who = getenv ("SUDO_USER");
      json_string (&req, "by",
                   who               ? who
                   : getenv ("USER") ? getenv ("USER")
                                     : "root");
    }
  if (reason)
    json_string (&req, "reason", reason);
  ab_buf_puts (&req, "}");
  r = call_print (argv[0], req.data, false);
  ab_buf_free (&req);
  return r;
}
