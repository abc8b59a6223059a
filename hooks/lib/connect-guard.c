/* agentbox: the connect guard's user-space twin (see connect-guard.h and
 * bpf/connect-guard.bpf.c). */
#include "hooks/lib/connect-guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "connect-guard.skel.h"
#include "lib/cleanup.h"
#include "hooks/lib/bpfutil.h"
#include "lib/log.h"

#define GUARD_NLINKS 4

static void
guard_skel_destroyp (struct connect_guard **skel)
{
  connect_guard__destroy (*skel);
}
#define cleanup_guard __attribute__ ((cleanup (guard_skel_destroyp)))

/* The pin names, in the order of guard_programs(). */
static const char *const guard_pin_names[GUARD_NLINKS]
    = { "connect4", "connect6", "sendmsg4", "sendmsg6" };

/* ---- libbpf boundary ----------------------------------------------------- */

static int
guard_set_conf (struct connect_guard *skel, const struct ab_guard_conf *conf,
                ab_error_t *err)
{
  struct connect_guard__rodata *ro = skel->rodata;

  if (conf->syn4_len > 32 || conf->syn6_len > 128)
    return ab_error_set (err, EINVAL, "synthetic range /%u or /%u: bad length",
                         conf->syn4_len, conf->syn6_len);
  ro->peer4 = conf->peer4.s_addr;
  memcpy (ro->peer6, &conf->peer6, sizeof ro->peer6);
  /* Length 0 means "no range" (a machine without IPv6, say); the program
   * then matches nothing, rather than everything. */
  ro->syn4_mask = conf->syn4_len ? htonl (~0U << (32 - conf->syn4_len)) : 0;
  ro->syn4 = conf->syn4.s_addr & ro->syn4_mask;
  memcpy (ro->syn6, &conf->syn6, sizeof ro->syn6);
  ro->syn6_len = conf->syn6_len;
  return 0;
}

static int
guard_load (const struct ab_guard_conf *conf, struct connect_guard **out,
            ab_error_t *err)
{
  cleanup_guard struct connect_guard *skel = NULL;
  int rc;

  ab_bpf_libbpf_init ();
  skel = connect_guard__open ();
  if (skel == NULL)
    return ab_bpf_error (err, -errno, "open connect guard");
  if (guard_set_conf (skel, conf, err) < 0)
    return -1;
  rc = connect_guard__load (skel);
  if (rc < 0)
    return ab_bpf_error (err, rc, "load connect guard");
  *out = steal_pointer (&skel);
  return 0;
}

static int
guard_probe (void)
{
  cleanup_guard struct connect_guard *skel = NULL;
  cleanup_error ab_error_t err = NULL;
  struct ab_guard_conf conf = { .syn4_len = 0 };
  int fd;

  if (guard_load (&conf, &skel, &err) < 0)
    {
      ab_log_debug ("connect guard unsupported: %s", err->msg);
      return -1;
    }
  /* A cgroup link to no cgroup: EBADF says the kernel knows BPF links
   * for this attach type (5.7+) and got as far as the target fd. */
  fd = bpf_link_create (bpf_program__fd (skel->progs.ab_connect4), -1,
                        BPF_CGROUP_INET4_CONNECT, NULL);
  if (fd >= 0)
    close (fd);
  if (fd != -EBADF)
    ab_log_debug ("connect guard unsupported: cgroup link probe gave %d", fd);
  return fd == -EBADF ? 0 : -1;
}

bool
connect_guard_supported (void)
{
  static int supported = -1;

  if (supported < 0)
    supported = guard_probe () == 0;
  return supported;
}

/* ---- pin directory ------------------------------------------------------- */

/* ---- attach -------------------------------------------------------------- */

struct guard_link
{
  const char *name;
  struct bpf_program *prog;
  struct bpf_link *link;
  bool pinned;
};

/* Undo: a pinned link is unpinned, then every link's fd is closed, which
 * detaches it once no pin holds it. */
static void
guard_links_undo (struct guard_link *l, size_t n)
{
  for (size_t i = n; i-- > 0;)
    {
      if (l[i].pinned)
        bpf_link__unpin (l[i].link);
      bpf_link__destroy (l[i].link);
      l[i].link = NULL;
    }
}

/* On success the pins hold the links; our fds can go. */
static void
guard_links_release (struct guard_link *l, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      bpf_link__destroy (l[i].link);
      l[i].link = NULL;
    }
}

static int
guard_link_one (struct guard_link *l, int cg_fd, const char *pin_dir,
                ab_error_t *err)
{
  char path[PATH_MAX];
  int rc;

  if (ab_bpf_pin_path (path, pin_dir, l->name, err) < 0)
    return -1;
  l->link = bpf_program__attach_cgroup (l->prog, cg_fd);
  if (l->link == NULL)
    return ab_bpf_error (err, -errno, "attach %s", l->name);
  rc = bpf_link__pin (l->link, path);
  if (rc < 0)
    return ab_bpf_error (err, rc, "pin %s", path);
  l->pinned = true;
  return 0;
}

static int
guard_link_all (struct connect_guard *skel, int cg_fd, const char *pin_dir,
                ab_error_t *err)
{
  struct bpf_program *progs[GUARD_NLINKS]
      = { skel->progs.ab_connect4, skel->progs.ab_connect6,
          skel->progs.ab_sendmsg4, skel->progs.ab_sendmsg6 };
  struct guard_link links[GUARD_NLINKS];
  size_t i;

  for (i = 0; i < GUARD_NLINKS; i++)
    links[i]
        = (struct guard_link){ .name = guard_pin_names[i], .prog = progs[i] };
  for (i = 0; i < GUARD_NLINKS; i++)
    if (guard_link_one (&links[i], cg_fd, pin_dir, err) < 0)
      {
        /* Fail closed for the caller: all or nothing stays attached. */
        guard_links_undo (links, i + 1);
        return -1;
      }
  guard_links_release (links, GUARD_NLINKS);
  return 0;
}

int
connect_guard_attach (const struct ab_guard_conf *conf, const char *cgroup,
                      const char *pin_dir, ab_error_t *err)
{
  cleanup_guard struct connect_guard *skel = NULL;
  cleanup_close int cg_fd = -1;
  bool created;

  if (guard_load (conf, &skel, err) < 0)
    return -1;
  cg_fd = open (cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg_fd < 0)
    return ab_error_errno (err, "open cgroup %s", cgroup);
  if (ab_bpf_make_pin_dir (pin_dir, &created, err) < 0)
    return ab_error_wrap (err, "connect guard");
  if (guard_link_all (skel, cg_fd, pin_dir, err) < 0)
    {
      if (created)
        rmdir (pin_dir);
      return ab_error_wrap (err, "connect guard on %s", cgroup);
    }
  return 0;
}

int
connect_guard_detach (const char *pin_dir, ab_error_t *err)
{
  char path[PATH_MAX];

  ab_bpf_libbpf_init ();
  for (size_t i = 0; i < GUARD_NLINKS; i++)
    {
      if (ab_bpf_pin_path (path, pin_dir, guard_pin_names[i], err) < 0)
        return -1;
      ab_bpf_detach_pinned (path);
      if (unlink (path) < 0 && errno != ENOENT)
        return ab_error_errno (err, "unpin %s", path);
    }
  if (rmdir (pin_dir) < 0 && errno != ENOENT)
    return ab_error_errno (err, "remove %s", pin_dir);
  return 0;
}

/* ---- cgroup2 directory --------------------------------------------------- */

/* The mount point of LINE, a mountinfo line, if its fstype is cgroup2. */
static char *
mountinfo_cgroup2 (const char *line)
{
  const char *sep = strstr (line, " - ");
  char *point = NULL;

  if (sep == NULL || strncmp (sep + 3, "cgroup2 ", 8) != 0)
    return NULL;
  if (sscanf (line, "%*s %*s %*s %*s %ms", &point) != 1)
    return NULL;
  ab_unescape_octal (point);
  return point;
}

static int
cgroup2_mount (char **out, ab_error_t *err)
{
  cleanup_file FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (f == NULL)
    return ab_error_errno (err, "open /proc/self/mountinfo");
  while (getline (&line, &cap, f) > 0)
    {
      *out = mountinfo_cgroup2 (line);
      if (*out)
        return 0;
    }
  return ab_error_set (err, ENOENT, "no cgroup2 mount");
}

static int
cgroup2_path_of (pid_t pid, char **out, ab_error_t *err)
{
  char name[64];
  cleanup_file FILE *f = NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t n;

  snprintf (name, sizeof name, "/proc/%d/cgroup", (int)pid);
  f = fopen (name, "re");
  if (f == NULL)
    return ab_error_errno (err, "open %s", name);
  while ((n = getline (&line, &cap, f)) > 0)
    {
      if (strncmp (line, "0::", 3) != 0)
        continue;
      if (line[n - 1] == '\n')
        line[n - 1] = '\0';
      *out = strdup (line + 3);
      if (*out == NULL)
        return ab_error_errno (err, "read %s", name);
      return 0;
    }
  return ab_error_set (err, ENOENT, "%s: no cgroup2 (0::) line", name);
}

int
ab_cgroup2_dir_of (pid_t pid, char **out, ab_error_t *err)
{
  cleanup_free char *mnt = NULL;
  cleanup_free char *path = NULL;

  if (cgroup2_mount (&mnt, err) < 0 || cgroup2_path_of (pid, &path, err) < 0)
    return ab_error_wrap (err, "cgroup2 directory of %d", (int)pid);
  if (asprintf (out, "%s%s", mnt, strcmp (path, "/") == 0 ? "" : path) < 0)
    return ab_error_errno (err, "cgroup2 directory of %d", (int)pid);
  return 0;
}
