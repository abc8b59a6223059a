/* agentbox: libbpf boundary and pin directories (bpfutil.h). */
#include "hooks/lib/bpfutil.h"

#include <errno.h>
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

#include "lib/cleanup.h"
#include "lib/log.h"

/* libbpf prints to stderr by default; only main() may talk to the user,
 * so its messages (the verifier log among them) become debug lines. */
static int
ab_bpf_libbpf_print (enum libbpf_print_level level, const char *fmt, va_list ap)
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

void
ab_bpf_libbpf_init (void)
{
  libbpf_set_print (ab_bpf_libbpf_print);
}

/* Convert libbpf's negative errno RC (which may be one of libbpf's own
 * codes, above any errno) into *ERR with the context FMT. */
int
ab_bpf_error (ab_error_t *err, int rc, const char *fmt, ...)
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

int
ab_bpf_make_pin_dir (const char *pin_dir, bool *created, ab_error_t *err)
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

int
ab_bpf_pin_path (char *buf, const char *pin_dir, const char *name,
                 ab_error_t *err)
{
  if (snprintf (buf, PATH_MAX, "%s/%s", pin_dir, name) >= PATH_MAX)
    return ab_error_set (err, ENAMETOOLONG, "%s: name too long", pin_dir);
  return 0;
}

/* The pin is the link's last reference, but dropping it frees the link
 * only after an RCU grace period and a workqueue pass; detach first so
 * that the programs are gone when we return. */
void
ab_bpf_detach_pinned (const char *path)
{
  int fd = bpf_obj_get (path);

  if (fd < 0)
    return;
  if (bpf_link_detach (fd) < 0)
    ab_log_debug ("detach %s: %s (the unpin will)", path, strerror (errno));
  close (fd);
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
void
ab_unescape_octal (char *s)
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
