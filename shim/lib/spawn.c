/* agentbox: run a child and wait for it (see spawn.h). */
#include "shim/lib/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"

extern char **environ;

static int
wait_child (pid_t pid, const char *name, int *status, ab_error_t *err)
{
  int ws;

  while (waitpid (pid, &ws, 0) < 0)
    if (errno != EINTR)
      return ab_error_errno (err, "wait for %s", name);
  if (WIFSIGNALED (ws))
    *status = 128 + WTERMSIG (ws);
  else
    *status = WEXITSTATUS (ws);
  return 0;
}

int
ab_spawn_wait (char *const *argv, int *status, ab_error_t *err)
{
  pid_t pid;
  int r = posix_spawn (&pid, argv[0], NULL, NULL, argv, environ);

  if (r != 0)
    {
      errno = r;
      return ab_error_errno (err, "run %s", argv[0]);
    }
  return wait_child (pid, argv[0], status, err);
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
