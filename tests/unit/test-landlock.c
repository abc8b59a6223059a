/* agentbox-init (shim/init) run for real: it confines this test binary,
 * re-executed as a helper that tries one file operation and exits with
 * its errno (0 when it worked).  Reads, writes, creates, execs, file rules,
 * component boundaries, symlinks, hard links, renames and links across
 * rules, truncation, device ioctls, bad rules, and a kernel without
 * Landlock (a seccomp filter makes it look so).
 *
 * Runs $AB_INIT, or build/agentbox-init from the current directory; skips
 * when neither exists. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "tests/unit/unit.h"

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

/* ---- the helper: one operation, inside the confined process ---------- */

static int
result (long r)
{
  return r < 0 ? errno : 0;
}

static int
op_read (const char *path)
{
  char c;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);

  return fd < 0 ? errno : result (read (fd, &c, 1));
}

static int
op_list (const char *path)
{
  DIR *d = opendir (path);

  if (d == NULL)
    return errno;
  errno = 0;
  while (readdir (d))
    ;
  closedir (d);
  return errno;
}

static int
op_open (const char *path, int flags)
{
  cleanup_close int fd = open (path, flags | O_CLOEXEC, 0600);

  return fd < 0 ? errno : result (write (fd, "w", 1));
}

static int
op_ioctl (const char *path)
{
  struct termios t;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);

  return fd < 0 ? errno : result (ioctl (fd, TCGETS, &t));
}

static int
helper (int argc, char **argv)
{
  const char *op = argc > 0 ? argv[0] : "";
  const char *a = argc > 1 ? argv[1] : "", *b = argc > 2 ? argv[2] : "";

  if (strcmp (op, "true") == 0)
    return 0;
  if (strcmp (op, "read") == 0)
    return op_read (a);
  if (strcmp (op, "list") == 0)
    return op_list (a);
  if (strcmp (op, "write") == 0)
    return op_open (a, O_WRONLY);
  if (strcmp (op, "trunc") == 0)
    return op_open (a, O_WRONLY | O_TRUNC);
  if (strcmp (op, "create") == 0)
    return op_open (a, O_WRONLY | O_CREAT | O_EXCL);
  if (strcmp (op, "truncate") == 0)
    return result (truncate (a, 0));
  if (strcmp (op, "unlink") == 0)
    return result (unlink (a));
  if (strcmp (op, "mkdir") == 0)
    return result (mkdir (a, 0700));
  if (strcmp (op, "rename") == 0)
    return result (rename (a, b));
  if (strcmp (op, "link") == 0)
    return result (link (a, b));
  if (strcmp (op, "ioctl") == 0)
    return op_ioctl (a);
  if (strcmp (op, "exec") == 0 && argc > 1)
    return execv (a, argv + 1), errno;
  return 125;
}

/* ---- the harness ------------------------------------------------------- */

static char init_bin[PATH_MAX], self[PATH_MAX], top[PATH_MAX];
static const char *init_missing;
static int abi;
static char out[16384], err[16384];

enum
{
  RAW = 1,         /* the rules as given, without what the helper needs */
  NO_RULES = 2,    /* point --rules at a file that does not exist */
  NO_LANDLOCK = 4, /* run agentbox-init as if the kernel had no Landlock */
  ALLOW_NONE = 8,  /* pass --allow-without-landlock */
};

/* S with every '@' replaced by the test directory. */
static char *
expand (const char *s)
{
  size_t n = strlen (s) + 1, t = strlen (top);
  char *r, *o;

  for (const char *c = s; *c; c++)
    n += *c == '@' ? t : 0;
  o = r = malloc (n);
  if (r == NULL)
    abort ();
  for (; *s; s++)
    if (*s == '@')
      o = stpcpy (o, top);
    else
      *o++ = *s;
  *o = '\0';
  return r;
}

static void
write_file (const char *rel, const char *text)
{
  cleanup_free char *path = expand (rel);
  FILE *f = fopen (path, "we");

  if (f == NULL || fputs (text, f) < 0 || fclose (f) != 0)
    {
      perror (path);
      abort ();
    }
}

static void
slurp (const char *rel, char *buf, size_t size)
{
  cleanup_free char *path = expand (rel);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, buf, size - 1);

  buf[n > 0 ? n : 0] = '\0';
}

/* The seccomp filter that makes landlock_create_ruleset fail with ENOSYS,
 * as on a kernel built without Landlock. */
static void
hide_landlock (void)
{
#if defined(__x86_64__)
  const unsigned arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  const unsigned arch = AUDIT_ARCH_AARCH64;
#else
#error "add this architecture's AUDIT_ARCH"
#endif
  struct sock_filter f[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_landlock_create_ruleset, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof f / sizeof f[0], f };

  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
      || prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
    _exit (124);
}

static void
child (char **argv, int flags)
{
  cleanup_free char *o = expand ("@/out"), *e = expand ("@/err");
  int fo = open (o, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int fe = open (e, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fo < 0 || fe < 0 || dup2 (fo, 1) < 0 || dup2 (fe, 2) < 0)
    _exit (124);
  if (flags & NO_LANDLOCK)
    hide_landlock ();
  execv (argv[0], argv);
  _exit (124);
}

/* Run agentbox-init with RULES (plus what the helper itself needs, unless
 * RAW) and then the helper with the arguments that follow, up to NULL.
 * Returns the exit status; out and err hold what was printed. */
static int
run (const char *rules, int flags, ...)
{
  char *argv[32];
  cleanup_free char *base = NULL, *text = NULL, *mine = expand (rules);
  int n = 0, first, status;
  va_list ap;
  pid_t pid;

  if (asprintf (&base, "x %s\nx /usr\nx /lib\nx /lib64\nro /etc\n", self) < 0)
    abort ();
  text = malloc (strlen (base) + strlen (mine) + 1);
  if (text == NULL)
    abort ();
  stpcpy (stpcpy (text, (flags & RAW) ? "" : base), mine);
  write_file ("@/rules", text);
  argv[n++] = init_bin;
  argv[n++] = "--rules";
  argv[n++] = expand ((flags & NO_RULES) ? "@/no-such-rules" : "@/rules");
  if (flags & ALLOW_NONE)
    argv[n++] = "--allow-without-landlock";
  argv[n++] = "--";
  argv[n++] = self;
  argv[n++] = "--helper";
  first = n;
  va_start (ap, flags);
  for (const char *a; (a = va_arg (ap, const char *)) && n < 31;)
    argv[n++] = expand (a);
  va_end (ap);
  argv[n] = NULL;

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    child (argv, flags);
  while (pid > 0 && waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  for (int i = 0; i < n; i++)
    if (i == 2 || i >= first)
      free (argv[i]);
  slurp ("@/out", out, sizeof out);
  slurp ("@/err", err, sizeof err);
  if (pid < 0)
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* Why a test cannot run here, or NULL. */
static const char *
cannot (int min_abi)
{
  if (init_missing)
    return init_missing;
  if (min_abi > 0 && abi < 1)
    return "Landlock is not available on this kernel";
  if (abi < min_abi)
    return "this kernel's Landlock ABI is too old for this check";
  return NULL;
}

#define NEED(min_abi)                                                          \
  do                                                                           \
    {                                                                          \
      const char *why_ = cannot (min_abi);                                     \
      if (why_)                                                                \
        SKIP (why_);                                                           \
    }                                                                          \
  while (0)

static bool
content_is (const char *rel, const char *want)
{
  char buf[256];

  slurp (rel, buf, sizeof buf);
  return strcmp (buf, want) == 0;
}

/* ---- tests ------------------------------------------------------------- */

TEST (read_allowed_and_denied)
{
  NEED (1);
  CHECK (run ("ro @/ro\n", 0, "read", "@/ro/f", NULL) == 0);
  CHECK (run ("ro @/ro\n", 0, "list", "@/ro", NULL) == 0);
  CHECK (run ("ro @/ro\n", 0, "read", "@/secret/s", NULL) == EACCES);
  CHECK (run ("ro @/ro\n", 0, "list", "@/secret", NULL) == EACCES);
  /* Listing a directory is not reading what sits beside it. */
  CHECK (run ("ro @/ro/f\n", 0, "list", "@/ro", NULL) == EACCES);
}

TEST (ro_denies_writes)
{
  NEED (1);
  CHECK (run ("ro @/ro\n", 0, "write", "@/ro/f", NULL) == EACCES);
  CHECK (run ("ro @/ro\n", 0, "create", "@/ro/new", NULL) == EACCES);
  CHECK (run ("ro @/ro\n", 0, "mkdir", "@/ro/d", NULL) == EACCES);
  CHECK (run ("ro @/ro\n", 0, "unlink", "@/ro/f", NULL) == EACCES);
  CHECK (content_is ("@/ro/f", "hello"));
}

TEST (truncate_denied_under_ro)
{
  NEED (3);
  CHECK (run ("ro @/ro\n", 0, "trunc", "@/ro/f", NULL) == EACCES);
  CHECK (run ("ro @/ro\n", 0, "truncate", "@/ro/f", NULL) == EACCES);
  CHECK (content_is ("@/ro/f", "hello"));
  write_file ("@/rw/t", "long text");
  CHECK (run ("rw @/rw\n", 0, "truncate", "@/rw/t", NULL) == 0);
  CHECK (content_is ("@/rw/t", ""));
}

TEST (rw_creates_and_removes)
{
  NEED (1);
  CHECK (run ("rw @/rw\n", 0, "create", "@/rw/n", NULL) == 0);
  CHECK (content_is ("@/rw/n", "w"));
  CHECK (run ("rw @/rw\n", 0, "write", "@/rw/n", NULL) == 0);
  CHECK (run ("rw @/rw\n", 0, "unlink", "@/rw/n", NULL) == 0);
  CHECK (!content_is ("@/rw/n", "w"));
  CHECK (run ("rw @/rw\n", 0, "mkdir", "@/rw/d", NULL) == 0);
  CHECK (run ("rw @/rw\n", 0, "list", "@/rw/d", NULL) == 0);
  /* rw does not mean x. */
  CHECK (run ("rw @/bin\n", 0, "exec", "@/bin/prog", "--helper", "true", NULL)
         == EACCES);
}

TEST (rename_within_rw)
{
  NEED (2);
  write_file ("@/rw/m", "m");
  CHECK (run ("rw @/rw\n", 0, "rename", "@/rw/m", "@/rw/sub/m", NULL) == 0);
  CHECK (run ("rw @/rw\n", 0, "link", "@/rw/sub/m", "@/rw/m2", NULL) == 0);
  CHECK (content_is ("@/rw/m2", "m"));
}

TEST (exec_needs_x)
{
  NEED (1);
  CHECK (run ("ro @/bin\n", 0, "exec", "@/bin/prog", "--helper", "true", NULL)
         == EACCES);
  CHECK (run ("x @/bin\n", 0, "exec", "@/bin/prog", "--helper", "true", NULL)
         == 0);
  CHECK (
      run ("x @/bin/prog\n", 0, "exec", "@/bin/prog", "--helper", "true", NULL)
      == 0);
  /* agentbox-init's own exec of the command is judged too. */
  CHECK (run ("", RAW, NULL) == 126);
  CHECK_CONTAINS (err, "agentbox-init: exec ");
  CHECK_CONTAINS (err, "Permission denied");
}

TEST (file_rule_is_that_file)
{
  NEED (1);
  CHECK (run ("ro @/etc/passwd\n", 0, "read", "@/etc/passwd", NULL) == 0);
  CHECK (run ("ro @/etc/passwd\n", 0, "read", "@/etc/passwd-", NULL) == EACCES);
  CHECK (run ("ro @/etc/passwd\n", 0, "list", "@/etc", NULL) == EACCES);
  /* Directory rights on a file are dropped, not an error. */
  CHECK (run ("rw @/etc/passwd\n", 0, "write", "@/etc/passwd", NULL) == 0);
  CHECK (run ("rw @/etc/passwd\n", 0, "unlink", "@/etc/passwd", NULL)
         == EACCES);
}

TEST (component_boundary)
{
  NEED (1);
  CHECK (run ("rw @/work\n", 0, "create", "@/work/n", NULL) == 0);
  CHECK (run ("rw @/work\n", 0, "create", "@/workx/n", NULL) == EACCES);
  CHECK (run ("rw @/work\n", 0, "read", "@/workx/f", NULL) == EACCES);
  CHECK (run ("rw @/work/\n", 0, "read", "@/workx/f", NULL) == EACCES);
}

TEST (symlink_out_gives_nothing)
{
  NEED (1);
  CHECK (run ("ro @/ro\n", 0, "read", "@/ro/link", NULL) == EACCES);
  CHECK (run ("rw @/rw\n", 0, "write", "@/rw/link", NULL) == EACCES);
}

/* A Landlock limit, kept visible: access is judged by the path used, so a
 * hard link made beforehand inside an allowed directory is readable. */
TEST (hardlink_made_before_is_readable)
{
  NEED (1);
  CHECK (run ("ro @/ro\n", 0, "read", "@/ro/hl", NULL) == 0);
  CHECK (run ("ro @/ro\n", 0, "read", "@/secret/h", NULL) == EACCES);
}

TEST (no_new_link_out_of_denied)
{
  int r;

  NEED (1);
  r = run ("rw @/rw\n", 0, "link", "@/secret/s", "@/rw/s2", NULL);
  CHECK (r == EXDEV || r == EACCES);
  CHECK (!content_is ("@/rw/s2", "secret"));
  r = run ("rw @/rw\n", 0, "rename", "@/secret/s", "@/rw/s3", NULL);
  CHECK (r == EXDEV || r == EACCES);
  CHECK (content_is ("@/secret/s", "secret"));
}

TEST (rename_and_link_into_ro_denied)
{
  int r;

  NEED (1);
  write_file ("@/rw/a", "a");
  r = run ("rw @/rw\nro @/ro\n", 0, "rename", "@/rw/a", "@/ro/a", NULL);
  CHECK (r == EXDEV || r == EACCES);
  r = run ("rw @/rw\nro @/ro\n", 0, "link", "@/rw/a", "@/ro/b", NULL);
  CHECK (r == EXDEV || r == EACCES);
  r = run ("rw @/rw\nro @/ro\n", 0, "rename", "@/ro/f", "@/rw/f", NULL);
  CHECK (r == EXDEV || r == EACCES);
  CHECK (content_is ("@/rw/a", "a"));
  CHECK (content_is ("@/ro/f", "hello"));
  CHECK (!content_is ("@/ro/a", "a") && !content_is ("@/ro/b", "a"));
}

TEST (device_ioctl_needs_rw)
{
  NEED (5);
  CHECK (run ("ro /dev/null\n", 0, "ioctl", "/dev/null", NULL) == EACCES);
  CHECK (run ("rw /dev/null\n", 0, "ioctl", "/dev/null", NULL) == ENOTTY);
}

static int
find_interp (struct dl_phdr_info *info, size_t size, void *data)
{
  for (int i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_INTERP)
      snprintf (data, PATH_MAX, "%s",
                (const char *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr));
  return 1; /* the first object is the program */
}

/* A Landlock limit, kept visible: x guards execve, not mmap, so the
 * dynamic loader (executable under x /usr) runs a program that is only
 * readable. */
TEST (loader_runs_readable_program)
{
  char interp[PATH_MAX] = "";

  NEED (1);
  dl_iterate_phdr (find_interp, interp);
  if (interp[0] == '\0')
    SKIP ("this test binary is static");
  CHECK (run ("ro @/bin\n", 0, "exec", interp, "@/bin/prog", "--helper", "true",
              NULL)
         == 0);
}

TEST (missing_path_skipped)
{
  NEED (1);
  CHECK (
      run ("ro @/nope\nrw @/ro/f/below\nro @/ro\n", 0, "read", "@/ro/f", NULL)
      == 0);
  CHECK_STR (err, "");
}

TEST (rules_file_syntax)
{
  NEED (0);
  CHECK (run ("# comment\n\n   \n\tro\t@/ro  \n  # indented comment\n", 0,
              "read", "@/ro/f", NULL)
         == (abi >= 1 ? 0 : 126));
  CHECK (run ("ro @/ro\n\n# c\nrx @/ro\n", RAW, "true", NULL) == 126);
  CHECK (strncmp (err, "agentbox-init: ", 15) == 0);
  CHECK_CONTAINS (err, "/rules:4: ");
  CHECK_CONTAINS (err, "'rx'");
  CHECK (run ("ro etc\n", RAW, "true", NULL) == 126);
  CHECK_CONTAINS (err, "/rules:1: 'ro' needs an absolute path");
  CHECK (run ("ro\n", RAW, "true", NULL) == 126);
  CHECK_CONTAINS (err, "/rules:1: ");
  CHECK (run ("RO /etc\n", RAW, "true", NULL) == 126);
  CHECK (run ("ro /etc\nrw\n", RAW, "true", NULL) == 126);
  CHECK_CONTAINS (err, "/rules:2: ");
}

/* `layer` stacks a second ruleset: an access needs every layer's
 * permission (a narrowing policy, docs/narrowing.md). */
TEST (layers_stack)
{
  cleanup_free char *both = NULL;

  NEED (1);
  /* Each layer lets the helper itself run; the second reads @/ro/f only. */
  if (asprintf (&both,
                "ro @/ro\nro @/secret\nlayer\nx %s\nx /usr\nx /lib\n"
                "x /lib64\nro /etc\nro @/ro/f\n",
                self)
      < 0)
    abort ();
  CHECK (run (both, 0, "read", "@/ro/f", NULL) == 0);
  CHECK (run (both, 0, "read", "@/secret/s", NULL) == EACCES);
  CHECK (run (both, 0, "list", "@/ro", NULL) == EACCES);
  CHECK (run ("ro @/ro\nlayer x\n", RAW, "true", NULL) == 126);
  CHECK_CONTAINS (err, "/rules:2: 'layer' takes nothing after it");
  CHECK (run ("layer\nlayer\nlayer\nlayer\nlayer\nlayer\nlayer\nlayer\n", RAW,
              "true", NULL)
         == 126);
  CHECK_CONTAINS (err, "/rules:8: more than 8 layers");
}

TEST (missing_rules_file)
{
  NEED (0);
  CHECK (run ("", NO_RULES, "true", NULL) == 126);
  CHECK (strncmp (err, "agentbox-init: ", 15) == 0);
  CHECK_CONTAINS (err, "no-such-rules: No such file or directory");
  CHECK (run ("", NO_RULES | ALLOW_NONE | NO_LANDLOCK, "true", NULL) == 126);
}

TEST (no_landlock_fails_closed)
{
  NEED (0);
  CHECK (run ("ro @/ro\n", NO_LANDLOCK, "true", NULL) == 126);
  CHECK (strncmp (err, "agentbox-init: ", 15) == 0);
  CHECK_CONTAINS (err, "Landlock is not available");
  CHECK_CONTAINS (err, "--allow-without-landlock");
  /* A broken rules file is an error even then. */
  CHECK (run ("bad\n", NO_LANDLOCK | ALLOW_NONE, "true", NULL) == 126);
}

TEST (allow_without_landlock_warns)
{
  NEED (0);
  CHECK (run ("ro @/ro\n", NO_LANDLOCK | ALLOW_NONE, "read", "@/secret/s", NULL)
         == 0);
  CHECK_CONTAINS (err, "agentbox-init: WARNING: ");
  CHECK_CONTAINS (err, "WITHOUT file and exec confinement");
}

TEST (command_not_found)
{
  char *argv[] = { init_bin, "--rules", NULL, "--", "/no/such/cmd", NULL };
  cleanup_free char *rules = expand ("@/rules");
  int status;
  pid_t pid;

  NEED (1);
  write_file ("@/rules", "");
  argv[2] = rules;
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    child (argv, 0);
  CHECK (pid > 0 && waitpid (pid, &status, 0) == pid);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 127);
}

TEST (help_and_version)
{
  char *help[] = { init_bin, "--help", NULL };
  char *version[] = { init_bin, "--version", NULL };
  char *bad[] = { init_bin, "--bogus", "--", "true", NULL };
  char *none[] = { init_bin, "--", NULL };
  char **all[] = { help, version, bad, none };
  int want[] = { 0, 0, 126, 126 }, status;

  NEED (0);
  for (int i = 0; i < 4; i++)
    {
      pid_t pid;

      fflush (stdout);
      pid = fork ();
      if (pid == 0)
        child (all[i], 0);
      CHECK (pid > 0 && waitpid (pid, &status, 0) == pid);
      CHECK (WIFEXITED (status) && WEXITSTATUS (status) == want[i]);
      slurp ("@/out", out, sizeof out);
      slurp ("@/err", err, sizeof err);
      if (i == 0)
        {
          CHECK_CONTAINS (out, "allowlist");
          CHECK_CONTAINS (out, "--allow-without-landlock");
        }
      if (i == 1)
        CHECK_CONTAINS (out, "agentbox-init ");
      if (i >= 2)
        CHECK (strncmp (err, "agentbox-init: ", 15) == 0);
    }
}

/* ---- fixture ----------------------------------------------------------- */

static void
copy_self (const char *rel)
{
  cleanup_free char *to = expand (rel);
  cleanup_close int in = open (self, O_RDONLY | O_CLOEXEC);
  cleanup_close int o = open (to, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
  char buf[65536];
  ssize_t n;

  while (in >= 0 && o >= 0 && (n = read (in, buf, sizeof buf)) > 0)
    if (write (o, buf, n) != n)
      abort ();
}

static void
mkdirs (const char *const *rels)
{
  for (; *rels; rels++)
    {
      cleanup_free char *p = expand (*rels);
      if (mkdir (p, 0755) < 0)
        abort ();
    }
}

static void
setup (void)
{
  static const char *const dirs[]
      = { "@/ro",   "@/rw",    "@/rw/sub", "@/secret", "@/etc",
          "@/work", "@/workx", "@/bin",    NULL };
  cleanup_free char *s = NULL, *h = NULL, *hl = NULL, *lk = NULL, *lk2 = NULL;
  const char *env = getenv ("AB_INIT");

  snprintf (init_bin, sizeof init_bin, "%s",
            env && *env ? env : "build/agentbox-init");
  if (access (init_bin, X_OK) < 0)
    init_missing = "agentbox-init is not built (make build/agentbox-init, "
                   "or set AB_INIT)";
  if (realpath ("/proc/self/exe", self) == NULL)
    abort ();
  abi = syscall (SYS_landlock_create_ruleset, NULL, 0,
                 LANDLOCK_CREATE_RULESET_VERSION);
  snprintf (top, sizeof top, "/tmp/ab-landlock-XXXXXX");
  if (mkdtemp (top) == NULL)
    abort ();
  mkdirs (dirs);
  write_file ("@/ro/f", "hello");
  write_file ("@/secret/s", "secret");
  write_file ("@/secret/h", "hard");
  write_file ("@/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  write_file ("@/etc/passwd-", "old\n");
  write_file ("@/workx/f", "x");
  copy_self ("@/bin/prog");
  s = expand ("@/secret/s");
  h = expand ("@/secret/h");
  hl = expand ("@/ro/hl");
  lk = expand ("@/ro/link");
  lk2 = expand ("@/rw/link");
  if (link (h, hl) < 0 || symlink (s, lk) < 0 || symlink (s, lk2) < 0)
    abort ();
}

static int
rm_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove (path) < 0 ? -1 : 0;
}

int
main (int argc, char **argv)
{
  int r;

  if (argc > 1 && strcmp (argv[1], "--helper") == 0)
    return helper (argc - 2, argv + 2);
  setup ();
  RUN (read_allowed_and_denied);
  RUN (ro_denies_writes);
  RUN (truncate_denied_under_ro);
  RUN (rw_creates_and_removes);
  RUN (rename_within_rw);
  RUN (exec_needs_x);
  RUN (file_rule_is_that_file);
  RUN (component_boundary);
  RUN (symlink_out_gives_nothing);
  RUN (hardlink_made_before_is_readable);
  RUN (no_new_link_out_of_denied);
  RUN (rename_and_link_into_ro_denied);
  RUN (device_ioctl_needs_rw);
  RUN (loader_runs_readable_program);
  RUN (missing_path_skipped);
  RUN (rules_file_syntax);
  RUN (layers_stack);
  RUN (missing_rules_file);
  RUN (no_landlock_fails_closed);
  RUN (allow_without_landlock_warns);
  RUN (command_not_found);
  RUN (help_and_version);
  r = unit_done ();
  nftw (top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return r;
}
