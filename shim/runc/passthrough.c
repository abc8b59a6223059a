/* agentbox-runc: verbs agentbox does not change go to the delegate as they
 * came.  execv, not fork: stdio, the console socket, the pid file, signals
 * and the exit status all stay the delegate's own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "shim/lib/spawn.h"
#include "shim/runc/runc.h"

int
abr_load_config (struct abr_ctx *c, ab_error_t *err)
{
  if (c->cfg)
    return 0;
  if (ab_config_load (NULL, &c->cfg, err) < 0)
    return -1;
  if (ab_config_delegate (c->cfg, &c->delegate, err) < 0)
    return -1;
  /* Checked now so that create fails before it writes anything. */
  if (access (c->delegate, X_OK) < 0)
    return ab_error_errno (err, "delegate runtime %s", c->delegate);
  return 0;
}

int
abr_exec_delegate (struct abr_ctx *c, char **argv, ab_error_t *err)
{
  argv[0] = c->delegate;
  return abr_exec_argv (c, argv, err);
}

int
abr_exec_argv (struct abr_ctx *c, char **argv, ab_error_t *err)
{
  if (ab_log_debug_enabled ())
    ab_log_debug ("exec %s %s", c->delegate,
                  c->g.verb_index < c->argc ? c->argv[c->g.verb_index] : "");
  /* The log file is O_CLOEXEC: the delegate opens its own. */
  return ab_exec (argv, err);
}

int
abr_cmd_passthrough (struct abr_ctx *c, ab_error_t *err)
{
  if (abr_load_config (c, err) < 0)
    return -1;
  return abr_exec_delegate (c, c->argv, err);
}
