/* agentbox: namespace rules (docs/hardening.md).
 *
 * mount, pid, ipc and uts must not be the host's.  An absent entry (the
 * runtime would leave the container in the host's namespace) becomes a new
 * namespace; so does an entry with a path, unless the path names a
 * namespace of a container agentbox confined: a Kubernetes pod's app
 * containers join their sandbox's, and that must keep working.  The
 * network namespace is the network layer's; user, cgroup and time are the
 * engine's choice. */
#include "lib/cleanup.h"
#include "shim/lib/harden-internal.h"
#include "shim/lib/state.h"

static const char *const private_namespaces[] = {
  "mount", "pid", "ipc", "uts", NULL,
};

/* Closed: an error, or a path we cannot identify, counts as not
 * confined, and the container gets a namespace of its own. */
bool
ab_harden_ns_confined (const struct ab_config *cfg, const char *path)
{
  cleanup_error ab_error_t err = NULL;

  if (cfg->is_confined_ns)
    return cfg->is_confined_ns (cfg, path, cfg->is_confined_ns_data) == 1;
  return ab_state_is_confined_ns (cfg, path, &err) == 1;
}

int
ab_harden_namespaces (struct ab_spec *s, const struct ab_config *cfg,
                      struct ab_harden_report *rep, ab_error_t *err)
{
  for (size_t i = 0; private_namespaces[i]; i++)
    {
      const char *type = private_namespaces[i], *path = NULL;
      int listed = ab_spec_namespace (s, type, &path);

      if (listed && path == NULL)
        continue; /* already a new one */
      if (listed && ab_harden_ns_confined (cfg, path))
        continue;
      if (listed)
        ab_harden_report_add (rep,
                              "namespace %s: joining %s replaced by a new "
                              "one (not a namespace agentbox confined)",
                              type, path);
      else
        ab_harden_report_add (
            rep, "namespace %s: the host's replaced by a new one", type);
      if (ab_spec_set_namespace (s, type, NULL, err) < 0)
        return -1;
    }
  return 0;
}
