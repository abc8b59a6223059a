/* agentbox: a shim server's request, read, and its messages sent
 * (serve-request.h). */
#include "shim/lib/serve-request.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "shim/lib/serve-proto.h"

int
ab_serve_request_parse (char *buf, size_t len, struct ab_serve_call *c,
                        const char **why)
{
  struct ab_serve_request h;
  size_t want, n = 0;
  char *p, **v;

  *c = (struct ab_serve_call){ 0 };
  if (len < sizeof h)
    return *why = "shorter than its header", -1;
  memcpy (&h, buf, sizeof h);
  if (h.magic != AB_SERVE_MAGIC)
    return *why = "not agentbox-runc's", -1;
  if (h.version != AB_SERVE_VERSION)
    return *why = "another protocol version", 0;
  p = buf + sizeof h;
  len -= sizeof h;
  /* Each string takes a byte at least: the counts cannot pass the
   * length, which also bounds the vector below. */
  if (h.argc < 1 || h.argc > len || h.envc > len - h.argc)
    return *why = "string counts", -1;
  if (len == 0 || p[len - 1] != '\0')
    return *why = "its last string not ended", -1;
  for (size_t k = 0; k < len; k++)
    n += p[k] == '\0';
  want = (size_t)h.argc + h.envc;
  if (n != want)
    return *why = "string counts", -1;
  v = calloc (want + 2, sizeof *v);
  if (v == NULL)
    return *why = "out of memory", -1;
  c->argc = (int)h.argc;
  c->argv = v;
  c->envp = v + h.argc + 1;
  c->umask = (mode_t)(h.umask & 0777);
  for (size_t i = 0; i < want; i++, p += strlen (p) + 1)
    v[i < h.argc ? i : i + 1] = p;
  return 1;
}

void
ab_serve_call_free (struct ab_serve_call *c)
{
  free (c->argv);
  *c = (struct ab_serve_call){ 0 };
}

int
ab_serve_send (int sock, const void *buf, size_t len, int fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control = { 0 };
  struct iovec iov = { (void *)buf, len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  struct cmsghdr *cm;

  if (fd >= 0)
    {
      msg.msg_control = control.buf;
      msg.msg_controllen = sizeof control.buf;
      cm = CMSG_FIRSTHDR (&msg);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (cm), &fd, sizeof fd);
    }
  return sendmsg (sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}
