/* agentbox: a shim server's request, read, and its messages sent
 * (serve-proto.h has the wire format; shim/front/main.c writes the
 * request). */
#ifndef AB_SERVE_REQUEST_H
#define AB_SERVE_REQUEST_H

#include <stddef.h>
#include <sys/types.h>

struct ab_serve_call
{
  int argc;
  char **argv; /* argc strings, then NULL */
  char **envp; /* NULL-terminated */
  mode_t umask;
};

/* Parse the LEN bytes of a request in BUF.  1: a call, whose strings
 * point into BUF (ab_serve_call_free frees the vectors); 0: a request
 * to refuse, so that its sender runs agentbox-shim itself (another
 * protocol version); -1: not a request.  *WHY says what was wrong. */
int ab_serve_request_parse (char *buf, size_t len, struct ab_serve_call *c,
                            const char **why);

void ab_serve_call_free (struct ab_serve_call *c);

/* Send LEN bytes of BUF on SOCK as one message, with FD attached unless
 * it is -1 (worker to front, server to worker).  0, or -1 with errno. */
int ab_serve_send (int sock, const void *buf, size_t len, int fd);

#endif
