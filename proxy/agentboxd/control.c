/* agentboxd: the control socket (STATE/agentboxd.sock, root only) and the
 * table of registered containers.
 *
 * One JSON request per connection, one JSON reply line:
 *   {"op": "ping"}                       {"ok": true}
 *   {"op": "status"}                     {"ok": true, "containers": N, ...}
 *   {"op": "register", "id": I, "pid": P}   reads STATE/containers/I/net.json
 *   {"op": "unregister", "id": I}
 *   {"op": "reload"}                     recompiles the policy; a policy that
 *                                        does not compile changes nothing
 *   {"op": "fg-watch", "id": I}          follow I's file guard events (a
 *                                        container the network layer does
 *                                        not register); register and
 *                                        unregister also start and stop it
 * Errors: {"ok": false, "error": "..."}. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "hooks/lib/file-guard.h"
#include "proxy/agentboxd/fileguard.h"
#include "proxy/agentboxd/guardian.h"
#include "shim/lib/filelayer.h"
#include "shim/lib/net.h"
#include "shim/lib/state.h"
#include "spec/json.h"

static struct container *containers;
static unsigned n_containers;
static struct ev ctl_ev = { .fd = -1 };

struct container *
container_by_addr (const struct sockaddr_storage *sa)
{
  for (struct container *c = containers; c; c = c->next)
    {
      if (sa->ss_family == AF_INET
          && ((const struct sockaddr_in *)sa)->sin_addr.s_addr
                 == c->a.ct4.s_addr)
        return c;
      if (sa->ss_family == AF_INET6 && c->a.ipv6
          && memcmp (&((const struct sockaddr_in6 *)sa)->sin6_addr, &c->a.ct6,
                     16)
                 == 0)
        return c;
    }
  return NULL;
}

struct container *
container_by_vsock_cid (unsigned cid)
{
  for (struct container *c = containers; c; c = c->next)
    if (cid && c->vsock_cid == cid)
      return c;
  return NULL;
}

struct container *
container_by_id (const char *id)
{
  for (struct container *c = containers; c; c = c->next)
    if (strcmp (c->id, id) == 0)
      return c;
  return NULL;
}

static void
unregister (const char *id)
{
  for (struct container **p = &containers; *p; p = &(*p)->next)
    if (strcmp ((*p)->id, id) == 0)
      {
        struct container *c = *p;
        *p = c->next;
        hx_container_gone (c);
        free (c->bundle);
        free (c);
        n_containers--;
        return;
      }
}

static void
read_state (const char *dir, struct container *c)
{
  cleanup_free char *path = NULL;
  cleanup_json struct ab_json *st = NULL;
  cleanup_error ab_error_t err = NULL;
  const char *p, *b;

  c->project[0] = '\0';
  if (asprintf (&path, "%s/state.json", dir) < 0
      || ab_json_parse_file (path, &st, &err) < 0)
    return;
  p = ab_json_get_string (ab_json_get (st, "annotations"),
                          "io.agentbox.project");
  if (p)
    snprintf (c->project, sizeof c->project, "%s", p);
  p = ab_json_get_string (ab_json_get (st, "annotations"),
                          "io.agentbox.vsock-cid");
  c->vsock_cid = p ? (unsigned)strtoul (p, NULL, 10) : 0;
  p = ab_json_get_string (ab_json_get (st, "annotations"), AB_ANN_POLICY);
  if (p)
    snprintf (c->policy, sizeof c->policy, "%s", p);
  p = ab_json_get_string (ab_json_get (st, "annotations"), AB_ANN_MODE);
  c->mode = p ? (int)ab_config_container_mode (g_cfg, p, AB_IR_MODE_ENFORCE)
              : -1;
  b = ab_json_get_string (st, "bundle");
  c->bundle = b ? strdup (b) : NULL;
}

static int
do_register (const char *id, pid_t pid, bool readopt, ab_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_ir struct ab_ir *nir = NULL;
  struct container *c;

  if (ab_state_dir (g_cfg, id, &dir, err) < 0)
    return -1;
  c = calloc (1, sizeof *c);
  if (c == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (ab_netaddr_read (dir, &c->a, err) < 0)
    {
      free (c);
      return -1;
    }
  snprintf (c->id, sizeof c->id, "%s", id);
  read_state (dir, c);
  c->pid = pid;
  unregister (id);
  /* Closed: a new container whose narrowing policy does not load, or
   * whose hostexec socket cannot be made, is not registered, and its
   * create fails.  One readopted after a restart keeps running, and its
   * requests are denied until its policy loads again (policy.c). */
  if (c->policy[0] && !(nir = policy_narrow (c->policy, err)) && readopt)
    {
      ab_log_warning ("container %s: %s: its requests are denied", id,
                      (*err)->msg);
      ab_error_free (err);
    }
  else if (c->policy[0] && nir == NULL)
    {
      free (c->bundle);
      free (c);
      return -1;
    }
  if (hx_container_up (c, err) < 0)
    {
      free (c->bundle);
      free (c);
      return -1;
    }
  c->next = containers;
  containers = c;
  n_containers++;
  return 0;
}

void
control_readopt (void)
{
  cleanup_free char *path = NULL;
  DIR *d;
  struct dirent *de;

  if (asprintf (&path, "%s/containers", g_cfg->state_dir) < 0
      || (d = opendir (path)) == NULL)
    return;
  while ((de = readdir (d)))
    {
      cleanup_error ab_error_t err = NULL;
      if (de->d_name[0] == '.' || !ab_container_id_valid (de->d_name))
        continue;
      if (do_register (de->d_name, 0, true, &err) == 0)
        ab_log_info ("container %s: re-adopted", de->d_name);
    }
  closedir (d);
}

/* Open: the programs enforce without the guardian, so a file guard whose
 * events cannot be followed costs audit lines, not the registration. */
static void
follow_if_guarded (const char *id)
{
  cleanup_error ab_error_t err = NULL;

  if (ab_fg_attached (id) && fg_follow (id, &err) < 0)
    ab_log_warning ("container %s: file guard events: %s", id, err->msg);
}

static void
reply_error (struct ab_buf *out, const ab_error_t err)
{
  ab_buf_puts (out, "{\"ok\": false, \"error\": \"");
  ab_json_escape (out, err ? err->msg : "failed");
  ab_buf_puts (out, "\"}\n");
}

static void
handle (const char *line, size_t len, struct ab_buf *out)
{
  cleanup_json struct ab_json *req = NULL;
  cleanup_error ab_error_t err = NULL;
  const char *op, *id;
  const struct ab_json *pj;
  pid_t pid = 0;

  if (ab_json_parse (line, len, "request", &req, &err) < 0)
    return reply_error (out, err);
  op = ab_json_get_string (req, "op");
  id = ab_json_get_string (req, "id");
  pj = ab_json_get (req, "pid");
  if (ab_json_is (pj, AB_JSON_NUMBER))
    pid = (pid_t)atol (pj->u.number);
  if (op == NULL)
    ab_error_set (&err, EINVAL, "request: no `op`");
  else if (strcmp (op, "ping") == 0)
    ;
  else if (strcmp (op, "status") == 0)
    {
      cleanup_ir struct ab_ir *ir = policy_get ();
      ab_buf_printf (out,
                     "{\"ok\": true, \"containers\": %u, \"connections\": "
                     "%u, \"policy_generation\": %llu, \"pid\": %d",
                     n_containers, proxy_count (),
                     ir ? (unsigned long long)ab_ir_generation (ir) : 0ULL,
                     (int)getpid ());
      fg_status (out);
      ab_buf_puts (out, "}\n");
      return;
    }
  else if ((strcmp (op, "register") == 0 || strcmp (op, "unregister") == 0
            || strcmp (op, "fg-watch") == 0)
           && (id == NULL || !ab_container_id_valid (id)))
    ab_error_set (&err, EINVAL, "%s: bad or missing `id`", op);
  else if (strcmp (op, "register") == 0)
    {
      if (do_register (id, pid, false, &err) == 0)
        {
          ab_log_info ("container %s: registered", id);
          follow_if_guarded (id);
        }
    }
  else if (strcmp (op, "unregister") == 0)
    {
      unregister (id);
      fg_unfollow (id);
    }
  else if (strcmp (op, "fg-watch") == 0)
    fg_follow (id, &err);
  else if (strcmp (op, "reload") == 0)
    {
      cleanup_ir struct ab_ir *ir = NULL;

      if (policy_load (g_cfg, &err) == 0 && (ir = policy_get ()))
        fg_update_all (ir);
    }
  else if (strcmp (op, "approvals") == 0)
    {
      hx_list_pending (out);
      return;
    }
  else if (strcmp (op, "approve") == 0 || strcmp (op, "deny") == 0)
    {
      const char *by = ab_json_get_string (req, "by");
      const char *reason = ab_json_get_string (req, "reason");
      if (id == NULL)
        ab_error_set (&err, EINVAL, "%s: no `id`", op);
      else if (op[0] == 'a')
        hx_approve (id, by ? by : "cli", &err);
      else
        hx_deny (id, reason ? reason : "denied by a human", &err);
    }
  else
    ab_error_set (&err, EINVAL, "unknown op `%s`", op);
  if (err)
    return reply_error (out, err);
  ab_buf_puts (out, "{\"ok\": true}\n");
}

/* Clients are root (the socket is 0600) and send one short line: a
 * blocking read with a timeout keeps this simple; a stuck client delays
 * the loop by at most a second. */
static void
on_control (struct ev *e, uint32_t events)
{
  struct timeval tv = { .tv_sec = 1 };
  struct ab_buf out = AB_BUF_INIT;
  char line[4096];
  size_t len = 0;
  int fd = accept4 (e->fd, NULL, NULL, SOCK_CLOEXEC);

  if (fd < 0)
    return;
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  while (len < sizeof line)
    {
      ssize_t n = read (fd, line + len, sizeof line - len);
      if (n <= 0)
        break;
      len += (size_t)n;
      if (memchr (line, '\n', len))
        break;
    }
  if (len > 0 && len < sizeof line)
    {
      handle (line, len, &out);
      if (out.data)
        send (fd, out.data, out.len, MSG_NOSIGNAL);
    }
  ab_buf_free (&out);
  close (fd);
}

int
control_init (const struct ab_config *cfg, ab_error_t *err)
{
  cleanup_free char *path = NULL;
  struct sockaddr_un sa = { .sun_family = AF_UNIX };

  if (ab_guardian_socket (cfg, &path, err) < 0)
    return -1;
  if (strlen (path) >= sizeof sa.sun_path)
    return ab_error_set (err, ENAMETOOLONG, "%s: path too long", path);
  strcpy (sa.sun_path, path);
  ctl_ev.fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (ctl_ev.fd < 0)
    return ab_error_errno (err, "socket");
  /* We hold the guardian's lock: a socket file here is a dead
   * guardian's. */
  unlink (path);
  mode_t old = umask (0077);
  int r = bind (ctl_ev.fd, (struct sockaddr *)&sa, sizeof sa);
  umask (old);
  if (r < 0 || listen (ctl_ev.fd, 128) < 0)
    return ab_error_errno (err, "listen on %s", path);
  ctl_ev.fn = on_control;
  return loop_add (&ctl_ev, EPOLLIN, err);
}
