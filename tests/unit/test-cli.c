/* Unit tests for shim/lib/cli.c: runc's command line as runc parses it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/cleanup.h"
#include "shim/lib/cli.h"
#include "tests/unit/unit.h"

#define ARGC(a) ((int)(sizeof (a) / sizeof (a[0])) - 1)

/* ---- global flags ---- */

TEST (global_long_forms_with_space)
{
  char *argv[] = { "abr",
                   "--root",
                   "/r",
                   "--log",
                   "/l",
                   "--log-format",
                   "json",
                   "--rootless",
                   "auto",
                   "--criu",
                   "/c",
                   "--debug",
                   "--systemd-cgroup",
                   "list",
                   NULL };
  struct ab_cli_global g;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_global (ARGC (argv), argv, &g, &err) == 0);
  CHECK_STR (g.root, "/r");
  CHECK_STR (g.log, "/l");
  CHECK_STR (g.log_format, "json");
  CHECK_STR (g.rootless, "auto");
  CHECK_STR (g.criu, "/c");
  CHECK (g.debug);
  CHECK (g.systemd_cgroup);
  CHECK (g.verb == AB_VERB_LIST);
  CHECK (g.verb_index == 13);
  ab_error_free (&err);
}

TEST (global_equals_forms_and_single_dash)
{
  char *argv[] = { "abr",
                   "--root=/r",
                   "-log=/l",
                   "--log-format=text",
                   "--debug=false",
                   "-systemd-cgroup=true",
                   "--rootless=false",
                   "state",
                   "x",
                   NULL };
  struct ab_cli_global g;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_global (ARGC (argv), argv, &g, &err) == 0);
  CHECK_STR (g.root, "/r");
  CHECK_STR (g.log, "/l");
  CHECK_STR (g.log_format, "text");
  CHECK (!g.debug);
  CHECK (g.systemd_cgroup);
  CHECK_STR (g.rootless, "false");
  CHECK (g.verb == AB_VERB_STATE);
  CHECK_STR (argv[g.verb_index], "state");
  ab_error_free (&err);
}

TEST (global_last_occurrence_wins)
{
  char *argv[] = { "abr",     "--root",    "/a", "--root=/b",
                   "--debug", "--debug=0", "ps", NULL };
  struct ab_cli_global g;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_global (ARGC (argv), argv, &g, &err) == 0);
  CHECK_STR (g.root, "/b");
  CHECK (!g.debug);
  ab_error_free (&err);
}

TEST (global_value_taken_even_if_it_looks_like_a_flag)
{
  /* Go's flag package: a value flag takes the next argument, whatever. */
  char *argv[] = { "abr", "--root", "--debug", "list", NULL };
  struct ab_cli_global g;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_global (ARGC (argv), argv, &g, &err) == 0);
  CHECK_STR (g.root, "--debug");
  CHECK (!g.debug);
  CHECK (g.verb == AB_VERB_LIST);
  ab_error_free (&err);
}

TEST (global_flags_stop_at_the_verb)
{
  char *argv[] = { "abr", "--root", "/r", "kill", "--debug", "c1", NULL };
  struct ab_cli_global g;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_global (ARGC (argv), argv, &g, &err) == 0);
  CHECK (g.verb == AB_VERB_KILL);
  CHECK (g.verb_index == 3);
  CHECK (!g.debug); /* kill's own argument, not a global flag */
  ab_error_free (&err);
}

TEST (global_double_dash_ends_flags)
{
  char *argv[] = { "abr", "--debug", "--", "list", NULL };
  struct ab_cli_global g;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_global (ARGC (argv), argv, &g, &err) == 0);
  CHECK (g.verb == AB_VERB_LIST);
  CHECK (g.verb_index == 3);
  ab_error_free (&err);
}

TEST (global_version_and_help)
{
  char *v1[] = { "abr", "-v", NULL };
  char *v2[] = { "abr", "--version", NULL };
  char *h1[] = { "abr", "-h", NULL };
  char *h2[] = { "abr", "--help", "create", NULL };
  char *none[] = { "abr", NULL };
  struct ab_cli_global g;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_global (ARGC (v1), v1, &g, &err) == 0 && g.version);
  CHECK (g.verb == AB_VERB_NONE);
  CHECK (ab_cli_parse_global (ARGC (v2), v2, &g, &err) == 0 && g.version);
  CHECK (ab_cli_parse_global (ARGC (h1), h1, &g, &err) == 0 && g.help);
  CHECK (ab_cli_parse_global (ARGC (h2), h2, &g, &err) == 0 && g.help);
  CHECK (g.verb == AB_VERB_CREATE);
  CHECK (ab_cli_parse_global (ARGC (none), none, &g, &err) == 0);
  CHECK (g.verb == AB_VERB_NONE && !g.help && !g.version);
  ab_error_free (&err);
}

static void
check_global_error (char **argv, int argc, const char *want)
{
  struct ab_cli_global g;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_global (argc, argv, &g, &err) < 0);
  CHECK (err != NULL);
  if (err)
    CHECK_CONTAINS (err->msg, want);
  ab_error_free (&err);
}

TEST (global_bad_flags)
{
  char *unknown[] = { "abr", "--no-such-flag", "list", NULL };
  char *missing[] = { "abr", "--root", NULL };
  char *badbool[] = { "abr", "--debug=maybe", "list", NULL };
  char *badfmt[] = { "abr", "--log-format", "xml", "list", NULL };
  char *badroot[] = { "abr", "--rootless=sometimes", "list", NULL };
  char *syntax[] = { "abr", "---root", "x", "list", NULL };
  char *verbflag[] = { "abr", "--bundle", "b", "create", "c", NULL };

  check_global_error (unknown, ARGC (unknown), "no-such-flag");
  check_global_error (missing, ARGC (missing), "--root");
  check_global_error (badbool, ARGC (badbool), "maybe");
  check_global_error (badfmt, ARGC (badfmt), "xml");
  check_global_error (badroot, ARGC (badroot), "sometimes");
  check_global_error (syntax, ARGC (syntax), "---root");
  check_global_error (verbflag, ARGC (verbflag), "--bundle");
}

TEST (bool_values_are_gos)
{
  CHECK (ab_cli_parse_bool ("true") == 1);
  CHECK (ab_cli_parse_bool ("T") == 1);
  CHECK (ab_cli_parse_bool ("1") == 1);
  CHECK (ab_cli_parse_bool ("False") == 0);
  CHECK (ab_cli_parse_bool ("0") == 0);
  CHECK (ab_cli_parse_bool ("yes") == -1);
  CHECK (ab_cli_parse_bool ("") == -1);
}

TEST (verbs)
{
  const char *all[]
      = { "create", "run",        "start",   "state",  "kill",     "delete",
          "exec",   "ps",         "list",    "events", "pause",    "resume",
          "update", "checkpoint", "restore", "spec",   "features", "help" };

  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    {
      enum ab_verb v = ab_verb_lookup (all[i]);
      CHECK (v > AB_VERB_NONE);
      CHECK_STR (ab_verb_name (v), all[i]);
    }
  CHECK (ab_verb_lookup ("h") == AB_VERB_HELP);
  CHECK (ab_verb_lookup ("frobnicate") == AB_VERB_UNKNOWN);
  CHECK (ab_verb_lookup ("Create") == AB_VERB_UNKNOWN);
  CHECK (ab_verb_lookup ("") == AB_VERB_UNKNOWN);
}

TEST (unknown_verb_is_reported_not_an_error)
{
  char *argv[] = { "abr", "--root", "/r", "frobnicate", "x", NULL };
  struct ab_cli_global g;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_global (ARGC (argv), argv, &g, &err) == 0);
  CHECK (g.verb == AB_VERB_UNKNOWN);
  CHECK_STR (argv[g.verb_index], "frobnicate");
  ab_error_free (&err);
}

/* ---- create / run ---- */

TEST (create_engine_shapes)
{
  /* podman and containerd: create --bundle B --pid-file P [--console-socket S]
   * ID */
  char *podman[] = { "--bundle",         "/b", "--pid-file", "/p",
                     "--console-socket", "/s", "c1",         NULL };
  char *runc_short[] = { "-b", "/b2", "c2", NULL };
  char *equals[] = { "--bundle=/b3", "--no-pivot", "c3", NULL };
  char *no_bundle[] = { "c4", NULL };
  struct ab_cli_create c;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (podman), podman, &c, &err)
         == 0);
  CHECK_STR (c.id, "c1");
  CHECK_STR (c.bundle, "/b");
  CHECK_STR (c.pid_file, "/p");
  CHECK_STR (c.console_socket, "/s");
  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (runc_short), runc_short, &c,
                              &err)
         == 0);
  CHECK_STR (c.id, "c2");
  CHECK_STR (c.bundle, "/b2");
  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (equals), equals, &c, &err)
         == 0);
  CHECK_STR (c.bundle, "/b3");
  CHECK_STR (c.id, "c3");
  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (no_bundle), no_bundle, &c,
                              &err)
         == 0);
  CHECK (c.bundle == NULL);
  CHECK_STR (c.id, "c4");
  ab_error_free (&err);
}

TEST (create_flags_after_the_id_are_reordered)
{
  /* urfave/cli moves flags ahead of the id, as runc does. */
  char *after[] = { "c1", "--bundle", "/b", NULL };
  char *mixed[] = { "-d", "c2", "-b=/b", "--keep", NULL };
  struct ab_cli_create c;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (after), after, &c, &err)
         == 0);
  CHECK_STR (c.id, "c1");
  CHECK_STR (c.bundle, "/b");
  /* "-d c2": urfave pairs c2 with -d, Go's parser then sees c2 as the
   * first argument, so -b=/b and --keep after it are not flags: runc
   * would refuse three arguments, and so do we. */
  CHECK (ab_cli_parse_create (AB_VERB_RUN, ARGC (mixed), mixed, &c, &err) < 0);
  ab_error_free (&err);
}

TEST (create_value_flag_swallows_next_flag)
{
  /* -b --no-pivot c1: urfave does not pair the flag with -b, but Go's
   * parser then takes "--no-pivot" as the bundle. */
  char *argv[] = { "-b", "--no-pivot", "c1", NULL };
  struct ab_cli_create c;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (argv), argv, &c, &err)
         == 0);
  CHECK_STR (c.bundle, "--no-pivot");
  CHECK_STR (c.id, "c1");
  ab_error_free (&err);
}

TEST (run_only_flags)
{
  char *argv[]
      = { "--detach", "--keep", "--no-subreaper", "-b", "/b", "c1", NULL };
  struct ab_cli_create c;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_create (AB_VERB_RUN, ARGC (argv), argv, &c, &err) == 0);
  CHECK_STR (c.id, "c1");
  CHECK_STR (c.bundle, "/b");
  /* create has no --detach in runc */
  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (argv), argv, &c, &err) < 0);
  CHECK (err && strstr (err->msg, "--detach"));
  ab_error_free (&err);
}

TEST (create_bad_input)
{
  char *none[] = { "-b", "/b", NULL };
  char *two[] = { "c1", "c2", NULL };
  char *unknown[] = { "--config", "/other.json", "c1", NULL };
  char *missing[] = { "c1", "--bundle", NULL };
  struct ab_cli_create c;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (none), none, &c, &err) < 0);
  CHECK (err && strstr (err->msg, "exactly 1"));
  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (two), two, &c, &err) < 0);
  /* crun's --config would point the runtime at another file: refused. */
  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (unknown), unknown, &c, &err)
         < 0);
  CHECK (err && strstr (err->msg, "--config"));
  /* urfave moves --bundle ahead of c1, so c1 becomes the bundle and no id
   * is left: runc says "requires exactly 1 argument(s)" (checked by hand
   * against runc 1.1.5), and so do we. */
  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (missing), missing, &c, &err)
         < 0);
  CHECK (err && strstr (err->msg, "exactly 1"));
  ab_error_free (&err);
}

TEST (create_help_goes_to_delegate)
{
  char *argv[] = { "--help", NULL };
  struct ab_cli_create c;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (argv), argv, &c, &err)
         == 0);
  CHECK (c.help);
  CHECK (c.id == NULL);
  ab_error_free (&err);
}

TEST (create_double_dash)
{
  char *argv[] = { "-b", "/b", "--", "c1", NULL };
  char *trailing[] = { "-b", "/b", "c1", "--", NULL };
  struct ab_cli_create c;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_create (AB_VERB_CREATE, ARGC (argv), argv, &c, &err)
         == 0);
  CHECK_STR (c.id, "c1");
  CHECK_STR (c.bundle, "/b");
  /* urfave puts "--" first among the arguments: runc accepts this. */
  CHECK (
      ab_cli_parse_create (AB_VERB_CREATE, ARGC (trailing), trailing, &c, &err)
      == 0);
  CHECK_STR (c.id, "c1");
  ab_error_free (&err);
}

/* ---- delete ---- */

TEST (delete_forms)
{
  char *a[] = { "--force", "c1", NULL };
  char *b[] = { "c2", "-f", NULL };
  char *c[] = { "c3", NULL };
  char *bad[] = { "--all", "c4", NULL };
  struct ab_cli_delete d;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_delete (ARGC (a), a, &d, &err) == 0);
  CHECK_STR (d.id, "c1");
  CHECK (d.force);
  CHECK (ab_cli_parse_delete (ARGC (b), b, &d, &err) == 0);
  CHECK_STR (d.id, "c2");
  CHECK (d.force);
  CHECK (ab_cli_parse_delete (ARGC (c), c, &d, &err) == 0);
  CHECK_STR (d.id, "c3");
  CHECK (!d.force);
  CHECK (ab_cli_parse_delete (ARGC (bad), bad, &d, &err) < 0);
  ab_error_free (&err);
}

/* ---- exec ---- */

TEST (exec_process_detection)
{
  /* containerd: exec --process F --detach --pid-file P ID */
  char *ctrd[]
      = { "--process", "/f.json", "--detach", "--pid-file", "/p", "c1", NULL };
  char *inl[] = { "-p=/g.json", "c2", NULL };
  char *argvform[] = { "-t", "c3", "/bin/sh", "-c", "--process x", NULL };
  struct ab_cli_exec e;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_exec (ARGC (ctrd), ctrd, &e, &err) == 0);
  CHECK_STR (e.id, "c1");
  CHECK (e.id_index == 5);
  CHECK_STR (e.process, "/f.json");
  CHECK (e.process_index == 1);
  CHECK (!e.process_inline);
  CHECK (ab_cli_parse_exec (ARGC (inl), inl, &e, &err) == 0);
  CHECK_STR (e.process, "/g.json");
  CHECK (e.process_inline && e.process_index == 0);
  CHECK_STR (e.id, "c2");
  /* The command's own flags are not runc's: exec is not reordered. */
  CHECK (ab_cli_parse_exec (ARGC (argvform), argvform, &e, &err) == 0);
  CHECK_STR (e.id, "c3");
  CHECK (e.process == NULL);
  ab_error_free (&err);
}

TEST (exec_bad_input)
{
  char *noid[] = { "--tty", NULL };
  char *unknown[] = { "--frob", "c1", "ls", NULL };
  struct ab_cli_exec e;
  ab_error_t err = NULL;

  CHECK (ab_cli_parse_exec (ARGC (noid), noid, &e, &err) < 0);
  CHECK (ab_cli_parse_exec (ARGC (unknown), unknown, &e, &err) < 0);
  CHECK (err && strstr (err->msg, "--frob"));
  ab_error_free (&err);
}

static bool
drop_sys_admin (const char *cap, void *data)
{
  (*(int *)data)++;
  return strcasecmp (cap, "CAP_SYS_ADMIN") == 0;
}

static char *
joined (char **v)
{
  size_t len = 1;
  char *s;

  for (char **i = v; *i; i++)
    len += strlen (*i) + 1;
  s = calloc (1, len);
  for (char **i = v; s && *i; i++)
    {
      strcat (s, *i);
      if (i[1])
        strcat (s, " ");
    }
  return s;
}

TEST (exec_argv_rewrite_process)
{
  char *argv[] = { "abr",       "--root",  "/r",       "exec",
                   "--process", "/f.json", "--detach", "--no-new-privs=false",
                   "c1",        NULL };
  struct ab_cli_exec e;
  ab_error_t err = NULL;
  cleanup_strv char **out = NULL;
  cleanup_free char *s = NULL;
  int calls = 0;

  CHECK (ab_cli_parse_exec (ARGC (argv) - 4, argv + 4, &e, &err) == 0);
  CHECK (ab_cli_exec_argv (ARGC (argv), argv, 3, &e, "/usr/sbin/runc",
                           "/proc/self/fd/100", drop_sys_admin, &calls, NULL,
                           &out, &err)
         == 0);
  s = joined (out);
  CHECK_STR (s, "/usr/sbin/runc --root /r exec --no-new-privs=true "
                "--process /proc/self/fd/100 --detach c1");
  CHECK (calls == 0);
  ab_error_free (&err);
}

TEST (exec_argv_rewrite_inline_process_and_caps)
{
  char *argv[] = { "abr",
                   "exec",
                   "-p=/f.json",
                   "--cap",
                   "CAP_SYS_ADMIN",
                   "-c=CAP_CHOWN",
                   "--cap=cap_sys_admin",
                   "--",
                   "c1",
                   "ls",
                   "--cap",
                   "CAP_SYS_ADMIN",
                   NULL };
  struct ab_cli_exec e;
  ab_error_t err = NULL;
  cleanup_strv char **out = NULL;
  cleanup_free char *s = NULL;
  int calls = 0;

  CHECK (ab_cli_parse_exec (ARGC (argv) - 2, argv + 2, &e, &err) == 0);
  CHECK_STR (e.id, "c1");
  CHECK (ab_cli_exec_argv (ARGC (argv), argv, 1, &e, "/d", "/new.json",
                           drop_sys_admin, &calls, NULL, &out, &err)
         == 0);
  s = joined (out);
  /* Dangerous --cap values before the id are gone, harmless ones and the
   * command's own arguments after the id are kept as they were. */
  CHECK_STR (s, "/d exec --no-new-privs=true -p=/new.json -c=CAP_CHOWN -- "
                "c1 ls --cap CAP_SYS_ADMIN");
  CHECK (calls == 3);
  ab_error_free (&err);
}

TEST (exec_argv_rewrite_without_process)
{
  char *argv[] = { "abr", "exec", "--no-new-privs", "c1", "id", NULL };
  struct ab_cli_exec e;
  ab_error_t err = NULL;
  cleanup_strv char **out = NULL;
  cleanup_free char *s = NULL;

  CHECK (ab_cli_parse_exec (ARGC (argv) - 2, argv + 2, &e, &err) == 0);
  CHECK (ab_cli_exec_argv (ARGC (argv), argv, 1, &e, "/d", NULL, NULL, NULL,
                           NULL, &out, &err)
         == 0);
  s = joined (out);
  CHECK_STR (s, "/d exec --no-new-privs=true c1 id");
  ab_error_free (&err);
}

/* agentbox-init's words go between the id and the command, wherever the
 * flags before the id put it. */
TEST (exec_argv_words_before_the_command)
{
  static const char *const init[] = { "/init", "--seccomp", "/f", "--", NULL };
  char *argv[]
      = { "abr", "exec", "--cwd", "/", "-e", "A=1", "c1", "id", "-u", NULL };
  char *bare[] = { "abr", "exec", "--cwd", "/", "c1", NULL };
  struct ab_cli_exec e;
  ab_error_t err = NULL;
  cleanup_strv char **out = NULL, **out2 = NULL;
  cleanup_free char *s = NULL, *s2 = NULL;

  CHECK (ab_cli_parse_exec (ARGC (argv) - 2, argv + 2, &e, &err) == 0);
  CHECK (ab_cli_exec_argv (ARGC (argv), argv, 1, &e, "/d", NULL, NULL, NULL,
                           init, &out, &err)
         == 0);
  s = joined (out);
  CHECK_STR (s, "/d exec --no-new-privs=true --cwd / -e A=1 c1 /init "
                "--seccomp /f -- id -u");
  /* No command after the id: nothing to put in front of. */
  CHECK (ab_cli_parse_exec (ARGC (bare) - 2, bare + 2, &e, &err) == 0);
  CHECK (ab_cli_exec_argv (ARGC (bare), bare, 1, &e, "/d", NULL, NULL, NULL,
                           init, &out2, &err)
         == 0);
  s2 = joined (out2);
  CHECK_STR (s2, "/d exec --no-new-privs=true --cwd / c1");
  ab_error_free (&err);
}

int
main (void)
{
  RUN (global_long_forms_with_space);
  RUN (global_equals_forms_and_single_dash);
  RUN (global_last_occurrence_wins);
  RUN (global_value_taken_even_if_it_looks_like_a_flag);
  RUN (global_flags_stop_at_the_verb);
  RUN (global_double_dash_ends_flags);
  RUN (global_version_and_help);
  RUN (global_bad_flags);
  RUN (bool_values_are_gos);
  RUN (verbs);
  RUN (unknown_verb_is_reported_not_an_error);
  RUN (create_engine_shapes);
  RUN (create_flags_after_the_id_are_reordered);
  RUN (create_value_flag_swallows_next_flag);
  RUN (run_only_flags);
  RUN (create_bad_input);
  RUN (create_help_goes_to_delegate);
  RUN (create_double_dash);
  RUN (delete_forms);
  RUN (exec_process_detection);
  RUN (exec_bad_input);
  RUN (exec_argv_rewrite_process);
  RUN (exec_argv_rewrite_inline_process_and_caps);
  RUN (exec_argv_rewrite_without_process);
  RUN (exec_argv_words_before_the_command);
  return unit_done ();
}
