/* agentbox-runc features: the delegate's `features` JSON with agentbox's
 * annotations added under "annotations".  A delegate without `features`
 * (or failing) is passed through: its output and its exit status. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hooks/lib/file-guard.h"
#include "hooks/lib/probe.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "shim/lib/spawn.h"
#include "shim/runc/runc.h"
#include "spec/json.h"

/* The layers this build applies on this host, as the config enables
 * them (`agentbox doctor` says why one is missing). */
static int
layers (const struct ab_config *cfg, struct ab_buf *b)
{
  struct ab_probe p;
  char why[160];
  int r = ab_buf_puts (b, "mounts,capabilities");

  ab_probe_host (&p);
  if (r == 0 && cfg->no_new_privileges)
    r = ab_buf_puts (b, ",no-new-privileges");
  if (r == 0 && cfg->seccomp)
    r = ab_buf_puts (b, ",seccomp");
  if (r == 0 && cfg->masked_paths)
    r = ab_buf_puts (b, ",masked-paths");
  if (r == 0 && cfg->isolate_namespaces)
    r = ab_buf_puts (b, ",namespaces");
  if (r == 0 && cfg->net.enabled)
    r = ab_buf_puts (b, ",network");
  if (r == 0 && cfg->net.enabled && p.connect_guard)
    r = ab_buf_puts (b, ",connect-guard");
  if (r == 0 && cfg->net.enabled && cfg->hx.enabled)
    r = ab_buf_puts (b, ",hostexec");
  if (r == 0 && cfg->file_layer && ab_fg_supported (why, sizeof why))
    r = ab_buf_puts (b, cfg->file_guard_global || !ab_fg_cgroup_attach ()
                            ? ",file-guard-global"
                            : ",file-guard");
  else if (r == 0 && cfg->file_layer && p.landlock_abi)
    r = ab_buf_printf (b, ",landlock-abi-%d", p.landlock_abi);
  return r;
}

static int
annotate (const struct abr_ctx *c, struct ab_json *root, ab_error_t *err)
{
  cleanup_buf struct ab_buf l = AB_BUF_INIT;
  struct ab_json *ann = ab_json_ensure_object (root, "annotations");

  if (ann == NULL)
    return ab_error_set (err, EINVAL,
                         "%s features: \"annotations\" is not an object",
                         c->delegate);
  if (layers (c->cfg, &l) < 0
      || ab_json_set (ann, "io.agentbox.version",
                      ab_json_new_string (AB_VERSION))
             < 0
      || ab_json_set (ann, "io.agentbox.delegate",
                      ab_json_new_string (c->delegate))
             < 0
      || ab_json_set (ann, "io.agentbox.layers", ab_json_new_string (l.data))
             < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  return 0;
}

int
abr_cmd_features (struct abr_ctx *c, ab_error_t *err)
{
  cleanup_free char *out = NULL, *json = NULL;
  cleanup_json struct ab_json *root = NULL;
  size_t len = 0;
  int status;

  if (abr_load_config (c, err) < 0)
    return -1;
  c->argv[0] = c->delegate;
  if (ab_spawn_capture (c->argv, false, &out, &status, err) < 0)
    return -1;
  if (status != 0)
    {
      fputs (out, stdout);
      return status;
    }
  if (ab_json_parse (out, strlen (out), "features", &root, err) < 0)
    return ab_error_wrap (err, "%s features", c->delegate);
  if (!ab_json_is (root, AB_JSON_OBJECT))
    return ab_error_set (err, EINVAL, "%s features: expected an object",
                         c->delegate);
  if (annotate (c, root, err) < 0
      || ab_json_serialize (root, true, &json, &len, err) < 0)
    return -1;
  fwrite (json, 1, len, stdout);
  if (len && json[len - 1] != '\n')
    putchar ('\n');
  return 0;
}
