/* agentboxd: what the guardian's parts share.
 *
 * One process, one thread, one epoll loop (STYLE.md).  The process lives
 * in the proxy network namespace; sockets toward the outside are created
 * in the upstream namespace (ns.c) and used from here: a socket keeps the
 * namespace it was created in. */
#ifndef AGENTBOXD_GUARDIAN_H
#define AGENTBOXD_GUARDIAN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "lib/error.h"
#include "policy/ir.h"
#include "proxy/lib/dns.h"
#include "shim/lib/config.h"
#include "shim/lib/netalloc.h"

/* ---- the loop (loop.c) ---- */

struct ev;
typedef void (*ev_fn) (struct ev *e, uint32_t events);
struct ev
{
  int fd;
  ev_fn fn;
  uint32_t armed; /* the interest epoll holds, so unchanged ones cost no
                     syscall */
};

int loop_init (ab_error_t *err);
int loop_add (struct ev *e, uint32_t events, ab_error_t *err);
int loop_mod (struct ev *e, uint32_t events);
/* Stop watching E, and drop its events still pending in the batch being
 * dispatched: after this, E may be freed or given a new fd. */
void loop_del (struct ev *e);
/* Run until loop_stop(); every second, TICK is called. */
int loop_run (void (*tick) (uint64_t now_ms), ab_error_t *err);
void loop_stop (void);
uint64_t now_ms (void);

/* ---- namespaces (ns.c) ---- */

/* Enter (creating if needed) the proxy netns STATE/netns/proxy; keep a
 * handle on the upstream one. */
int ns_setup (const struct ab_config *cfg, ab_error_t *err);
/* A non-blocking, close-on-exec socket in the upstream namespace. */
int ns_upstream_socket (int domain, int type, ab_error_t *err);

/* ---- containers (control.c) ---- */

struct hx_listener; /* hostexec.c */

struct container
{
  char id[128];
  char project[128];
  struct ab_netaddr a;
  pid_t pid;
  char *bundle;           /* from state.json */
  unsigned vsock_cid;     /* annotation io.agentbox.vsock-cid; 0 none */
  char policy[72];        /* annotation io.agentbox.policy: narrows */
  int mode;               /* annotation io.agentbox.mode (enum ab_ir_mode),
                             or -1: the policy's */
  struct hx_listener *hx; /* its hostexec socket, NULL when off */
  struct container *next;
};

struct container *container_by_id (const char *id);
struct container *container_by_vsock_cid (unsigned cid);

/* The container whose /31 or /127 SA is in (its own address); NULL. */
struct container *container_by_addr (const struct sockaddr_storage *sa);
int control_init (const struct ab_config *cfg, ab_error_t *err);
/* Register every container recorded with a net.json (after a restart). */
void control_readopt (void);

/* ---- policy (policy.c) ---- */

int policy_load (const struct ab_config *cfg, ab_error_t *err);
struct ab_ir *policy_get (void); /* a reference: ab_ir_unref it */
/* The narrowing policy NAME (annotation io.agentbox.policy), compiled on
 * first use: a reference, or NULL with ERR when it does not load (the
 * caller denies).  policy_load recompiles them all or changes nothing. */
struct ab_ir *policy_narrow (const char *name, ab_error_t *err);

struct verdict
{
  bool allow;           /* what to do (shadow/record modes allow) */
  const char *decision; /* "allow", "deny", "would-deny" */
  char rule[160];       /* "file:line" of the deciding rule, or "default" */
  const char *mode;
};
/* NetworkConnect of C to NAME:PORT (PORT 0: any configured port). */
void policy_check_host (const struct container *c, const char *name,
                        unsigned port, struct verdict *v);
/* Is ADDR (an upstream result) allowed for C?  Private, loopback,
 * link-local and metadata addresses only when a rule names them. */
void policy_check_upstream_ip (const struct container *c,
                               const struct sockaddr_storage *sa, unsigned port,
                               struct verdict *v);

/* ---- audit (audit.c) ---- */

int audit_open (const char *path, ab_error_t *err);
/* One JSON line: time, container, project, layer, action, resource,
 * decision, mode, rule, pid, reason. */
void audit (const struct container *c, const char *layer, const char *action,
            const char *resource, const struct verdict *v, const char *reason);
/* The same with EXTRA, a JSON fragment of more members (",\"k\":1"). */
void audit_extra (const struct container *c, const char *layer,
                  const char *action, const char *resource,
                  const struct verdict *v, const char *reason,
                  const char *extra);
/* A whole line (LINE, LEN bytes, ending in '\n') made elsewhere. */
void audit_write (const char *line, size_t len);

/* ---- DNS server and synthetic addresses (dnsd.c) ---- */

int dnsd_init (const struct ab_config *cfg, ab_error_t *err);
/* The name behind a synthetic address; NULL when it is not one we gave. */
const char *synth_name (const struct sockaddr_storage *sa);

/* ---- upstream resolution (resolve.c) ---- */

struct resolved
{
  unsigned n;
  struct sockaddr_storage addr[AB_DNS_MAX_ADDRS];
};
typedef void (*resolve_fn) (void *data, int status, const struct resolved *r);
int resolve_init (const struct ab_config *cfg, ab_error_t *err);
/* Look NAME up (A, then AAAA); FN runs later from the loop, never from
 * within this call.  Returns a handle for resolve_cancel. */
uint32_t resolve_start (const char *name, resolve_fn fn, void *data);
void resolve_cancel (uint32_t handle);
void resolve_tick (uint64_t now);
/* Complete the lookups the cache answered (the loop calls it after each
 * batch of events). */
void resolve_flush (void);

/* ---- proxy connections (conn.c, relay.c) ---- */

int proxy_init (const struct ab_config *cfg, ab_error_t *err);
void proxy_tick (uint64_t now);
unsigned proxy_count (void);

/* ---- hostexec (hostexec.c) ---- */

int hx_init (const struct ab_config *cfg, ab_error_t *err);
/* Open C's socket STATE/containers/ID/run/hostexec.sock. */
int hx_container_up (struct container *c, ab_error_t *err);
/* Close it and end C's sessions (their commands are killed). */
void hx_container_gone (struct container *c);
void hx_tick (uint64_t now);
struct ab_buf;
/* Control socket: list, approve, deny pending requests. */
void hx_list_pending (struct ab_buf *out);
int hx_approve (const char *id, const char *by, ab_error_t *err);
int hx_deny (const char *id, const char *reason, ab_error_t *err);
/* The namespace agentboxd started in: host commands run there. */
int ns_host_fd (void);

/* ---- helpers ---- */

/* Unmap ::ffff:a.b.c.d into AF_INET in place. */
void sa_unmap (struct sockaddr_storage *sa);
/* "1.2.3.4" or "2001:db8::1" */
const char *sa_ntop (const struct sockaddr_storage *sa, char *buf, size_t cap);
unsigned sa_port (const struct sockaddr_storage *sa);

extern const struct ab_config *g_cfg;

#endif
