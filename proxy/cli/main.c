/* agentbox: the user CLI.  One table of subcommands; each lives in the
 * library of the layer it drives. */
#include <stdio.h>
#include <string.h>

#include "proxy/cli/cli.h"

static const struct
{
  const char *name;
  int (*fn) (int argc, char **argv);
  const char *help;
} commands[] = {
  { "policy", ab_policy_main,
    "policy check|explain|suggest\n"
    "                         check Cedar policies, explain a decision,\n"
    "                         suggest one from the file accesses seen" },
  { "guardian", ab_guardian_cli,
    "guardian status|reload ask agentboxd how it is, reload its policy" },
  { "doctor", ab_doctor_cli,
    "doctor                 which layers this host runs, and why not" },
  { "mode", ab_mode_cli,
    "mode ID [MODE]         a container's file guard mode: enforce, shadow, "
    "record" },
  { "approvals", ab_approvals_cli,
    "approvals              hostexec requests waiting for a human" },
  { "approve", ab_decide_cli, "approve ID             run a waiting request" },
  { "deny", ab_decide_cli, "deny ID [--reason T]   refuse a waiting request" },
};

static int
usage (FILE *out)
{
  fprintf (out, "usage: agentbox COMMAND [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf (out, "  %s\n", commands[i].help);
  fprintf (out, "\n`agentbox COMMAND --help` for a command's options.\n");
  return out == stdout ? 0 : 2;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    return usage (stderr);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    return usage (stdout);
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].fn (argc - 1, argv + 1);
  fprintf (stderr, "agentbox: unknown command `%s`\n", argv[1]);
  return usage (stderr);
}
