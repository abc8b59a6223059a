/* agentbox-init: run first in the container, confine files and execs with
 * Landlock (init.h, docs/landlock.md), install agentbox's seccomp filter
 * (docs/hardening.md), then exec the agent. */
#include "shim/init/init.h"

#ifndef AB_VERSION
#define AB_VERSION "(version not set at build time)"
#endif

#define DEFAULT_RULES "/run/agentbox/landlock.rules"
/* Our own failures: the container does not start. */
#define EXIT_INIT 126

static const char usage_text[]
    = "Usage: agentbox-init [--rules FILE] [--seccomp FILE] "
      "[--allow-without-landlock] -- COMMAND [ARG...]\n";

static const char help_text[]
    = "\n"
      "Confine COMMAND's access to files with Landlock, install a seccomp\n"
      "filter, then run it with the same environment.  Both hold for\n"
      "COMMAND and every process it starts, for good: none of them can\n"
      "lift them.\n"
      "\n"
      "  --rules FILE              the Landlock rules\n"
      "  --seccomp FILE            the seccomp filter: a classic BPF program\n"
      "                            (struct sock_filter[]), as agentbox-runc\n"
      "                            writes it; installed last, after Landlock\n"
      "  With neither, --rules " DEFAULT_RULES ".\n"
      "  --allow-without-landlock  if the kernel has no Landlock, warn and\n"
      "                            run COMMAND unconfined instead of failing\n"
      "  -h, --help                show this help\n"
      "  --version                 show the version\n"
      "\n"
      "FILE has one rule a line; '#' starts a comment line:\n"
      "  ro PATH   read files and list directories beneath PATH\n"
      "  rw PATH   ro, and write, create, remove, rename and link within,\n"
      "            truncate, make any kind of file, ioctl on devices\n"
      "  x PATH    ro, and execute\n"
      "PATH is absolute and runs to the end of the line (trailing blanks\n"
      "dropped); a symlink stands for its target.  A directory covers all\n"
      "beneath it; a file gets the rights that apply to files.  A PATH that\n"
      "does not exist is skipped.  Any other line is an error.\n"
      "\n"
      "What Landlock cannot express:\n"
      "  - It is an allowlist.  Anything no rule allows is denied, and a\n"
      "    deny inside an allowed directory cannot be written.\n"
      "  - A rule holds the object PATH named when agentbox-init ran, not\n"
      "    the name: something mounted over PATH later is not covered, a\n"
      "    directory removed and made again is a new one, and a file rule\n"
      "    follows the file's other hard links.\n"
      "  - Access is judged by the path used: a hard link made beforehand\n"
      "    inside an allowed directory opens a file from elsewhere.  New\n"
      "    links and renames cannot widen access.\n"
      "  - x guards execve only: a readable file can still be mapped as code\n"
      "    (the dynamic loader, if executable, runs any readable program).\n"
      "  - Files open before agentbox-init ran stay usable.  Metadata\n"
      "    (stat, chmod, chown, utimes, xattrs) and connecting to a Unix\n"
      "    socket by its path are not covered.  Network and signals are\n"
      "    left to agentbox's other layers.\n"
      "  - Truncate needs Landlock ABI 3 and device ioctls ABI 5; on older\n"
      "    kernels they are allowed.  On ABI 1, renames and links between\n"
      "    directories are always denied.  File rights that a kernel newer\n"
      "    than agentbox-init adds stay allowed.\n"
      "\n"
      "Exit status: COMMAND's; 126 when agentbox-init fails (bad rules, no\n"
      "Landlock, a filter the kernel refuses, COMMAND not executable), 127\n"
      "when COMMAND is not found.\n";

struct opts
{
  const char *rules;
  const char *seccomp;
  bool allow_without_landlock;
  char **command;
};

static void __attribute__ ((noreturn)) die (ab_error_t *err, int status)
{
  dprintf (2, "agentbox-init: %s\n", *err ? (*err)->msg : "failed");
  ab_error_free (err);
  exit (status);
}

/* Returns 1 when --help or --version was answered, 2 when writing the
 * answer failed. */
static int
parse_args (int argc, char **argv, struct opts *o, ab_error_t *err)
{
  int i;

  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      const char *a = argv[i];

      if (strcmp (a, "--") == 0)
        {
          i++;
          break;
        }
      if (strcmp (a, "-h") == 0 || strcmp (a, "--help") == 0)
        {
          return dprintf (1, "%s%s", usage_text, help_text) < 0 ? 2 : 1;
        }
      if (strcmp (a, "--version") == 0)
        {
          return dprintf (1, "agentbox-init %s\n", AB_VERSION) < 0 ? 2 : 1;
        }
      if (strcmp (a, "--allow-without-landlock") == 0)
        o->allow_without_landlock = true;
      else if (strncmp (a, "--rules=", 8) == 0)
        o->rules = a + 8;
      else if (strncmp (a, "--seccomp=", 10) == 0)
        o->seccomp = a + 10;
      else if (strcmp (a, "--rules") != 0 && strcmp (a, "--seccomp") != 0)
        return ab_error_set (err, EINVAL, "unknown option '%s' (see --help)",
                             a);
      else if (i + 1 >= argc)
        return ab_error_set (err, EINVAL, "%s needs a FILE", a);
      else if (strcmp (a, "--rules") == 0)
        o->rules = argv[++i];
      else
        o->seccomp = argv[++i];
    }
  if (i >= argc)
    return ab_error_set (err, EINVAL, "no command (see --help)");
  o->command = argv + i;
  if (o->rules == NULL && o->seccomp == NULL)
    o->rules = DEFAULT_RULES;
  return 0;
}

static void
confine (const struct opts *o, const struct ab_init_rules *rules)
{
  cleanup_error ab_error_t err = NULL;
  int abi = ab_init_landlock_abi (&err);

  if (abi < 0 && !o->allow_without_landlock)
    {
      ab_error_wrap (&err,
                     "refusing to run %s unconfined (pass "
                     "--allow-without-landlock to allow it)",
                     o->command[0]);
      die (&err, EXIT_INIT);
    }
  /* Fails open only because the caller asked for it, and says so. */
  if (abi < 0)
    {
      dprintf (2,
               "agentbox-init: WARNING: %s\n"
               "agentbox-init: WARNING: running %s WITHOUT file and exec "
               "confinement (--allow-without-landlock)\n",
               err->msg, o->command[0]);
      return;
    }
  if (ab_init_landlock_apply (rules, abi, &err) < 0)
    die (&err, EXIT_INIT);
}

int
main (int argc, char **argv)
{
  cleanup_error ab_error_t err = NULL;
  struct opts o = { 0 };
  struct ab_init_rules rules = { 0 };
  struct ab_init_filter filter = { 0 };
  int r = parse_args (argc, argv, &o, &err);

  if (r != 0)
    {
      if (r < 0)
        die (&err, EXIT_INIT);
      return r == 1 ? 0 : 1;
    }
  /* Both files are read first: the rules may not let us read the
   * filter.  The rules are read even when Landlock turns out to be
   * missing: a broken file is an error everywhere (fail closed). */
  if ((o.rules && ab_init_rules_load (o.rules, &rules, &err) < 0)
      || (o.seccomp && ab_init_seccomp_load (o.seccomp, &filter, &err) < 0))
    die (&err, EXIT_INIT);
  if (o.rules)
    confine (&o, &rules);
  ab_init_rules_free (&rules);
  /* Last: the filter may deny what Landlock's setup needs. */
  if (o.seccomp && ab_init_seccomp_apply (&filter, &err) < 0)
    die (&err, EXIT_INIT);
  free (filter.insns);
  execvp (o.command[0], o.command);
  r = errno == ENOENT ? 127 : EXIT_INIT;
  ab_error_errno (&err, "exec %s", o.command[0]);
  die (&err, r);
}
