/* agentbox: the guardian's client side (net.h): one request line, one
 * reply line, over STATE_DIR/agentboxd.sock; and starting agentboxd when
 * it is not running. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "shim/lib/net.h"
#include "spec/json.h"

#define CALL_TIMEOUT_MS 10000
#define START_TIMEOUT_MS 10000

int
ab_guardian_socket (const struct ab_config *cfg, char **out, ab_error_t *err)
{
  if (asprintf (out, "%s/agentboxd.sock", cfg->state_dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  return 0;
}

static int
connect_to (const char *path, ab_error_t *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof sa.sun_path)
    return ab_error_set (err, ENAMETOOLONG, "%s: path too long", path);
  strcpy (sa.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return ab_error_errno (err, "socket");
  if (connect (fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    {
      ab_error_errno (err, "connect %s", path);
      close (fd);
      return -1;
    }
  return fd;
}

static int
read_line (int fd, char **out, ab_error_t *err)
{
  size_t len = 0, cap = 256;
  cleanup_free char *buf = malloc (cap);

  while (buf)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      ssize_t n;

      if (poll (&p, 1, CALL_TIMEOUT_MS) == 0)
        return ab_error_set (err, ETIMEDOUT, "no reply from the guardian");
      n = read (fd, buf + len, cap - len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return ab_error_errno (err, "read from the guardian");
      if (n == 0)
        return ab_error_set (err, ECONNRESET,
                             "the guardian closed the connection");
      len += (size_t)n;
      buf[len] = '\0';
      if (memchr (buf, '\n', len))
        {
          *out = steal_pointer (&buf);
          return 0;
        }
      if (len + 1 == cap)
        {
          char *p2 = cap < 65536 ? realloc (buf, cap * 2) : NULL;
          if (p2 == NULL)
            return ab_error_set (err, E2BIG, "reply too long");
          buf = p2;
          cap *= 2;
        }
    }
  return ab_error_set (err, ENOMEM, "out of memory");
}

static int
check_reply (const char *reply, ab_error_t *err)
{
  cleanup_json struct ab_json *j = NULL;
  const struct ab_json *ok;
  const char *msg;

  if (ab_json_parse (reply, strlen (reply), "guardian reply", &j, err) < 0)
    return -1;
  ok = ab_json_get (j, "ok");
  if (ab_json_is (ok, AB_JSON_BOOL) && ok->u.boolean)
    return 0;
  msg = ab_json_get_string (j, "error");
  return ab_error_set (err, EPROTO, "guardian: %s",
                       msg ? msg : "request refused");
}

int
ab_guardian_call (const struct ab_config *cfg, const char *request,
                  char **reply, ab_error_t *err)
{
  cleanup_free char *path = NULL, *line = NULL;
  cleanup_close int fd = -1;
  size_t len = strlen (request);

  if (ab_guardian_socket (cfg, &path, err) < 0)
    return -1;
  fd = connect_to (path, err);
  if (fd < 0)
    return -1;
  if (send (fd, request, len, MSG_NOSIGNAL) != (ssize_t)len
      || send (fd, "\n", 1, MSG_NOSIGNAL) != 1)
    return ab_error_errno (err, "send to the guardian");
  if (read_line (fd, &line, err) < 0 || check_reply (line, err) < 0)
    return -1;
  if (reply)
    *reply = steal_pointer (&line);
  return 0;
}

int
ab_guardian_fg_watch (const struct ab_config *cfg, const char *id,
                      ab_error_t *err)
{
  cleanup_buf struct ab_buf req = AB_BUF_INIT;

  ab_buf_puts (&req, "{\"op\": \"fg-watch\", \"id\": \"");
  ab_json_escape (&req, id);
  if (ab_buf_puts (&req, "\"}") < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (ab_guardian_call (cfg, req.data, NULL, err) < 0)
    return ab_error_wrap (err, "follow the file guard of %s", id);
  return 0;
}

static bool
answers (const struct ab_config *cfg)
{
  cleanup_error ab_error_t e = NULL;

  return ab_guardian_call (cfg, "{\"op\": \"ping\"}", NULL, &e) == 0;
}

/* Start agentboxd detached: a new session, stdio on /dev/null (its log
 * goes to the audit log and its own log file), reaped by init. */
static int
spawn_guardian (const struct ab_config *cfg, const char *config_path,
                ab_error_t *err)
{
  cleanup_free char *bin = NULL;
  pid_t pid;
  int status;

  if (cfg->net.guardian)
    bin = strdup (cfg->net.guardian);
  else if (ab_sibling_path ("agentboxd", &bin, err) < 0)
    return ab_error_wrap (err, "start the guardian");
  if (bin == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  pid = fork ();
  if (pid < 0)
    return ab_error_errno (err, "fork");
  if (pid == 0)
    {
      int nul = open ("/dev/null", O_RDWR);
      if (setsid () < 0 || fork () != 0)
        _exit (0);
      dup2 (nul, 0);
      dup2 (nul, 1);
      dup2 (nul, 2);
      if (config_path)
        execl (bin, "agentboxd", "--config", config_path, (char *)NULL);
      else
        execl (bin, "agentboxd", (char *)NULL);
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return 0;
}

int
ab_guardian_ensure (const struct ab_config *cfg, const char *config_path,
                    ab_error_t *err)
{
  cleanup_free char *lock = NULL;
  cleanup_close int fd = -1;
  struct timespec t0, t;

  if (answers (cfg))
    return 0;
  if (mkdir (cfg->state_dir, 0700) < 0 && errno != EEXIST)
    return ab_error_errno (err, "mkdir %s", cfg->state_dir);
  if (asprintf (&lock, "%s/agentboxd.start.lock", cfg->state_dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  /* One starter at a time; the others find it answering. */
  fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock (fd, LOCK_EX) < 0)
    return ab_error_errno (err, "lock %s", lock);
  if (answers (cfg))
    return 0;
  if (spawn_guardian (cfg, config_path, err) < 0)
    return -1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (;;)
    {
      if (answers (cfg))
        return 0;
      clock_gettime (CLOCK_MONOTONIC, &t);
      if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000
          > START_TIMEOUT_MS)
        return ab_error_set (err, ETIMEDOUT,
                             "start the guardian: agentboxd did not answer "
                             "within %d s (see its log in %s)",
                             START_TIMEOUT_MS / 1000, cfg->state_dir);
      usleep (10000);
    }
}
