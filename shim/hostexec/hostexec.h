/* agentbox: the in-container hostexec client (static, libc only). */
#ifndef AB_HOSTEXEC_CLIENT_H
#define AB_HOSTEXEC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

/* Exit statuses of our own, beside the command's. */
#define HOSTEXEC_EXIT_DENIED 126
#define HOSTEXEC_EXIT_FAILED 125

/* Run one session on the connected socket SOCK: send the request (REQ,
 * LEN bytes of JSON), then stream stdin (when FORWARD_STDIN), the
 * signals that arrive on SIGFD, and the command's output, until the
 * guardian says how it ended.  Returns the status hostexec exits with;
 * messages are printed here, since this is the whole program. */
int hostexec_session (int sock, int sigfd, const char *req, size_t len,
                      bool forward_stdin);

/* Write all of BUF to FD, waiting on a non-blocking FD.  0 or -1 (errno). */
int hostexec_write_all (int fd, const void *buf, size_t len);

#endif
