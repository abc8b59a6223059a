/* agentbox-runc: runc's command line in front of the real runtime.
 *
 * Global flags are parsed as runc parses them, logging is opened as the
 * engine asked (--log, --log-format, --debug), and the verb table sends
 * each verb to its file.  Only main() prints errors and picks the exit
 * status: 1 for agentbox's own errors (runc's status for a bad flag), 3
 * for an unknown verb (runc's, from urfave/cli), the delegate's otherwise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "shim/lib/serve-proto.h"
#include "shim/runc/runc.h"

static int cmd_help (struct abr_ctx *c, ab_error_t *err);

static const struct
{
  enum ab_verb verb;
  int (*run) (struct abr_ctx *c, ab_error_t *err);
  const char *usage;
  bool changed; /* agentbox does its own work for this verb */
} commands[] = {
  { AB_VERB_CHECKPOINT, abr_cmd_passthrough, "checkpoint a running container",
    false },
  { AB_VERB_CREATE, abr_cmd_create,
    "harden the bundle, then create a container", true },
  { AB_VERB_DELETE, abr_cmd_delete,
    "delete a container, then agentbox's state for it", true },
  { AB_VERB_EVENTS, abr_cmd_passthrough,
    "display container events and statistics", false },
  { AB_VERB_EXEC, abr_cmd_exec,
    "run a new process in a container, hardened like the bundle's", true },
  { AB_VERB_FEATURES, abr_cmd_features,
    "the runtime's features, plus agentbox's layers", true },
  { AB_VERB_KILL, abr_cmd_passthrough,
    "send a signal to the container's init process", false },
  { AB_VERB_LIST, abr_cmd_passthrough, "list containers", false },
  { AB_VERB_PAUSE, abr_cmd_passthrough, "pause all processes", false },
  { AB_VERB_PS, abr_cmd_passthrough, "list processes in a container", false },
  { AB_VERB_RESTORE, abr_cmd_passthrough,
    "restore a container from a checkpoint", false },
  { AB_VERB_RESUME, abr_cmd_passthrough, "resume paused processes", false },
  { AB_VERB_RUN, abr_cmd_create,
    "harden the bundle, then create and run a container", true },
  { AB_VERB_SPEC, abr_cmd_passthrough, "create a new config.json", false },
  { AB_VERB_START, abr_cmd_passthrough,
    "start the process of a created container", false },
  { AB_VERB_STATE, abr_cmd_passthrough, "output a container's state", false },
  { AB_VERB_UPDATE, abr_cmd_passthrough, "update a container's resource limits",
    false },
  { AB_VERB_HELP, cmd_help, "show this help (help VERB: the runtime's)", true },
};

static void
print_help (void)
{
  printf ("agentbox-runc - an OCI runtime that hardens every bundle, then "
          "runs it with the\nreal runtime (the delegate: runc or crun, "
          "chosen by `runtime:` in\n%s, or $AGENTBOX_CONFIG).\n\n",
          AB_DEFAULT_CONFIG);
  printf ("USAGE:\n   agentbox-runc [global options] command [command "
          "options] [arguments...]\n\nCOMMANDS:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    printf ("   %-11s %s%s\n", ab_verb_name (commands[i].verb),
            commands[i].changed ? "" : "(delegate) ", commands[i].usage);
  printf (
      "\nWhat agentbox changes:\n"
      "   create, run  rewrite BUNDLE/config.json before the runtime sees "
      "it (each rule\n"
      "                can be turned off in config.yaml): sensitive\n"
      "                mounts removed or masked, dangerous capabilities "
      "dropped,\n"
      "                noNewPrivileges, seccomp added or tightened, masked "
      "paths,\n"
      "                host pid/ipc/uts namespaces replaced; recorded under\n"
      "                STATE_DIR/containers/ID/ (default " AB_DEFAULT_STATE_DIR
      "/containers/ID/)\n"
      "                and logged with --debug.\n"
      "   exec         the same process rules for --process FILE (a "
      "hardened copy is\n"
      "                passed; FILE is not modified) or the argv form "
      "(--no-new-privs\n"
      "                forced, dangerous --cap values removed).\n"
      "   delete       also removes agentbox's state for the container.\n"
      "   features     adds agentbox's annotations to the runtime's "
      "output.\n"
      "   Every other command is passed to the delegate unchanged (execv, "
      "same argv).\n\n");
  printf ("agentbox-runc hands each call to the shim server's warm workers "
          "when it runs\n(agentbox-shim --serve, socket " AB_SERVE_SOCKET
          " or $" AB_SERVE_SOCKET_ENV "),\nand runs "
          "agentbox-shim itself otherwise: the same work either way.\n\n");
  printf ("GLOBAL OPTIONS (as runc's):\n"
          "   --root value        runtime state directory\n"
          "   --log value         log file (agentbox writes its lines there "
          "too)\n"
          "   --log-format value  text (default) or json\n"
          "   --debug             debug logging (what the rewrite changed)\n"
          "   --systemd-cgroup    use systemd cgroups\n"
          "   --rootless value    true, false or auto\n"
          "   --criu value        criu binary\n"
          "   --help, -h          show help\n"
          "   --version, -v       print agentbox's and the runtime's "
          "versions\n");
}

static int
cmd_help (struct abr_ctx *c, ab_error_t *err)
{
  /* `help VERB` is the delegate's help for that verb. */
  if (c->nargs > 0)
    return abr_cmd_passthrough (c, err);
  print_help ();
  return 0;
}

static int
dispatch (struct abr_ctx *c, ab_error_t *err)
{
  if (c->g.version)
    return abr_cmd_version (c, err);
  if (c->g.help || c->g.verb == AB_VERB_NONE)
    {
      print_help ();
      return 0;
    }
  if (c->g.verb == AB_VERB_UNKNOWN)
    {
      ab_error_set (err, EINVAL,
                    "unknown command `%s` (see agentbox-runc --help)",
                    c->argv[c->g.verb_index]);
      return 3;
    }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (commands[i].verb == c->g.verb)
      return commands[i].run (c, err);
  return ab_error_set (err, EINVAL, "no handler for `%s`",
                       c->argv[c->g.verb_index]);
}

static int
open_log (const struct ab_cli_global *g, ab_error_t *err)
{
  int fmt = g->log_format ? ab_log_format_parse (g->log_format) : AB_LOG_TEXT;

  return ab_log_open (g->log, (enum ab_log_format)fmt, g->debug, err);
}

int
abr_run_call (int argc, char **argv)
{
  cleanup_error ab_error_t err = NULL;
  struct abr_ctx c = { .argc = argc, .argv = argv };
  int status;

  ab_log_set_program ("agentbox-runc");
  if (ab_cli_parse_global (argc, argv, &c.g, &err) < 0)
    {
      /* The log file may be the bad flag: stderr only. */
      ab_log_error ("%s", err->msg);
      return 1;
    }
  if (open_log (&c.g, &err) < 0)
    {
      ab_log_error ("%s", err->msg);
      return 1;
    }
  c.nargs = c.g.verb_index < argc ? argc - c.g.verb_index - 1 : 0;
  c.args = argv + (c.g.verb_index < argc ? c.g.verb_index + 1 : argc);
  status = dispatch (&c, &err);
  if (err)
    {
      ab_log_error ("%s", err->msg);
      if (status < 0)
        status = 1;
    }
  ab_config_free (c.cfg);
  free (c.delegate);
  ab_log_close ();
  return status < 0 ? 1 : status;
}

/* agentbox-shim: a call (agentbox-runc, the front, exec's us when no
 * server answers), or the server itself. */
int
main (int argc, char **argv)
{
  if (argc > 1 && strcmp (argv[1], "--serve") == 0)
    return abr_serve (argc - 1, argv + 1);
  return abr_run_call (argc, argv);
}
