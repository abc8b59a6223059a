/* agentbox-runc: the program engines run, for every runtime call.
 *
 * Small and without libc on x86_64 (lib/nolibc.h), so its own exec is
 * cheap.  It asks the warm shim server (agentbox-shim --serve) to do
 * the call's work in its place and does what the answer says: exec the
 * delegate runtime, run it and report how it ended, or exit.  When no
 * server answers (none runs, it is root's and we are not, it refuses
 * the call), it execs agentbox-shim, which does the same work in one
 * process.  Either way the engine sees the same program: same output,
 * same files, same exit status (docs/shim-server.md).
 *
 * Everything here is a raw system call on the kernel's own structures,
 * so the libc and nolibc builds run the same code. */
#ifdef AB_NOLIBC
#include "lib/nolibc.h"
#include <linux/signalfd.h>
#else
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#endif

#include <asm/unistd.h>
#include <linux/un.h>

#include "shim/lib/serve-proto.h"

extern char **environ;

/* The kernel's ABI (include/linux/socket.h), the same on every 64-bit
 * architecture and laid out naturally on 32-bit ones. */
struct k_iovec
{
  void *base;
  size_t len;
};

struct k_msghdr
{
  void *name;
  int namelen;
  struct k_iovec *iov;
  size_t iovlen;
  void *control;
  size_t controllen;
  unsigned flags;
};

struct k_cmsghdr
{
  size_t len;
  int level;
  int type;
};

#define K_AF_UNIX 1
#define K_SOCK_SEQPACKET 5
#define K_SOCK_CLOEXEC O_CLOEXEC
#define K_SOL_SOCKET 1
#define K_SCM_RIGHTS 1
#define K_MSG_TRUNC 0x20
#define K_MSG_NOSIGNAL 0x4000
#define K_SIG_BLOCK 0
#define K_SIG_SETMASK 2
#define K_SIGCHLD 17
#define K_WNOHANG 1
#define K_SFD_CLOEXEC O_CLOEXEC
#define K_SIGSET_SIZE 8 /* the kernel's sigset_t */
#define K_CMSG_ALIGN(n) (((n) + sizeof (size_t) - 1) & ~(sizeof (size_t) - 1))

/* Signals a foreground run passes on to the delegate, as agentbox-shim
 * does (shim/lib/spawn.c): HUP, INT, QUIT, TERM, USR1, USR2, WINCH. */
static const int forwarded[] = { 1, 2, 3, 15, 10, 12, 28, 0 };

static const char *prog = "agentbox-runc";

static void __attribute__ ((noreturn, format (printf, 1, 2)))
die (const char *fmt, ...)
{
  char msg[512];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  dprintf (2, "%s: %s\n", prog, msg);
  exit (1);
}

static long
sys (long n, long a, long b, long c, long d, long e)
{
  return syscall (n, a, b, c, d, e, 0L);
}

/* ---- without a server: agentbox-shim, beside this program ---- */

static void __attribute__ ((noreturn)) run_shim (char **argv)
{
  char path[PATH_MAX];
  long n = sys (__NR_readlinkat, AT_FDCWD, (long)"/proc/self/exe", (long)path,
                sizeof path - sizeof AB_SERVE_SHIM - 1, 0);
  char *slash;

  if (n < 0)
    die ("find %s: /proc/self/exe: %s", AB_SERVE_SHIM, strerror (errno));
  path[n] = '\0';
  slash = path + n;
  while (slash > path && slash[-1] != '/')
    slash--;
  memcpy (slash, AB_SERVE_SHIM, sizeof AB_SERVE_SHIM);
  execve (path, argv, environ);
  die ("exec %s: %s", path, strerror (errno));
}

/* ---- talking to the server ---- */

static int
server_connect (void)
{
  const char *path = getenv (AB_SERVE_SOCKET_ENV);
  struct sockaddr_un sa = { .sun_family = K_AF_UNIX };
  size_t len;
  int fd;

  if (path == NULL)
    path = AB_SERVE_SOCKET;
  len = strlen (path);
  if (len == 0 || len >= sizeof sa.sun_path)
    return -1;
  memcpy (sa.sun_path, path, len + 1);
  fd = (int)sys (__NR_socket, K_AF_UNIX, K_SOCK_SEQPACKET | K_SOCK_CLOEXEC, 0,
                 0, 0);
  if (fd < 0)
    return -1;
  if (sys (__NR_connect, fd, (long)&sa, sizeof sa, 0, 0) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Send one message, with FDS (N of them) attached when N > 0. */
static int
send_msg (int sock, const void *buf, size_t len, const int *fds, int n)
{
  union
  {
    char buf[K_CMSG_ALIGN (sizeof (struct k_cmsghdr))
             + AB_SERVE_NFDS * sizeof (int)];
    size_t align;
  } control = { 0 };
  struct k_iovec iov = { (void *)buf, len };
  struct k_msghdr msg = { .iov = &iov, .iovlen = 1 };
  struct k_cmsghdr *cm = (struct k_cmsghdr *)control.buf;

  if (n > 0)
    {
      cm->len = K_CMSG_ALIGN (sizeof *cm) + (size_t)n * sizeof (int);
      cm->level = K_SOL_SOCKET;
      cm->type = K_SCM_RIGHTS;
      memcpy (control.buf + K_CMSG_ALIGN (sizeof *cm), fds,
              (size_t)n * sizeof (int));
      msg.control = control.buf;
      msg.controllen = cm->len;
    }
  return sys (__NR_sendmsg, sock, (long)&msg, K_MSG_NOSIGNAL, 0, 0) < 0 ? -1
                                                                        : 0;
}

static int
send_int (int sock, char type, int v)
{
  char m[1 + sizeof (int32_t)] = { type };
  int32_t v32 = v;

  memcpy (m + 1, &v32, sizeof v32);
  return send_msg (sock, m, sizeof m, NULL, 0);
}

/* S with its NUL at P; where the next string goes. */
static char *
put (char *p, const char *s)
{
  size_t n = strlen (s) + 1;

  return (char *)memcpy (p, s, n) + n;
}

/* The request: the call as it came, and where it came from. */
static int
send_request (int sock, int argc, char **argv)
{
  struct ab_serve_request h = {
    .magic = AB_SERVE_MAGIC,
    .version = AB_SERVE_VERSION,
    .argc = (uint32_t)argc,
  };
  size_t len = sizeof h;
  int fds[AB_SERVE_NFDS] = { 0, 1, 2, -1 };
  char *buf, *p;
  int r;

  for (int i = 0; i < argc; i++)
    len += strlen (argv[i]) + 1;
  for (char **e = environ; e && *e; e++, h.envc++)
    len += strlen (*e) + 1;
  if (len > AB_SERVE_MAX_REQUEST)
    return -1;
  /* umask can only be read by setting it. */
  h.umask = (uint32_t)sys (__NR_umask, 022, 0, 0, 0, 0);
  sys (__NR_umask, h.umask, 0, 0, 0, 0);
  fds[AB_SERVE_FD_CWD] = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  buf = malloc (len);
  if (buf == NULL || fds[AB_SERVE_FD_CWD] < 0)
    return -1; /* agentbox-shim runs the call: nothing else to undo */
  memcpy (buf, &h, sizeof h);
  p = buf + sizeof h;
  for (int i = 0; i < argc; i++)
    p = put (p, argv[i]);
  for (char **e = environ; e && *e; e++)
    p = put (p, *e);
  r = send_msg (sock, buf, len, fds, AB_SERVE_NFDS);
  close (fds[AB_SERVE_FD_CWD]);
  free (buf);
  return r;
}

/* An answer: static, so that only the pages a message fills are
 * touched (nolibc's malloc would map this size afresh). */
static char answer[AB_SERVE_MAX_ANSWER + 1];

/* One answer into ANSWER; *FD is the descriptor it carried (-1 if none),
 * moved clear of the engine's --preserve-fds range and inheritable. */
static ssize_t
recv_answer (int sock, int *fd)
{
  union
  {
    char buf[K_CMSG_ALIGN (sizeof (struct k_cmsghdr)) + sizeof (int)];
    size_t align;
  } control = { { 0 } };
  struct k_iovec iov = { answer, AB_SERVE_MAX_ANSWER };
  struct k_msghdr m = { .iov = &iov,
                        .iovlen = 1,
                        .control = control.buf,
                        .controllen = sizeof control.buf };
  struct k_cmsghdr *cm = (struct k_cmsghdr *)control.buf;
  ssize_t n = sys (__NR_recvmsg, sock, (long)&m, K_MSG_TRUNC, 0, 0);
  int got;

  *fd = -1;
  if (n > 0 && m.controllen >= sizeof *cm + sizeof (int)
      && cm->level == K_SOL_SOCKET && cm->type == K_SCM_RIGHTS)
    {
      memcpy (&got, control.buf + K_CMSG_ALIGN (sizeof *cm), sizeof got);
      *fd = (int)sys (__NR_fcntl, got, F_DUPFD, AB_SERVE_PASSED_FD_MIN, 0, 0);
      close (got);
    }
  return n;
}

/* An 'E' or 'S' answer: a path and an argv, NUL-separated.  The
 * strings stay in MSG; *ARGV is made for them. */
static char **
split_argv (char *buf, size_t len, char **path)
{
  size_t n = 0, i = 0;
  char **argv;

  if (len == 0 || buf[len - 1] != '\0')
    return NULL;
  for (size_t k = 0; k < len; k++)
    n += buf[k] == '\0';
  if (n < 2)
    return NULL;
  argv = calloc (n, sizeof *argv); /* n - 1 strings and the NULL */
  if (argv == NULL)
    return NULL;
  *path = buf;
  for (char *p = buf + strlen (buf) + 1; p < buf + len; p += strlen (p) + 1)
    argv[i++] = p;
  return argv;
}

/* ---- what the answers ask for ---- */

/* The kernel's struct sigaction, zeroed: SIG_DFL, no flags, no mask
 * (handler, flags, restorer where the architecture has one, mask). */
struct k_sigaction
{
  long v[4];
};

static void
set_default (int sig, struct k_sigaction *old)
{
  struct k_sigaction dfl = { { 0 } };

  sys (__NR_rt_sigaction, sig, (long)&dfl, (long)old, K_SIGSET_SIZE, 0);
}

/* Run PATH with ARGV and wait, passing the forwarded signals on; the
 * wait status, or -1 with errno when it could not start.  vfork, as
 * posix_spawn does: a copy of our page tables costs more than the exec
 * here (a VM traps on every page table change). */
static int
spawn_wait (const char *path, char **argv)
{
  unsigned long mask = 1ul << (K_SIGCHLD - 1), old = 0;
  volatile int exec_errno = 0;
  struct k_sigaction chld;
  struct signalfd_siginfo si;
  int sfd, err, ws = 0;
  long pid, r;

  for (const int *s = forwarded; *s; s++)
    mask |= 1ul << (*s - 1);
  /* An engine that ignores SIGCHLD would have the child reaped unseen. */
  set_default (K_SIGCHLD, &chld);
  sys (__NR_rt_sigprocmask, K_SIG_BLOCK, (long)&mask, (long)&old, K_SIGSET_SIZE,
       0);
  sfd = (int)sys (__NR_signalfd4, -1, (long)&mask, K_SIGSET_SIZE, K_SFD_CLOEXEC,
                  0);
  pid = sfd < 0 ? -1 : vfork ();
  if (pid == 0)
    {
      /* The child, on our stack until it execs: the default action for
       * what we forward (as agentbox-shim gives it), SIGCHLD as the
       * engine left it, our mask back, then the delegate. */
      for (const int *s = forwarded; *s; s++)
        set_default (*s, NULL);
      sys (__NR_rt_sigaction, K_SIGCHLD, (long)&chld, 0, K_SIGSET_SIZE, 0);
      sys (__NR_rt_sigprocmask, K_SIG_SETMASK, (long)&old, 0, K_SIGSET_SIZE, 0);
      execve (path, argv, environ);
      exec_errno = errno;
      sys (__NR_exit, 127, 0, 0, 0, 0);
    }
  if (pid > 0 && exec_errno)
    {
      sys (__NR_wait4, pid, (long)&ws, 0, 0, 0);
      errno = exec_errno;
      pid = -1;
    }
  for (r = -1; pid > 0;)
    {
      r = sys (__NR_wait4, pid, (long)&ws, K_WNOHANG, 0, 0);
      if (r == pid || (r < 0 && errno != EINTR))
        break;
      if (read (sfd, &si, sizeof si) != (ssize_t)sizeof si)
        continue;
      if (si.ssi_signo != K_SIGCHLD)
        sys (__NR_kill, pid, si.ssi_signo, 0, 0, 0);
    }
  err = errno;
  if (sfd >= 0)
    close (sfd);
  sys (__NR_rt_sigprocmask, K_SIG_SETMASK, (long)&old, 0, K_SIGSET_SIZE, 0);
  sys (__NR_rt_sigaction, K_SIGCHLD, (long)&chld, 0, K_SIGSET_SIZE, 0);
  errno = err;
  return pid > 0 && r == pid ? ws : -1;
}

/* Die by SIG, as the delegate did, so the engine sees what it saw. */
static void __attribute__ ((noreturn)) die_by (int sig)
{
  unsigned long mask = 1ul << (sig - 1);

  if (sig > 0 && sig < 64)
    {
      set_default (sig, NULL);
      sys (__NR_rt_sigprocmask, 1 /* SIG_UNBLOCK */, (long)&mask, 0,
           K_SIGSET_SIZE, 0);
      sys (__NR_kill, sys (__NR_getpid, 0, 0, 0, 0, 0), sig, 0, 0, 0);
    }
  exit (128 + sig);
}

static int
get_int (const char *msg, ssize_t n)
{
  int32_t v = 0;

  if (n == 1 + (ssize_t)sizeof v)
    memcpy (&v, msg + 1, sizeof v);
  return (int)v;
}

int
main (int argc, char **argv)
{
  bool answered = false;
  int sock;

  if (argc < 1)
    return 1;
  sock = server_connect ();
  if (sock < 0 || send_request (sock, argc, argv) < 0)
    run_shim (argv);
  for (;;)
    {
      char *path, **av, fdarg[32];
      int ws, fd;
      ssize_t n = recv_answer (sock, &fd);

      if (n < 0 && errno == EINTR)
        continue;
      /* A call the server never answered is agentbox-shim's: a server
       * that stops drops the calls it had not begun, and what a worker
       * lost midway leaves, create picks up (the rewrite is
       * idempotent, the state directory is taken over). */
      if (n <= 0 && !answered)
        run_shim (argv);
      if (n <= 0)
        die ("the shim server stopped answering (%s)",
             n < 0 ? strerror (errno) : "closed");
      if (n > (ssize_t)AB_SERVE_MAX_ANSWER)
        die ("an answer from the shim server too long to read");
      answered = true;
      if (fd >= 0 && answer[0] != 'E' && answer[0] != 'S')
        {
          close (fd); /* only a delegate takes one */
          fd = -1;
        }
      switch (answer[0])
        {
        case 'F':
          close (sock);
          run_shim (argv);
        case 'X':
          return get_int (answer, n);
        case 'K':
          die_by (get_int (answer, n));
        case 'E':
        case 'S':
          answer[n] = '\0';
          av = split_argv (answer + 1, (size_t)n - 1, &path);
          if (av == NULL)
            die ("a malformed answer from the shim server");
          snprintf (fdarg, sizeof fdarg, "/proc/self/fd/%d", fd);
          for (char **a = av; fd >= 0 && *a; a++)
            if (strcmp (*a, AB_SERVE_PASSED_FD_ARG) == 0)
              *a = fdarg;
          if (answer[0] == 'E')
            {
              execve (path, av, environ);
              send_int (sock, 'e', errno);
            }
          else
            {
              ws = spawn_wait (path, av);
              if (ws < 0)
                send_int (sock, 'e', errno);
              else
                send_int (sock, 'W', ws);
            }
          free (av);
          if (fd >= 0)
            close (fd);
          break;
        default:
          die ("an unknown answer from the shim server (%d)", answer[0]);
        }
    }
}
