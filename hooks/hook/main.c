/* agentbox-hook: the OCI hook that gives a container its network and
 * its file guard.
 *
 *   agentbox-hook [--config FILE] createRuntime|poststop
 *
 * runc runs it with the container's state JSON on stdin.  createRuntime
 * runs in the runtime's namespaces after the container's namespaces
 * exist and before its process runs: a failure here fails `create`, and
 * what ran is undone.  poststop takes it all down (delete does too, for
 * containers whose poststop never ran). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hooks/lib/container.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "shim/lib/config.h"
#include "spec/json.h"

static const char usage[]
    = "usage: agentbox-hook [--config FILE] createRuntime|poststop\n"
      "\n"
      "The OCI hook agentbox-runc adds to bundles that need it; runc passes\n"
      "the container state on stdin.  createRuntime: the file guard (BPF\n"
      "LSM programs on the container's cgroup) when create chose it; the\n"
      "veth pair into the guardian's namespace, addresses, routes, connect\n"
      "guard, registration when the network layer is on.\n"
      "poststop: undo all of it.\n";

static int
read_state (char **id, pid_t *pid, ab_error_t *err)
{
  char chunk[4096];
  cleanup_free char *data = NULL;
  cleanup_json struct ab_json *st = NULL;
  const struct ab_json *p;
  const char *s;
  size_t len = 0;
  ssize_t n;

  while ((n = read (0, chunk, sizeof chunk)) != 0)
    {
      char *d;
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return ab_error_errno (err, "read the container state from stdin");
      if (len + (size_t)n > (1 << 20) || !(d = realloc (data, len + n + 1)))
        return ab_error_set (err, E2BIG, "container state too large");
      data = d;
      memcpy (data + len, chunk, (size_t)n);
      len += (size_t)n;
    }
  if (ab_json_parse (data ? data : "", len, "container state", &st, err) < 0)
    return -1;
  s = ab_json_get_string (st, "id");
  p = ab_json_get (st, "pid");
  if (s == NULL)
    return ab_error_set (err, EINVAL, "container state: no `id`");
  *id = strdup (s);
  *pid = ab_json_is (p, AB_JSON_NUMBER) ? (pid_t)atol (p->u.number) : 0;
  return *id ? 0 : ab_error_set (err, ENOMEM, "out of memory");
}

static int
run (const char *config, const char *stage, ab_error_t *err)
{
  cleanup_config struct ab_config *cfg = NULL;
  cleanup_free char *id = NULL;
  pid_t pid = 0;

  if (ab_config_load (config, &cfg, err) < 0 || read_state (&id, &pid, err) < 0)
    return -1;
  if (strcmp (stage, "createRuntime") == 0)
    {
      if (pid <= 0)
        return ab_error_set (err, EINVAL, "container %s: no `pid` in state",
                             id);
      if (ab_container_fg_up (cfg, id, pid, err) < 0)
        return ab_error_wrap (err, "container %s", id);
      if (ab_container_net_up (cfg, id, pid, err) < 0)
        {
          cleanup_error ab_error_t e2 = NULL;
          ab_container_fg_down (id, &e2);
          return ab_error_wrap (err, "container %s: network", id);
        }
      return 0;
    }
  if (ab_container_down (cfg, id, err) < 0)
    return ab_error_wrap (err, "container %s: teardown", id);
  return 0;
}

int
main (int argc, char **argv)
{
  cleanup_error ab_error_t err = NULL;
  const char *config = NULL, *stage = NULL;

  ab_log_set_program ("agentbox-hook");
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          fputs (usage, stdout);
          return 0;
        }
      if (strcmp (argv[i], "--config") == 0 && i + 1 < argc)
        config = argv[++i];
      else if (stage == NULL
               && (strcmp (argv[i], "createRuntime") == 0
                   || strcmp (argv[i], "poststop") == 0))
        stage = argv[i];
      else
        {
          fprintf (stderr, "agentbox-hook: unexpected argument `%s`\n%s",
                   argv[i], usage);
          return 2;
        }
    }
  if (stage == NULL)
    {
      fputs (usage, stderr);
      return 2;
    }
  if (run (config, stage, &err) < 0)
    {
      fprintf (stderr, "agentbox-hook %s: %s\n", stage, err->msg);
      return 1;
    }
  return 0;
}
