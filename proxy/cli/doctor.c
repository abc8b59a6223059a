/* agentbox doctor: which layers this host runs, and why not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hooks/lib/file-guard.h"
#include "hooks/lib/probe.h"
#include "lib/cleanup.h"
#include "proxy/cli/cli.h"
#include "shim/lib/config.h"
#include "shim/lib/net.h"
#include "shim/lib/serve-proto.h"

static void
row (const char *layer, const char *status, const char *why)
{
  printf ("%-14s %-8s %s\n", layer, status, why);
}

/* Does a shim server listen where agentbox-runc looks for one?  A
 * connection that sends nothing is not a call: the worker drops it
 * without a word. */
static void
shim_server_row (void)
{
  const char *path = getenv (AB_SERVE_SOCKET_ENV);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  char why[160];
  int fd, r = -1;

  if (path == NULL)
    path = AB_SERVE_SOCKET;
  if (path[0] && strlen (path) < sizeof sa.sun_path
      && (fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) >= 0)
    {
      strcpy (sa.sun_path, path);
      r = connect (fd, (struct sockaddr *)&sa, sizeof sa);
      close (fd);
    }
  if (r == 0)
    snprintf (why, sizeof why, "agentbox-runc's calls go to its workers (%s)",
              path);
  else
    snprintf (why, sizeof why,
              "agentbox-runc runs agentbox-shim itself, ~2 ms more a call "
              "(%s: agentbox-shim --serve)",
              path[0] ? path : "$" AB_SERVE_SOCKET_ENV " is empty");
  row ("shim server", r == 0 ? "running" : "stopped", why);
}

int
ab_doctor_cli (int argc, char **argv)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_config struct ab_config *cfg = NULL;
  cleanup_free char *reply = NULL;
  struct ab_probe p;
  char why[512], fg_why[160];
  bool fg;

  if (argc > 1)
    {
      puts ("usage: agentbox doctor\n\nWhich enforcement layers this host "
            "runs under the config\n($AGENTBOX_CONFIG, else " AB_SYSCONFDIR
            "/agentbox/config.yaml), and why a layer is off.");
      return strcmp (argv[1], "--help") == 0 ? 0 : 2;
    }
  if (ab_config_load (NULL, &cfg, &err) < 0)
    {
      fprintf (stderr, "agentbox doctor: %s\n", err->msg);
      return 1;
    }
  ab_probe_host (&p);
  printf ("%-14s %-8s %s\n", "LAYER", "STATUS", "WHY");
  row ("seccomp", cfg->seccomp ? "on" : "off",
       cfg->seccomp ? "allowlist profile, or denials added to the bundle's"
                    : "hardening.seccomp is false");
  row ("capabilities", "on", "dangerous capabilities dropped");
  row ("network", cfg->net.enabled ? "on" : "off",
       cfg->net.enabled ? "own netns, veth to the guardian"
                        : "network.enabled is false");
  snprintf (why, sizeof why, "%s",
            p.connect_guard ? "cgroup sock_addr programs load"
            : p.cgroup2[0]  ? "cgroup sock_addr programs do not load"
                            : "no cgroup2 mount");
  if (p.cgroup2[0])
    snprintf (why + strlen (why), sizeof why - strlen (why), " (cgroup2 at %s)",
              p.cgroup2);
  row ("connect guard", p.connect_guard && cfg->net.enabled ? "on" : "off",
       why);
  fg = cfg->file_layer && ab_fg_supported (fg_why, sizeof fg_why);
  if (fg)
    snprintf (why, sizeof why,
              "BPF LSM programs enforce the policy's file and exec rules, "
              "%s; lsm=%s; directory memos %s",
              cfg->file_guard_global || !ab_fg_cgroup_attach ()
                  ? "every hook through the host-wide dispatcher (global mode)"
                  : "on each container's cgroup",
              p.lsm,
              ab_fg_memos_supported ()
                  ? "on"
                  : "off (rename_lock and mount_lock are not in "
                    "/proc/kallsyms: every check walks its path)");
  else
    snprintf (why, sizeof why, "%s; lsm=%s, lockdown=%s",
              !cfg->file_layer ? "hardening.file_layer is false"
              : !p.lsm[0]      ? "the active LSM list is unknown (securityfs "
                                 "is not mounted)"
                               : fg_why,
              p.lsm[0] ? p.lsm : "?", p.lockdown[0] ? p.lockdown : "?");
  row ("file guard", fg ? "on" : "off", why);
  if (p.landlock_abi && fg)
    snprintf (why, sizeof why, "ABI %d; not needed: the file guard is on",
              p.landlock_abi);
  else if (p.landlock_abi)
    snprintf (why, sizeof why,
              "ABI %d; applies the policy's file and exec rules when it "
              "has any%s",
              p.landlock_abi,
              cfg->file_layer ? "" : " (hardening.file_layer is false)");
  else
    snprintf (why, sizeof why,
              "the kernel has no Landlock: a policy with "
              "file rules fails the create");
  row ("landlock", p.landlock_abi && cfg->file_layer && !fg ? "on" : "off",
       why);
  if (ab_guardian_call (cfg, "{\"op\": \"status\"}", &reply, &err) == 0)
    {
      reply[strcspn (reply, "\n")] = '\0';
      row ("guardian", "running", reply);
    }
  else
    row ("guardian", "stopped",
         "started by the next create (containers have no egress meanwhile)");
  shim_server_row ();
  return 0;
}
