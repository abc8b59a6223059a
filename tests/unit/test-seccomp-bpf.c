/* agentbox's seccomp profile compiled by the shim (shim/lib/seccomp-bpf.c)
 * and installed the way agentbox-init installs it: the filter is loaded
 * in a child, which then tries what agentbox allows and denies. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "shim/lib/config.h"
#include "shim/lib/harden.h"
#include "shim/lib/seccomp-bpf.h"
#include "spec/spec.h"
#include "tests/unit/seccomp-probes.h"
#include "tests/unit/unit.h"

static char tmp[] = "/tmp/ab-seccomp-bpf-XXXXXX";

static struct ab_config *
config (void)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_config *c = NULL;

  if (ab_config_defaults (&c, &err) < 0)
    abort ();
  free (c->state_dir);
  if (asprintf (&c->state_dir, "%s/state", tmp) < 0)
    abort ();
  mkdir (c->state_dir, 0700);
  return c;
}

/* A bundle without seccomp, hardened: it carries agentbox's profile,
 * unless FLAGS leave it to the caller. */
static struct ab_spec *
hardened_with (struct ab_config *c, unsigned flags)
{
  static const char doc[] = "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":["
                            "\"sh\"],\"cwd\":\"/\"},"
                            "\"root\":{\"path\":\"rootfs\"},\"linux\":{}}";
  cleanup_error ab_error_t err = NULL;
  struct ab_harden_report rep = { 0 };
  struct ab_spec *s = calloc (1, sizeof *s);

  if (s == NULL || (s->path = strdup ("config.json")) == NULL
      || ab_json_parse (doc, sizeof doc - 1, "doc", &s->root, &err) < 0
      || ab_harden_spec (s, c, "t1", flags, &rep, &err) < 0)
    abort ();
  ab_harden_report_free (&rep);
  return s;
}

static struct ab_spec *
hardened (struct ab_config *c)
{
  return hardened_with (c, 0);
}

static struct ab_json *
parse (const char *text)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_json *j = NULL;

  if (ab_json_parse (text, strlen (text), "t", &j, &err) < 0)
    abort ();
  return j;
}

/* A syscall of the x32 ABI must not get through: killed, or an error. */
static int
probe_x32 (void)
{
  pid_t p = fork ();
  int status;

  if (p == 0)
    _exit (syscall (0x40000000 | SYS_getpid) < 0 ? 1 : 0);
  if (p < 0 || waitpid (p, &status, 0) < 0)
    return -1;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : EPERM;
}

/* Install BPF the way agentbox-init does, in a child, and probe.  The
 * child's status: 0, or 1 when a probe gave the wrong answer (printed). */
static int
run_probes (const unsigned char *bpf, size_t len)
{
  pid_t pid;
  int status = 0;

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      struct sock_fprog prog = { .len = (unsigned short)(len / 8),
                                 .filter = (struct sock_filter *)bpf };
      struct probe p[] = {
        { "getpid", 0, 0 },
        { "unshare(CLONE_NEWUTS)", 0, EPERM },
        { "setns(-1, 0)", 0, EPERM },
        { "bpf", 0, EPERM },
        { "clone3", 0, ENOSYS },
        { "clone(CLONE_NEWUSER)", 0, EPERM },
        { "fork", 0, 0 },
        { "personality(query)", 0, 0 },
        { "personality(ADDR_NO_RANDOMIZE)", 0, EPERM },
        /* runc's rule: newer than anything the profile names. */
        { "syscall 1000", 0, ENOSYS },
        { "x32 getpid", 0, EPERM },
      };

      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
          || syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        _exit (255);
      p[0].got = probe_result (getpid ());
      p[1].got = probe_result (unshare (CLONE_NEWUTS));
      p[2].got = probe_result (setns (-1, 0));
      p[3].got = probe_result (syscall (SYS_bpf, 0, NULL, 0));
      p[4].got = probe_result (syscall (SYS_clone3, NULL, 0));
      p[5].got = probe_clone (CLONE_NEWUSER);
      p[6].got = probe_clone (0);
      p[7].got = probe_result (personality (0xffffffff));
      p[8].got = probe_result (personality (PER_LINUX | ADDR_NO_RANDOMIZE));
      p[9].got = probe_result (syscall (1000));
      p[10].got = probe_x32 ();
      _exit (probes_report (p, sizeof p / sizeof *p));
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 256 + WTERMSIG (status);
}

TEST (compiled_profile_allows_and_denies_like_runc)
{
  struct ab_config *c = config ();
  struct ab_spec *s = hardened (c);
  cleanup_error ab_error_t err = NULL;
  cleanup_free unsigned char *bpf = NULL;
  size_t len = 0;
  int r;

  CHECK (ab_spec_seccomp (s) != NULL);
  CHECK (ab_seccomp_compile (ab_spec_seccomp (s), &bpf, &len, &err) == 0);
  CHECK (bpf != NULL && len > 0 && len % 8 == 0);
  if (bpf)
    {
      r = run_probes (bpf, len);
      if (r)
        printf ("# probes failed (status %d)\n", r);
      CHECK (r == 0);
    }
  ab_spec_free (s);
  ab_config_free (c);
}

static char *
slurp (const char *path, size_t *len)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  char *buf;

  if (fd < 0 || fstat (fd, &st) < 0
      || (buf = malloc ((size_t)st.st_size + 1)) == NULL)
    return NULL;
  if (read (fd, buf, (size_t)st.st_size) != st.st_size)
    {
      free (buf);
      return NULL;
    }
  *len = (size_t)st.st_size;
  return buf;
}

/* The filter agentbox-init will read, for a state dir STATE. */
static char *
moved (struct ab_config *c, const char *state, size_t *len)
{
  struct ab_spec *s = hardened_with (c, AB_HARDEN_SECCOMP_DEFAULT_LATER);
  struct ab_harden_report rep = { 0 };
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *path = NULL;
  char *out;

  mkdir (state, 0700);
  if (asprintf (&path, "%s/run/" AB_SECCOMP_FILE, state) < 0)
    abort ();
  /* The harden left it to us; runc never sees it; the report says where
   * it went. */
  CHECK (ab_spec_seccomp (s) == NULL);
  CHECK (ab_seccomp_default_to_init (s, c, state, &rep, &err) == 1);
  CHECK (ab_spec_seccomp (s) == NULL);
  CHECK (rep.len == 1 && strstr (rep.changes[0], AB_SECCOMP_PATH));
  out = slurp (path, len);
  CHECK (out != NULL);
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  return out;
}

/* The only file in DIR (the cache holds one profile here). */
static char *
cache_file (const char *dir)
{
  cleanup_free char *cmd = NULL;
  char line[4096];
  FILE *f;

  if (asprintf (&cmd, "ls %s/*", dir) < 0 || (f = popen (cmd, "r")) == NULL)
    return NULL;
  line[0] = '\0';
  if (fgets (line, sizeof line, f))
    line[strcspn (line, "\n")] = '\0';
  pclose (f);
  return line[0] ? strdup (line) : NULL;
}

TEST (to_init_writes_the_filter_and_caches_it)
{
  struct ab_config *c = config ();
  cleanup_free char *s1 = NULL, *s2 = NULL, *s3 = NULL, *dir = NULL;
  cleanup_free char *a = NULL, *b = NULL, *d = NULL, *entry = NULL;
  cleanup_free char *data = NULL;
  size_t la = 0, lb = 0, ld = 0, n = 0;

  if (asprintf (&s1, "%s/c1", tmp) < 0 || asprintf (&s2, "%s/c2", tmp) < 0
      || asprintf (&s3, "%s/c3", tmp) < 0
      || asprintf (&dir, "%s/seccomp", c->state_dir) < 0)
    abort ();
  a = moved (c, s1, &la);
  entry = cache_file (dir);
  CHECK (entry != NULL);
  /* A hit gives the same program. */
  b = moved (c, s2, &lb);
  CHECK (a && b && la == lb && memcmp (a, b, la) == 0);
  if (a && la)
    CHECK (run_probes ((unsigned char *)a, la) == 0);
  /* A cache entry whose text differs (a hash collision, a stale file)
   * is a miss: the program is compiled again, and right. */
  data = entry ? slurp (entry, &n) : NULL;
  CHECK (data != NULL && n > 64);
  if (data && n > 64)
    {
      FILE *f = fopen (entry, "w");
      data[40] ^= 1;
      /* Its program, garbage: a hit would install it. */
      memset (data + n - 16, 0, 16);
      CHECK (f && fwrite (data, 1, n, f) == n);
      if (f)
        fclose (f);
    }
  d = moved (c, s3, &ld);
  CHECK (a && d && la == ld && memcmp (a, d, la) == 0);
  ab_config_free (c);
}

/* Count the files in DIR. */
static size_t
count_files (const char *dir)
{
  cleanup_free char *cmd = NULL;
  size_t n = 0;
  char line[4096];
  FILE *f;

  if (asprintf (&cmd, "ls %s", dir) < 0 || (f = popen (cmd, "r")) == NULL)
    return 0;
  while (fgets (line, sizeof line, f))
    n++;
  pclose (f);
  return n;
}

/* The cached filter is the profile runc would have been given, compiled;
 * a different deny list is a different entry, and a different program. */
TEST (default_filter_is_cached_by_its_inputs)
{
  struct ab_config *c = config ();
  struct ab_spec *given = hardened (c);
  cleanup_error ab_error_t err = NULL;
  cleanup_free unsigned char *want = NULL;
  cleanup_free char *s1 = NULL, *s2 = NULL, *s3 = NULL, *dir = NULL;
  cleanup_free char *a = NULL, *b = NULL, *again = NULL;
  size_t lw = 0, la = 0, lb = 0, lg = 0, n = 0;
  char **deny;

  /* A cache of its own. */
  free (c->state_dir);
  if (asprintf (&c->state_dir, "%s/state-k", tmp) < 0
      || mkdir (c->state_dir, 0700) < 0 || asprintf (&s1, "%s/k1", tmp) < 0
      || asprintf (&s2, "%s/k2", tmp) < 0 || asprintf (&s3, "%s/k3", tmp) < 0
      || asprintf (&dir, "%s/seccomp", c->state_dir) < 0)
    abort ();
  CHECK (ab_seccomp_compile (ab_spec_seccomp (given), &want, &lw, &err) == 0);
  a = moved (c, s1, &la);
  CHECK (a && want && la == lw && memcmp (a, want, la) == 0);
  CHECK (count_files (dir) == 1);
  /* One name more in the deny list: denied now, by another program. */
  for (n = 0; c->seccomp_deny[n]; n++)
    ;
  deny = realloc (c->seccomp_deny, (n + 2) * sizeof *deny);
  if (deny == NULL)
    abort ();
  c->seccomp_deny = deny;
  deny[n] = strdup ("getpid");
  deny[n + 1] = NULL;
  b = moved (c, s2, &lb);
  CHECK (b && a && (lb != la || memcmp (a, b, la) != 0));
  CHECK (count_files (dir) == 2);
  /* The first list again: the first entry, the first program. */
  free (deny[n]);
  deny[n] = NULL;
  again = moved (c, s3, &lg);
  CHECK (again && a && lg == la && memcmp (a, again, la) == 0);
  CHECK (count_files (dir) == 2);
  ab_spec_free (given);
  ab_config_free (c);
}

/* ab_seccomp_compile of the profile DOC returns WANT: 1 (left to the
 * runtime, no error) or -1 (an error that names seccomp); no program. */
static void
compile_gives (const char *doc, int want)
{
  cleanup_json struct ab_json *p = parse (doc);
  cleanup_error ab_error_t err = NULL;
  unsigned char *bpf = NULL;
  size_t len = 0;
  int r = ab_seccomp_compile (p, &bpf, &len, &err);

  if (r != want)
    printf ("# got %d, want %d: %s\n", r, want, doc);
  CHECK (r == want);
  CHECK (bpf == NULL);
  CHECK (want < 0 ? err && strstr (err->msg, "seccomp") : err == NULL);
}

TEST (profiles_only_the_runtime_can_load_are_left_to_it)
{
  static const char *const docs[] = {
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"listenerPath\":\"/run/l.sock\","
    "\"syscalls\":[]}",
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"flags\":"
    "[\"SECCOMP_FILTER_FLAG_LOG\"],\"syscalls\":[]}",
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"bpf\"],"
    "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
    "{\"defaultAction\":\"SCMP_ACT_TRACE\",\"syscalls\":[]}",
    /* runc splits two conditions on one argument into two rules */
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
    "[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
    "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
    "{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]}]}",
  };

  for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
    compile_gives (docs[i], 1);
}

TEST (bad_profiles_are_errors)
{
  static const char *const docs[] = {
    "{\"defaultAction\":\"SCMP_ACT_NONSENSE\",\"syscalls\":[]}",
    "{\"syscalls\":[]}",
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":"
    "[\"SCMP_ARCH_PDP11\"]}",
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"action\":"
    "\"SCMP_ACT_ALLOW\"}]}",
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
    "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":9,\"value\":0,"
    "\"op\":\"SCMP_CMP_EQ\"}]}]}",
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
    "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":-1,"
    "\"op\":\"SCMP_CMP_EQ\"}]}]}",
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
    "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":0,"
    "\"op\":\"SCMP_CMP_ALMOST\"}]}]}",
  };

  for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
    compile_gives (docs[i], -1);
}

/* ---- agentbox-init --seccomp, run for real ---- */

static const char *
init_bin (void)
{
  const char *env = getenv ("AB_INIT");

  return env && *env ? env : "build/agentbox-init";
}

/* Run agentbox-init with ARGS; its stdout and stderr into OUT. */
static int
run_init (const char *const *args, char *out, size_t size)
{
  int fds[2], status;
  size_t n = 0;
  ssize_t r;
  pid_t pid;

  fflush (stdout);
  if (pipe2 (fds, O_CLOEXEC) < 0 || (pid = fork ()) < 0)
    return -1;
  if (pid == 0)
    {
      const char *argv[16] = { init_bin () };
      for (size_t i = 0; args[i] && i < 14; i++)
        argv[i + 1] = args[i];
      dup2 (fds[1], 1);
      dup2 (fds[1], 2);
      execv (argv[0], (char **)argv);
      _exit (99);
    }
  close (fds[1]);
  while (n + 1 < size && (r = read (fds[0], out + n, size - 1 - n)) > 0)
    n += (size_t)r;
  out[n] = '\0';
  close (fds[0]);
  if (waitpid (pid, &status, 0) < 0)
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 256;
}

static char *
write_tmp (const char *name, const void *data, size_t len)
{
  char *path = NULL;
  FILE *f;

  if (asprintf (&path, "%s/%s", tmp, name) < 0
      || (f = fopen (path, "w")) == NULL)
    abort ();
  if (fwrite (data, 1, len, f) != len)
    abort ();
  fclose (f);
  return path;
}

TEST (init_installs_the_filter_before_exec)
{
  static const char script[]
      = "grep ^Seccomp: /proc/self/status; "
        "unshare -U true 2>/dev/null && echo UNSHARE-OK || echo UNSHARE-DENIED";
  /* Landlock that does not cover the filter's directory: it is read
   * before the rules apply. */
  static const char rules[] = "x /usr\nx /bin\nx /lib\nx /lib64\nro /proc\n"
                              "rw /dev\n";
  struct ab_config *c = config ();
  struct ab_spec *s = hardened (c);
  cleanup_error ab_error_t err = NULL;
  cleanup_free unsigned char *bpf = NULL;
  cleanup_free char *filter = NULL, *bad = NULL, *rfile = NULL;
  char out[4096];
  size_t len = 0;
  int r;

  if (access (init_bin (), X_OK) < 0)
    {
      ab_spec_free (s);
      ab_config_free (c);
      SKIP ("agentbox-init is not built (make build/agentbox-init, or set "
            "AB_INIT)");
    }
  CHECK (ab_seccomp_compile (ab_spec_seccomp (s), &bpf, &len, &err) == 0);
  filter = write_tmp ("filter.bpf", bpf, len);
  bad = write_tmp ("bad.bpf", bpf, 7);
  rfile = write_tmp ("rules", rules, sizeof rules - 1);
  {
    const char *args[]
        = { "--seccomp", filter, "--", "/bin/sh", "-c", script, NULL };
    r = run_init (args, out, sizeof out);
    CHECK (r == 0);
    CHECK_CONTAINS (out, "Seccomp:\t2");
    CHECK_CONTAINS (out, "UNSHARE-DENIED");
  }
  {
    const char *args[] = { "--rules", rfile, "--seccomp", filter, "--",
                           "/bin/sh", "-c",  script,      NULL };
    long abi = syscall (SYS_landlock_create_ruleset, NULL, 0, 1);
    r = run_init (args, out, sizeof out);
    if (abi >= 1)
      {
        CHECK (r == 0);
        CHECK_CONTAINS (out, "UNSHARE-DENIED");
      }
  }
  /* Without the filter: unconfined by seccomp (the control). */
  {
    const char *args[]
        = { "--rules", rfile, "--allow-without-landlock", "--", "/bin/sh", "-c",
            script,    NULL };
    r = run_init (args, out, sizeof out);
    CHECK_CONTAINS (out, "Seccomp:\t0");
  }
  /* A broken or missing filter: nothing runs. */
  {
    const char *args[] = { "--seccomp", bad, "--", "/bin/echo", "RAN", NULL };
    r = run_init (args, out, sizeof out);
    CHECK (r == 126);
    CHECK_CONTAINS (out, bad);
    CHECK (strstr (out, "RAN") == NULL);
  }
  {
    const char *args[]
        = { "--seccomp", "/nonexistent.bpf", "--", "/bin/echo", "RAN", NULL };
    r = run_init (args, out, sizeof out);
    CHECK (r == 126);
    CHECK_CONTAINS (out, "/nonexistent.bpf");
    CHECK (strstr (out, "RAN") == NULL);
  }
  {
    const char *args[] = { "--seccomp", NULL };
    r = run_init (args, out, sizeof out);
    CHECK (r == 126);
    CHECK_CONTAINS (out, "--seccomp needs a FILE");
  }
  ab_spec_free (s);
  ab_config_free (c);
}

static int
rm_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove (path);
}

int
main (void)
{
  if (mkdtemp (tmp) == NULL)
    return 1;
  RUN (compiled_profile_allows_and_denies_like_runc);
  RUN (to_init_writes_the_filter_and_caches_it);
  RUN (default_filter_is_cached_by_its_inputs);
  RUN (profiles_only_the_runtime_can_load_are_left_to_it);
  RUN (bad_profiles_are_errors);
  RUN (init_installs_the_filter_before_exec);
  nftw (tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return unit_done ();
}
