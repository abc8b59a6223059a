/* agentbox: one hostexec session, a single poll loop over the guardian's
 * socket, stdin and a signalfd.
 *
 * Output never waits on input: stdin is read only while the outgoing
 * buffer has room, and the socket is always read, so a command that does
 * not read its stdin (or a guardian still waiting for approval) cannot
 * stall what the command prints. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/lib/hxproto.h"
#include "shim/hostexec/hostexec.h"

#define OUT_CAP (2 * (5 + HX_FRAME_MAX))
/* Room kept free for HX_SIGNAL frames, so a signal is never lost behind a
 * full stdin buffer. */
#define SIG_RESERVE (8 * 6)
/* Do not read stdin into less than this: many tiny frames help no one. */
#define STDIN_MIN_READ 4096

/* The loop's answer while the session goes on. */
#define GO_ON (-1)

struct session
{
  int sock, sigfd;
  bool stdin_open;   /* -i, and no EOF sent yet */
  bool sock_ok;      /* sending still possible */
  bool waiting_told; /* "waiting for approval" printed */
  bool started;      /* the command runs (or has printed) */
  size_t out_len, in_len;
  uint8_t out[OUT_CAP];
  uint8_t in[4 + HX_FRAME_MAX];
};

/* Static: 200 KiB of buffers do not belong on the stack. */
static struct session S;

int
hostexec_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  struct pollfd pfd = { .fd = fd, .events = POLLOUT };
  ssize_t n;

  while (len > 0)
    {
      n = write (fd, p, len);
      if (n < 0 && errno == EAGAIN)
        /* stdout can come non-blocking from whoever made it. */
        n = poll (&pfd, 1, -1) < 0 && errno != EINTR ? -1 : 0;
      else if (n < 0 && errno == EINTR)
        n = 0;
      if (n < 0)
        return -1;
      p += n;
      len -= n;
    }
  return 0;
}

static void
queue (struct session *s, uint8_t type, const void *payload, size_t len)
{
  hx_frame_header (s->out + s->out_len, type, len);
  if (len)
    memcpy (s->out + s->out_len + 5, payload, len);
  s->out_len += 5 + len;
}

static int
went_away (void)
{
  fputs ("hostexec: the guardian went away\n", stderr);
  return HOSTEXEC_EXIT_FAILED;
}

/* ---- towards the guardian ---- */

/* Once sending fails, the guardian may still have sent how the command
 * ended: stop sending but keep reading. */
static void
stop_sending (struct session *s)
{
  s->sock_ok = false;
  s->stdin_open = false;
  s->out_len = 0;
}

static int
flush_out (struct session *s)
{
  ssize_t n = send (s->sock, s->out, s->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return GO_ON;
  if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
    {
      stop_sending (s);
      return GO_ON;
    }
  if (n < 0)
    {
      fprintf (stderr, "hostexec: writing to the guardian: %s\n",
               strerror (errno));
      return HOSTEXEC_EXIT_FAILED;
    }
  memmove (s->out, s->out + n, s->out_len - n);
  s->out_len -= n;
  return GO_ON;
}

static bool
stdin_room (const struct session *s)
{
  return OUT_CAP - s->out_len >= 5 + STDIN_MIN_READ + SIG_RESERVE;
}

static void
read_stdin (struct session *s)
{
  size_t room = OUT_CAP - s->out_len - 5 - SIG_RESERVE;
  ssize_t n;

  if (room > HX_PAYLOAD_MAX)
    room = HX_PAYLOAD_MAX;
  /* Read straight into place, after the header written below. */
  n = read (STDIN_FILENO, s->out + s->out_len + 5, room);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n > 0)
    {
      hx_frame_header (s->out + s->out_len, HX_STDIN, n);
      s->out_len += 5 + n;
      return;
    }
  /* An error ends the input like EOF: the command sees its stdin close
   * rather than hang. */
  if (n < 0)
    fprintf (stderr, "hostexec: reading stdin: %s\n", strerror (errno));
  queue (s, HX_STDIN_EOF, NULL, 0);
  s->stdin_open = false;
}

/* Before the command starts there is no one to signal, and the person
 * who pressed ^C should not be left waiting on an approval that may never
 * come: the request is withdrawn by closing the connection. */
static int
withdraw (struct session *s, uint8_t signo)
{
  if (s->sock_ok)
    flush_out (s); /* one try, so the guardian also sees why */
  fprintf (stderr,
           "hostexec: interrupted (signal %u) before the command "
           "started; request withdrawn\n",
           signo);
  return 128 + signo;
}

static int
forward_signals (struct session *s)
{
  struct signalfd_siginfo si;
  uint8_t signo;

  while (read (s->sigfd, &si, sizeof si) == sizeof si)
    {
      signo = si.ssi_signo;
      /* Past the reserve a burst is dropped: the command already has the
       * same signals on their way. */
      if (s->sock_ok && OUT_CAP - s->out_len >= 6)
        queue (s, HX_SIGNAL, &signo, 1);
      if (!s->started)
        return withdraw (s, signo);
    }
  return GO_ON;
}

/* ---- from the guardian ---- */

/* Guardian text goes to a terminal: no control characters. */
static void
print_text (const char *prefix, const uint8_t *p, size_t len)
{
  char line[1024];
  size_t i, n = 0;

  for (i = 0; i < len && n < sizeof line - 1; i++)
    line[n++] = p[i] < 0x20 || p[i] == 0x7f ? '?' : (char)p[i];
  line[n] = '\0';
  fprintf (stderr, "hostexec: %s%s\n", prefix, line);
}

static int
bad_frame (uint8_t type)
{
  fprintf (stderr, "hostexec: a bad frame (type %u) from the guardian\n", type);
  return HOSTEXEC_EXIT_FAILED;
}

static int
output (int fd, const uint8_t *p, size_t len)
{
  if (hostexec_write_all (fd, p, len) == 0 || fd == STDERR_FILENO)
    return GO_ON;
  /* A closed stdout ends us as it would end the command; the guardian
   * sees the socket close and stops the command. */
  if (errno == EPIPE)
    return 128 + SIGPIPE;
  fprintf (stderr, "hostexec: writing stdout: %s\n", strerror (errno));
  return HOSTEXEC_EXIT_FAILED;
}

static int
on_exit_frame (const uint8_t *p, size_t len)
{
  if (len != 2 || p[0] > 1)
    return bad_frame (HX_EXIT);
  return p[0] == 0 ? p[1] : 128 + p[1];
}

static int
on_frame (struct session *s, uint8_t type, const uint8_t *p, size_t len)
{
  switch (type)
    {
    case HX_WAITING:
      if (!s->waiting_told)
        print_text ("", p, len);
      s->waiting_told = true;
      return GO_ON;
    case HX_STARTED:
      s->started = true;
      return len == 0 ? GO_ON : bad_frame (type);
    case HX_STDOUT:
      s->started = true;
      return output (STDOUT_FILENO, p, len);
    case HX_STDERR:
      s->started = true;
      return output (STDERR_FILENO, p, len);
    case HX_EXIT:
      return on_exit_frame (p, len);
    case HX_DENIED:
      print_text ("denied: ", p, len);
      return HOSTEXEC_EXIT_DENIED;
    default:
      /* Closed: a frame we do not know may be one we should not ignore. */
      return bad_frame (type);
    }
}

static int
read_sock (struct session *s)
{
  ssize_t n = read (s->sock, s->in + s->in_len, sizeof s->in - s->in_len);
  size_t off = 0, plen;
  uint8_t type;
  int r, ret = GO_ON;

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return GO_ON;
  if (n == 0 || (n < 0 && errno == ECONNRESET))
    return went_away ();
  if (n < 0)
    {
      fprintf (stderr, "hostexec: reading from the guardian: %s\n",
               strerror (errno));
      return HOSTEXEC_EXIT_FAILED;
    }
  s->in_len += n;
  while (ret == GO_ON
         && (r = hx_frame_peek (s->in + off, s->in_len - off, &type, &plen))
                != 0)
    {
      if (r < 0)
        {
          fputs ("hostexec: a bad frame length from the guardian\n", stderr);
          return HOSTEXEC_EXIT_FAILED;
        }
      ret = on_frame (s, type, s->in + off + 5, plen);
      off += 5 + plen;
    }
  memmove (s->in, s->in + off, s->in_len - off);
  s->in_len -= off;
  return ret;
}

/* ---- the loop ---- */

static int
step (struct session *s)
{
  struct pollfd p[3] = {
    { .fd = s->sock, .events = POLLIN },
    { .fd = s->sigfd, .events = POLLIN },
    { .fd = s->stdin_open && stdin_room (s) ? STDIN_FILENO : -1,
      .events = POLLIN },
  };
  int ret = GO_ON;

  if (s->sock_ok && s->out_len > 0)
    p[0].events |= POLLOUT;
  if (poll (p, 3, -1) < 0 && errno != EINTR)
    {
      fprintf (stderr, "hostexec: poll: %s\n", strerror (errno));
      return HOSTEXEC_EXIT_FAILED;
    }
  /* The guardian first: how the command ended beats anything we send. */
  if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
    ret = read_sock (s);
  if (ret == GO_ON && p[1].revents & POLLIN)
    ret = forward_signals (s);
  if (ret == GO_ON && p[2].revents)
    read_stdin (s); /* POLLNVAL (no fd 0) or POLLHUP read as EOF */
  if (ret == GO_ON && p[0].revents & POLLOUT && s->out_len > 0)
    ret = flush_out (s);
  return ret;
}

int
hostexec_session (int sock, int sigfd, const char *req, size_t len,
                  bool forward_stdin)
{
  struct session *s = &S;
  int ret;

  s->sock = sock;
  s->sigfd = sigfd;
  s->stdin_open = forward_stdin;
  s->sock_ok = true;
  queue (s, HX_REQUEST, req, len);
  do
    ret = step (s);
  while (ret == GO_ON);
  return ret;
}
