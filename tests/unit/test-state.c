/* Unit tests for shim/lib/state.c: ids, the per-container record, its
 * undo, removal, and the confined-namespace check. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "shim/lib/state.h"
#include "spec/json.h"
#include "tests/unit/unit.h"

static char tmpdir[] = "/tmp/ab-test-state.XXXXXX";

static struct ab_config *
config_in (const char *sub)
{
  static struct ab_config cfg;
  static char path[256];

  snprintf (path, sizeof path, "%s/%s", tmpdir, sub);
  memset (&cfg, 0, sizeof cfg);
  cfg.state_dir = path;
  return &cfg;
}

/* Does A/B exist (without following a final symlink)? */
static bool
exists (const char *a, const char *b)
{
  char p[1100];
  struct stat st;

  snprintf (p, sizeof p, "%s/%s", a, b);
  return lstat (p, &st) == 0;
}

static char *
slurp (const char *path)
{
  cleanup_file FILE *f = fopen (path, "re");
  char *buf = calloc (1, 65536);

  if (f && buf && fread (buf, 1, 65535, f) == 0 && ferror (f))
    buf[0] = '\0';
  return buf;
}

TEST (id_rules_are_runcs)
{
  CHECK (ab_container_id_valid ("abc"));
  CHECK (ab_container_id_valid ("a-b_c.d+e,f"));
  CHECK (ab_container_id_valid ("..."));
  CHECK (ab_container_id_valid ("0123456789abcdef0123456789abcdef"));
  CHECK (!ab_container_id_valid (""));
  CHECK (!ab_container_id_valid (NULL));
  CHECK (!ab_container_id_valid ("."));
  CHECK (!ab_container_id_valid (".."));
  CHECK (!ab_container_id_valid ("../escape"));
  CHECK (!ab_container_id_valid ("a/b"));
  CHECK (!ab_container_id_valid ("a b"));
  CHECK (!ab_container_id_valid ("a\nb"));
  CHECK (!ab_container_id_valid ("caf\xc3\xa9"));
}

TEST (state_dir_refuses_bad_ids)
{
  struct ab_config *cfg = config_in ("s0");
  cleanup_free char *dir = NULL;
  ab_error_t err = NULL;

  CHECK (ab_state_dir (cfg, "c1", &dir, &err) == 0);
  CHECK (dir && strstr (dir, "/s0/containers/c1"));
  CHECK (ab_state_dir (cfg, "../x", &dir, &err) < 0);
  CHECK (err && strstr (err->msg, "../x"));
  ab_error_free (&err);
}

static struct ab_spec *
spec_with_annotations (void)
{
  const char *doc = "{\"annotations\": {\"io.agentbox.project\": \"demo\", "
                    "\"io.agentbox.mode\": \"shadow\", \"other\": \"x\"}}";
  struct ab_spec *s = calloc (1, sizeof (*s));
  ab_error_t err = NULL;

  s->path = strdup ("/b/config.json");
  ab_json_parse (doc, strlen (doc), "doc", &s->root, &err);
  ab_error_free (&err);
  return s;
}

TEST (record_writes_state_json)
{
  struct ab_config *cfg = config_in ("s1");
  cleanup_spec struct ab_spec *spec = spec_with_annotations ();
  const char *changes[] = { "capability CAP_SYS_ADMIN: dropped", NULL };
  struct ab_state_info info = { .id = "c1",
                                .bundle = "/b",
                                .rootfs = "/b/rootfs",
                                .delegate = "/usr/sbin/runc",
                                .spec = spec,
                                .changes = changes };
  struct ab_state *st = NULL;
  cleanup_json struct ab_json *j = NULL;
  char path[512];
  ab_error_t err = NULL;

  CHECK (ab_state_exists (cfg, "c1", &err) == 0);
  CHECK (ab_state_begin (cfg, "c1", &st, &err) == 0);
  CHECK (ab_state_record (st, &info, &err) == 0);
  ab_state_free (st);
  CHECK (ab_state_exists (cfg, "c1", &err) == 1);
  snprintf (path, sizeof path, "%s/containers/c1/state.json", cfg->state_dir);
  CHECK (ab_json_parse_file (path, &j, &err) == 0);
  CHECK_STR (ab_json_get_string (j, "id"), "c1");
  CHECK_STR (ab_json_get_string (j, "bundle"), "/b");
  CHECK_STR (ab_json_get_string (ab_json_get (j, "annotations"),
                                 "io.agentbox.project"),
             "demo");
  CHECK (ab_json_get (ab_json_get (j, "annotations"), "other") == NULL);
  CHECK (ab_json_is (ab_json_get (j, "root"), AB_JSON_NULL));
  const struct ab_json *ch = ab_json_get (j, "changes");
  CHECK (ab_json_is (ch, AB_JSON_ARRAY) && ch->u.array.len == 1);
  CHECK (ab_json_get_string (j, "created") != NULL);
  /* the state dir is private */
  struct stat sb;
  snprintf (path, sizeof path, "%s/containers/c1", cfg->state_dir);
  CHECK (stat (path, &sb) == 0 && (sb.st_mode & 077) == 0);
  CHECK (ab_state_remove (cfg, "c1", &err) == 0);
  CHECK (!exists (cfg->state_dir, "containers/c1"));
  CHECK (ab_state_remove (cfg, "c1", &err) == 0); /* absent: fine */
  ab_error_free (&err);
}

TEST (abort_removes_a_new_dir)
{
  struct ab_config *cfg = config_in ("s2");
  struct ab_state_info info = { .id = "c2", .bundle = "/b" };
  struct ab_state *st = NULL;
  ab_error_t err = NULL;

  CHECK (ab_state_begin (cfg, "c2", &st, &err) == 0);
  CHECK (ab_state_record (st, &info, &err) == 0);
  CHECK (exists (cfg->state_dir, "containers/c2/state.json"));
  ab_state_abort (st);
  ab_state_free (st);
  CHECK (!exists (cfg->state_dir, "containers/c2"));
  ab_error_free (&err);
}

TEST (abort_restores_a_previous_record)
{
  struct ab_config *cfg = config_in ("s3");
  struct ab_state_info first = { .id = "c3", .bundle = "/first" };
  struct ab_state_info second = { .id = "c3", .bundle = "/second" };
  struct ab_state *st = NULL;
  cleanup_free char *before = NULL, *after = NULL;
  char path[512];
  ab_error_t err = NULL;

  CHECK (ab_state_begin (cfg, "c3", &st, &err) == 0);
  CHECK (ab_state_record (st, &first, &err) == 0);
  ab_state_free (st);
  snprintf (path, sizeof path, "%s/containers/c3/state.json", cfg->state_dir);
  before = slurp (path);
  CHECK (ab_state_begin (cfg, "c3", &st, &err) == 0);
  CHECK (ab_state_record (st, &second, &err) == 0);
  after = slurp (path);
  CHECK_CONTAINS (after, "/second");
  ab_state_abort (st);
  ab_state_free (st);
  free (after);
  after = slurp (path);
  CHECK_CONTAINS (after, "/first");
  CHECK (after && !strstr (after, "/second"));
  ab_error_free (&err);
}

TEST (abort_without_record_keeps_a_previous_record)
{
  struct ab_config *cfg = config_in ("s6");
  struct ab_state_info info = { .id = "c6", .bundle = "/kept" };
  struct ab_state *st = NULL;
  ab_error_t err = NULL;

  CHECK (ab_state_begin (cfg, "c6", &st, &err) == 0);
  CHECK (ab_state_record (st, &info, &err) == 0);
  ab_state_free (st);
  CHECK (ab_state_begin (cfg, "c6", &st, &err) == 0);
  ab_state_abort (st); /* e.g. the bundle failed to load */
  ab_state_free (st);
  CHECK (ab_state_exists (cfg, "c6", &err) == 1);
  ab_error_free (&err);
}

TEST (remove_does_not_follow_symlinks)
{
  struct ab_config *cfg = config_in ("s4");
  struct ab_state_info info = { .id = "c4", .bundle = "/b" };
  struct ab_state *st = NULL;
  char outside[512], link[1100];
  ab_error_t err = NULL;

  snprintf (outside, sizeof outside, "%s/outside", tmpdir);
  mkdir (outside, 0700);
  close (open (strcat (strcpy (link, outside), "/keep"), O_CREAT | O_WRONLY,
               0600));
  CHECK (ab_state_begin (cfg, "c4", &st, &err) == 0);
  CHECK (ab_state_record (st, &info, &err) == 0);
  ab_state_free (st);
  snprintf (link, sizeof link, "%s/containers/c4/link", cfg->state_dir);
  CHECK (symlink (outside, link) == 0);
  CHECK (ab_state_remove (cfg, "c4", &err) == 0);
  CHECK (!exists (cfg->state_dir, "containers/c4"));
  CHECK (exists (outside, "keep"));
  ab_error_free (&err);
}

/* ---- a foreground run's hold ---- */

static double
now_ms (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* A process that has ended and is not reaped: a foreground run's runc
 * whose engine has not waited for it yet. */
static pid_t
zombie (void)
{
  pid_t pid = fork ();

  if (pid == 0)
    _exit (0);
  for (int i = 0; i < 1000; i++)
    {
      char path[64], buf[256], *p;
      cleanup_file FILE *f = NULL;

      snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
      f = fopen (path, "re");
      if (f && fgets (buf, sizeof buf, f) && (p = strrchr (buf, ')'))
          && p[2] == 'Z')
        break;
      usleep (1000);
    }
  return pid;
}

/* A teardown in a child: it holds ID's state for RUN (a pid), tells
 * the caller on the pipe it returns, and after HOLD_MS removes the
 * state (REMOVE) or not, and lets go. */
static int
teardown_child (struct ab_config *cfg, const char *id, pid_t run, int hold_ms,
                bool remove, pid_t *child)
{
  int p[2];
  char c = 0;

  if (pipe (p) < 0)
    return -1;
  *child = fork ();
  if (*child == 0)
    {
      ab_error_t err = NULL;
      int fd = -1;

      close (p[0]);
      c = ab_state_hold (cfg, id, run, &fd, &err) == 0 ? 'y' : 'n';
      if (write (p[1], &c, 1) != 1)
        _exit (1);
      usleep ((useconds_t)hold_ms * 1000);
      if (remove)
        ab_state_remove (cfg, id, &err);
      _exit (0);
    }
  close (p[1]);
  if (read (p[0], &c, 1) != 1)
    c = 0;
  close (p[0]);
  return c == 'y' ? 0 : -1;
}

static void
make_record (struct ab_config *cfg, const char *id)
{
  struct ab_state_info info = { .id = id, .bundle = "/old" };
  struct ab_state *st = NULL;
  ab_error_t err = NULL;

  CHECK (ab_state_begin (cfg, id, &st, &err) == 0);
  CHECK (ab_state_record (st, &info, &err) == 0);
  ab_state_free (st);
  ab_error_free (&err);
}

TEST (begin_waits_for_the_teardown_of_an_ended_run)
{
  struct ab_config *cfg = config_in ("s7");
  struct ab_state *st = NULL;
  ab_error_t err = NULL;
  pid_t run = zombie (), child;
  double t0;

  make_record (cfg, "c7");
  CHECK (teardown_child (cfg, "c7", run, 300, true, &child) == 0);
  CHECK (exists (cfg->state_dir, "containers/c7/foreground.pid"));
  t0 = now_ms ();
  CHECK (ab_state_begin (cfg, "c7", &st, &err) == 0);
  /* It waited for the removal, and made the directory anew. */
  CHECK (now_ms () - t0 >= 250);
  CHECK (!exists (cfg->state_dir, "containers/c7/state.json"));
  CHECK (!exists (cfg->state_dir, "containers/c7/foreground.pid"));
  ab_state_abort (st);
  CHECK (!exists (cfg->state_dir, "containers/c7"));
  ab_state_free (st);
  waitpid (child, NULL, 0);
  waitpid (run, NULL, 0);
  ab_error_free (&err);
}

TEST (begin_takes_over_a_record_let_go_of_without_teardown)
{
  struct ab_config *cfg = config_in ("s8");
  struct ab_state *st = NULL;
  cleanup_free char *json = NULL;
  char path[512];
  ab_error_t err = NULL;
  pid_t run = zombie (), child;

  /* A watcher killed before its teardown: the record stays. */
  make_record (cfg, "c8");
  CHECK (teardown_child (cfg, "c8", run, 100, false, &child) == 0);
  CHECK (ab_state_begin (cfg, "c8", &st, &err) == 0);
  snprintf (path, sizeof path, "%s/containers/c8/state.json", cfg->state_dir);
  json = slurp (path);
  CHECK_CONTAINS (json, "/old");
  ab_state_free (st);
  waitpid (child, NULL, 0);
  waitpid (run, NULL, 0);
  ab_error_free (&err);
}

TEST (begin_does_not_wait_for_a_run_still_going)
{
  struct ab_config *cfg = config_in ("s9");
  struct ab_state *st = NULL;
  ab_error_t err = NULL;
  pid_t run = fork (), child;
  double t0;

  if (run == 0)
    {
      pause ();
      _exit (0);
    }
  make_record (cfg, "c9");
  CHECK (teardown_child (cfg, "c9", run, 3000, true, &child) == 0);
  t0 = now_ms ();
  /* The container exists: the delegate will refuse the id, at once. */
  CHECK (ab_state_begin (cfg, "c9", &st, &err) == 0);
  CHECK (now_ms () - t0 < 1000);
  CHECK (exists (cfg->state_dir, "containers/c9/state.json"));
  ab_state_free (st);
  kill (run, SIGKILL);
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  waitpid (run, NULL, 0);
  ab_error_free (&err);
}

TEST (begin_gives_up_on_a_hold_that_lasts)
{
  struct ab_config *cfg = config_in ("s10");
  struct ab_state *st = NULL;
  ab_error_t err = NULL;
  pid_t run = zombie (), child;
  int saved = ab_state_teardown_wait_ms;
  double t0;

  make_record (cfg, "c10");
  CHECK (teardown_child (cfg, "c10", run, 5000, false, &child) == 0);
  /* A second hold on it is refused: one run per record. */
  int fd = -1;
  CHECK (ab_state_hold (cfg, "c10", run, &fd, &err) == -1);
  CHECK (err && err->status == EWOULDBLOCK);
  ab_error_free (&err);
  ab_state_teardown_wait_ms = 200;
  t0 = now_ms ();
  CHECK (ab_state_begin (cfg, "c10", &st, &err) == -1);
  CHECK (now_ms () - t0 >= 200);
  CHECK_CONTAINS (err ? err->msg : "", "still held by the teardown");
  CHECK_CONTAINS (err ? err->msg : "", "containers/c10");
  ab_state_teardown_wait_ms = saved;
  ab_state_abort (st);
  ab_state_free (st);
  CHECK (exists (cfg->state_dir, "containers/c10/state.json"));
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  waitpid (run, NULL, 0);
  ab_error_free (&err);
}

/* ---- confined namespaces ---- */

static pid_t
child_in_new_uts (void)
{
  int p[2];
  char c;
  pid_t pid;

  if (pipe (p) < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      close (p[0]);
      c = unshare (CLONE_NEWUTS) == 0 ? 'y' : 'n';
      if (write (p[1], &c, 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  close (p[1]);
  if (read (p[0], &c, 1) != 1 || c != 'y')
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      pid = -1;
    }
  close (p[0]);
  return pid;
}

/* A fake delegate whose `state` reports PID with STATUS. */
static void
write_fake_delegate (const char *path, pid_t pid, const char *status)
{
  FILE *f = fopen (path, "w");

  fprintf (f,
           "#!/bin/sh\n"
           "[ \"$1\" = --root ] && shift 2\n"
           "[ \"$1\" = state ] || exit 2\n"
           "echo '{\"id\": \"'$2'\", \"pid\": %d, \"status\": \"%s\"}'\n",
           (int)pid, status);
  fclose (f);
  chmod (path, 0755);
}

TEST (confined_namespace_check)
{
  struct ab_config *cfg = config_in ("s5");
  char delegate[512], nspath[64], other[64];
  struct ab_state *st = NULL;
  ab_error_t err = NULL;
  pid_t box, stranger;

  box = child_in_new_uts ();
  if (box < 0)
    SKIP ("cannot unshare a uts namespace here");
  stranger = child_in_new_uts ();
  snprintf (delegate, sizeof delegate, "%s/fake-runtime", tmpdir);
  write_fake_delegate (delegate, box, "running");
  struct ab_state_info info
      = { .id = "sandbox", .bundle = "/b", .root = "/r", .delegate = delegate };
  CHECK (ab_state_begin (cfg, "sandbox", &st, &err) == 0);
  CHECK (ab_state_record (st, &info, &err) == 0);
  ab_state_free (st);

  snprintf (nspath, sizeof nspath, "/proc/%d/ns/uts", (int)box);
  CHECK (ab_state_is_confined_ns (cfg, nspath, &err) == 1);
  /* The host's namespace never counts. */
  CHECK (ab_state_is_confined_ns (cfg, "/proc/self/ns/uts", &err) == 0);
  CHECK (ab_state_is_confined_ns (cfg, "/proc/1/ns/uts", &err) == 0);
  /* A namespace of a process no recorded container owns. */
  if (stranger > 0)
    {
      snprintf (other, sizeof other, "/proc/%d/ns/uts", (int)stranger);
      CHECK (ab_state_is_confined_ns (cfg, other, &err) == 0);
    }
  CHECK (ab_state_is_confined_ns (cfg, "/proc/999999999/ns/uts", &err) == 0);
  /* The runtime says the container is gone: its pid may be anyone's now. */
  write_fake_delegate (delegate, box, "stopped");
  CHECK (ab_state_is_confined_ns (cfg, nspath, &err) == 0);
  /* ... or the runtime says another pid is the container's. */
  write_fake_delegate (delegate, stranger > 0 ? stranger : 1, "running");
  CHECK (ab_state_is_confined_ns (cfg, nspath, &err) == 0);

  kill (box, SIGKILL);
  waitpid (box, NULL, 0);
  if (stranger > 0)
    {
      kill (stranger, SIGKILL);
      waitpid (stranger, NULL, 0);
    }
  ab_error_free (&err);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  RUN (id_rules_are_runcs);
  RUN (state_dir_refuses_bad_ids);
  RUN (record_writes_state_json);
  RUN (abort_removes_a_new_dir);
  RUN (abort_restores_a_previous_record);
  RUN (abort_without_record_keeps_a_previous_record);
  RUN (remove_does_not_follow_symlinks);
  RUN (begin_waits_for_the_teardown_of_an_ended_run);
  RUN (begin_takes_over_a_record_let_go_of_without_teardown);
  RUN (begin_does_not_wait_for_a_run_still_going);
  RUN (begin_gives_up_on_a_hold_that_lasts);
  RUN (confined_namespace_check);
  {
    char cmd[300];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system (cmd) != 0)
      fprintf (stderr, "# could not remove %s\n", tmpdir);
  }
  return unit_done ();
}
