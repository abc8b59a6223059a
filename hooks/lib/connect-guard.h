/* agentbox: the connect guard — cgroup connect4/connect6/sendmsg4/
 * sendmsg6 programs (bpf/connect-guard.bpf.c) on the container's cgroup
 * that let it reach only its peer, the synthetic ranges and its own
 * loopback; everything else gets EPERM.  The links are pinned under
 * PIN_DIR (e.g. /sys/fs/bpf/agentbox/ID) so they outlive the hook. */
#ifndef AB_HOOKS_CONNECT_GUARD_H
#define AB_HOOKS_CONNECT_GUARD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

struct ab_guard_conf
{
  struct in_addr peer4;
  struct in6_addr peer6;
  struct in_addr syn4; /* synthetic range, network order */
  unsigned syn4_len;   /* prefix length */
  struct in6_addr syn6;
  unsigned syn6_len;
};

/* Whether this kernel loads and attaches the programs (probes once). */
bool connect_guard_supported (void);

/* Load the programs with CONF, attach them to the cgroup2 directory
 * CGROUP (BPF_F_ALLOW_MULTI), pin the links under PIN_DIR (created,
 * mode 0700; a bpffs must be mounted above it: mounted at /sys/fs/bpf if
 * absent).  On failure nothing stays attached or pinned. */
int connect_guard_attach (const struct ab_guard_conf *conf, const char *cgroup,
                          const char *pin_dir, ab_error_t *err);

/* Unpin (so detach) the links under PIN_DIR and remove it.  Missing is
 * success. */
int connect_guard_detach (const char *pin_dir, ab_error_t *err);

/* The cgroup2 directory of PID: the cgroup2 mount (from
 * /proc/self/mountinfo) + the "0::" line of /proc/PID/cgroup. */
int ab_cgroup2_dir_of (pid_t pid, char **out, ab_error_t *err);

#endif
