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
#include "lib/log.h"

#define BPFFS_ROOT "/sys/fs/bpf"
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

/* libbpf prints to stderr by default; only main() may talk to the user,
 * so its messages (the verifier log among them) become debug lines. */
static int
guard_libbpf_print (enum libbpf_print_level level, const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;
  size_t len;

  if (!ab_log_debug_enabled () || vasprintf (&msg, fmt, ap) < 0)
    return 0;
  len = strlen (msg);
  if (len > 0 && msg[len - 1] == '\n')
    msg[len - 1] = '\0';
  ab_log_debug ("libbpf: %s", msg);
  return 0;
}

static void
guard_libbpf_init (void)
{
  libbpf_set_print (guard_libbpf_print);
}

/* Convert libbpf's negative errno RC (which may be one of libbpf's own
 * codes, above any errno) into *ERR with the context FMT. */
static int guard_libbpf_error (ab_error_t *err, int rc, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
guard_libbpf_error (ab_error_t *err, int rc, const char *fmt, ...)
{
  cleanup_free char *ctx = NULL;
  char cause[128];
  int status = rc < 0 ? -rc : EINVAL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end (ap);
  libbpf_strerror (status, cause, sizeof cause);
  if (status >= __LIBBPF_ERRNO__START)
    status = EINVAL;
  return ab_error_set (err, status, "%s: %s", ctx ? ctx : "libbpf", cause);
}

/* ---- load ---------------------------------------------------------------- */

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

  guard_libbpf_init ();
  skel = connect_guard__open ();
  if (skel == NULL)
    return guard_libbpf_error (err, -errno, "open connect guard");
  if (guard_set_conf (skel, conf, err) < 0)
    return -1;
  rc = connect_guard__load (skel);
  if (rc < 0)
    return guard_libbpf_error (err, rc, "load connect guard");
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

static bool
is_bpffs (const char *path)
{
  struct statfs s;

  return statfs (path, &s) == 0 && s.f_type == BPF_FS_MAGIC;
}

static bool
path_below (const char *path, const char *dir)
{
  size_t n = strlen (dir);

  return strncmp (path, dir, n) == 0 && path[n] == '/';
}

/* Pins need a bpffs; many distributions (and this container host) do not
 * mount one, and the place everyone looks for it is /sys/fs/bpf. */
static int
ensure_bpffs (const char *pin_dir, ab_error_t *err)
{
  if (!path_below (pin_dir, BPFFS_ROOT) || is_bpffs (BPFFS_ROOT))
    return 0;
  if (mount ("bpf", BPFFS_ROOT, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
             "mode=0700")
      < 0)
    return ab_error_errno (err, "mount bpffs on %s", BPFFS_ROOT);
  return 0;
}

/* mkdir -p with MODE; *CREATED tells whether PATH itself was made. */
static int
mkdir_parents (const char *path, mode_t mode, bool *created, ab_error_t *err)
{
  char buf[PATH_MAX];

  *created = false;
  if (snprintf (buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return ab_error_set (err, ENAMETOOLONG, "%s: name too long", path);
  for (char *p = strchr (buf + 1, '/'); p; p = strchr (p + 1, '/'))
    {
      *p = '\0';
      if (mkdir (buf, mode) < 0 && errno != EEXIST)
        return ab_error_errno (err, "mkdir %s", buf);
      *p = '/';
    }
  if (mkdir (buf, mode) == 0)
    *created = true;
  else if (errno != EEXIST)
    return ab_error_errno (err, "mkdir %s", buf);
  return 0;
}

static int
make_pin_dir (const char *pin_dir, bool *created, ab_error_t *err)
{
  if (ensure_bpffs (pin_dir, err) < 0)
    return -1;
  if (mkdir_parents (pin_dir, 0700, created, err) < 0)
    return -1;
  if (is_bpffs (pin_dir))
    return 0;
  if (*created)
    rmdir (pin_dir);
  return ab_error_set (err, ENOTSUP, "%s: not on a bpffs", pin_dir);
}

static int
pin_path (char *buf, const char *pin_dir, const char *name, ab_error_t *err)
{
  if (snprintf (buf, PATH_MAX, "%s/%s", pin_dir, name) >= PATH_MAX)
    return ab_error_set (err, ENAMETOOLONG, "%s: name too long", pin_dir);
  return 0;
}

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

  if (pin_path (path, pin_dir, l->name, err) < 0)
    return -1;
  l->link = bpf_program__attach_cgroup (l->prog, cg_fd);
  if (l->link == NULL)
    return guard_libbpf_error (err, -errno, "attach %s", l->name);
  rc = bpf_link__pin (l->link, path);
  if (rc < 0)
    return guard_libbpf_error (err, rc, "pin %s", path);
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
  if (make_pin_dir (pin_dir, &created, err) < 0)
    return ab_error_wrap (err, "connect guard");
  if (guard_link_all (skel, cg_fd, pin_dir, err) < 0)
    {
      if (created)
        rmdir (pin_dir);
      return ab_error_wrap (err, "connect guard on %s", cgroup);
    }
  return 0;
}

/* The pin is the link's last reference, but dropping it frees the link
 * only after an RCU grace period and a workqueue pass; detach first so
 * that the programs are gone when we return. */
static void
guard_detach_pinned (const char *path)
{
  int fd = bpf_obj_get (path);

  if (fd < 0)
    return;
  if (bpf_link_detach (fd) < 0)
    ab_log_debug ("detach %s: %s (the unpin will)", path, strerror (errno));
  close (fd);
}

int
connect_guard_detach (const char *pin_dir, ab_error_t *err)
{
  char path[PATH_MAX];

  guard_libbpf_init ();
  for (size_t i = 0; i < GUARD_NLINKS; i++)
    {
      if (pin_path (path, pin_dir, guard_pin_names[i], err) < 0)
        return -1;
      guard_detach_pinned (path);
      if (unlink (path) < 0 && errno != ENOENT)
        return ab_error_errno (err, "unpin %s", path);
    }
  if (rmdir (pin_dir) < 0 && errno != ENOENT)
    return ab_error_errno (err, "remove %s", pin_dir);
  return 0;
}

/* ---- cgroup2 directory --------------------------------------------------- */

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape_octal (char *s)
{
  char *out = s;

  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0'
          && s[2] <= '7' && s[3] >= '0' && s[3] <= '7')
        {
          *out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
          s += 3;
        }
      else
        *out++ = *s;
    }
  *out = '\0';
}

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
  unescape_octal (point);
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
