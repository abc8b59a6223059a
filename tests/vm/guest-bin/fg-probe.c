/* agentbox VM test: the file guard's probes, as one static binary the
 * busybox bundle can run.
 *
 *   fg-probe memexec FILE [ARG...]   copy FILE into a memfd, execveat it
 *   fg-probe comm NAME FILE          rename comm, then open FILE
 *   fg-probe openloop FILE N [K]     open/close FILE N times: ns per pair;
 *                                    with K, FILE.0 to FILE.K-1 in turn
 *   fg-probe execloop PROG N         fork + exec PROG N times: us per run
 *   fg-probe memo MAP DIR            print DIR's file guard memo, from the
 *                                    pinned inode storage map MAP
 *
 * Exit 0 on success, 1 with the errno's name on stderr otherwise. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf/file-guard.h"

extern char **environ;

static int
fail (const char *what)
{
  fprintf (stderr, "fg-probe: %s: %s\n", what, strerror (errno));
  return 1;
}

static int
memexec (char **argv)
{
  struct stat st;
  int in = open (argv[0], O_RDONLY | O_CLOEXEC);
  int mfd;

  if (in < 0 || fstat (in, &st) < 0)
    return fail (argv[0]);
  mfd = memfd_create ("copy", MFD_CLOEXEC);
  if (mfd < 0)
    return fail ("memfd_create");
  for (off_t off = 0; off < st.st_size;)
    if (sendfile (mfd, in, &off, st.st_size - off) <= 0)
      return fail ("copy");
  syscall (SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
  return fail ("execveat");
}

static int
comm (const char *name, const char *file)
{
  int fd;

  prctl (PR_SET_NAME, name);
  fd = open (file, O_RDONLY);
  if (fd < 0)
    return fail (file);
  close (fd);
  return 0;
}

static double
now_ns (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int
openloop (const char *file, long n, long k)
{
  char(*names)[PATH_MAX] = NULL;
  double t0;

  if (k > 0)
    {
      names = calloc (k, sizeof *names);
      if (names == NULL)
        return fail ("calloc");
      for (long j = 0; j < k; j++)
        snprintf (names[j], sizeof *names, "%s.%ld", file, j);
    }
  t0 = now_ns ();
  for (long i = 0; i < n; i++)
    {
      const char *name = names ? names[i % k] : file;
      int fd = open (name, O_RDONLY);

      if (fd < 0)
        return fail (name);
      close (fd);
    }
  printf ("%.0f\n", (now_ns () - t0) / n);
  free (names);
  return 0;
}

static int
execloop (char *prog, long n)
{
  char *argv[] = { prog, NULL };
  double t0 = now_ns ();

  for (long i = 0; i < n; i++)
    {
      int status;
      pid_t pid = fork ();

      if (pid == 0)
        {
          execve (prog, argv, environ);
          _exit (127);
        }
      if (pid < 0 || waitpid (pid, &status, 0) < 0 || status != 0)
        return fail (prog);
    }
  printf ("%.0f\n", (now_ns () - t0) / n / 1000);
  return 0;
}

/* Inode storage is looked up by a descriptor of the inode. */
static int
memo (const char *map, const char *dir)
{
  struct ab_fg_memo m;
  union bpf_attr a;
  int mfd, dfd;

  memset (&a, 0, sizeof a);
  a.pathname = (unsigned long)map;
  mfd = syscall (SYS_bpf, BPF_OBJ_GET, &a, sizeof a);
  if (mfd < 0)
    return fail (map);
  dfd = open (dir, O_RDONLY | O_DIRECTORY);
  if (dfd < 0)
    return fail (dir);
  memset (&a, 0, sizeof a);
  a.map_fd = mfd;
  a.key = (unsigned long)&dfd;
  a.value = (unsigned long)&m;
  if (syscall (SYS_bpf, BPF_MAP_LOOKUP_ELEM, &a, sizeof a) < 0)
    return fail ("no memo");
  printf ("made=%d id=%u permit=%u forbid=%u epoch=%llu\n", m.dentry != 0,
          m.id, m.permit, m.forbid, (unsigned long long)m.epoch);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc >= 3 && strcmp (argv[1], "memexec") == 0)
    return memexec (argv + 2);
  if (argc == 4 && strcmp (argv[1], "comm") == 0)
    return comm (argv[2], argv[3]);
  if ((argc == 4 || argc == 5) && strcmp (argv[1], "openloop") == 0)
    return openloop (argv[2], atol (argv[3]), argc == 5 ? atol (argv[4]) : 0);
  if (argc == 4 && strcmp (argv[1], "execloop") == 0)
    return execloop (argv[2], atol (argv[3]));
  if (argc == 4 && strcmp (argv[1], "memo") == 0)
    return memo (argv[2], argv[3]);
  fprintf (stderr,
           "usage: fg-probe memexec|comm|openloop|execloop|memo ...\n");
  return 2;
}
