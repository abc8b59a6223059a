/* agentbox: hostexec, run inside the container: ask the guardian on the
 * host to run a command, and act as that command here (its output, its
 * exit status, the signals sent to it).  Static and libc only, so it runs
 * in any image. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/vm_sockets.h>
#include <unistd.h>

#include "proxy/lib/hxproto.h"
#include "shim/hostexec/hostexec.h"

#ifndef AB_VERSION
#define AB_VERSION "(version not set at build time)"
#endif

#define DEFAULT_SOCK "/run/agentbox/hostexec.sock"

/* The only variables that cross to the host: how to talk to the terminal
 * and in which language.  Anything else could carry secrets or steer the
 * command (PATH, LD_PRELOAD), so it stays here.  Keep --help in step. */
static const char *const env_allowlist[]
    = { "TERM", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "NO_COLOR", "CI" };
#define N_ENV (sizeof env_allowlist / sizeof env_allowlist[0])

static const char usage_text[] = "Usage: hostexec [-i] [--] COMMAND [ARG...]\n";

static const char help_text[]
    = "\n"
      "Ask the agentbox guardian on the host to run COMMAND with its\n"
      "arguments on the host, outside this container.  A rule on the host,\n"
      "or a person, allows or denies each request; while a person decides,\n"
      "hostexec says so on stderr and waits.\n"
      "\n"
      "The guardian receives the words of the command, the current\n"
      "directory, and these variables when they are set and valid UTF-8:\n"
      "TERM LANG LC_ALL LC_CTYPE TZ NO_COLOR CI.  Nothing else from this\n"
      "environment is sent.\n"
      "\n"
      "  -i          pass standard input on to the command; without -i,\n"
      "              hostexec sends it no input\n"
      "  --          end of options (for a COMMAND that starts with '-')\n"
      "  -h, --help  show this help\n"
      "  --version   show the version\n"
      "\n"
      "The command's output comes out on hostexec's stdout and stderr.\n"
      "SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to hostexec are passed on\n"
      "to the command.  One that comes before the command has started\n"
      "withdraws the request: hostexec exits at once with 128+N.\n"
      "\n"
      "Exit status: the command's, or 128+N when signal N killed it;\n"
      "126 when the request is denied; 125 when hostexec fails or loses\n"
      "the guardian (a command can exit with 125 or 126 itself too).\n"
      "\n"
      "The guardian listens on $AGENTBOX_HOSTEXEC_SOCK, by default\n"
      "  " DEFAULT_SOCK "\n"
      "or, in a VM (Kata), on AF_VSOCK: AGENTBOX_HOSTEXEC_SOCK=vsock:CID:PORT\n"
      "(CID 2 is the host).\n";

struct options
{
  bool forward_stdin;
  char **argv; /* the command */
  int argc;
};

/* Returns -1 to go on, else the status to exit with at once. */
static int
parse_options (int argc, char **argv, struct options *o)
{
  int i;

  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    if (strcmp (argv[i], "--") == 0)
      {
        i++;
        break;
      }
    else if (strcmp (argv[i], "-i") == 0)
      o->forward_stdin = true;
    else if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0)
      {
        printf ("%s%s", usage_text, help_text);
        return 0;
      }
    else if (strcmp (argv[i], "--version") == 0)
      {
        printf ("hostexec (agentbox) %s, protocol %d\n", AB_VERSION,
                HX_VERSION);
        return 0;
      }
    else
      {
        fprintf (stderr, "hostexec: unknown option '%s'\n%s", argv[i],
                 usage_text);
        return HOSTEXEC_EXIT_FAILED;
      }
  if (i == argc)
    {
      fprintf (stderr, "hostexec: no command\n%s", usage_text);
      return HOSTEXEC_EXIT_FAILED;
    }
  o->argv = argv + i;
  o->argc = argc - i;
  return -1;
}

/* The allowlisted variables that are set.  A value that is not UTF-8
 * cannot travel in JSON and is only a nicety: left out, not an error.
 * Entries point into environ; only the array is allocated. */
static char **
collect_env (void)
{
  static char *env[N_ENV + 1];
  size_t i, n = 0, klen;
  char **e;

  for (i = 0; i < N_ENV; i++)
    for (e = environ; *e; e++)
      {
        klen = strlen (env_allowlist[i]);
        if (strncmp (*e, env_allowlist[i], klen) == 0 && (*e)[klen] == '='
            && hx_utf8_valid (*e + klen + 1, strlen (*e + klen + 1)))
          {
            env[n++] = *e;
            break;
          }
      }
  env[n] = NULL;
  return env;
}

static int
write_request (const struct options *o, char **json, size_t *len)
{
  static char cwd[HX_CWD_MAX];
  struct hx_request r = { .argv = o->argv,
                          .argc = o->argc,
                          .cwd = cwd,
                          .env = collect_env (),
                          .stdin_wanted = o->forward_stdin };

  if (getcwd (cwd, sizeof cwd) == NULL)
    {
      fprintf (stderr, "hostexec: the current directory: %s\n",
               strerror (errno));
      return -1;
    }
  if (hx_request_write (&r, json, len) == 0)
    return 0;
  if (errno == E2BIG)
    fprintf (stderr,
             "hostexec: the request is too long for the guardian "
             "(at most %d words, %d bytes)\n",
             HX_ARGV_MAX, HX_ARGV_BYTES);
  else if (errno == EINVAL)
    fputs ("hostexec: the command or the current directory is not valid "
           "UTF-8\n",
           stderr);
  else
    fprintf (stderr, "hostexec: %s\n", strerror (errno));
  return -1;
}

/* A closed 0, 1 or 2 would be taken by our own socket or signalfd, and
 * stdin would then be read from it: hold them with /dev/null. */
static int
hold_std_fds (void)
{
  int fd;

  while ((fd = open ("/dev/null", O_RDWR | O_CLOEXEC)) >= 0
         && fd <= STDERR_FILENO)
    ;
  if (fd < 0)
    {
      fprintf (stderr, "hostexec: /dev/null: %s\n", strerror (errno));
      return -1;
    }
  close (fd);
  return 0;
}

/* Signals to forward arrive on a signalfd: blocked here, read in the
 * poll loop, and never run a handler in the middle of a write. */
static int
signal_fd (void)
{
  sigset_t set;
  int fd;

  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  sigaddset (&set, SIGQUIT);
  if (sigprocmask (SIG_BLOCK, &set, NULL) < 0
      || (fd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
    {
      fprintf (stderr, "hostexec: signalfd: %s\n", strerror (errno));
      return -1;
    }
  return fd;
}

/* "vsock:CID:PORT": the guardian on the host of a VM. */
static int
connect_vsock (const char *spec)
{
  struct sockaddr_vm addr = { .svm_family = AF_VSOCK };
  unsigned cid, port;
  char tail;
  int fd;

  if (sscanf (spec, "vsock:%u:%u%c", &cid, &port, &tail) != 2)
    {
      fprintf (stderr, "hostexec: %s: expected vsock:CID:PORT\n", spec);
      return -1;
    }
  addr.svm_cid = cid;
  addr.svm_port = port;
  fd = socket (AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    {
      fprintf (stderr, "hostexec: cannot reach the guardian at %s: %s\n", spec,
               strerror (errno));
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return fd;
}

static int
connect_guardian (void)
{
  const char *path = getenv ("AGENTBOX_HOSTEXEC_SOCK");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (path == NULL || path[0] == '\0')
    path = DEFAULT_SOCK;
  if (strncmp (path, "vsock:", 6) == 0)
    return connect_vsock (path);
  if (strlen (path) >= sizeof addr.sun_path)
    {
      fprintf (stderr, "hostexec: socket path too long: %s\n", path);
      return -1;
    }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    {
      fprintf (stderr, "hostexec: cannot reach the guardian at %s: %s\n", path,
               strerror (errno));
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return fd;
}

int
main (int argc, char **argv)
{
  struct options o = { 0 };
  char *json = NULL;
  size_t len = 0;
  int ret, sigfd, sock;

  ret = parse_options (argc, argv, &o);
  if (ret >= 0)
    return ret;
  if (hold_std_fds () < 0 || write_request (&o, &json, &len) < 0)
    return HOSTEXEC_EXIT_FAILED;
  sigfd = signal_fd ();
  if (sigfd < 0)
    return HOSTEXEC_EXIT_FAILED;
  sock = connect_guardian ();
  if (sock < 0)
    return HOSTEXEC_EXIT_FAILED;
  ret = hostexec_session (sock, sigfd, json, len, o.forward_stdin);
  free (json);
  close (sock);
  close (sigfd);
  return ret;
}
