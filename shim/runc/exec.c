/* agentbox-runc exec: a process started in a container agentbox confined
 * gets the same process rules as the bundle's.
 *
 *   --process FILE  FILE is parsed, hardened and, if that changed it,
 *                   written to an anonymous memfd that the delegate reads
 *                   as /proc/self/fd/N (a server's worker passes it to
 *                   the front, which execs the delegate).  The engine's
 *                   FILE is never modified, and nothing is left on disk:
 *                   the memfd dies with the delegate (after runc's exec,
 *                   with no fork, we could not clean a file up).
 *   argv form       runc builds the process from the bundle's config.json,
 *                   already hardened; agentbox forces --no-new-privs and
 *                   removes --cap values in the config's drop list.
 *
 * Containers agentbox never recorded (no state dir) are passed through. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "shim/lib/harden.h"
#include "shim/lib/initwrap.h"
#include "shim/lib/state.h"
#include "shim/lib/spawn.h"
#include "shim/runc/runc.h"

/* Above the fds an engine hands over with --preserve-fds. */
#define PROCESS_FD_MIN 100

static const char *
cap_base (const char *cap)
{
  return strncasecmp (cap, "CAP_", 4) == 0 ? cap + 4 : cap;
}

/* runc ignores names it does not know, so compare loosely: any case, with
 * or without CAP_, is the same capability (fails closed). */
static bool
drop_cap (const char *cap, void *data)
{
  const struct ab_config *cfg = data;

  for (char **d = cfg->drop_capabilities; d && *d; d++)
    if (strcasecmp (cap_base (cap), cap_base (*d)) == 0)
      {
        ab_log_debug ("exec: --cap %s removed", cap);
        return true;
      }
  return false;
}

static int
write_memfd (const char *data, size_t len, int *out, ab_error_t *err)
{
  cleanup_close int fd = memfd_create ("agentbox-process.json", MFD_CLOEXEC);
  int high;

  if (fd < 0)
    return ab_error_errno (err, "memfd_create");
  for (size_t off = 0; off < len;)
    {
      ssize_t n = write (fd, data + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return ab_error_errno (err, "write memfd");
      off += (size_t)n;
    }
  /* Not close-on-exec: the delegate must inherit it. */
  high = fcntl (fd, F_DUPFD, PROCESS_FD_MIN);
  if (high < 0)
    return ab_error_errno (err, "dup memfd");
  *out = high;
  return 0;
}

/* What agentbox-init applies in container ID (0: it does not run).  So
 * it must for every process exec'd into it: runc's exec does not descend
 * from the container's first process. */
static unsigned
under_init (struct abr_ctx *c, const char *id)
{
  cleanup_free char *dir = NULL;
  cleanup_error ab_error_t e = NULL;

  return ab_state_dir (c->cfg, id, &dir, &e) == 0 ? ab_init_what (dir) : 0;
}

/* Harden the process file PATH, with agentbox-init in front for WHAT;
 * *NEW_PATH is NULL when it needs no change, else /proc/self/fd/N of a
 * hardened copy. */
static int
harden_process_file (struct abr_ctx *c, const char *id, unsigned what,
                     const char *path, char **new_path, ab_error_t *err)
{
  cleanup_json struct ab_json *proc = NULL, *before = NULL;
  cleanup_free char *data = NULL;
  struct ab_harden_report rep = { 0 };
  size_t len = 0;
  int fd = -1, r;

  *new_path = NULL;
  if (ab_json_parse_file (path, &proc, err) < 0
      || ab_process_validate (proc, path, err) < 0)
    return -1;
  if ((before = ab_json_copy (proc)) == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  r = ab_harden_process (proc, c->cfg, &rep, err);
  if (r == 0 && what)
    r = ab_init_prepend (proc, what, err) < 0 ? -1 : 0;
  for (size_t i = 0; r == 0 && rep.changes && rep.changes[i]; i++)
    ab_log_debug ("container %s: exec: %s", id, rep.changes[i]);
  ab_harden_report_free (&rep);
  if (r < 0)
    return ab_error_wrap (err, "harden %s", path);
  if (ab_json_equal (before, proc))
    return 0;
  if (ab_json_serialize (proc, false, &data, &len, err) < 0
      || write_memfd (data, len, &fd, err) < 0)
    return ab_error_wrap (err, "hardened copy of %s", path);
  return ab_spawn_pass_fd (fd, new_path, err);
}

static int
exec_confined (struct abr_ctx *c, const struct ab_cli_exec *e, ab_error_t *err)
{
  cleanup_free char *process = NULL;
  cleanup_strv char **argv = NULL;
  const char *prefix[AB_INIT_PREFIX_MAX], *const *before = NULL;
  unsigned what = under_init (c, e->id);

  if (e->process
      && harden_process_file (c, e->id, what, e->process, &process, err) < 0)
    return -1;
  /* The argv form (`exec ID CMD ARGS`): agentbox-init goes in front of
   * CMD. */
  if (what && e->process == NULL)
    {
      ab_init_prefix (what, prefix);
      before = prefix;
    }
  if (ab_cli_exec_argv (c->argc, c->argv, c->g.verb_index, e, c->delegate,
                        process, drop_cap, c->cfg, before, &argv, err)
      < 0)
    return -1;
  return abr_exec_argv (c, argv, err);
}

int
abr_cmd_exec (struct abr_ctx *c, ab_error_t *err)
{
  struct ab_cli_exec e;
  int known;

  /* Fails closed: flags we cannot parse might hide the id or --process;
   * runc refuses them too. */
  if (ab_cli_parse_exec (c->nargs, c->args, &e, err) < 0)
    return -1;
  if (e.help || !ab_container_id_valid (e.id))
    return abr_cmd_passthrough (c, err); /* the delegate's help or error */
  if (abr_load_config (c, err) < 0)
    return ab_error_wrap (err, "container %s", e.id);
  known = ab_state_exists (c->cfg, e.id, err);
  if (known < 0)
    return ab_error_wrap (err, "container %s", e.id);
  if (!known)
    {
      ab_log_debug ("container %s: not agentbox's, exec passed through", e.id);
      return abr_exec_delegate (c, c->argv, err);
    }
  if (exec_confined (c, &e, err) < 0)
    return ab_error_wrap (err, "container %s", e.id);
  return 0;
}
