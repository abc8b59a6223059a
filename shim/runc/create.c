/* agentbox-runc create / run: harden the bundle, record it, exec the
 * delegate with the original argv.
 *
 * Order matters for "bad input changes nothing": everything is checked and
 * hardened in memory first; then the state is recorded; then the bundle is
 * written (atomically, and only if the rewrite changed it); then exec.  A
 * failure before the exec undoes the state and leaves the bundle
 * byte-identical. */
#include <errno.h>
#include <sys/wait.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hooks/lib/container.h"
#include "hooks/lib/file-guard.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "shim/lib/harden.h"
#include "shim/lib/filelayer.h"
#include "shim/lib/harden-internal.h"
#include "shim/lib/initwrap.h"
#include "shim/lib/net.h"
#include "shim/lib/seccomp-bpf.h"
#include "shim/lib/spawn.h"
#include "shim/lib/state.h"
#include "shim/runc/runc.h"

/* PATH made absolute against BASE (NULL: the current directory), without
 * resolving symlinks: this is what the runtime will open. */
static char *
absolute (const char *base, const char *path)
{
  char cwd[PATH_MAX];
  char *out = NULL;

  if (path == NULL)
    return NULL;
  if (path[0] == '/')
    return strdup (path);
  if (base == NULL)
    base = getcwd (cwd, sizeof cwd);
  if (base == NULL || asprintf (&out, "%s/%s", base, path) < 0)
    return NULL;
  return out;
}

/* The bundle directory as an absolute, resolved path.  Errors name the
 * path as the caller wrote it. */
static int
resolve_bundle (const char *bundle, char **out, ab_error_t *err)
{
  *out = realpath (bundle, NULL);
  if (*out == NULL)
    return ab_error_errno (err, "bundle `%s`", bundle);
  return 0;
}

static const char *
root_path (const struct ab_spec *s)
{
  return ab_json_get_string (ab_json_get (s->root, "root"), "path");
}

static void
log_changes (const char *id, const struct ab_harden_report *rep, bool changed)
{
  if (!ab_log_debug_enabled ())
    return;
  for (size_t i = 0; rep->changes && rep->changes[i]; i++)
    ab_log_debug ("container %s: %s", id, rep->changes[i]);
  if (!changed)
    ab_log_debug ("container %s: bundle already hardened, not rewritten", id);
}

/* Everything that can fail on bad input, done in memory. */
static int
load_and_harden (struct abr_ctx *c, const char *id, const char *bundle,
                 struct ab_spec **spec, struct ab_json **before,
                 struct ab_harden_report *rep, ab_error_t *err)
{
  if (ab_spec_load (bundle, spec, err) < 0 || ab_spec_validate (*spec, err) < 0)
    return -1;
  *before = ab_json_copy ((*spec)->root);
  if (*before == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (ab_harden_spec (*spec, c->cfg, id, AB_HARDEN_SECCOMP_DEFAULT_LATER, rep,
                      err)
      < 0)
    return ab_error_wrap (err, "harden %s", (*spec)->path);
  return 0;
}

static int
hook_path (struct abr_ctx *c, char **hook, ab_error_t *err)
{
  if (c->cfg->net.hook)
    return (*hook = strdup (c->cfg->net.hook))
               ? 0
               : ab_error_set (err, ENOMEM, "out of memory");
  return ab_sibling_path ("agentbox-hook", hook, err);
}

/* The namespace's owner may itself be a pod's app container (another
 * one was found first): its netjoin.json names the sandbox, whose
 * network it is.  *OWNER and *OWNER_DIR are replaced then. */
static int
follow_join (struct abr_ctx *c, char **owner, char **owner_dir, ab_error_t *err)
{
  cleanup_error ab_error_t none = NULL;
  char *real = NULL;

  if (ab_net_join_owner (*owner_dir, &real, &none) < 0)
    return 0;
  free (*owner);
  free (*owner_dir);
  *owner = real;
  *owner_dir = NULL;
  return ab_state_dir (c->cfg, *owner, owner_dir, err);
}

/* A pod's app container joins its sandbox's network namespace: it gets
 * the sandbox's resolv.conf and proxy, and a connect guard of its own on
 * its cgroup (the hook reads netjoin.json); the namespace stays. */
static int
join (struct abr_ctx *c, const char *dir, struct ab_spec *spec,
      const char *joined, struct ab_harden_report *rep, ab_error_t *err)
{
  cleanup_free char *owner = NULL, *owner_dir = NULL, *hook = NULL;
  struct ab_netaddr a;

  ab_harden_report_add (rep,
                        "namespace network: joins %s, which agentbox "
                        "confined",
                        joined);
  if (ab_state_confined_owner (c->cfg, joined, &owner, err) != 1
      || ab_state_dir (c->cfg, owner, &owner_dir, err) < 0)
    return 0; /* a test's own confinement check: nothing more to join */
  if (follow_join (c, &owner, &owner_dir, err) < 0)
    return ab_error_wrap (err, "network");
  if (ab_netaddr_read (owner_dir, &a, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return ab_error_wrap (err, "network");
      ab_error_free (err);
      return 0; /* the owner has no network of agentbox's */
    }
  if (hook_path (c, &hook, err) < 0 || ab_net_write_join (dir, owner, err) < 0
      || ab_net_rewrite (spec, c->cfg, owner_dir, &a, hook, true, rep, err) < 0)
    return ab_error_wrap (err, "network");
  return 0;
}

/* The network layer's share, inside the state transaction: an address
 * slot (given back by the caller on failure), net.json, resolv.conf and
 * the bundle edits. */
static int
network (struct abr_ctx *c, const char *id, const char *dir,
         struct ab_spec *spec, struct ab_harden_report *rep, bool *took,
         struct ab_netaddr *a, ab_error_t *err)
{
  cleanup_free char *hook = NULL;
  const char *joined = NULL;

  if (ab_net_wanted (spec, c->cfg, &joined) == 0)
    return joined ? join (c, dir, spec, joined, rep, err) : 0;
  if (hook_path (c, &hook, err) < 0
      || ab_netalloc_take (c->cfg, id, a, err) < 0)
    return ab_error_wrap (err, "network");
  *took = true;
  if (ab_netaddr_write (dir, a, err) < 0
      || ab_net_write_resolv (dir, a, err) < 0
      || ab_net_make_run_dir (dir, err) < 0
      || ab_net_rewrite (spec, c->cfg, dir, a, hook, false, rep, err) < 0)
    return ab_error_wrap (err, "network");
  return 0;
}

/* The file guard (BPF LSM, attached by the hook) where the kernel has
 * it (*GUARD), else Landlock through agentbox-init (*WHAT), when the
 * policy has file rules. */
static int
file_layer (struct abr_ctx *c, const struct ab_ir *ir,
            const struct ab_ir *narrow, const char *id, const char *dir,
            const char *rootfs, struct ab_spec *spec,
            struct ab_harden_report *rep, unsigned *what, bool *guard,
            ab_error_t *err)
{
  const char *project = ab_spec_annotation (spec, "io.agentbox.project");
  const char *narrow_name = ab_spec_annotation (spec, AB_ANN_POLICY);
  const char *mode = ab_spec_annotation (spec, AB_ANN_MODE);
  cleanup_free char *hook = NULL;
  char why[128];
  int r;

  if (!c->cfg->file_layer)
    {
      ab_log_warning ("container %s: hardening.file_layer is off: the "
                      "policy's file and exec rules are NOT enforced",
                      id);
      return 0;
    }
  if (ab_fg_supported (why, sizeof why))
    {
      r = ab_fileguard_prepare (ir, narrow, narrow_name, id, project, dir,
                                rootfs, err);
      if (r == 1
          && (hook_path (c, &hook, err) < 0
              || ab_net_add_hooks (spec, c->cfg, hook, rep, err) < 0))
        r = -1;
      if (r == 1)
        {
          ab_harden_report_add (rep, "file layer: BPF LSM file guard");
          *guard = true;
        }
      return r < 0 ? ab_error_wrap (err, "file guard") : 0;
    }
  ab_log_debug ("container %s: no file guard (%s): Landlock", id, why);
  r = ab_filelayer_prepare (ir, narrow, id, project, dir, err);
  if (r == 1 && mode && strcmp (mode, "enforce") != 0)
    ab_log_warning ("container %s: " AB_ANN_MODE " %s: Landlock only "
                    "enforces; the file rules are enforced",
                    id, mode);
  if (r == 1)
    *what |= AB_INIT_LANDLOCK;
  return r < 0 ? -1 : 0;
}

/* agentbox's own seccomp profile (the bundle had none) is compiled once
 * and installed by agentbox-init, not compiled by runc at every start
 * (seccomp-bpf.h).  Not under the file guard: there agentbox-init's own
 * exec would be judged by the container's exec rules, so runc gets the
 * profile.  A bundle's own profile was tightened by ab_harden_spec. */
static int
seccomp_layer (struct abr_ctx *c, const char *dir, struct ab_spec *spec,
               bool guard, struct ab_harden_report *rep, unsigned *what,
               ab_error_t *err)
{
  int r = 0;

  if (!c->cfg->seccomp || ab_spec_seccomp (spec))
    return 0;
  if (!guard)
    r = ab_seccomp_default_to_init (spec, c->cfg, dir, rep, err);
  if (r == 1)
    *what |= AB_INIT_SECCOMP;
  if (r == 0)
    r = ab_harden_seccomp_default (spec, c->cfg, rep, err);
  return r < 0 ? ab_error_wrap (err, "linux.seccomp") : 0;
}

/* Record the state, then write the bundle; undo the state on failure. */
static int
commit (struct abr_ctx *c, const struct ab_ir *ir, const struct ab_ir *narrow,
        const struct ab_cli_create *cc, const char *bundle_abs,
        struct ab_spec *spec, const struct ab_json *before,
        struct ab_harden_report *rep, ab_error_t *err)
{
  cleanup_state struct ab_state *st = NULL;
  cleanup_error ab_error_t e2 = NULL;
  struct ab_netaddr a;
  bool took = false, changed, guard = false;
  unsigned what = 0;
  cleanup_free char *rootfs = absolute (bundle_abs, root_path (spec));
  cleanup_free char *pid_file = absolute (NULL, cc->pid_file);
  struct ab_state_info info = {
    .id = cc->id,
    .bundle = bundle_abs,
    .rootfs = rootfs,
    .root = c->g.root,
    .pid_file = pid_file,
    .delegate = c->delegate,
    .spec = spec,
    .changes = (const char *const *)rep->changes,
  };

  if (ab_state_begin (c->cfg, cc->id, &st, err) < 0)
    return -1;
  info.changes = NULL;
  if (network (c, cc->id, ab_state_path (st), spec, rep, &took, &a, err) < 0
      || file_layer (c, ir, narrow, cc->id, ab_state_path (st), rootfs, spec,
                     rep, &what, &guard, err)
             < 0
      || seccomp_layer (c, ab_state_path (st), spec, guard, rep, &what, err) < 0
      || (what
          && ab_init_rewrite (spec, c->cfg, ab_state_path (st), what, rep, err)
                 < 0))
    goto fail;
  info.changes = (const char *const *)rep->changes;
  if (ab_state_record (st, &info, err) < 0)
    goto fail;
  /* The tree, not the report, decides: idempotence means an unchanged
   * tree is never written. */
  changed = !ab_json_equal (before, spec->root);
  if (changed && ab_spec_write (spec, err) < 0)
    goto fail;
  log_changes (cc->id, rep, changed);
  return 0;
fail:
  if (took)
    ab_netalloc_release (c->cfg, a.slot, cc->id, &e2);
  ab_state_abort (st);
  return -1;
}

static int
prepare (struct abr_ctx *c, const struct ab_cli_create *cc, ab_error_t *err)
{
  const char *bundle = cc->bundle ? cc->bundle : ".";
  cleanup_free char *bundle_abs = NULL;
  cleanup_spec struct ab_spec *spec = NULL;
  cleanup_json struct ab_json *before = NULL;
  struct ab_harden_report rep = { 0 };
  cleanup_ir struct ab_ir *ir = NULL, *narrow = NULL;
  const char *narrow_name, *mode;
  enum ab_ir_mode m;
  int r;

  if (abr_load_config (c, err) < 0
      || resolve_bundle (bundle, &bundle_abs, err) < 0)
    return -1;
  r = load_and_harden (c, cc->id, bundle, &spec, &before, &rep, err);
  /* The policy is compiled once, for the file layer and before any
   * guardian starts: its error (file:line) is the one the engine shows,
   * not a guardian that did not start. */
  if (r == 0 && (c->cfg->net.enabled || c->cfg->file_layer)
      && ab_config_load_policy (c->cfg, &ir, err) < 0)
    r = -1;
  /* A policy the container names narrows the one in force, in every
   * layer (docs/narrowing.md); a name that does not load refuses. */
  narrow_name = r == 0 ? ab_spec_annotation (spec, AB_ANN_POLICY) : NULL;
  if (narrow_name
      && ab_config_load_narrow (c->cfg, narrow_name, &narrow, err) < 0)
    r = -1;
  /* A mode the config does not let annotations pick refuses too. */
  mode = r == 0 ? ab_spec_annotation (spec, AB_ANN_MODE) : NULL;
  if (mode && ab_config_annotation_mode (c->cfg, mode, &m, err) < 0)
    r = -1;
  /* Closed: without a guardian the container would have no network to
   * speak of; refuse now, before anything is changed. */
  if (r == 0 && c->cfg->net.enabled
      && ab_guardian_ensure (c->cfg, c->cfg->path, err) < 0)
    r = -1;
  if (r == 0)
    r = commit (c, ir, narrow, cc, bundle_abs, spec, before, &rep, err);
  ab_harden_report_free (&rep);
  return r;
}

/* After a foreground run: runc has deleted the container (or never
 * made it), so goes agentbox's state. */
static void
run_ended (struct abr_ctx *c, const char *id)
{
  cleanup_error ab_error_t rm_err = NULL;

  if (ab_container_down (c->cfg, id, &rm_err) < 0)
    {
      ab_log_warning ("container %s: %s", id, rm_err->msg);
      ab_error_free (&rm_err);
    }
  if (ab_state_remove (c->cfg, id, &rm_err) < 0)
    ab_log_warning ("container %s: %s", id, rm_err->msg);
}

/* Through a shim server: the front execs runc run itself, so runc is
 * the engine's child with its pid, signals and exit status, as without
 * agentbox, and this worker watches that process end, then tears down.
 * The engine may see the end first: the state directory is held until
 * the teardown, and a create of the same id waits for it
 * (ab_state_hold). */
static int
run_watched (struct abr_ctx *c, const char *id, pid_t front, ab_error_t *err)
{
  cleanup_error ab_error_t rm_err = NULL;
  cleanup_close int hold = -1;
  char **argv = c->argv;
  int r;

  argv[0] = c->delegate;
  r = ab_state_hold (c->cfg, id, front, &hold, err);
  if (r == 0)
    r = ab_spawn_exec_watched (argv, err);
  /* Nothing started: nothing to keep. */
  if (r == -1)
    {
      ab_state_remove (c->cfg, id, &rm_err);
      return ab_error_wrap (err, "container %s", id);
    }
  /* Started, and how it ended unknown: runc may still hold the
   * container, whose state stays for delete. */
  if (r < 0)
    ab_log_warning ("container %s: %s: its state stays for `delete`", id,
                    (*err)->msg);
  else
    run_ended (c, id);
  return 0;
}

/* Foreground `run` without --keep: runc deletes the container when it
 * exits, so agentbox must stay to delete its state too.  Signals are
 * forwarded to runc, which forwards them to the container, as it would
 * if the engine had signalled runc itself.  The exit status is runc's. */
static int
run_foreground (struct abr_ctx *c, const char *id, ab_error_t *err)
{
  cleanup_error ab_error_t rm_err = NULL;
  char **argv = c->argv;
  pid_t front;
  int status, r;

  if (ab_spawn_front_watch (&front))
    return run_watched (c, id, front, err);
  argv[0] = c->delegate;
  r = ab_spawn_foreground (argv, &status, err);
  /* Nothing started: nothing to keep.  Started, runc may still hold the
   * container: its state stays for delete. */
  if (r == -1)
    ab_state_remove (c->cfg, id, &rm_err);
  if (r < 0)
    return ab_error_wrap (err, "container %s", id);
  run_ended (c, id);
  /* Die the same way, so the caller sees what runc saw. */
  if (WIFSIGNALED (status))
    return ab_exit_by_signal (WTERMSIG (status));
  return WEXITSTATUS (status);
}

int
abr_cmd_create (struct abr_ctx *c, ab_error_t *err)
{
  struct ab_cli_create cc;

  if (ab_cli_parse_create (c->g.verb, c->nargs, c->args, &cc, err) < 0)
    return -1;
  if (cc.help)
    return abr_cmd_passthrough (c, err);
  /* Fails closed: an id that is not runc's shape is refused before any
   * path is built from it. */
  if (!ab_container_id_valid (cc.id))
    return ab_error_set (err, EINVAL,
                         "container `%s`: invalid id: expected letters, "
                         "digits and _+,-. only",
                         cc.id);
  if (prepare (c, &cc, err) < 0)
    return ab_error_wrap (err, "container %s", cc.id);
  if (c->g.verb == AB_VERB_RUN && !cc.detach && !cc.keep)
    return run_foreground (c, cc.id, err);
  if (abr_exec_delegate (c, c->argv, err) < 0)
    {
      /* The bundle may already be hardened: that is safe to leave.  The
       * state goes, as nothing was created. */
      cleanup_error ab_error_t e2 = NULL, e3 = NULL;
      ab_container_down (c->cfg, cc.id, &e3);
      ab_state_remove (c->cfg, cc.id, &e2);
      return ab_error_wrap (err, "container %s", cc.id);
    }
  return 0;
}
