/* agentbox: a container's file guard, brought up by the createRuntime
 * hook and taken down by poststop and delete (container.h). */
#include "hooks/lib/container.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/lib/connect-guard.h"
#include "hooks/lib/file-guard.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "shim/lib/filelayer.h"
#include "shim/lib/state.h"

struct fg_rec
{
  char *rootfs;
  char *project;
  char *policy; /* the narrowing policy's name, or NULL */
};

static void
fg_rec_free (struct fg_rec *r)
{
  free (r->rootfs);
  free (r->project);
  free (r->policy);
}

/* STATE/fileguard, written by create: "rootfs PATH", "project NAME" and
 * "policy NAME" lines.  1: read; 0: the container has no file guard. */
static int
fg_rec_read (const struct ab_config *cfg, const char *id, struct fg_rec *r,
             ab_error_t *err)
{
  cleanup_free char *dir = NULL, *path = NULL, *line = NULL;
  cleanup_file FILE *f = NULL;
  size_t cap = 0;
  ssize_t n;

  memset (r, 0, sizeof *r);
  if (ab_state_dir (cfg, id, &dir, err) < 0)
    return -1;
  if (asprintf (&path, "%s/%s", dir, AB_FILEGUARD_FILE) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  f = fopen (path, "re");
  if (f == NULL)
    return errno == ENOENT ? 0 : ab_error_errno (err, "open %s", path);
  while ((n = getline (&line, &cap, f)) > 0)
    {
      if (line[n - 1] == '\n')
        line[n - 1] = '\0';
      if (strncmp (line, "rootfs ", 7) == 0 && !r->rootfs)
        r->rootfs = strdup (line + 7);
      else if (strncmp (line, "project ", 8) == 0 && !r->project)
        r->project = strdup (line + 8);
      else if (strncmp (line, "policy ", 7) == 0 && !r->policy)
        r->policy = strdup (line + 7);
    }
  if (r->rootfs == NULL)
    {
      fg_rec_free (r);
      return ab_error_set (err, EINVAL, "%s: no rootfs line", path);
    }
  return 1;
}

/* The container's io.agentbox.mode, else the policy's. */
static enum ab_ir_mode
mode_of (const struct ab_config *cfg, const char *id, const struct ab_ir *ir)
{
  cleanup_free char *dir = NULL;
  cleanup_error ab_error_t err = NULL;
  char v[16] = "";

  if (ab_state_dir (cfg, id, &dir, &err) == 0)
    ab_state_annotation (dir, AB_ANN_MODE, v, sizeof v);
  return ab_config_container_mode (cfg, v[0] ? v : NULL, ab_ir_mode (ir));
}

int
ab_container_fg_up (const struct ab_config *cfg, const char *id, pid_t pid,
                    ab_error_t *err)
{
  cleanup_ir struct ab_ir *ir = NULL, *narrow = NULL;
  cleanup_free char *cgroup = NULL;
  struct ab_ir_principal p = { .container = id };
  struct ab_fg_plan plan = { 0 };
  struct fg_rec rec;
  uint32_t root_mnt;
  int r = fg_rec_read (cfg, id, &rec, err);

  if (r <= 0)
    return r;
  p.project = rec.project;
  r = -1;
  if (ab_config_load_policy (cfg, &ir, err) < 0
      || (rec.policy
          && ab_config_load_narrow (cfg, rec.policy, &narrow, err) < 0)
      || ab_cgroup2_dir_of (pid, &cgroup, err) < 0
      || ab_fg_root_mount (pid, rec.rootfs, &root_mnt, err) < 0)
    goto out;
  r = ab_fg_plan_build (ir, narrow, &p, 0, &plan, err);
  if (r == 1)
    {
      /* create saw file rules; a policy edited since has none. */
      ab_log_warning ("container %s: the policy has no file rules now: no "
                      "file guard",
                      id);
      r = 0;
      goto out;
    }
  if (r == 0)
    r = ab_fg_attach (id, cgroup, &plan, (enum ab_fg_mode)mode_of (cfg, id, ir),
                      cfg->file_guard_global || !ab_fg_cgroup_attach (),
                      root_mnt, ab_ir_generation (ir), err);
out:
  ab_fg_plan_free (&plan);
  fg_rec_free (&rec);
  return r < 0 ? ab_error_wrap (err, "file guard") : 0;
}

int
ab_container_fg_down (const char *id, ab_error_t *err)
{
  return ab_fg_detach (id, err);
}

int
ab_container_down (const struct ab_config *cfg, const char *id, ab_error_t *err)
{
  cleanup_error ab_error_t fg_err = NULL;
  int r = 0;

  /* The file guard first: its pins sit inside the connect guard's
   * directory.  Both run whatever the other did. */
  if (ab_container_fg_down (id, &fg_err) < 0)
    r = -1;
  if (ab_container_net_down (cfg, id, err) < 0)
    return -1;
  if (r < 0 && err)
    {
      *err = fg_err;
      fg_err = NULL;
    }
  return r;
}

int
ab_fileguard_prepare (const struct ab_ir *ir, const struct ab_ir *narrow,
                      const char *narrow_name, const char *id,
                      const char *project, const char *state_dir,
                      const char *rootfs, ab_error_t *err)
{
  cleanup_free char *path = NULL, *real = NULL;
  cleanup_file FILE *f = NULL;
  struct ab_ir_principal p = { .container = id, .project = project };
  struct ab_fg_plan plan;
  int r;

  /* Planned here so that a policy the guard cannot take fails create,
   * with the engine watching; the hook compiles and plans it again. */
  r = ab_fg_plan_build (ir, narrow, &p, 0, &plan, err);
  if (r != 0)
    return r;
  ab_fg_plan_free (&plan);
  /* mountinfo names the rootfs by its resolved path. */
  real = realpath (rootfs, NULL);
  if (real == NULL)
    return ab_error_errno (err, "rootfs %s", rootfs);
  if (asprintf (&path, "%s/%s", state_dir, AB_FILEGUARD_FILE) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  f = fopen (path, "we");
  if (f == NULL || fprintf (f, "rootfs %s\n", real) < 0
      || (project && fprintf (f, "project %s\n", project) < 0)
      || (narrow_name && fprintf (f, "policy %s\n", narrow_name) < 0)
      || fflush (f) != 0)
    return ab_error_errno (err, "write %s", path);
  return 1;
}
