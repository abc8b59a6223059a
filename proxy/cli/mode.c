/* agentbox mode ID [enforce|shadow|record]: read or switch the mode of a
 * container's file guard, live, through its pinned config map. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hooks/lib/file-guard.h"
#include "lib/cleanup.h"
#include "proxy/cli/cli.h"
#include "shim/lib/state.h"

static const char usage[]
    = "usage: agentbox mode ID [enforce|shadow|record]\n"
      "\n"
      "The mode of container ID's file guard (the BPF LSM programs that\n"
      "enforce the policy's file and exec rules in the kernel).  Without a\n"
      "mode: print the mode, the policy generation in force and how many\n"
      "events the audit log lost.  With one: switch to it at once.\n"
      "\n"
      "  enforce  deny what the policy does not permit\n"
      "  shadow   allow everything; log what would be denied (would-deny)\n"
      "  record   allow everything; log every access (for `agentbox policy\n"
      "           suggest`)\n"
      "\n"
      "Needs root.  A container created without a file guard (the kernel\n"
      "cannot run it, or its policy has no file rule) has no mode to set:\n"
      "`agentbox doctor` says why.\n";

static int
parse_mode (const char *s, enum ab_fg_mode *m)
{
  static const struct
  {
    const char *name;
    enum ab_fg_mode mode;
  } modes[] = {
    { "enforce", AB_FG_ENFORCE },
    { "shadow", AB_FG_SHADOW },
    { "record", AB_FG_RECORD },
  };

  for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
    if (strcmp (s, modes[i].name) == 0)
      {
        *m = modes[i].mode;
        return 0;
      }
  return -1;
}

static int
show (const char *id)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_fg_config cfg = { 0 };
  uint64_t drops = 0;

  if (ab_fg_status (id, &cfg, &drops, &err) < 0)
    {
      fprintf (stderr, "agentbox mode: container %s: %s\n", id, err->msg);
      return 1;
    }
  printf ("%s: %s (policy generation %llu, %llu event%s dropped)\n", id,
          ab_fg_mode_name ((enum ab_fg_mode)cfg.mode),
          (unsigned long long)cfg.generation, (unsigned long long)drops,
          drops == 1 ? "" : "s");
  return 0;
}

static int
set (const char *id, enum ab_fg_mode m)
{
  cleanup_error ab_error_t err = NULL;

  if (ab_fg_set_mode (id, m, &err) < 0)
    {
      fprintf (stderr, "agentbox mode: container %s: %s\n", id, err->msg);
      return 1;
    }
  printf ("%s: %s\n", id, ab_fg_mode_name (m));
  return 0;
}

int
ab_mode_cli (int argc, char **argv)
{
  enum ab_fg_mode m = AB_FG_ENFORCE;
  const char *id = argc > 1 ? argv[1] : "";

  if (argc == 2 && (strcmp (id, "--help") == 0 || strcmp (id, "-h") == 0))
    {
      fputs (usage, stdout);
      return 0;
    }
  if (argc == 3 && parse_mode (argv[2], &m) < 0)
    {
      fprintf (stderr, "agentbox mode: unknown mode `%s`\n%s", argv[2], usage);
      return 2;
    }
  if (argc < 2 || argc > 3)
    {
      fputs (usage, stderr);
      return 2;
    }
  if (!ab_container_id_valid (id))
    {
      fprintf (stderr, "agentbox mode: `%s` is not a container id\n", id);
      return 2;
    }
  if (!ab_fg_attached (id))
    {
      fprintf (stderr, "agentbox mode: container %s has no file guard%s\n", id,
               geteuid () ? " (or it is not readable: run as root)" : "");
      return 1;
    }
  return argc == 2 ? show (id) : set (id, m);
}
