/* agentboxd: the guardian.  One per host (per state directory): it owns
 * the proxy network namespace, answers the containers' DNS, proxies
 * their connections, and takes registrations on its control socket.
 * agentbox-runc starts it when it is not running; contrib/ has a systemd
 * unit for hosts that prefer one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "proxy/agentboxd/fileguard.h"
#include "proxy/agentboxd/guardian.h"
#include "shim/lib/net.h"

const struct ab_config *g_cfg;

static const char usage[]
    = "usage: agentboxd [--config FILE] [--debug]\n"
      "\n"
      "The agentbox guardian: the proxy network namespace, DNS for the\n"
      "containers, the transparent and explicit (port 3128) proxy, the\n"
      "audit log, and the control socket STATE_DIR/agentboxd.sock.\n"
      "Runs in the foreground; agentbox-runc starts it detached when a\n"
      "container is created and it is not running.  SIGTERM stops it;\n"
      "containers then have no DNS and no egress until it runs again.\n"
      "\n"
      "  --config FILE  the agentbox config (default: $AGENTBOX_CONFIG, else\n"
      "                 " AB_SYSCONFDIR "/agentbox/config.yaml)\n"
      "  --debug        debug lines in the log\n";

static void
on_signal (int sig)
{
  loop_stop ();
}

static void
tick (uint64_t now)
{
  void dnsd_tick (uint64_t now);

  resolve_tick (now);
  proxy_tick (now);
  dnsd_tick (now);
  hx_tick (now);
  fg_tick (now);
}

/* One guardian per state directory: the second one exits 0. */
static int
take_lock (const struct ab_config *cfg, int *fd, ab_error_t *err)
{
  cleanup_free char *path = NULL;

  if (mkdir (cfg->state_dir, 0700) < 0 && errno != EEXIST)
    return ab_error_errno (err, "mkdir %s", cfg->state_dir);
  if (asprintf (&path, "%s/agentboxd.lock", cfg->state_dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  *fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (*fd < 0)
    return ab_error_errno (err, "open %s", path);
  if (flock (*fd, LOCK_EX | LOCK_NB) < 0)
    return errno == EWOULDBLOCK ? 1 : ab_error_errno (err, "lock %s", path);
  dprintf (*fd, "%d\n", (int)getpid ());
  return 0;
}

static void
more_files (void)
{
  struct rlimit r;

  /* Two sockets per tunnel, plus pipes while bytes are in flight. */
  if (getrlimit (RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max)
    {
      r.rlim_cur = r.rlim_max;
      setrlimit (RLIMIT_NOFILE, &r);
    }
}

static int
setup (const struct ab_config *cfg, ab_error_t *err)
{
  if (ns_setup (cfg, err) < 0 || loop_init (err) < 0
      || audit_open (cfg->net.audit_log, err) < 0 || policy_load (cfg, err) < 0
      || dnsd_init (cfg, err) < 0 || proxy_init (cfg, err) < 0
      || resolve_init (cfg, err) < 0 || hx_init (cfg, err) < 0)
    return -1;
  control_readopt ();
  fg_readopt ();
  /* Last: a socket that answers means the guardian is ready. */
  return control_init (cfg, err);
}

int
main (int argc, char **argv)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_config struct ab_config *cfg = NULL;
  cleanup_free char *log = NULL, *sock = NULL;
  const char *config = NULL;
  bool debug = false;
  int lock_fd = -1, r;

  ab_log_set_program ("agentboxd");
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          fputs (usage, stdout);
          return 0;
        }
      else if (strcmp (argv[i], "--version") == 0)
        {
          printf ("agentboxd version %s\n", AB_VERSION);
          return 0;
        }
      else if (strcmp (argv[i], "--config") == 0 && i + 1 < argc)
        config = argv[++i];
      else if (strcmp (argv[i], "--debug") == 0)
        debug = true;
      else
        {
          fprintf (stderr, "agentboxd: unexpected argument `%s`\n%s", argv[i],
                   usage);
          return 2;
        }
    }
  if (ab_config_load (config, &cfg, &err) < 0)
    goto fail;
  g_cfg = cfg;
  r = take_lock (cfg, &lock_fd, &err);
  if (r < 0)
    goto fail;
  if (r == 1)
    {
      fprintf (stderr, "agentboxd: already running for %s\n", cfg->state_dir);
      return 0;
    }
  if (asprintf (&log, "%s/agentboxd.log", cfg->state_dir) < 0
      || ab_log_open (log, AB_LOG_TEXT, debug, &err) < 0)
    goto fail;
  signal (SIGPIPE, SIG_IGN);
  signal (SIGTERM, on_signal);
  signal (SIGINT, on_signal);
  more_files ();
  if (setup (cfg, &err) < 0 || loop_run (tick, &err) < 0)
    goto fail;
  ab_log_info ("stopping");
  if (ab_guardian_socket (cfg, &sock, &err) == 0)
    unlink (sock);
  return 0;
fail:
  ab_log_error ("%s", err->msg);
  return 1;
}
