/* agentbox: the network layer's bundle rewrite (net.h). */
#include "shim/lib/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "shim/lib/harden-internal.h"
#include "shim/lib/state.h"
#include "spec/json.h"

#define RESOLV "/etc/resolv.conf"

int
ab_net_wanted (const struct ab_spec *s, const struct ab_config *cfg,
               const char **joined)
{
  const char *path = NULL;

  *joined = NULL;
  if (!cfg->net.enabled)
    return 0;
  /* A pod's app containers join the sandbox's namespace, which agentbox
   * confined when it created the sandbox; any other path (the host's, an
   * engine's bridge netns) is replaced: closed. */
  if (ab_spec_namespace (s, "network", &path) && path
      && ab_harden_ns_confined (cfg, path))
    {
      *joined = path;
      return 0;
    }
  return 1;
}

int
ab_sibling_path (const char *name, char **out, ab_error_t *err)
{
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);

  if (n < 0)
    return ab_error_errno (err, "readlink /proc/self/exe");
  self[n] = '\0';
  if (asprintf (out, "%s/%s", dirname (self), name) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (access (*out, X_OK) < 0)
    return ab_error_errno (err, "%s", *out);
  return 0;
}

static int
add_hook (struct ab_spec *s, const struct ab_config *cfg, const char *stage,
          const char *hook, struct ab_harden_report *rep, ab_error_t *err)
{
  const char *args[5];
  int n = 0;

  if (ab_spec_hook_has (s, stage, hook))
    return 0;
  args[n++] = "agentbox-hook";
  if (cfg->path)
    {
      args[n++] = "--config";
      args[n++] = cfg->path;
    }
  args[n++] = stage;
  args[n] = NULL;
  /* runc kills a hook that outlives its timeout, and create fails:
   * closed. */
  if (ab_spec_hook_add (s, stage, hook, args, NULL, 30, err) < 0)
    return -1;
  ab_harden_report_add (rep, "hooks.%s: added %s", stage, hook);
  return 0;
}

int
ab_net_add_hooks (struct ab_spec *s, const struct ab_config *cfg,
                  const char *hook, struct ab_harden_report *rep,
                  ab_error_t *err)
{
  if (add_hook (s, cfg, "createRuntime", hook, rep, err) < 0
      || add_hook (s, cfg, "poststop", hook, rep, err) < 0)
    return ab_error_wrap (err, "hooks");
  return 0;
}

/* The mount at DEST from SRC, replacing any other mount there. */
static int
bind_once (struct ab_spec *s, const char *dest, const char *src,
           const char *const *opts, struct ab_harden_report *rep,
           ab_error_t *err)
{
  bool have = false;

  for (size_t i = ab_spec_mount_count (s); i-- > 0;)
    {
      struct ab_mount m;

      if (ab_spec_mount (s, i, &m, err) < 0)
        return -1;
      free (m.options);
      if (m.destination == NULL || strcmp (m.destination, dest) != 0)
        continue;
      if (!have && m.source && strcmp (m.source, src) == 0)
        have = true;
      else
        {
          ab_harden_report_add (rep, "mounts: %s from %s replaced", dest,
                                m.source ? m.source : "(none)");
          ab_spec_mount_remove (s, i);
        }
    }
  if (have)
    return 0;
  ab_harden_report_add (rep, "mounts: %s bound from %s", dest, src);
  return ab_spec_mount_add (s, dest, "bind", src, opts, err);
}

/* STATE_DIR/NAME at DEST, read-only.  Not noexec: agentbox-init runs
 * from there (initwrap.c), the one program agentbox puts in it. */
static int
bind_state (struct ab_spec *s, const char *state_dir, const char *name,
            const char *dest, struct ab_harden_report *rep, ab_error_t *err)
{
  static const char *const opts[] = { "rbind", "ro", "nosuid", "nodev", NULL };
  cleanup_free char *src = NULL;

  if (asprintf (&src, "%s/%s", state_dir, name) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  return bind_once (s, dest, src, opts, rep, err);
}

int
ab_net_bind_run (struct ab_spec *s, const char *state_dir,
                 struct ab_harden_report *rep, ab_error_t *err)
{
  return bind_state (s, state_dir, "run", "/run/agentbox", rep, err);
}

int
ab_net_bind_file (struct ab_spec *s, const char *dest, const char *src,
                  struct ab_harden_report *rep, ab_error_t *err)
{
  static const char *const bin_opts[]
      = { "bind", "ro", "nosuid", "nodev", NULL };

  return bind_once (s, dest, src, bin_opts, rep, err);
}

/* The hostexec client on PATH, and STATE/run (where the guardian puts
 * the container's hostexec.sock) at /run/agentbox.  Read-only: a socket
 * on a read-only mount still accepts connections. */
static int
bind_hostexec (struct ab_spec *s, const struct ab_config *cfg,
               const char *state_dir, struct ab_harden_report *rep,
               ab_error_t *err)
{
  cleanup_free char *client = NULL;

  if (!cfg->hx.enabled)
    return 0;
  if (cfg->hx.client && !(client = strdup (cfg->hx.client)))
    return ab_error_set (err, ENOMEM, "out of memory");
  if (client == NULL && ab_sibling_path ("hostexec", &client, err) < 0)
    return ab_error_wrap (err, "hostexec client");
  if (ab_net_bind_run (s, state_dir, rep, err) < 0
      || ab_net_bind_file (s, "/usr/local/bin/hostexec", client, rep, err) < 0)
    return -1;
  return 0;
}

/* /etc/resolv.conf from the state directory, replacing the engine's. */
static int
bind_resolv (struct ab_spec *s, const char *state_dir,
             struct ab_harden_report *rep, ab_error_t *err)
{
  return bind_state (s, state_dir, "resolv.conf", RESOLV, rep, err);
}

static int
set_proxy_env (struct ab_spec *s, const struct ab_config *cfg,
               const struct ab_netaddr *a, ab_error_t *err)
{
  static const char *const proxy_keys[]
      = { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", NULL };
  struct ab_json *proc = ab_spec_process (s);
  char peer[AB_ADDRSTRLEN], url[AB_ADDRSTRLEN + 32];

  if (proc == NULL)
    return 0;
  inet_ntop (AF_INET, &a->peer4, peer, sizeof peer);
  snprintf (url, sizeof url, "http://%s:%u", peer, cfg->net.proxy_port);
  for (size_t i = 0; proxy_keys[i]; i++)
    if (ab_process_setenv (proc, proxy_keys[i], url, err) < 0)
      return -1;
  if (ab_process_setenv (proc, "NO_PROXY", "localhost,127.0.0.1,::1", err) < 0
      || ab_process_setenv (proc, "no_proxy", "localhost,127.0.0.1,::1", err)
             < 0)
    return -1;
  return 0;
}

int
ab_net_rewrite (struct ab_spec *s, const struct ab_config *cfg,
                const char *state_dir, const struct ab_netaddr *a,
                const char *hook, bool joined, struct ab_harden_report *rep,
                ab_error_t *err)
{
  const char *path = NULL;
  int listed = ab_spec_namespace (s, "network", &path);

  if (!joined && (!listed || path))
    {
      ab_harden_report_add (rep,
                            "namespace network: %s replaced by a new "
                            "one",
                            path ? path : "the host's");
      if (ab_spec_set_namespace (s, "network", NULL, err) < 0)
        return -1;
    }
  if (ab_net_add_hooks (s, cfg, hook, rep, err) < 0)
    return -1;
  if (bind_resolv (s, state_dir, rep, err) < 0
      || (!joined && bind_hostexec (s, cfg, state_dir, rep, err) < 0))
    return ab_error_wrap (err, "mounts");
  if (set_proxy_env (s, cfg, a, err) < 0)
    return ab_error_wrap (err, "process.env");
  return 0;
}

int
ab_net_write_resolv (const char *state_dir, const struct ab_netaddr *a,
                     ab_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_file FILE *f = NULL;
  char peer[AB_ADDRSTRLEN], peer6[AB_ADDRSTRLEN];

  inet_ntop (AF_INET, &a->peer4, peer, sizeof peer);
  inet_ntop (AF_INET6, &a->peer6, peer6, sizeof peer6);
  if (asprintf (&path, "%s/resolv.conf", state_dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  f = fopen (path, "we");
  if (f == NULL)
    return ab_error_errno (err, "write %s", path);
  fprintf (f,
           "# agentbox: names are answered by the guardian\n"
           "nameserver %s\n",
           peer);
  if (a->ipv6)
    fprintf (f, "nameserver %s\n", peer6);
  fprintf (f, "options ndots:0\n");
  if (fflush (f) != 0 || ferror (f))
    return ab_error_errno (err, "write %s", path);
  /* The file is bound read-only into the container: world-readable. */
  fchmod (fileno (f), 0644);
  return 0;
}

int
ab_net_make_run_dir (const char *state_dir, ab_error_t *err)
{
  cleanup_free char *run = NULL;

  if (asprintf (&run, "%s/run", state_dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (mkdir (run, 0755) < 0 && errno != EEXIST)
    return ab_error_errno (err, "mkdir %s", run);
  /* The container's users (not only root) connect to the socket. */
  chmod (run, 0755);
  return 0;
}

int
ab_net_write_join (const char *state_dir, const char *owner, ab_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_file FILE *f = NULL;

  if (asprintf (&path, "%s/netjoin.json", state_dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  f = fopen (path, "we");
  if (f == NULL)
    return ab_error_errno (err, "write %s", path);
  /* OWNER is a valid container id: nothing in it needs escaping. */
  fprintf (f, "{\"owner\": \"%s\"}\n", owner);
  if (fflush (f) != 0 || ferror (f))
    return ab_error_errno (err, "write %s", path);
  return 0;
}

int
ab_net_join_owner (const char *state_dir, char **owner, ab_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_json struct ab_json *j = NULL;
  const char *o;

  if (asprintf (&path, "%s/netjoin.json", state_dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (ab_json_parse_file (path, &j, err) < 0)
    return -1;
  o = ab_json_get_string (j, "owner");
  if (o == NULL || !ab_container_id_valid (o))
    return ab_error_set (err, EINVAL, "%s: bad `owner`", path);
  *owner = strdup (o);
  return *owner ? 0 : ab_error_set (err, ENOMEM, "out of memory");
}
