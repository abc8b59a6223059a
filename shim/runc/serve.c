/* agentbox-shim --serve: the shim server (docs/shim-server.md).
 *
 * Every runtime call used to pay for agentbox-shim's exec: a static
 * glibc program's start and the first touch of every page its work
 * needs, each a trap to the hypervisor in a VM.  The server keeps
 * workers waiting on its socket, warm.  agentbox-runc, the front, sends
 * each call to one; the worker runs it exactly as agentbox-shim would,
 * in the front's place (its environment, directory, umask and stdio),
 * has the front exec the delegate (or run it: `delete`), so that the
 * delegate is the engine's child (or grandchild), with the engine's
 * cgroup, limits and descriptors, says how the call ended (or, for a
 * foreground `run`, watches runc end and tears down), and takes the
 * next call.
 *
 * A call's state is its own: the verbs keep none in globals, and
 * between calls a worker closes every descriptor the call opened and
 * puts back its stdio, directory, umask and environment.  A worker
 * retires after MAX_CALLS calls, which bounds what a leak could hold.
 *
 * A worker refuses ('F': the front runs agentbox-shim itself) a call it
 * cannot run in the front's place: another user, another namespace or
 * root, a request too large, another protocol version, or this binary
 * replaced on disk (the server then exits, for the service manager to
 * start the new one). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "shim/lib/cli.h"
#include "shim/lib/serve-proto.h"
#include "shim/lib/serve-request.h"
#include "shim/lib/spawn.h"
#include "shim/runc/runc.h"

extern char **environ;

/* A worker's exit status that stops the server: its binary was
 * replaced.  EX_TEMPFAIL, for the service manager. */
#define STALE 75
#define MAX_WORKERS 64
#define MAX_CALLS 1000

/* A worker's descriptors, moved to these numbers; it closes every
 * other one between calls. */
enum
{
  W_LISTEN = 3,
  W_CHAN,    /* to the server: 't' took a call, 'i' idle again */
  W_LOG,     /* the server's stderr */
  W_DEVNULL, /* stdin and stdout between calls */
  W_FIRST_FREE,
};

/* What a worker compares with its caller's: namespaces, then root. */
static const char *const places[]
    = { "ns/mnt", "ns/pid",    "ns/net", "ns/user", "ns/ipc",
        "ns/uts", "ns/cgroup", "root",   NULL };

struct slot
{
  pid_t pid; /* 0: free */
  int chan;  /* the server's end */
  bool idle;
};

struct server
{
  const char *socket;
  int spare; /* idle workers kept, at most */
  bool verbose;
  int lfd;
  char exe[PATH_MAX];
  struct stat exe_st;
  struct stat ours[sizeof places / sizeof places[0]];
  struct slot w[MAX_WORKERS];
  int nidle;
};

static void
usage (FILE *f)
{
  fprintf (f, "usage: agentbox-shim --serve [--socket PATH] [--workers N] "
              "[--verbose]\n\n"
              "Serve agentbox-runc's calls from warm workers "
              "(docs/shim-server.md).\n"
              "  --socket PATH  where to listen (default " AB_SERVE_SOCKET ";\n"
              "                 agentbox-runc reads $" AB_SERVE_SOCKET_ENV ")\n"
              "  --workers N    idle workers kept, 1 to 64 (default 2); "
              "more start\n"
              "                 when calls overlap\n"
              "  --verbose      a line on stderr for every call\n");
}

/* ---- a worker: one call ---- */

static void
answer_int (int sock, char type, int v)
{
  char m[1 + sizeof (int32_t)] = { type };
  int32_t v32 = v;

  memcpy (m + 1, &v32, sizeof v32);
  send (sock, m, sizeof m, MSG_NOSIGNAL);
}

/* Read the request and its descriptors (FDS, AB_SERVE_NFDS of them,
 * else none kept).  As ab_serve_request_parse. */
static int
read_request (int sock, char *buf, struct ab_serve_call *c, int *fds,
              const char **why)
{
  union
  {
    char buf[CMSG_SPACE (AB_SERVE_NFDS * sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { buf, AB_SERVE_MAX_REQUEST };
  struct msghdr msg = { .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  struct cmsghdr *cm;
  int nfds = 0;
  ssize_t n;

  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return *why = n < 0 ? "no request" : "closed", -1;
  for (cm = CMSG_FIRSTHDR (&msg); cm; cm = CMSG_NXTHDR (&msg, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      {
        size_t k = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        for (size_t i = 0; i < k; i++)
          {
            int fd;
            memcpy (&fd, CMSG_DATA (cm) + i * sizeof fd, sizeof fd);
            if (nfds < AB_SERVE_NFDS)
              fds[nfds] = fd;
            else
              close (fd);
            nfds++;
          }
      }
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
    return *why = "too large", 0;
  if (nfds != AB_SERVE_NFDS)
    return *why = "not four descriptors", -1;
  return ab_serve_request_parse (buf, (size_t)n, c, why);
}

static bool
same (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Can this process act in the caller's place?  NULL if so, else why
 * not. */
static const char *
foreign (const struct server *s, int sock)
{
  struct ucred cr;
  socklen_t len = sizeof cr;
  struct stat st;
  char proc[32];
  int dfd;
  const char *why = NULL;

  if (getsockopt (sock, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
    return "no credentials";
  if (cr.uid != geteuid () || cr.gid != getegid ())
    return "another user";
  snprintf (proc, sizeof proc, "/proc/%d", (int)cr.pid);
  dfd = open (proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return "its /proc entry";
  for (size_t i = 0; places[i] && !why; i++)
    if (fstatat (dfd, places[i], &st, 0) < 0 || !same (&st, &s->ours[i]))
      why = strncmp (places[i], "ns/", 3) == 0 ? "another namespace"
                                               : "another root";
  close (dfd);
  if (why)
    return why;
  if (stat (s->exe, &st) < 0 || !same (&st, &s->exe_st))
    return "replaced";
  return NULL;
}

/* The caller's place: its stdio, directory, umask and environment. */
static int
take_place (const struct ab_serve_call *c, const int *fds)
{
  for (int i = 0; i <= AB_SERVE_FD_STDERR; i++)
    if (dup2 (fds[i], i) < 0)
      return -1;
  if (fchdir (fds[AB_SERVE_FD_CWD]) < 0)
    return -1;
  umask (c->umask);
  environ = c->envp;
  return 0;
}

/* The caller's stdio let go: what is written from now on goes to the
 * server's log. */
static void
release_stdio (void)
{
  fflush (stdout);
  fflush (stderr);
  clearerr (stdout);
  clearerr (stderr);
  dup2 (W_DEVNULL, STDIN_FILENO);
  dup2 (W_DEVNULL, STDOUT_FILENO);
  dup2 (W_LOG, STDERR_FILENO);
}

/* Ours again, as before the call: nothing of it stays open. */
static void
leave_place (void)
{
  static char *no_env[] = { NULL };

  release_stdio ();
  ab_spawn_set_front (-1, NULL);
  close_range (W_FIRST_FREE, ~0u, 0);
  if (chdir ("/") < 0)
    _exit (1);
  umask (022);
  environ = no_env;
}

/* The call's verb, for the server's log, as the call itself parses it. */
static const char *
verb (const struct ab_serve_call *c)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_cli_global g;

  if (ab_cli_parse_global (c->argc, c->argv, &g, &err) < 0
      || g.verb_index >= c->argc)
    return "";
  return c->argv[g.verb_index];
}

/* One call on SOCK; STALE when this binary was replaced. */
static int
serve_call (const struct server *s, int sock, char *buf)
{
  struct timeval limit = { .tv_sec = 10 }, none = { 0 };
  struct ab_serve_call c = { 0 };
  int fds[AB_SERVE_NFDS] = { -1, -1, -1, -1 };
  const char *why = NULL;
  int r, status, sig;

  /* A caller that connects and says nothing holds a worker 10 s. */
  setsockopt (sock, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  r = read_request (sock, buf, &c, fds, &why);
  if (r == 1 && (why = foreign (s, sock)) != NULL)
    r = 0;
  if (r == 1 && take_place (&c, fds) < 0)
    {
      why = "cannot take the caller's place";
      r = 0;
    }
  if (r < 1)
    {
      /* A connection closed unsaid is a probe (agentbox doctor). */
      if (r < 0 && strcmp (why, "closed") == 0)
        return 0;
      if (r < 0 || s->verbose)
        dprintf (W_LOG, "agentbox-shim: %s a call: %s\n",
                 r < 0 ? "dropped" : "refused", why);
      if (r == 0)
        answer_int (sock, 'F', 0);
      ab_serve_call_free (&c);
      return r == 0 && strcmp (why, "replaced") == 0 ? STALE : 0;
    }
  setsockopt (sock, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  ab_spawn_set_front (sock, release_stdio);
  status = abr_run_call (c.argc, c.argv);
  fflush (stdout);
  fflush (stderr);
  sig = ab_spawn_front_signal ();
  if (s->verbose)
    dprintf (W_LOG, "agentbox-shim: served `%s`: %s %d\n", verb (&c),
             ab_spawn_front_exec () ? "exec"
             : sig                  ? "signal"
                                    : "exit",
             sig ? sig : status);
  if (!ab_spawn_front_exec ())
    answer_int (sock, sig ? 'K' : 'X', sig ? sig : status);
  ab_serve_call_free (&c);
  return 0;
}

/* Fault in now what a call would fault in while the engine waits: a
 * forked child shares its parent's pages until it writes them, and maps
 * the program's code again page by page.  One madvise per mapping. */
static void
prewarm (void)
{
  FILE *f = fopen ("/proc/self/maps", "re");
  char line[512];

  if (f == NULL)
    return;
  while (fgets (line, sizeof line, f))
    {
      unsigned long lo, hi;
      char perms[5];

      if (sscanf (line, "%lx-%lx %4s", &lo, &hi, perms) != 3 || perms[0] != 'r'
          || strstr (line, "[v"))
        continue;
      madvise ((void *)lo, hi - lo,
               perms[1] == 'w' ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
    }
  fclose (f);
}

/* Tell the server C.  For 'i', its answer: stay idle ('s', with the
 * listening socket, back at W_LISTEN) or retire. */
static bool
tell (char c)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  char reply = 0;
  struct iovec iov = { &reply, 1 };
  struct msghdr msg = { .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  struct cmsghdr *cm;
  int fd = -1;

  if (send (W_CHAN, &c, 1, MSG_NOSIGNAL) != 1)
    return false;
  if (c != 'i')
    return true;
  if (recvmsg (W_CHAN, &msg, MSG_CMSG_CLOEXEC) != 1 || reply != 's')
    return false;
  cm = CMSG_FIRSTHDR (&msg);
  if (cm && cm->cmsg_type == SCM_RIGHTS)
    memcpy (&fd, CMSG_DATA (cm), sizeof fd);
  if (fd < 0 || dup3 (fd, W_LISTEN, O_CLOEXEC) < 0)
    return false;
  close (fd);
  return true;
}

static void __attribute__ ((noreturn))
worker (struct server *s, int chan, const sigset_t *mask)
{
  pid_t server = getppid ();
  char *buf = malloc (AB_SERVE_MAX_REQUEST);
  int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);

  /* Our descriptors at fixed numbers (from high ones, so that no dup2
   * lands on one not yet moved), then nothing else. */
  int log = fcntl (STDERR_FILENO, F_DUPFD_CLOEXEC, 100);
  int lfd = fcntl (s->lfd, F_DUPFD_CLOEXEC, 100);
  chan = fcntl (chan, F_DUPFD_CLOEXEC, 100);
  devnull = fcntl (devnull, F_DUPFD_CLOEXEC, 100);
  if (buf == NULL || log < 0 || lfd < 0 || chan < 0 || devnull < 0
      || dup3 (lfd, W_LISTEN, O_CLOEXEC) < 0
      || dup3 (chan, W_CHAN, O_CLOEXEC) < 0 || dup3 (log, W_LOG, O_CLOEXEC) < 0
      || dup3 (devnull, W_DEVNULL, O_CLOEXEC) < 0)
    _exit (1);
  sigprocmask (SIG_SETMASK, mask, NULL);
  /* Every call's memory from a heap kept warm: no mmap and munmap of a
   * large buffer per call, no heap top trimmed after a call for the
   * next to fault in again (each first touch of a page traps to the
   * hypervisor in a VM). */
  mallopt (M_MMAP_THRESHOLD, 4 << 20);
  mallopt (M_TRIM_THRESHOLD, 64 << 20);
  leave_place ();
  prewarm ();
  for (int calls = 0; calls < MAX_CALLS; calls++)
    {
      int sock, r;

      /* Idle, a worker goes with the server; busy, it finishes. */
      prctl (PR_SET_PDEATHSIG, SIGTERM);
      if (getppid () != server)
        _exit (0);
      do
        sock = accept4 (W_LISTEN, NULL, NULL, SOCK_CLOEXEC);
      while (sock < 0 && (errno == EINTR || errno == ECONNABORTED));
      if (sock < 0)
        _exit (0); /* shut down: the server is stopping */
      prctl (PR_SET_PDEATHSIG, 0);
      /* Busy, a worker does not hold the listening socket: with the
       * server gone and only busy workers left, a new call is refused
       * at once (the front runs agentbox-shim), not queued behind a
       * foreground run that may last hours.  It comes back with 's'. */
      close (W_LISTEN);
      tell ('t');
      r = serve_call (s, sock, buf);
      close (sock);
      leave_place ();
      if (r == STALE)
        _exit (STALE);
      if (!tell ('i'))
        _exit (0);
    }
  _exit (0);
}

/* ---- the server ---- */

static int
listen_on (struct server *s)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_free char *dir = strdup (s->socket);
  char *slash = dir ? strrchr (dir, '/') : NULL;
  struct stat st;
  mode_t old;
  int fd, r;

  if (strlen (s->socket) >= sizeof sa.sun_path)
    return ab_log_error ("--socket %s: too long", s->socket), -1;
  strcpy (sa.sun_path, s->socket);
  if (slash && slash != dir)
    {
      *slash = '\0';
      if (mkdir (dir, 0711) < 0 && errno != EEXIST)
        return ab_log_error ("%s: %s", dir, strerror (errno)), -1;
    }
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return ab_log_error ("socket: %s", strerror (errno)), -1;
  if (lstat (s->socket, &st) == 0)
    {
      if (!S_ISSOCK (st.st_mode))
        return ab_log_error ("%s: exists and is not a socket", s->socket), -1;
      if (connect (fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return ab_log_error ("%s: another server listens there", s->socket), -1;
      unlink (s->socket);
    }
  /* root's only: a worker acts with its caller's authority, which
   * SO_PEERCRED checks too. */
  old = umask (0177);
  r = bind (fd, (struct sockaddr *)&sa, sizeof sa);
  umask (old);
  if (r < 0 || listen (fd, 128) < 0)
    return ab_log_error ("%s: %s", s->socket, strerror (errno)), -1;
  s->lfd = fd;
  return 0;
}

static int
spawn_worker (struct server *s, const sigset_t *mask)
{
  struct slot *w = NULL;
  int sv[2];
  pid_t pid;

  for (int i = 0; i < MAX_WORKERS && !w; i++)
    if (s->w[i].pid == 0)
      w = &s->w[i];
  if (w == NULL)
    return 0; /* every one busy: calls wait in the backlog */
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return ab_log_error ("socketpair: %s", strerror (errno)), -1;
  pid = fork ();
  if (pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return ab_log_error ("fork a worker: %s", strerror (errno)), -1;
    }
  if (pid == 0)
    worker (s, sv[1], mask);
  close (sv[1]);
  *w = (struct slot){ .pid = pid, .chan = sv[0], .idle = true };
  s->nidle++;
  return 0;
}

static void
drop (struct server *s, struct slot *w)
{
  if (w->idle)
    s->nidle--;
  close (w->chan);
  *w = (struct slot){ 0 };
}

/* A message from worker W: it took a call, or is idle again and is
 * told whether to stay. */
static void
heard (struct server *s, struct slot *w)
{
  char c, reply;

  if (read (w->chan, &c, 1) != 1)
    {
      /* Gone: reap() collects its status. */
      drop (s, w);
      return;
    }
  if (c == 't' && w->idle)
    {
      w->idle = false;
      s->nidle--;
    }
  else if (c == 'i' && !w->idle)
    {
      /* Stay (with the listening socket) or retire. */
      reply = s->nidle < s->spare ? 's' : 'q';
      if (ab_serve_send (w->chan, &reply, 1, reply == 's' ? s->lfd : -1) < 0
          || reply == 'q')
        drop (s, w);
      else
        {
          w->idle = true;
          s->nidle++;
        }
    }
}

/* Workers that exited; 1 when one said the binary was replaced. */
static int
reap (struct server *s)
{
  int ws, stale = 0;
  pid_t pid;

  while ((pid = waitpid (-1, &ws, WNOHANG)) > 0)
    {
      if (WIFEXITED (ws) && WEXITSTATUS (ws) == STALE)
        stale = 1;
      else if (WIFSIGNALED (ws))
        fprintf (stderr, "agentbox-shim: worker %d killed by signal %d\n",
                 (int)pid, WTERMSIG (ws));
      for (int i = 0; i < MAX_WORKERS; i++)
        if (s->w[i].pid == pid)
          drop (s, &s->w[i]);
    }
  return stale;
}

static void
stop (struct server *s)
{
  struct stat st;

  /* Idle workers wake from accept and exit; busy ones finish. */
  shutdown (s->lfd, SHUT_RDWR);
  if (lstat (s->socket, &st) == 0 && S_ISSOCK (st.st_mode))
    unlink (s->socket);
  close (s->lfd);
}

/* 0: serve; 1: done (--help); -1: a bad option. */
static int
parse (int argc, char **argv, struct server *s)
{
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      char *end;
      long n;

      if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0)
        {
          usage (stdout);
          return 1;
        }
      if (strcmp (a, "--verbose") == 0)
        s->verbose = true;
      else if (strcmp (a, "--socket") == 0 && i + 1 < argc)
        s->socket = argv[++i];
      else if (strcmp (a, "--workers") == 0 && i + 1 < argc)
        {
          errno = 0;
          n = strtol (argv[++i], &end, 10);
          if (errno || *end || n < 1 || n > MAX_WORKERS)
            {
              ab_log_error ("--workers %s: expected 1 to %d", argv[i],
                            MAX_WORKERS);
              return -1;
            }
          s->spare = (int)n;
        }
      else
        {
          ab_log_error ("--serve: unknown or incomplete option `%s`", a);
          usage (stderr);
          return -1;
        }
    }
  return 0;
}

/* What a worker compares its callers with. */
static int
know_self (struct server *s)
{
  ssize_t n = readlink ("/proc/self/exe", s->exe, sizeof s->exe - 1);
  char path[32];

  if (n < 0 || stat ("/proc/self/exe", &s->exe_st) < 0)
    return ab_log_error ("/proc/self/exe: %s", strerror (errno)), -1;
  s->exe[n] = '\0';
  for (size_t i = 0; places[i]; i++)
    {
      snprintf (path, sizeof path, "/proc/self/%s", places[i]);
      if (stat (path, &s->ours[i]) < 0)
        return ab_log_error ("%s: %s", path, strerror (errno)), -1;
    }
  return 0;
}

int
abr_serve (int argc, char **argv)
{
  struct server s = { .socket = AB_SERVE_SOCKET, .spare = 2, .lfd = -1 };
  struct pollfd pfd[1 + MAX_WORKERS];
  struct slot *polled[1 + MAX_WORKERS];
  sigset_t mask, old;
  int sfd, r;

  ab_log_set_program ("agentbox-shim");
  if ((r = parse (argc, argv, &s)) != 0)
    return r < 0 ? 1 : 0;
  if (know_self (&s) < 0)
    return 1;
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGHUP);
  sigprocmask (SIG_BLOCK, &mask, &old);
  sfd = signalfd (-1, &mask, SFD_CLOEXEC);
  if (sfd < 0)
    return ab_log_error ("signalfd: %s", strerror (errno)), 1;
  if (listen_on (&s) < 0)
    return 1;
  fprintf (stderr, "agentbox-shim: serving %s, %d idle workers\n", s.socket,
           s.spare);
  for (int i = 0; i < s.spare; i++)
    spawn_worker (&s, &old);
  for (;;)
    {
      struct signalfd_siginfo si;
      int n = 1, timeout = -1;

      /* A call never waits for a fork: one idle worker at least (more
       * when calls overlap, kept up to --workers when they end).  A
       * fork that fails is tried again. */
      if (s.nidle < 1 && spawn_worker (&s, &old) < 0)
        timeout = 100;
      pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
      for (int i = 0; i < MAX_WORKERS; i++)
        if (s.w[i].pid)
          {
            polled[n] = &s.w[i];
            pfd[n++] = (struct pollfd){ .fd = s.w[i].chan, .events = POLLIN };
          }
      if (poll (pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
        return ab_log_error ("poll: %s", strerror (errno)), 1;
      for (int i = 1; i < n; i++)
        if (pfd[i].revents && polled[i]->pid)
          heard (&s, polled[i]);
      if (!(pfd[0].revents & POLLIN)
          || read (sfd, &si, sizeof si) != (ssize_t)sizeof si)
        continue;
      if (si.ssi_signo == SIGCHLD && reap (&s) == 0)
        continue;
      if (si.ssi_signo == SIGCHLD)
        {
          fprintf (stderr,
                   "agentbox-shim: %s was replaced: stopping, for "
                   "the new one to be started\n",
                   s.exe);
          stop (&s);
          return STALE;
        }
      break;
    }
  stop (&s);
  return 0;
}
