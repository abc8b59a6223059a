/* agentbox-init's two builds side by side: the one without libc
 * (build/agentbox-init on x86_64, lib/nolibc.c) and the one against
 * glibc (build/tests/agentbox-init-libc).  Each case runs both with the
 * same arguments, files and environment, checks what the case is about
 * (a message, a status, a program found on PATH), and then that the
 * builds agree byte for byte on stdout, stderr and the exit status.
 * lib/nolibc.c's formatting, strerror and execvp are what differ.
 *
 * $AB_INIT and $AB_INIT_LIBC override the two paths. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "tests/unit/unit.h"

static char nolibc_bin[PATH_MAX], libc_bin[PATH_MAX],
    dir[] = "/tmp/ab-init-builds-XXXXXX";
static const char *missing;

struct outcome
{
  int status; /* exit status, or 128 + signal */
  char out[8192], err[8192];
};

/* Read FD to its end into BUF (NUL-terminated, cut at SIZE - 1). */
static void
drain (int fd, char *buf, size_t size)
{
  size_t len = 0;
  ssize_t n;

  while ((n = read (fd, buf + len, size - 1 - len)) > 0)
    len += (size_t)n;
  buf[len] = '\0';
}

/* Run BIN with ARGS (after argv[0]) and ENV, in DIR; stdout and stderr go
 * to files, so that neither pipe can fill while the other is read. */
static void
run_one (const char *bin, char *const *args, char *const *env,
         struct outcome *o)
{
  char *argv[32] = { (char *)bin };
  cleanup_close int out = -1, err = -1;
  int status;
  pid_t pid;

  for (size_t i = 0; args[i]; i++)
    argv[i + 1] = args[i];
  out = open (dir, O_TMPFILE | O_RDWR, 0600);
  err = open (dir, O_TMPFILE | O_RDWR, 0600);
  if (out < 0 || err < 0 || (pid = fork ()) < 0)
    abort ();
  if (pid == 0)
    {
      if (dup2 (out, 1) < 0 || dup2 (err, 2) < 0 || chdir (dir) < 0)
        _exit (99);
      execve (bin, argv, env);
      _exit (98);
    }
  if (waitpid (pid, &status, 0) != pid)
    abort ();
  o->status
      = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  lseek (out, 0, SEEK_SET);
  lseek (err, 0, SEEK_SET);
  drain (out, o->out, sizeof o->out);
  drain (err, o->err, sizeof o->err);
}

/* Both builds, compared; the no-libc build's outcome in *O for the
 * case's own checks. */
static void
run_both (struct outcome *o, char *const *env, ...)
{
  static struct outcome l;
  char *args[30];
  size_t n = 0;
  va_list ap;

  va_start (ap, env);
  while ((args[n] = va_arg (ap, char *)) != NULL)
    n++;
  va_end (ap);
  run_one (nolibc_bin, args, env, o);
  run_one (libc_bin, args, env, &l);
  printf ("#");
  for (size_t i = 0; i < n; i++)
    printf (" %.40s", args[i]);
  printf (" -> %d\n", o->status);
  CHECK (o->status == l.status);
  CHECK_STR (o->out, l.out);
  CHECK_STR (o->err, l.err);
}

static char *default_env[] = { "PATH=/usr/bin:/bin", "LANG=C", NULL };

static void
write_file (const char *name, const void *data, size_t len, mode_t mode)
{
  char path[PATH_MAX];
  cleanup_close int fd = -1;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 || write (fd, data, len) != (ssize_t)len || fchmod (fd, mode) < 0)
    abort ();
}

static void
write_text (const char *name, const char *text)
{
  write_file (name, text, strlen (text), 0644);
}

#define NEEDS_BUILDS()                                                         \
  do                                                                           \
    if (missing)                                                               \
      SKIP (missing);                                                          \
  while (0)

TEST (help_and_version)
{
  struct outcome o;

  NEEDS_BUILDS ();
  run_both (&o, default_env, "--help", NULL);
  CHECK (o.status == 0);
  CHECK_CONTAINS (o.out, "Usage: agentbox-init");
  CHECK_CONTAINS (o.out, "Exit status: COMMAND's;");
  run_both (&o, default_env, "--version", NULL);
  CHECK (o.status == 0);
  CHECK (strncmp (o.out, "agentbox-init ", 14) == 0);
}

TEST (bad_command_lines)
{
  struct outcome o;

  NEEDS_BUILDS ();
  run_both (&o, default_env, "--bogus", "--", "true", NULL);
  CHECK (o.status == 126);
  CHECK_STR (o.err, "agentbox-init: unknown option '--bogus' (see --help)\n");
  run_both (&o, default_env, "--rules", NULL);
  CHECK_STR (o.err, "agentbox-init: --rules needs a FILE\n");
  run_both (&o, default_env, "--seccomp=f", "--", NULL);
  CHECK_STR (o.err, "agentbox-init: no command (see --help)\n");
}

/* Every error the rules parser can give, with its FILE:LINE. */
TEST (bad_rules)
{
  static const struct
  {
    const char *text;
    const char *want;
  } cases[] = {
    { "ro /\nfoo /x\n", "r:2: unknown rule 'foo' (expected ro, rw or x" },
    { "rw tmp\n", "r:1: 'rw' needs an absolute path" },
    { "\n\n# c\nlayer 2\n", "r:4: 'layer' takes nothing after it" },
    { "layer\nlayer\nlayer\nlayer\nlayer\nlayer\nlayer\nlayer\n",
      "r:8: more than 8 layers" },
    { "ro /a\r\nx\t/b \t\nro", "r:3: 'ro' needs an absolute path" },
  };
  struct outcome o;

  NEEDS_BUILDS ();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      write_text ("r", cases[i].text);
      run_both (&o, default_env, "--rules", "r", "--", "true", NULL);
      CHECK (o.status == 126);
      CHECK_CONTAINS (o.err, cases[i].want);
    }
  write_file ("r", "ro /\0x\n", 7, 0644);
  run_both (&o, default_env, "--rules", "r", "--", "true", NULL);
  CHECK_STR (o.err, "agentbox-init: r:1: a NUL byte in the line\n");
  {
    static char long_path[PATH_MAX + 16];

    memset (long_path, 'a', sizeof long_path - 2);
    memcpy (long_path, "ro /", 4);
    long_path[sizeof long_path - 2] = '\n';
    write_text ("r", long_path);
    run_both (&o, default_env, "--rules", "r", "--", "true", NULL);
    CHECK_STR (o.err, "agentbox-init: r:1: path longer than PATH_MAX\n");
  }
  run_both (&o, default_env, "--rules", "nothing-here", "--", "true", NULL);
  CHECK_STR (o.err, "agentbox-init: read rules nothing-here: No such file or "
                    "directory\n");
  run_both (&o, default_env, "--rules", "/", "--", "true", NULL);
  CHECK_STR (o.err, "agentbox-init: read rules /: Is a directory\n");
}

/* A rules file past the first read's 4 KiB, blanks and comments around
 * the rules, no newline at the end: the program runs confined. */
TEST (long_rules_file_runs)
{
  static char text[20000];
  size_t n = 0;
  struct outcome o;

  NEEDS_BUILDS ();
  while (n < sizeof text - 200)
    n += (size_t)snprintf (text + n, sizeof text - n,
                           "# comment %zu\n  \t\nro /nowhere/%zu\n", n, n);
  snprintf (text + n, sizeof text - n,
            "x /usr\nx /bin\nx /lib\nx /lib64\nro /");
  write_text ("r", text);
  run_both (&o, default_env, "--rules", "r", "--", "sh", "-c",
            "echo confined; echo x > /tmp/denied", NULL);
  CHECK_CONTAINS (o.out, "confined\n");
  CHECK (o.status != 0);
  CHECK_CONTAINS (o.err, "Permission denied");
}

TEST (bad_filters)
{
  static unsigned char big[(BPF_MAXINSNS + 1) * sizeof (struct sock_filter)];
  struct outcome o;

  NEEDS_BUILDS ();
  write_file ("f", "", 0, 0644);
  run_both (&o, default_env, "--seccomp", "f", "--", "true", NULL);
  CHECK_STR (o.err, "agentbox-init: seccomp filter f: 0 bytes is not a "
                    "filter of 1 to 4096 instructions\n");
  write_file ("f", "123456789", 9, 0644);
  run_both (&o, default_env, "--seccomp", "f", "--", "true", NULL);
  CHECK_CONTAINS (o.err, "f: 9 bytes is not a filter");
  write_file ("f", big, sizeof big, 0644);
  run_both (&o, default_env, "--seccomp", "f", "--", "true", NULL);
  CHECK_CONTAINS (o.err, "f: 32776 bytes is not a filter");
  /* A filter the kernel refuses: a jump past the end. */
  {
    struct sock_filter bad[] = { BPF_JUMP (BPF_JMP | BPF_JA, 5, 0, 0) };

    write_file ("f", bad, sizeof bad, 0644);
    run_both (&o, default_env, "--seccomp", "f", "--", "true", NULL);
    CHECK_STR (o.err, "agentbox-init: install the seccomp filter f: Invalid "
                      "argument\n");
    CHECK (o.status == 126);
  }
}

/* An allow-everything filter: the cases below are about the exec. */
static void
allow_all (void)
{
  struct sock_filter allow[] = { BPF_STMT (BPF_RET | BPF_K, 0x7fff0000U) };

  write_file ("allow", allow, sizeof allow, 0644);
}

TEST (exec_and_path_search)
{
  char path_env[PATH_MAX + 8], abs_prog[PATH_MAX];
  char *env_path[] = { path_env, NULL };
  char *no_path[] = { "LANG=C", NULL };
  struct outcome o;

  NEEDS_BUILDS ();
  allow_all ();
  snprintf (abs_prog, sizeof abs_prog, "%s/bin", dir);
  if (mkdir (abs_prog, 0755) < 0)
    abort ();
  snprintf (abs_prog, sizeof abs_prog, "%s/noexec", dir);
  if (mkdir (abs_prog, 0755) < 0)
    abort ();
  write_file ("bin/hello", "#!/bin/sh\necho hello \"$@\"\n", 26, 0755);
  write_text ("noexec/hello", "#!/bin/sh\necho wrong one\n");
  /* No "#!": the kernel says ENOEXEC, and /bin/sh runs it. */
  write_file ("bin/script", "echo script \"$0\" \"$@\"\n", 22, 0755);
  snprintf (abs_prog, sizeof abs_prog, "%s/bin/hello", dir);

  /* The environment goes through; an argv[0] with a slash is not searched. */
  run_both (&o, default_env, "--seccomp", "allow", "--", "/bin/sh", "-c",
            "echo \"$LANG\"", NULL);
  CHECK_STR (o.out, "C\n");
  CHECK (o.status == 0);
  run_both (&o, default_env, "--seccomp", "allow", "--", abs_prog, "a", NULL);
  CHECK_STR (o.out, "hello a\n");

  /* PATH: a directory where it is not executable (EACCES, remembered),
   * an empty entry (the current directory), then the right one. */
  snprintf (path_env, sizeof path_env, "PATH=%s/noexec::/nonexistent:%s/bin",
            dir, dir);
  run_both (&o, env_path, "--seccomp", "allow", "--", "hello", "b", NULL);
  CHECK_STR (o.out, "hello b\n");
  run_both (&o, env_path, "--seccomp", "allow", "--", "script", "c", "d", NULL);
  CHECK_CONTAINS (o.out, "script ");
  CHECK_CONTAINS (o.out, "/bin/script c d\n");

  /* Found nowhere: 127.  Only a non-executable one: EACCES, 126. */
  run_both (&o, env_path, "--seccomp", "allow", "--", "no-such-program", NULL);
  CHECK (o.status == 127);
  CHECK_STR (o.err, "agentbox-init: exec no-such-program: No such file or "
                    "directory\n");
  snprintf (path_env, sizeof path_env, "PATH=%s/noexec:/nonexistent", dir);
  run_both (&o, env_path, "--seccomp", "allow", "--", "hello", NULL);
  CHECK (o.status == 126);
  CHECK_STR (o.err, "agentbox-init: exec hello: Permission denied\n");
  run_both (&o, default_env, "--seccomp", "allow", "--", "/tmp", NULL);
  CHECK_STR (o.err, "agentbox-init: exec /tmp: Permission denied\n");
  run_both (&o, default_env, "--seccomp", "allow", "--", "", NULL);
  CHECK (o.status == 127);

  /* PATH unset: /bin:/usr/bin. */
  run_both (&o, no_path, "--seccomp", "allow", "--", "sh", "-c", "echo ok",
            NULL);
  CHECK_STR (o.out, "ok\n");

  /* A name longer than NAME_MAX is not searched for. */
  {
    char name[NAME_MAX + 2];

    memset (name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    run_both (&o, default_env, "--seccomp", "allow", "--", name, NULL);
    CHECK_CONTAINS (o.err, ": File name too long\n");
  }
}

/* lib/nolibc.c's strerror says what glibc's does, errno by errno. */
TEST (errno_texts_are_glibcs)
{
  size_t n = 0;

#define AB_ERRNO(name, text)                                                   \
  do                                                                           \
    {                                                                          \
      CHECK_STR (text, strerror (name));                                       \
      n++;                                                                     \
    }                                                                          \
  while (0);
#include "lib/nolibc-errnos.h"
#undef AB_ERRNO
  CHECK (n > 20);
}

static void
setup (void)
{
  const char *a = getenv ("AB_INIT"), *b = getenv ("AB_INIT_LIBC");

  if (realpath (a && *a ? a : "build/agentbox-init", nolibc_bin) == NULL
      || realpath (b && *b ? b : "build/tests/agentbox-init-libc", libc_bin)
             == NULL)
    missing = "agentbox-init or build/tests/agentbox-init-libc is not built "
              "(make all unit-tests, or set AB_INIT and AB_INIT_LIBC)";
  if (mkdtemp (dir) == NULL)
    abort ();
}

int
main (void)
{
  setup ();
  RUN (help_and_version);
  RUN (bad_command_lines);
  RUN (bad_rules);
  RUN (long_rules_file_runs);
  RUN (bad_filters);
  RUN (exec_and_path_search);
  RUN (errno_texts_are_glibcs);
  {
    char cmd[PATH_MAX + 16];

    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system (cmd) != 0)
      printf ("# could not remove %s\n", dir);
  }
  return unit_done ();
}
