/* agentbox: the shim server's protocol, between agentbox-runc (the
 * front, shim/front/) and agentbox-shim --serve (shim/runc/serve.c).
 * docs/shim-server.md tells the whole story; this is its wire format.
 *
 * One SOCK_SEQPACKET connection per runtime call, root's only.  The
 * front sends one request: struct ab_serve_request, then ARGC and ENVC
 * NUL-terminated strings, with four descriptors (SCM_RIGHTS): its stdin,
 * stdout, stderr and current directory.  A worker runs the call as
 * agentbox-shim would have, in the front's place, and answers with
 * messages that start with a type byte:
 *
 *   'F'                       fall back: exec agentbox-shim yourself
 *   'X' int32                 exit with this status
 *   'K' int32                 die by this signal
 *   'E' path\0 argv...\0      exec this; on failure send 'e' int32 errno
 *                             (success is the connection closing)
 *   'S' path\0 argv...\0      run this, wait, send 'W' int32 wait status
 *
 * An 'E' or 'S' may carry one descriptor for the delegate to inherit
 * (exec's hardened process, a memfd): the front moves it to a number at
 * or above AB_SERVE_PASSED_FD_MIN, clear of the descriptors an engine
 * passes with --preserve-fds, and writes /proc/self/fd/N for every
 * argument that is AB_SERVE_PASSED_FD_ARG.
 *
 * Integers are in the host's order: both ends are on one machine.  This
 * header is shared by a program without libc: constants and layouts
 * only. */
#ifndef AB_SERVE_PROTO_H
#define AB_SERVE_PROTO_H

#include <stdint.h>

#define AB_SERVE_SOCKET "/run/agentbox/shim.sock"
/* Overrides the path ("" or unset socket: no server, run agentbox-shim). */
#define AB_SERVE_SOCKET_ENV "AGENTBOX_SHIM_SOCKET"
/* The full program the front runs when no server answers: its sibling. */
#define AB_SERVE_SHIM "agentbox-shim"

#define AB_SERVE_MAGIC 0x31736261u /* "abs1" */
#define AB_SERVE_VERSION 1u
/* The largest request a worker reads; a larger one is refused ('F'). */
#define AB_SERVE_MAX_REQUEST (192u * 1024u)
/* The largest answer the front reads (an argv for the delegate). */
#define AB_SERVE_MAX_ANSWER (64u * 1024u)

#define AB_SERVE_PASSED_FD_ARG "/proc/self/fd/@"
#define AB_SERVE_PASSED_FD_MIN 100

enum
{
  AB_SERVE_FD_STDIN,
  AB_SERVE_FD_STDOUT,
  AB_SERVE_FD_STDERR,
  AB_SERVE_FD_CWD, /* O_PATH of the front's current directory */
  AB_SERVE_NFDS,
};

struct ab_serve_request
{
  uint32_t magic;
  uint32_t version;
  uint32_t umask;
  uint32_t argc; /* at least 1 */
  uint32_t envc;
};

#endif
