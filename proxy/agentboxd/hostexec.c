/* agentboxd: hostexec — the agent asks, a rule or a human decides, the
 * host runs it (docs/hostexec.md).
 *
 * Each container has its own listening socket, STATE/containers/ID/run/
 * hostexec.sock, bound at /run/agentbox in the container: a request is
 * the container's whose socket it came in on (and whose pid namespace the
 * peer is in); nothing in the request names the container.  The argv is
 * rebuilt into one canonical string and matched deny -> auto_approve ->
 * manual_approve -> deny.  An approved command runs without a shell, in
 * the host directory behind the container's working directory, as that
 * directory's owner, in its own process group, with a timeout and an
 * output cap; the group is killed when the client goes away. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/vm_sockets.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "policy/hostexec.h"
#include "proxy/agentboxd/guardian.h"
#include "proxy/lib/hxproto.h"
#include "spec/spec.h"

#define WQ_MAX (256 * 1024)   /* queued toward the client: stop reading */
#define STDIN_MAX (64 * 1024) /* queued toward the command */

struct hx_listener
{
  struct ev ev;
  struct container *owner;
  char path[PATH_MAX];
};

struct hx_session;

/* An event of a session's command: which session, through OWNER. */
struct hx_ev
{
  struct ev ev;
  struct hx_session *owner;
};

enum hx_state
{
  H_REQUEST, /* reading the request frame */
  H_WAITING, /* a human decides */
  H_RUNNING,
  H_DRAINING, /* the client is gone: wait for the process to die */
};

struct hx_session
{
  struct ev cev;
  struct hx_ev out, err, in, exit;
  struct hx_session *next;
  enum hx_state state;
  char ct_id[128], ct_project[128];
  pid_t ct_pid;
  uint8_t rbuf[HX_FRAME_MAX + 5];
  size_t rlen;
  struct ab_buf wq; /* frames toward the client */
  size_t wq_off;
  struct ab_buf inq; /* stdin toward the command */
  bool stdin_eof;
  struct hx_request req;
  char *canonical;
  char rule[150];
  char pending[17];
  uint64_t deadline; /* approval or command */
  pid_t pid;
  long long out_total;
  uint64_t started;
  bool exited, out_eof, err_eof, client_gone;
  int wstatus;
};

static struct hx_session *sessions;

/* ---- helpers ---- */

static void
close_ev (struct ev *e)
{
  if (e->fd >= 0)
    {
      loop_del (e);
      close (e->fd);
      e->fd = -1;
    }
}

static void
queue (struct hx_session *s, uint8_t type, const void *data, size_t len)
{
  uint8_t h[5];

  if (s->client_gone)
    return;
  hx_frame_header (h, type, len);
  ab_buf_append (&s->wq, h, 5);
  if (len)
    ab_buf_append (&s->wq, data, len);
}

static const struct container *
session_ct (const struct hx_session *s, struct container *tmp)
{
  memset (tmp, 0, sizeof *tmp);
  snprintf (tmp->id, sizeof tmp->id, "%s", s->ct_id);
  snprintf (tmp->project, sizeof tmp->project, "%s", s->ct_project);
  tmp->pid = s->ct_pid;
  return tmp;
}

static void
audit_hx (struct hx_session *s, const char *decision, const char *reason,
          const char *extra)
{
  struct container tmp;
  struct verdict v = { .decision = decision, .mode = "enforce" };

  snprintf (v.rule, sizeof v.rule, "%s", s->rule);
  audit_extra (session_ct (s, &tmp), "hostexec", "HostExec",
               s->canonical ? s->canonical : "(unparsed)", &v, reason, extra);
}

static void session_update (struct hx_session *s);

static void
session_free (struct hx_session *s)
{
  for (struct hx_session **p = &sessions; *p; p = &(*p)->next)
    if (*p == s)
      {
        *p = s->next;
        break;
      }
  close_ev (&s->cev);
  close_ev (&s->out.ev);
  close_ev (&s->err.ev);
  close_ev (&s->in.ev);
  close_ev (&s->exit.ev);
  ab_buf_free (&s->wq);
  ab_buf_free (&s->inq);
  hx_request_free (&s->req);
  free (s->canonical);
  free (s);
}

/* The client leaves: a running command's group is killed, and the
 * session lives until the process is reaped. */
static void
client_gone (struct hx_session *s)
{
  s->client_gone = true;
  close_ev (&s->cev);
  if (s->state == H_RUNNING && !s->exited)
    {
      kill (-s->pid, SIGKILL);
      s->state = H_DRAINING;
      return;
    }
  if (s->state != H_RUNNING && s->state != H_DRAINING)
    {
      if (s->state == H_WAITING)
        audit_hx (s, "deny", "the client went away while waiting", NULL);
      session_free (s);
      return;
    }
  if (s->exited)
    session_free (s);
}

static void
deny (struct hx_session *s, const char *why)
{
  audit_hx (s, "deny", why, NULL);
  queue (s, HX_DENIED, why, strlen (why));
  s->state = H_DRAINING;
  s->exited = true;
  session_update (s);
}

/* ---- where and as whom the command runs ---- */

/* The host path behind the container's CWD: the bind mount whose
 * destination is the longest prefix of CWD (at a component boundary).
 * Closed: a cwd that maps to no mount, or that leaves the mount's source
 * once resolved, is refused. */
static int
host_cwd (const char *bundle, const char *cwd, char *out, size_t cap,
          const char **why)
{
  cleanup_spec struct ab_spec *spec = NULL;
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *best_src = NULL;
  char want[PATH_MAX], root[PATH_MAX];
  size_t best = 0;

  *why = "the working directory maps to no host directory";
  if (bundle == NULL || ab_spec_load (bundle, &spec, &err) < 0)
    return -1;
  for (size_t i = 0; i < ab_spec_mount_count (spec); i++)
    {
      struct ab_mount m;
      size_t dl;
      bool bind;

      if (ab_spec_mount (spec, i, &m, &err) < 0)
        return -1;
      bind = (m.type && strcmp (m.type, "bind") == 0)
             || ab_mount_has_option (&m, "bind")
             || ab_mount_has_option (&m, "rbind");
      free (m.options);
      if (!bind || !m.destination || !m.source || m.source[0] != '/')
        continue;
      dl = strlen (m.destination);
      while (dl > 1 && m.destination[dl - 1] == '/')
        dl--;
      if (strncmp (cwd, m.destination, dl) != 0
          || (cwd[dl] != '\0' && cwd[dl] != '/' && dl != 1) || dl < best)
        continue;
      /* Agentbox's own binds are not project directories. */
      if (strcmp (m.destination, "/run/agentbox") == 0
          || strcmp (m.destination, "/etc/resolv.conf") == 0
          || strcmp (m.destination, "/usr/local/bin/hostexec") == 0)
        continue;
      best = dl;
      free (best_src);
      if (asprintf (&best_src, "%s%s", m.source, cwd + dl) < 0)
        return -1;
      if (realpath (m.source, root) == NULL)
        return -1;
    }
  if (best_src == NULL)
    return -1;
  if (realpath (best_src, want) == NULL)
    {
      *why = "the working directory does not exist on the host";
      return -1;
    }
  if (strncmp (want, root, strlen (root)) != 0
      || (want[strlen (root)] != '\0' && want[strlen (root)] != '/'
          && strcmp (root, "/") != 0))
    {
      *why = "the working directory leaves its mount on the host";
      return -1;
    }
  snprintf (out, cap, "%s", want);
  return 0;
}

/* ARGV0 found in the configured PATH (a name with '/' is used as is,
 * relative to the working directory). */
static char *
find_program (const char *argv0)
{
  cleanup_free char *copy = strdup (g_cfg->hx.path);
  char *save = NULL;

  if (strchr (argv0, '/'))
    return strdup (argv0);
  for (char *d = copy ? strtok_r (copy, ":", &save) : NULL; d;
       d = strtok_r (NULL, ":", &save))
    {
      char *full = NULL;
      struct stat st;
      if (asprintf (&full, "%s/%s", d, argv0) < 0)
        return NULL;
      if (stat (full, &st) == 0 && S_ISREG (st.st_mode)
          && access (full, X_OK) == 0)
        return full;
      free (full);
    }
  return NULL;
}

static bool
passes (const char *kv)
{
  const char *eq = strchr (kv, '=');

  for (char **n = g_cfg->hx.pass_env; eq && n && *n; n++)
    if (strlen (*n) == (size_t)(eq - kv) && strncmp (*n, kv, eq - kv) == 0)
      return true;
  return false;
}

/* The command's environment: PATH and HOME from the config and the
 * owner, then the client's variables the config lets through. */
static char **
command_env (const struct hx_request *r, const char *home)
{
  size_t n = 0, cap = 3 + HX_ENV_MAX;
  char **env = calloc (cap, sizeof *env);

  if (env == NULL)
    return NULL;
  if (asprintf (&env[n++], "PATH=%s", g_cfg->hx.path) < 0
      || asprintf (&env[n++], "HOME=%s", home) < 0)
    return env;
  for (char **e = r->env; e && *e && n + 1 < cap; e++)
    if (passes (*e))
      env[n++] = strdup (*e);
  return env;
}

struct spawn
{
  const char *prog, *dir;
  char **argv, **env;
  uid_t uid;
  gid_t gid;
  int in, out, err;
};

/* hostexec.limits, applied in the child before it drops privileges (a
 * limit it could raise again as root would be none). */
static int
set_limits (void)
{
  static const struct
  {
    int resource;
    size_t off;
  } map[] = {
    { RLIMIT_NOFILE, offsetof (struct ab_hxconf, limit_nofile) },
    { RLIMIT_NPROC, offsetof (struct ab_hxconf, limit_nproc) },
    { RLIMIT_AS, offsetof (struct ab_hxconf, limit_as) },
    { RLIMIT_CPU, offsetof (struct ab_hxconf, limit_cpu) },
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    {
      long long v = *(const long long *)((const char *)&g_cfg->hx + map[i].off);
      struct rlimit rl = { (rlim_t)v, (rlim_t)v };
      if (v > 0 && syscall (SYS_prlimit64, 0, map[i].resource, &rl, NULL) < 0)
        return -1;
    }
  return 0;
}

/* The child, sharing the guardian's memory until it execs (CLONE_VM |
 * CLONE_VFORK: no page tables copied, which is most of a fork's cost for
 * a guardian holding many connections).  So: raw system calls only, no
 * allocation, no stdio. */
static int
child (void *arg)
{
  static const char fail[] = "hostexec: cannot run the command\n";
  const struct spawn *sp = arg;
  sigset_t none;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  setpgid (0, 0);
  /* The host's network, not the proxy namespace's. */
  if (setns (ns_host_fd (), CLONE_NEWNET) < 0)
    _exit (126);
  if (dup2 (sp->in, 0) < 0 || dup2 (sp->out, 1) < 0 || dup2 (sp->err, 2) < 0)
    _exit (126);
  if (chdir (sp->dir) < 0)
    _exit (126);
  if (set_limits () < 0)
    _exit (126);
  /* Privileges: the project directory's owner, never more. */
  if (syscall (SYS_setgroups, 0, NULL) < 0
      || syscall (SYS_setresgid, sp->gid, sp->gid, sp->gid) < 0
      || syscall (SYS_setresuid, sp->uid, sp->uid, sp->uid) < 0)
    _exit (126);
  execve (sp->prog, sp->argv, sp->env);
  if (write (2, fail, sizeof fail - 1) < 0)
    _exit (127);
  _exit (127);
}

static pid_t
spawn (const struct spawn *sp)
{
  static char stack[64 * 1024] __attribute__ ((aligned (16)));

  return clone (child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
                (void *)sp);
}

static void on_pipe (struct ev *e, uint32_t events);
static void on_exit_ev (struct ev *e, uint32_t events);
static void on_stdin_pipe (struct ev *e, uint32_t events);

static void
run (struct hx_session *s)
{
  struct container *c = container_by_id (s->ct_id);
  cleanup_free char *prog = NULL;
  cleanup_error ab_error_t err = NULL;
  char dir[PATH_MAX];
  const char *why = NULL;
  int o[2], e[2], i[2] = { -1, -1 };
  struct stat st;
  char **env;

  if (c == NULL || host_cwd (c->bundle, s->req.cwd, dir, sizeof dir, &why) < 0)
    return deny (s, why ? why : "the container is gone");
  if (stat (dir, &st) < 0)
    return deny (s, "the working directory cannot be read");
  if ((prog = find_program (s->req.argv[0])) == NULL)
    return deny (s, "the program is not in hostexec.path");
  if (pipe2 (o, O_CLOEXEC) < 0 || pipe2 (e, O_CLOEXEC) < 0)
    return deny (s, "out of file descriptors");
  if (s->req.stdin_wanted
          ? pipe2 (i, O_CLOEXEC) < 0
          : (i[0] = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
    return deny (s, "out of file descriptors");
  env = command_env (&s->req, st.st_uid == 0 ? "/root" : dir);
  {
    struct spawn sp = { prog,      dir,  s->req.argv, env, st.st_uid,
                        st.st_gid, i[0], o[1],        e[1] };
    s->pid = spawn (&sp);
  }
  ab_strvfree (env);
  close (o[1]);
  close (e[1]);
  close (i[0]);
  if (s->pid < 0)
    {
      close (o[0]), close (e[0]), close (i[1]);
      return deny (s, "the command could not be started");
    }
  s->state = H_RUNNING;
  s->started = now_ms ();
  s->deadline = s->started + (uint64_t)g_cfg->hx.command_timeout * 1000;
  fcntl (o[0], F_SETFL, O_NONBLOCK);
  fcntl (e[0], F_SETFL, O_NONBLOCK);
  s->out = (struct hx_ev){ { o[0], on_pipe }, s };
  s->err = (struct hx_ev){ { e[0], on_pipe }, s };
  s->in
      = (struct hx_ev){ { s->req.stdin_wanted ? i[1] : -1, on_stdin_pipe }, s };
  if (s->in.ev.fd >= 0)
    fcntl (s->in.ev.fd, F_SETFL, O_NONBLOCK);
  s->exit = (struct hx_ev){
    { (int)syscall (SYS_pidfd_open, s->pid, 0), on_exit_ev }, s
  };
  loop_add (&s->out.ev, EPOLLIN, &err);
  loop_add (&s->err.ev, EPOLLIN, &err);
  if (s->in.ev.fd >= 0)
    loop_add (&s->in.ev, 0, &err);
  if (s->exit.ev.fd >= 0)
    loop_add (&s->exit.ev, EPOLLIN, &err);
  queue (s, HX_STARTED, NULL, 0);
  session_update (s);
}

/* ---- deciding ---- */

/* *V narrowed by the policy the container names (docs/narrowing.md); the
 * narrowing policy's rule is named when it is the stricter.  A policy
 * named and not loaded denies. */
static void
narrow (const struct hx_session *s, const struct ab_ir_principal *p,
        enum ab_hostexec_verdict *v, const struct ab_ir_rule **rule,
        const struct ab_hostexec_rule **hrule)
{
  const struct container *c = container_by_id (s->ct_id);
  cleanup_error ab_error_t err = NULL;
  cleanup_ir struct ab_ir *nir = NULL;
  enum ab_hostexec_verdict nv = AB_HOSTEXEC_VERDICT_DENY, both;
  const struct ab_ir_rule *nrule = NULL;
  const struct ab_hostexec_rule *nhrule = NULL;

  if (c == NULL || c->policy[0] == '\0')
    return;
  nir = policy_narrow (c->policy, &err);
  if (nir == NULL
      || ab_ir_check_hostexec (nir, p, s->canonical, &nv, &nrule, &nhrule, &err)
             < 0)
    {
      ab_log_warning ("container %s: %s", c->id, err->msg);
      nv = AB_HOSTEXEC_VERDICT_DENY;
    }
  both = ab_hostexec_verdict_narrow (*v, nv);
  if (both != *v)
    {
      *rule = nrule;
      *hrule = nhrule;
    }
  *v = both;
}

static void
decide (struct hx_session *s)
{
  cleanup_ir struct ab_ir *ir = policy_get ();
  cleanup_error ab_error_t err = NULL;
  cleanup_free size_t *lens = calloc (s->req.argc + 1, sizeof (size_t));
  struct ab_ir_principal p
      = { .container = s->ct_id,
          .project = s->ct_project[0] ? s->ct_project : NULL };
  enum ab_hostexec_verdict v = AB_HOSTEXEC_VERDICT_DENY;
  const struct ab_ir_rule *rule = NULL;
  const struct ab_hostexec_rule *hrule = NULL;
  char msg[256];

  for (size_t i = 0; lens && i < s->req.argc; i++)
    lens[i] = strlen (s->req.argv[i]);
  if (lens == NULL || ir == NULL
      || ab_hostexec_canonical ((const char *const *)s->req.argv, lens,
                                s->req.argc, &s->canonical, &err)
             < 0)
    return deny (s, "the command has no canonical form");
  /* Closed: a matcher error denies. */
  if (ab_ir_check_hostexec (ir, &p, s->canonical, &v, &rule, &hrule, &err) < 0)
    v = AB_HOSTEXEC_VERDICT_DENY;
  if (v != AB_HOSTEXEC_VERDICT_DENY)
    narrow (s, &p, &v, &rule, &hrule);
  if (hrule)
    snprintf (s->rule, sizeof s->rule, "%s:%u", hrule->file ? hrule->file : "?",
              hrule->line);
  else if (rule)
    snprintf (s->rule, sizeof s->rule, "%s:%u",
              rule->loc.file ? rule->loc.file : "?", rule->loc.line);
  else
    snprintf (s->rule, sizeof s->rule, "default");
  if (v == AB_HOSTEXEC_VERDICT_DENY)
    {
      snprintf (msg, sizeof msg, "%s (%s)",
                hrule || rule ? "a deny rule matches" : "no rule allows it",
                s->rule);
      return deny (s, msg);
    }
  if (v == AB_HOSTEXEC_VERDICT_RUN)
    {
      audit_hx (s, "allow", "auto_approve", NULL);
      return run (s);
    }
  uint64_t r = 0;
  if (getrandom (&r, sizeof r, 0) != sizeof r)
    r = now_ms () ^ (uintptr_t)s;
  snprintf (s->pending, sizeof s->pending, "%016llx", (unsigned long long)r);
  s->state = H_WAITING;
  s->deadline = now_ms () + (uint64_t)g_cfg->hx.approval_timeout * 1000;
  snprintf (msg, sizeof msg, "waiting for approval: agentbox approve %s",
            s->pending);
  queue (s, HX_WAITING, msg, strlen (msg));
  session_update (s);
}

/* ---- the client's frames ---- */

static void
on_frame (struct hx_session *s, uint8_t type, const uint8_t *p, size_t len)
{
  char why[256];

  if (s->state == H_REQUEST)
    {
      if (type != HX_REQUEST
          || hx_request_parse (p, len, &s->req, why, sizeof why) < 0)
        return deny (s, type != HX_REQUEST ? "expected a request" : why);
      return decide (s);
    }
  if (type == HX_SIGNAL && len == 1
      && (p[0] == SIGINT || p[0] == SIGTERM || p[0] == SIGHUP
          || p[0] == SIGQUIT))
    {
      if (s->state == H_RUNNING)
        kill (-s->pid, p[0]);
      else if (s->state == H_WAITING)
        deny (s, "cancelled while waiting for approval");
      return;
    }
  if (s->state == H_RUNNING && s->req.stdin_wanted && type == HX_STDIN
      && !s->stdin_eof)
    {
      ab_buf_append (&s->inq, p, len);
      return;
    }
  if (s->state == H_RUNNING && type == HX_STDIN_EOF)
    s->stdin_eof = true;
}

static void
on_client (struct ev *e, uint32_t events)
{
  struct hx_session *s = (struct hx_session *)e;

  if (events & EPOLLOUT)
    {
      ssize_t n = send (e->fd, s->wq.data + s->wq_off, s->wq.len - s->wq_off,
                        MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN)
        return client_gone (s);
      if (n > 0 && (s->wq_off += (size_t)n) == s->wq.len)
        s->wq.len = s->wq_off = 0;
    }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
    {
      ssize_t n = recv (e->fd, s->rbuf + s->rlen, sizeof s->rbuf - s->rlen,
                        MSG_DONTWAIT);
      uint8_t type;
      size_t plen;
      int r;

      if (n == 0 || (n < 0 && errno != EAGAIN))
        return client_gone (s);
      if (n > 0)
        s->rlen += (size_t)n;
      while ((r = hx_frame_peek (s->rbuf, s->rlen, &type, &plen)) == 1)
        {
          enum hx_state before = s->state;
          on_frame (s, type, s->rbuf + 5, plen);
          memmove (s->rbuf, s->rbuf + 5 + plen, s->rlen - 5 - plen);
          s->rlen -= 5 + plen;
          if (before != s->state && s->state == H_DRAINING)
            return;
        }
      if (r < 0)
        return deny (s, "malformed frame");
    }
  session_update (s);
}

/* ---- the command's pipes ---- */

static void
on_pipe (struct ev *e, uint32_t events)
{
  struct hx_session *s = ((struct hx_ev *)e)->owner;
  bool is_out = e == &s->out.ev;
  uint8_t buf[16384];
  ssize_t n = read (e->fd, buf, sizeof buf);

  if (n < 0 && errno == EAGAIN)
    return;
  if (n <= 0)
    {
      close_ev (e);
      *(is_out ? &s->out_eof : &s->err_eof) = true;
    }
  else
    {
      s->out_total += n;
      if (s->out_total > g_cfg->hx.output_limit)
        {
          static const char cap[] = "\nhostexec: output limit reached, "
                                    "the command was killed\n";
          kill (-s->pid, SIGKILL);
          queue (s, HX_STDERR, cap, sizeof cap - 1);
          close_ev (&s->out.ev);
          close_ev (&s->err.ev);
          s->out_eof = s->err_eof = true;
        }
      else
        queue (s, is_out ? HX_STDOUT : HX_STDERR, buf, (size_t)n);
    }
  session_update (s);
}

static void
on_stdin_pipe (struct ev *e, uint32_t events)
{
  session_update (((struct hx_ev *)e)->owner);
}

static void
on_exit_ev (struct ev *e, uint32_t events)
{
  struct hx_session *s = ((struct hx_ev *)e)->owner;

  if (waitpid (s->pid, &s->wstatus, WNOHANG) != s->pid)
    return;
  s->exited = true;
  close_ev (&s->exit.ev);
  kill (-s->pid, SIGKILL); /* what it left behind in its group */
  session_update (s);
}

/* Interest follows the queues; the end comes when the process has been
 * reaped, its output read and the client told. */
static void
session_update (struct hx_session *s)
{
  bool wq_full = s->wq.len - s->wq_off > WQ_MAX;

  if (s->in.ev.fd >= 0)
    {
      while (s->inq.len > 0)
        {
          ssize_t n = write (s->in.ev.fd, s->inq.data, s->inq.len);
          if (n <= 0)
            break;
          memmove (s->inq.data, s->inq.data + n, s->inq.len - (size_t)n);
          s->inq.len -= (size_t)n;
        }
      if (s->inq.len == 0 && s->stdin_eof)
        close_ev (&s->in.ev);
      else
        loop_mod (&s->in.ev, s->inq.len ? EPOLLOUT : 0);
    }
  if (s->out.ev.fd >= 0)
    loop_mod (&s->out.ev, wq_full ? 0 : EPOLLIN);
  if (s->err.ev.fd >= 0)
    loop_mod (&s->err.ev, wq_full ? 0 : EPOLLIN);
  if ((s->state == H_RUNNING || s->state == H_DRAINING) && s->exited
      && s->out_eof && s->err_eof && s->pid > 0)
    {
      uint8_t ex[2]
          = { WIFSIGNALED (s->wstatus) ? 1 : 0,
              (uint8_t)(WIFSIGNALED (s->wstatus) ? WTERMSIG (s->wstatus)
                                                 : WEXITSTATUS (s->wstatus)) };
      char extra[96];
      snprintf (extra, sizeof extra, ",\"exit\":%s%d,\"duration_ms\":%llu",
                ex[0] ? "-" : "", ex[1],
                (unsigned long long)(now_ms () - s->started));
      audit_hx (s, "exit", s->client_gone ? "the client went away" : NULL,
                extra);
      queue (s, HX_EXIT, ex, 2);
      s->pid = 0;
      s->state = H_DRAINING;
    }
  if (s->client_gone)
    {
      if (s->state != H_RUNNING && (s->exited || s->pid == 0))
        session_free (s);
      return;
    }
  /* Done: the process (if any) reaped and the client told everything. */
  if (s->state == H_DRAINING && s->exited && s->wq.len == s->wq_off)
    {
      session_free (s);
      return;
    }
  {
    uint32_t ev = s->wq.len > s->wq_off ? EPOLLOUT : 0;
    /* Read the client unless stdin is backed up. */
    if (s->inq.len < STDIN_MAX)
      ev |= EPOLLIN;
    loop_mod (&s->cev, ev);
  }
}

/* ---- sockets ---- */

static bool
same_pid_ns (pid_t a, pid_t b)
{
  char pa[64], pb[64];
  struct stat sa, sb;

  snprintf (pa, sizeof pa, "/proc/%d/ns/pid", (int)a);
  snprintf (pb, sizeof pb, "/proc/%d/ns/pid", (int)b);
  return stat (pa, &sa) == 0 && stat (pb, &sb) == 0 && sa.st_ino == sb.st_ino
         && sa.st_dev == sb.st_dev;
}

static void
start_session (int fd, const struct container *c)
{
  cleanup_error ab_error_t err = NULL;
  struct hx_session *s = calloc (1, sizeof *s);

  if (s == NULL)
    {
      close (fd);
      return;
    }
  s->cev = (struct ev){ .fd = fd, .fn = on_client };
  s->out.ev.fd = s->err.ev.fd = s->in.ev.fd = s->exit.ev.fd = -1;
  s->out.owner = s->err.owner = s->in.owner = s->exit.owner = s;
  snprintf (s->ct_id, sizeof s->ct_id, "%s", c->id);
  snprintf (s->ct_project, sizeof s->ct_project, "%s", c->project);
  s->ct_pid = c->pid;
  s->deadline = now_ms () + 10000; /* the request must come quickly */
  if (loop_add (&s->cev, EPOLLIN, &err) < 0)
    {
      close (fd);
      free (s);
      return;
    }
  s->next = sessions;
  sessions = s;
}

static void
on_accept (struct ev *e, uint32_t events)
{
  struct hx_listener *l = (struct hx_listener *)e;
  struct container *c = l->owner;
  struct ucred cred;
  socklen_t cl = sizeof cred;
  int fd = accept4 (e->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

  if (fd < 0)
    return;
  /* Which container: the one this listener belongs to.  Closed: a peer
   * outside its pid namespace (another process that found the socket)
   * is refused. */
  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0
      || (c->pid > 0 && !same_pid_ns (cred.pid, c->pid)))
    {
      close (fd);
      return;
    }
  start_session (fd, c);
}

/* AF_VSOCK, for VM runtimes: the container is the one whose VM has the
 * peer's context id (annotation io.agentbox.vsock-cid); an unknown CID
 * is refused. */
static struct ev vsock_ev = { .fd = -1 };

static void
on_vsock_accept (struct ev *e, uint32_t events)
{
  struct sockaddr_vm peer;
  socklen_t pl = sizeof peer;
  const struct container *c;
  int fd = accept4 (e->fd, (struct sockaddr *)&peer, &pl,
                    SOCK_NONBLOCK | SOCK_CLOEXEC);

  if (fd < 0)
    return;
  c = container_by_vsock_cid (peer.svm_cid);
  if (c == NULL)
    {
      ab_log_warning ("hostexec: vsock peer CID %u is no container's",
                      peer.svm_cid);
      close (fd);
      return;
    }
  start_session (fd, c);
}

/* Bind FD at DIR/NAME.  sun_path holds 108 bytes and a 64-character
 * engine id under a state dir does not fit: bind through the directory's
 * descriptor instead, whose /proc/self/fd path is short. */
static int
bind_in (int fd, const char *dir, const char *name, ab_error_t *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (dfd < 0)
    return ab_error_errno (err, "open %s", dir);
  snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dfd, name);
  if (bind (fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    return ab_error_errno (err, "bind %s/%s", dir, name);
  return 0;
}

int
hx_container_up (struct container *c, ab_error_t *err)
{
  cleanup_free char *dir = NULL;
  struct hx_listener *l;

  if (!g_cfg->hx.enabled)
    return 0;
  if (asprintf (&dir, "%s/containers/%s/run", g_cfg->state_dir, c->id) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  l = calloc (1, sizeof *l);
  if (l == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  snprintf (l->path, sizeof l->path, "%s/hostexec.sock", dir);
  l->ev.fn = on_accept;
  l->owner = c;
  l->ev.fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  unlink (l->path);
  if (l->ev.fd < 0)
    {
      ab_error_errno (err, "hostexec socket");
      goto fail;
    }
  if (bind_in (l->ev.fd, dir, "hostexec.sock", err) < 0)
    goto fail;
  if (chmod (l->path, 0666) < 0 || listen (l->ev.fd, 64) < 0)
    {
      ab_error_errno (err, "hostexec socket %s", l->path);
      goto fail;
    }
  if (loop_add (&l->ev, EPOLLIN, err) < 0)
    goto fail;
  c->hx = l;
  return 0;
fail:
  if (l->ev.fd >= 0)
    close (l->ev.fd);
  unlink (l->path);
  free (l);
  return -1;
}

void
hx_container_gone (struct container *c)
{
  if (c->hx == NULL)
    return;
  close_ev (&c->hx->ev);
  unlink (c->hx->path);
  free (c->hx);
  c->hx = NULL;
  for (struct hx_session *s = sessions, *next; s; s = next)
    {
      next = s->next;
      if (strcmp (s->ct_id, c->id) == 0)
        client_gone (s);
    }
}

/* ---- approvals ---- */

static struct hx_session *
pending (const char *id)
{
  for (struct hx_session *s = sessions; s; s = s->next)
    if (s->state == H_WAITING && strcmp (s->pending, id) == 0)
      return s;
  return NULL;
}

void
hx_list_pending (struct ab_buf *out)
{
  bool first = true;

  ab_buf_puts (out, "{\"ok\": true, \"pending\": [");
  for (struct hx_session *s = sessions; s; s = s->next)
    {
      if (s->state != H_WAITING)
        continue;
      ab_buf_printf (out, "%s{\"id\": \"%s\", \"container\": \"",
                     first ? "" : ", ", s->pending);
      ab_json_escape (out, s->ct_id);
      ab_buf_puts (out, "\", \"project\": \"");
      ab_json_escape (out, s->ct_project);
      ab_buf_puts (out, "\", \"command\": \"");
      ab_json_escape (out, s->canonical);
      ab_buf_puts (out, "\", \"cwd\": \"");
      ab_json_escape (out, s->req.cwd);
      ab_buf_printf (
          out, "\", \"age_s\": %llu}",
          (unsigned long long)((now_ms ()
                                + (uint64_t)g_cfg->hx.approval_timeout * 1000
                                - s->deadline)
                               / 1000));
      first = false;
    }
  ab_buf_puts (out, "]}\n");
}

int
hx_approve (const char *id, const char *by, ab_error_t *err)
{
  struct hx_session *s = pending (id);
  char reason[160];

  if (s == NULL)
    return ab_error_set (err, ENOENT, "no pending request `%s`", id);
  snprintf (reason, sizeof reason, "approved by %s", by);
  audit_hx (s, "allow", reason, NULL);
  run (s);
  return 0;
}

int
hx_deny (const char *id, const char *reason, ab_error_t *err)
{
  struct hx_session *s = pending (id);

  if (s == NULL)
    return ab_error_set (err, ENOENT, "no pending request `%s`", id);
  deny (s, reason);
  return 0;
}

void
hx_tick (uint64_t now)
{
  for (struct hx_session *s = sessions, *next; s; s = next)
    {
      next = s->next;
      if (now < s->deadline)
        continue;
      if (s->state == H_REQUEST)
        client_gone (s);
      else if (s->state == H_WAITING)
        deny (s, "approval timed out");
      else if (s->state == H_RUNNING && !s->exited)
        {
          static const char t[] = "\nhostexec: timed out, the command was "
                                  "killed\n";
          queue (s, HX_STDERR, t, sizeof t - 1);
          kill (-s->pid, SIGKILL);
          s->deadline = UINT64_MAX;
          session_update (s);
        }
    }
}

int
hx_init (const struct ab_config *cfg, ab_error_t *err)
{
  struct sockaddr_vm sa = { .svm_family = AF_VSOCK,
                            .svm_cid = VMADDR_CID_ANY,
                            .svm_port = cfg->hx.vsock_port };

  signal (SIGCHLD, SIG_DFL);
  if (!cfg->hx.enabled || cfg->hx.vsock_port == 0)
    return 0;
  vsock_ev.fd
      = socket (AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  vsock_ev.fn = on_vsock_accept;
  if (vsock_ev.fd < 0
      || bind (vsock_ev.fd, (struct sockaddr *)&sa, sizeof sa) < 0
      || listen (vsock_ev.fd, 64) < 0)
    return ab_error_errno (err, "hostexec: vsock port %u", cfg->hx.vsock_port);
  ab_log_info ("hostexec: listening on vsock port %u", cfg->hx.vsock_port);
  return loop_add (&vsock_ev, EPOLLIN, err);
}
