/* agentbox: the file guard's dispatcher, loaded once per host, hooks
 * attached as guards need them (fg-dispatch.h). */
#include "hooks/lib/fg-dispatch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fg-dispatch.skel.h"
#include "hooks/lib/bpfutil.h"
#include "lib/cleanup.h"
#include "lib/log.h"

static const char *const hook_names[AB_FGD_N_HOOKS] = {
  [AB_FGD_FILE_OPEN] = "file_open", [AB_FGD_EXEC] = "exec",
  [AB_FGD_MMAP] = "mmap",           [AB_FGD_TRUNCATE] = "truncate",
  [AB_FGD_MKNOD] = "mknod",         [AB_FGD_MKDIR] = "mkdir",
  [AB_FGD_UNLINK] = "unlink",       [AB_FGD_LINK] = "link",
  [AB_FGD_RENAME] = "rename",       [AB_FGD_UNIX_CONNECT] = "unix_connect",
  [AB_FGD_RMDIR] = "rmdir",         [AB_FGD_SYMLINK] = "symlink",
  [AB_FGD_CHMOD] = "chmod",         [AB_FGD_CHOWN] = "chown",
};

const char *
ab_fgd_hook_name (enum ab_fgd_hook h)
{
  return h < AB_FGD_N_HOOKS ? hook_names[h] : "?";
}

static void
pin_path (char *buf, const char *kind, const char *name)
{
  snprintf (buf, PATH_MAX, "%s/%s%s", AB_FGD_PIN_DIR, kind, name);
}

static void
skel_destroyp (struct fg_dispatch **s)
{
  if (*s)
    fg_dispatch__destroy (*s);
}
#define cleanup_fgd_skel __attribute__ ((cleanup (skel_destroyp)))

/* Reuse every map already pinned, so that this load and the earlier
 * ones share them. */
static int
reuse_pinned (struct fg_dispatch *skel, ab_error_t *err)
{
  struct bpf_map *m;
  char path[PATH_MAX];

  bpf_object__for_each_map (m, skel->obj)
  {
    int fd, rc;

    pin_path (path, "", bpf_map__name (m));
    fd = bpf_obj_get (path);
    if (fd < 0)
      continue;
    rc = bpf_map__reuse_fd (m, fd);
    close (fd);
    if (rc < 0)
      return ab_bpf_error (err, rc, "reuse %s", path);
  }
  return 0;
}

/* Attach and pin the hooks of MISSING (a mask of enum ab_fgd_hook),
 * loading the dispatcher with only those programs and the pinned maps;
 * pin the maps the first time.  On failure, what this call pinned goes. */
static int
attach_hooks (unsigned missing, ab_error_t *err)
{
  cleanup_fgd_skel struct fg_dispatch *skel = fg_dispatch__open ();
  char path[PATH_MAX], name[64];
  unsigned pinned = 0, made = 0;
  struct bpf_map *m;
  bool created;
  int rc = 0;

  if (skel == NULL)
    return ab_bpf_error (err, -errno, "open the file guard's dispatcher");
  if (reuse_pinned (skel, err) < 0)
    return -1;
  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    {
      snprintf (name, sizeof name, "ab_fgd_%s", hook_names[h]);
      bpf_program__set_autoload (
          bpf_object__find_program_by_name (skel->obj, name),
          (missing >> h) & 1);
    }
  rc = fg_dispatch__load (skel);
  if (rc < 0)
    return ab_bpf_error (err, rc, "load the file guard's dispatcher");
  if (ab_bpf_make_pin_dir (AB_FGD_PIN_DIR, &created, err) < 0)
    return -1;
  bpf_object__for_each_map (m, skel->obj)
  {
    pin_path (path, "", bpf_map__name (m));
    if (access (path, F_OK) == 0)
      continue;
    if ((rc = bpf_map__pin (m, path)) < 0)
      break;
    made++;
  }
  for (int h = 0; rc == 0 && h < AB_FGD_N_HOOKS; h++)
    {
      struct bpf_link *link;

      if (!((missing >> h) & 1))
        continue;
      snprintf (name, sizeof name, "ab_fgd_%s", hook_names[h]);
      link = bpf_program__attach_lsm (
          bpf_object__find_program_by_name (skel->obj, name));
      if (link == NULL)
        {
          rc = -errno;
          break;
        }
      pin_path (path, "link-", hook_names[h]);
      rc = bpf_link__pin (link, path);
      bpf_link__destroy (link); /* the pin holds it, or nothing does */
      if (rc == 0)
        pinned |= 1u << h;
    }
  if (rc == 0)
    {
      int n = __builtin_popcount (missing);

      ab_log_info ("file guard: dispatcher on %d more hook%s", n,
                   n == 1 ? "" : "s");
      return 0;
    }
  /* Closed and clean: the links this call made go; maps it pinned too,
   * when nothing else was there. */
  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    if ((pinned >> h) & 1)
      {
        pin_path (path, "link-", hook_names[h]);
        ab_bpf_detach_pinned (path);
        unlink (path);
      }
  if (made && created)
    {
      bpf_object__for_each_map (m, skel->obj)
      {
        pin_path (path, "", bpf_map__name (m));
        unlink (path);
      }
      rmdir (AB_FGD_PIN_DIR);
    }
  return ab_bpf_error (err, rc, "attach the file guard's dispatcher");
}

/* The hooks of NEED not attached yet: attach them. */
static int
ensure_hooks (unsigned need, ab_error_t *err)
{
  char path[PATH_MAX];
  unsigned missing = 0;

  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    {
      pin_path (path, "link-", hook_names[h]);
      if (((need >> h) & 1) && access (path, F_OK) < 0)
        missing |= 1u << h;
    }
  return missing ? attach_hooks (missing, err) : 0;
}

static int
open_pinned (const char *kind, const char *name, ab_error_t *err)
{
  char path[PATH_MAX];
  int fd;

  pin_path (path, kind, name);
  fd = bpf_obj_get (path);
  if (fd < 0)
    ab_error_errno (err, "open %s", path);
  return fd;
}

/* Serialise the hooks of every container on the host: slots are taken
 * by looking for a free one, hooks attached once. */
static int
lock_pins (ab_error_t *err)
{
  bool created;
  int fd;

  if (ab_bpf_make_pin_dir (BPFFS_ROOT "/agentbox", &created, err) < 0)
    return -1;
  fd = open (BPFFS_ROOT "/agentbox", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || flock (fd, LOCK_EX) < 0)
    {
      ab_error_errno (err, "lock %s", BPFFS_ROOT "/agentbox");
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return fd;
}

static void
close_all (int *fds)
{
  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    if (fds[h] >= 0)
      close (fds[h]);
}

/* The prog arrays of the hooks in NEED into FDS (-1 elsewhere). */
static int
open_arrays (unsigned need, int *fds, ab_error_t *err)
{
  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    fds[h] = -1;
  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    if (((need >> h) & 1)
        && (fds[h] = open_pinned ("tail_", hook_names[h], err)) < 0)
      return -1;
  return 0;
}

int
ab_fgd_add (const struct ab_fgd_progs *progs, uint64_t cgroup_id,
            uint32_t *slot, ab_error_t *err)
{
  cleanup_close int lock = -1, cg = -1, glob = -1;
  int fds[AB_FGD_N_HOOKS];
  unsigned need = 0;
  bool global;
  uint32_t s, id;
  int r = -1;

  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    if (progs->fd[h] >= 0)
      need |= 1u << h;
  /* Every guard has the rmdir hook: its array tells free slots. */
  if (!((need >> AB_FGD_RMDIR) & 1))
    return ab_error_set (err, EINVAL, "file guard: no rmdir program");
  global = (need & ((1u << AB_FGD_RMDIR) - 1)) != 0;
  ab_bpf_libbpf_init ();
  lock = lock_pins (err);
  if (lock < 0 || ensure_hooks (need, err) < 0
      || (cg = open_pinned ("", "fg_cgroups", err)) < 0
      || (glob = open_pinned ("", "fg_global", err)) < 0)
    return -1;
  if (open_arrays (need, fds, err) < 0)
    goto out;
  /* A free slot: no program in it (a prog array answers with its id). */
  for (s = 0; s < AB_FGD_SLOTS; s++)
    if (bpf_map_lookup_elem (fds[AB_FGD_RMDIR], &s, &id) < 0
        && errno == ENOENT)
      break;
  if (s == AB_FGD_SLOTS)
    {
      ab_error_set (err, ENOSPC, "file guard: all %d dispatcher slots taken",
                    AB_FGD_SLOTS);
      goto out;
    }
  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    if (fds[h] >= 0
        && bpf_map_update_elem (fds[h], &s, &progs->fd[h], BPF_ANY) < 0)
      {
        ab_error_errno (err, "file guard: dispatcher slot %u (%s)", s,
                        hook_names[h]);
        goto undo;
      }
  /* The cgroup last: from here on its tasks are dispatched. */
  if (bpf_map_update_elem (cg, &cgroup_id, &s, BPF_ANY) < 0
      || (global && bpf_map_update_elem (glob, &cgroup_id, &s, BPF_ANY) < 0))
    {
      ab_error_errno (err, "file guard: dispatcher cgroup %llu",
                      (unsigned long long)cgroup_id);
      bpf_map_delete_elem (cg, &cgroup_id);
      goto undo;
    }
  *slot = s;
  r = 0;
  goto out;
undo:
  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    if (fds[h] >= 0)
      bpf_map_delete_elem (fds[h], &s);
out:
  close_all (fds);
  return r;
}

int
ab_fgd_remove (uint64_t cgroup_id, uint32_t slot, ab_error_t *err)
{
  cleanup_close int lock = -1, cg = -1, glob = -1;
  uint32_t s;
  int r = 0;

  if (access (AB_FGD_PIN_DIR, F_OK) < 0)
    return 0;
  ab_bpf_libbpf_init ();
  lock = lock_pins (err);
  if (lock < 0 || (cg = open_pinned ("", "fg_cgroups", err)) < 0
      || (glob = open_pinned ("", "fg_global", err)) < 0)
    return -1;
  /* Only our own slot: the cgroup's entry says whose it is. */
  if (bpf_map_lookup_elem (cg, &cgroup_id, &s) < 0)
    return errno == ENOENT ? 0 : ab_error_errno (err, "file guard: dispatcher");
  if (s == slot)
    bpf_map_delete_elem (glob, &cgroup_id);
  if (s != slot || bpf_map_delete_elem (cg, &cgroup_id) < 0)
    return ab_error_set (err, EIO,
                         "file guard: dispatcher slot %u is not cgroup "
                         "%llu's",
                         slot, (unsigned long long)cgroup_id);
  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    {
      char path[PATH_MAX];
      int fd;

      pin_path (path, "tail_", hook_names[h]);
      if (access (path, F_OK) < 0)
        continue;
      fd = open_pinned ("tail_", hook_names[h], err);
      if (fd < 0 || (bpf_map_delete_elem (fd, &s) < 0 && errno != ENOENT))
        r = -1;
      if (fd >= 0)
        close (fd);
    }
  return r < 0 ? ab_error_wrap (err, "file guard: dispatcher slot %u", s) : 0;
}
