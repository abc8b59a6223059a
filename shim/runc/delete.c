/* agentbox-runc delete: the delegate deletes the container, then agentbox
 * removes its state.  The delegate runs as a child here (not execv) so
 * that there is an "after"; its exit status is returned unchanged. */
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

#include "hooks/lib/container.h"
#include "lib/log.h"
#include "shim/lib/spawn.h"
#include "shim/lib/state.h"
#include "shim/runc/runc.h"

/* Was ID recorded with the same --root this call uses?  Only then does the
 * delegate's answer about ID speak for the container agentbox recorded. */
static bool
same_root (struct abr_ctx *c, const char *id)
{
  cleanup_free char *dir = NULL, *file = NULL;
  cleanup_json struct ab_json *st = NULL;
  cleanup_error ab_error_t err = NULL;
  const char *root;

  if (ab_state_dir (c->cfg, id, &dir, &err) < 0
      || asprintf (&file, "%s/state.json", dir) < 0
      || ab_json_parse_file (file, &st, &err) < 0)
    return false;
  root = ab_json_get_string (st, "root");
  if (root == NULL || c->g.root == NULL)
    return root == c->g.root;
  return strcmp (root, c->g.root) == 0;
}

/* After a failed delete: is the container gone (a foreground `run` that
 * the delegate already deleted, say)?  Asks the delegate's `state` with
 * the same global flags. */
static bool
container_gone (struct abr_ctx *c, const char *id)
{
  cleanup_free char **argv
      = calloc ((size_t)c->g.verb_index + 3, sizeof (char *));
  cleanup_free char *out = NULL;
  cleanup_error ab_error_t err = NULL;
  int n = 0, status = 0;

  if (argv == NULL || !same_root (c, id))
    return false;
  argv[n++] = c->delegate;
  for (int i = 1; i < c->g.verb_index; i++)
    argv[n++] = c->argv[i];
  argv[n++] = (char *)"state";
  argv[n++] = (char *)id;
  /* Fails closed: if the delegate cannot be asked, the record stays. */
  if (ab_spawn_capture (argv, true, &out, &status, &err) < 0)
    return false;
  return status != 0;
}

int
abr_cmd_delete (struct abr_ctx *c, ab_error_t *err)
{
  cleanup_error ab_error_t perr = NULL;
  struct ab_cli_delete d;
  int status;

  /* Anything we cannot parse is the delegate's to report, as it would
   * without agentbox; there is no state to clean for it. */
  if (ab_cli_parse_delete (c->nargs, c->args, &d, &perr) < 0 || d.help
      || !ab_container_id_valid (d.id))
    return abr_cmd_passthrough (c, err);
  if (abr_load_config (c, err) < 0)
    return ab_error_wrap (err, "container %s", d.id);
  c->argv[0] = c->delegate;
  if (ab_spawn_wait (c->argv, &status, err) < 0)
    return ab_error_wrap (err, "container %s", d.id);
  /* With --force the delegate succeeds for a container it no longer has;
   * without it, a failed delete leaves the container, so its state stays
   * unless the delegate says the container is gone. */
  if (status != 0 && !d.force && !container_gone (c, d.id))
    return status;
  /* poststop did this unless runc never ran it (a killed runc, a
   * container that never started): idempotent either way. */
  if (ab_container_down (c->cfg, d.id, err) < 0)
    return ab_error_wrap (err, "container %s", d.id);
  if (ab_state_remove (c->cfg, d.id, err) < 0)
    return ab_error_wrap (err, "container %s", d.id);
  ab_log_debug ("container %s: state removed", d.id);
  return status;
}
