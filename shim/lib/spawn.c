/* agentbox: run the delegate, or exec it, here or through the front
 * (spawn.h). */
#include "shim/lib/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "shim/lib/serve-proto.h"
#include "shim/lib/serve-request.h"

extern char **environ;

/* ---- through the front (a shim server's worker) ---- */

/* Linux 6.5; older headers lack it, older kernels refuse it. */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static int front_sock = -1;
static int front_signal;
static bool front_exec;
static int front_fd = -1;    /* for the delegate (ab_spawn_pass_fd) */
static int front_pidfd = -1; /* the front's process (ab_spawn_front_watch) */
static void (*front_release) (void);

void
ab_spawn_set_front (int sock, void (*release) (void))
{
  if (front_pidfd >= 0)
    close (front_pidfd);
  front_sock = sock;
  front_signal = 0;
  front_exec = false;
  front_fd = -1;
  front_pidfd = -1;
  front_release = release;
}

int
ab_spawn_front_signal (void)
{
  return front_signal;
}

bool
ab_spawn_front_exec (void)
{
  return front_exec;
}

int
ab_spawn_pass_fd (int fd, char **arg, ab_error_t *err)
{
  int r;

  if (front_sock >= 0)
    {
      front_fd = fd;
      r = (*arg = strdup (AB_SERVE_PASSED_FD_ARG)) ? 0 : -1;
    }
  else
    r = asprintf (arg, "/proc/self/fd/%d", fd) < 0 ? -1 : 0;
  return r < 0 ? ab_error_set (err, ENOMEM, "out of memory") : 0;
}

/* 'E' or 'S', the path, then the argv (serve-proto.h), with the
 * descriptor to pass if there is one. */
static int
front_send (char type, char *const *argv, ab_error_t *err)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;
  int r = ab_buf_append (&b, &type, 1);

  if (r == 0)
    r = ab_buf_append (&b, argv[0], strlen (argv[0]) + 1);
  for (char *const *a = argv; r == 0 && *a; a++)
    r = ab_buf_append (&b, *a, strlen (*a) + 1);
  if (r < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (ab_serve_send (front_sock, b.data, b.len, front_fd) < 0)
    return ab_error_errno (err, "run %s: tell agentbox-runc", argv[0]);
  front_fd = -1; /* the front has it now */
  return 0;
}

/* The front's answer: 'W' or 'e' and its number, or 0 when it closed
 * the connection (its exec worked, or it is gone). */
static int
front_answer (int *v)
{
  char m[1 + sizeof (int32_t)];
  int32_t v32;
  ssize_t n;

  do
    n = recv (front_sock, m, sizeof m, 0);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)sizeof m || (m[0] != 'W' && m[0] != 'e'))
    return 0;
  memcpy (&v32, m + 1, sizeof v32);
  *v = v32;
  return m[0];
}

static int
front_run (char *const *argv, int *wstatus, ab_error_t *err)
{
  int v = 0;

  if (front_send ('S', argv, err) < 0)
    return -1;
  switch (front_answer (&v))
    {
    case 'W':
      *wstatus = v;
      return 0;
    case 'e':
      errno = v;
      return ab_error_errno (err, "run %s", argv[0]);
    default:
      ab_error_set (err, ECONNRESET,
                    "run %s: agentbox-runc went away while it ran", argv[0]);
      return -2;
    }
}

int
ab_exec (char *const *argv, ab_error_t *err)
{
  int v = 0;

  if (front_sock < 0)
    {
      execv (argv[0], argv);
      return ab_error_errno (err, "exec %s", argv[0]);
    }
  if (front_send ('E', argv, err) < 0)
    return -1;
  /* The front's exec closed the connection: this call is over, as it
   * is for a process that has exec'd. */
  if (front_answer (&v) != 'e')
    {
      front_exec = true;
      return 0;
    }
  errno = v;
  return ab_error_errno (err, "exec %s", argv[0]);
}

int
ab_spawn_front_watch (pid_t *pid)
{
  struct ucred cr;
  socklen_t cr_len = sizeof cr, fd_len = sizeof (int);
  int fd = -1;

  if (front_sock < 0)
    return 0;
  /* The process that connected, by a pidfd the kernel took at connect:
   * never another one that reused its pid. */
  if (front_pidfd < 0
      && getsockopt (front_sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &fd_len) == 0)
    front_pidfd = fd;
  if (front_pidfd < 0
      || getsockopt (front_sock, SOL_SOCKET, SO_PEERCRED, &cr, &cr_len) < 0)
    return 0;
  *pid = cr.pid;
  return 1;
}

int
ab_spawn_exec_watched (char *const *argv, ab_error_t *err)
{
  struct pollfd p = { .fd = front_pidfd, .events = POLLIN };

  if (front_pidfd < 0)
    return ab_error_set (err, EINVAL, "run %s: no front to watch", argv[0]);
  if (ab_exec (argv, err) < 0)
    return -1;
  /* The front is ARGV now (or gone): the caller's stdio is its, and an
   * engine waiting for their end must not wait for us too. */
  if (front_release)
    front_release ();
  while (poll (&p, 1, -1) < 0)
    if (errno != EINTR)
      {
        ab_error_errno (err, "watch %s", argv[0]);
        return -2;
      }
  return 0;
}

int
ab_exit_by_signal (int sig)
{
  if (front_sock >= 0)
    front_signal = sig;
  else
    {
      signal (sig, SIG_DFL);
      raise (sig);
    }
  return 128 + sig;
}

/* ---- here ---- */

/* A wait status as an exit status, the shell's way. */
static int
exit_status (int ws)
{
  return WIFSIGNALED (ws) ? 128 + WTERMSIG (ws) : WEXITSTATUS (ws);
}

static int
wait_child (pid_t pid, const char *name, int *status, ab_error_t *err)
{
  int ws;

  while (waitpid (pid, &ws, 0) < 0)
    if (errno != EINTR)
      return ab_error_errno (err, "wait for %s", name);
  *status = exit_status (ws);
  return 0;
}

int
ab_spawn_wait (char *const *argv, int *status, ab_error_t *err)
{
  pid_t pid;
  int r, ws;

  if (front_sock >= 0)
    {
      if (front_run (argv, &ws, err) < 0)
        return -1;
      *status = exit_status (ws);
      return 0;
    }
  r = posix_spawn (&pid, argv[0], NULL, NULL, argv, environ);
  if (r != 0)
    {
      errno = r;
      return ab_error_errno (err, "run %s", argv[0]);
    }
  return wait_child (pid, argv[0], status, err);
}

static pid_t foreground = -1;

static void
forward_signal (int sig)
{
  if (foreground > 0)
    kill (foreground, sig);
}

int
ab_spawn_foreground (char *const *argv, int *wstatus, ab_error_t *err)
{
  static const int forwarded[]
      = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, 0 };
  struct sigaction sa = { .sa_handler = forward_signal };
  posix_spawnattr_t attr;
  sigset_t dfl;
  int r;

  if (front_sock >= 0)
    return front_run (argv, wstatus, err);
  sigemptyset (&sa.sa_mask);
  sigemptyset (&dfl);
  sa.sa_flags = SA_RESTART;
  for (const int *s = forwarded; *s; s++)
    {
      sigaction (*s, &sa, NULL);
      sigaddset (&dfl, *s);
    }
  /* posix_spawn, not fork: no copy of our page tables (a vfork-style
   * clone), ~1 ms of each start here.  The child gets the default
   * dispositions back. */
  r = posix_spawnattr_init (&attr);
  if (r == 0)
    r = posix_spawnattr_setsigdefault (&attr, &dfl);
  if (r == 0)
    r = posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGDEF);
  if (r == 0)
    r = posix_spawn (&foreground, argv[0], NULL, &attr, argv, environ);
  posix_spawnattr_destroy (&attr);
  if (r != 0)
    {
      foreground = -1;
      errno = r;
      return ab_error_errno (err, "run %s", argv[0]);
    }
  while (waitpid (foreground, wstatus, 0) < 0)
    if (errno != EINTR)
      {
        ab_error_errno (err, "wait for %s", argv[0]);
        return -2;
      }
  return 0;
}

static int
read_all (int fd, struct ab_buf *b, const char *name, ab_error_t *err)
{
  char chunk[4096];

  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return ab_error_errno (err, "read the output of %s", name);
      if (n == 0)
        return 0;
      if (ab_buf_append (b, chunk, (size_t)n) < 0)
        return ab_error_set (err, ENOMEM, "out of memory");
    }
}

static int
spawn_piped (char *const *argv, bool quiet, int wfd, pid_t *pid,
             ab_error_t *err)
{
  posix_spawn_file_actions_t fa;
  int r;

  if (posix_spawn_file_actions_init (&fa) != 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  r = posix_spawn_file_actions_adddup2 (&fa, wfd, STDOUT_FILENO);
  if (r == 0 && quiet)
    r = posix_spawn_file_actions_addopen (&fa, STDERR_FILENO, "/dev/null",
                                          O_WRONLY, 0);
  if (r == 0)
    r = posix_spawn (pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  if (r != 0)
    {
      errno = r;
      return ab_error_errno (err, "run %s", argv[0]);
    }
  return 0;
}

int
ab_spawn_capture (char *const *argv, bool quiet, char **out, int *status,
                  ab_error_t *err)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;
  cleanup_close int rfd = -1, wfd = -1;
  int fds[2];
  pid_t pid;
  int r;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return ab_error_errno (err, "pipe");
  rfd = fds[0];
  wfd = fds[1];
  if (spawn_piped (argv, quiet, wfd, &pid, err) < 0)
    return -1;
  close (steal_fd (&wfd));
  r = read_all (rfd, &b, argv[0], err);
  /* Always reap the child, even when reading failed. */
  if (wait_child (pid, argv[0], status, r < 0 ? NULL : err) < 0 || r < 0)
    return -1;
  if (ab_buf_append (&b, "", 0) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  *out = ab_buf_steal (&b);
  return 0;
}
