/* agentbox: the file guard's dispatcher, loaded once and shared
 * (fg-dispatch.h). */
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

#include "bpf/file-guard.h"
#include "fg-dispatch.skel.h"
#include "hooks/lib/bpfutil.h"
#include "lib/cleanup.h"
#include "lib/log.h"

/* The prog arrays, in struct ab_fgd_progs order. */
static const char *const arrays[] = { "tail_rmdir", "tail_symlink",
                                      "tail_chmod", "tail_chown" };
#define N_ARRAYS (sizeof arrays / sizeof *arrays)

static void
skel_destroyp (struct fg_dispatch **s)
{
  if (*s)
    fg_dispatch__destroy (*s);
}
#define cleanup_fgd_skel __attribute__ ((cleanup (skel_destroyp)))

static void
unpin_all (void)
{
  static const char *const names[]
      = { "fg_cgroups",  "tail_rmdir",   "tail_symlink", "tail_chmod",
          "tail_chown",  "link-rmdir",   "link-symlink", "link-chmod",
          "link-chown" };
  char path[PATH_MAX];

  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    {
      snprintf (path, sizeof path, "%s/%s", AB_FGD_PIN_DIR, names[i]);
      if (strncmp (names[i], "link-", 5) == 0)
        ab_bpf_detach_pinned (path);
      unlink (path);
    }
  rmdir (AB_FGD_PIN_DIR);
}

/* Load, attach and pin the dispatcher; on failure nothing stays. */
static int
install (ab_error_t *err)
{
  cleanup_fgd_skel struct fg_dispatch *skel = NULL;
  struct bpf_program *p[N_ARRAYS];
  char path[PATH_MAX];
  bool created;
  int rc;

  skel = fg_dispatch__open_and_load ();
  if (skel == NULL)
    return ab_bpf_error (err, -errno, "load the file guard's dispatcher");
  if (ab_bpf_make_pin_dir (AB_FGD_PIN_DIR, &created, err) < 0)
    return -1;
  p[0] = skel->progs.ab_fgd_rmdir;
  p[1] = skel->progs.ab_fgd_symlink;
  p[2] = skel->progs.ab_fgd_chmod;
  p[3] = skel->progs.ab_fgd_chown;
  /* The maps first: a dispatcher is whole once its links are pinned. */
  rc = bpf_map__pin (skel->maps.fg_cgroups, AB_FGD_PIN_DIR "/fg_cgroups");
  for (size_t i = 0; rc == 0 && i < N_ARRAYS; i++)
    {
      struct bpf_map *m
          = bpf_object__find_map_by_name (skel->obj, arrays[i]);

      snprintf (path, sizeof path, "%s/%s", AB_FGD_PIN_DIR, arrays[i]);
      rc = m ? bpf_map__pin (m, path) : -ENOENT;
    }
  for (size_t i = 0; rc == 0 && i < N_ARRAYS; i++)
    {
      struct bpf_link *link = bpf_program__attach_lsm (p[i]);

      if (link == NULL)
        {
          rc = -errno;
          break;
        }
      snprintf (path, sizeof path, "%s/link-%s", AB_FGD_PIN_DIR,
                arrays[i] + 5);
      rc = bpf_link__pin (link, path);
      bpf_link__destroy (link); /* the pin holds it, or nothing does */
    }
  if (rc < 0)
    {
      unpin_all ();
      return ab_bpf_error (err, rc, "install the file guard's dispatcher");
    }
  ab_log_info ("file guard: dispatcher installed at %s", AB_FGD_PIN_DIR);
  return 0;
}

static int
open_pinned (const char *name, ab_error_t *err)
{
  char path[PATH_MAX];
  int fd;

  snprintf (path, sizeof path, "%s/%s", AB_FGD_PIN_DIR, name);
  fd = bpf_obj_get (path);
  if (fd < 0)
    ab_error_errno (err, "open %s", path);
  return fd;
}

/* Serialise the hooks of every container on the host: slots are taken
 * by looking for a free one. */
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

int
ab_fgd_add (const struct ab_fgd_progs *progs, uint64_t cgroup_id,
            uint32_t *slot, ab_error_t *err)
{
  const int prog_fds[N_ARRAYS]
      = { progs->rmdir, progs->symlink, progs->chmod, progs->chown };
  cleanup_close int lock = -1, cg = -1;
  int fds[N_ARRAYS] = { -1, -1, -1, -1 };
  uint32_t s, id;
  int r = -1;

  ab_bpf_libbpf_init ();
  lock = lock_pins (err);
  if (lock < 0)
    return -1;
  if (access (AB_FGD_PIN_DIR "/link-chown", F_OK) < 0 && install (err) < 0)
    return -1;
  cg = open_pinned ("fg_cgroups", err);
  for (size_t i = 0; cg >= 0 && i < N_ARRAYS; i++)
    if ((fds[i] = open_pinned (arrays[i], err)) < 0)
      goto out;
  if (cg < 0)
    goto out;
  /* A free slot: no program in it (a prog array answers with its id). */
  for (s = 0; s < AB_FGD_SLOTS; s++)
    if (bpf_map_lookup_elem (fds[0], &s, &id) < 0 && errno == ENOENT)
      break;
  if (s == AB_FGD_SLOTS)
    {
      ab_error_set (err, ENOSPC, "file guard: all %d dispatcher slots taken",
                    AB_FGD_SLOTS);
      goto out;
    }
  for (size_t i = 0; i < N_ARRAYS; i++)
    if (bpf_map_update_elem (fds[i], &s, &prog_fds[i], BPF_ANY) < 0)
      {
        ab_error_errno (err, "file guard: dispatcher slot %u", s);
        goto undo;
      }
  if (bpf_map_update_elem (cg, &cgroup_id, &s, BPF_ANY) < 0)
    {
      ab_error_errno (err, "file guard: dispatcher cgroup %llu",
                      (unsigned long long)cgroup_id);
      goto undo;
    }
  *slot = s;
  r = 0;
  goto out;
undo:
  for (size_t i = 0; i < N_ARRAYS; i++)
    bpf_map_delete_elem (fds[i], &s);
out:
  for (size_t i = 0; i < N_ARRAYS; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return r;
}

int
ab_fgd_remove (uint64_t cgroup_id, uint32_t slot, ab_error_t *err)
{
  cleanup_close int lock = -1, cg = -1;
  uint32_t s;
  int r = 0;

  if (access (AB_FGD_PIN_DIR, F_OK) < 0)
    return 0;
  ab_bpf_libbpf_init ();
  lock = lock_pins (err);
  if (lock < 0 || (cg = open_pinned ("fg_cgroups", err)) < 0)
    return -1;
  /* Only our own slot: another container may have it by now if ours
   * was freed before (the cgroup's entry says whose it is). */
  if (bpf_map_lookup_elem (cg, &cgroup_id, &s) < 0)
    return errno == ENOENT ? 0 : ab_error_errno (err, "file guard: dispatcher");
  if (s != slot || bpf_map_delete_elem (cg, &cgroup_id) < 0)
    return ab_error_set (err, EIO, "file guard: dispatcher slot %u is not "
                                   "cgroup %llu's", slot,
                         (unsigned long long)cgroup_id);
  for (size_t i = 0; i < N_ARRAYS; i++)
    {
      int fd = open_pinned (arrays[i], err);

      if (fd < 0 || (bpf_map_delete_elem (fd, &s) < 0 && errno != ENOENT))
        r = -1;
      if (fd >= 0)
        close (fd);
    }
  return r < 0 ? ab_error_wrap (err, "file guard: dispatcher slot %u", s) : 0;
}
