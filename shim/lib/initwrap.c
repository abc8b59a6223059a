/* agentbox: agentbox-init in front of a container's processes
 * (initwrap.h). */
#include "shim/lib/initwrap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "shim/lib/filelayer.h"
#include "shim/lib/harden-internal.h"
#include "shim/lib/net.h"
#include "shim/lib/seccomp-bpf.h"

void
ab_init_prefix (unsigned what, const char *out[AB_INIT_PREFIX_MAX])
{
  size_t n = 0;

  out[n++] = AB_INIT_PATH;
  if (what & AB_INIT_LANDLOCK)
    {
      out[n++] = "--rules";
      out[n++] = AB_RULES_PATH;
    }
  if (what & AB_INIT_SECCOMP)
    {
      out[n++] = "--seccomp";
      out[n++] = AB_SECCOMP_PATH;
    }
  out[n++] = "--";
  out[n] = NULL;
}

static bool
has_run_file (const char *state_dir, const char *name)
{
  cleanup_free char *path = NULL;

  return asprintf (&path, "%s/run/%s", state_dir, name) >= 0
         && access (path, F_OK) == 0;
}

unsigned
ab_init_what (const char *state_dir)
{
  return (has_run_file (state_dir, AB_RULES_FILE) ? AB_INIT_LANDLOCK : 0)
         | (has_run_file (state_dir, AB_SECCOMP_FILE) ? AB_INIT_SECCOMP : 0);
}

int
ab_init_prepend (struct ab_json *proc, unsigned what, ab_error_t *err)
{
  cleanup_free const char **args = NULL;
  const char *prefix[AB_INIT_PREFIX_MAX];
  size_t i;

  ab_init_prefix (what, prefix);
  if (ab_process_args (proc, &args, err) < 0)
    return -1;
  for (i = 0; prefix[i] && args[i] && strcmp (prefix[i], args[i]) == 0; i++)
    ;
  if (prefix[i] == NULL)
    return 0;
  return ab_process_prepend_args (proc, prefix, err) < 0 ? -1 : 1;
}

/* SRC copied to DST (made with MODE, never over a file): 0, or -1 with
 * errno set. */
static int
copy_file (const char *src, const char *dst, mode_t mode)
{
  cleanup_close int in = open (src, O_RDONLY | O_CLOEXEC);
  cleanup_close int out = -1;
  ssize_t n;

  if (in < 0)
    return -1;
  out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  /* Whatever the umask. */
  if (out < 0 || fchmod (out, mode) < 0)
    return -1;
  while ((n = sendfile (out, in, NULL, 1 << 20)) != 0)
    if (n < 0 && errno != EINTR)
      return -1;
  return close (steal_fd (&out));
}

/* STATE/init/agentbox-init.KEY, KEY naming the binary SRC (device,
 * inode, size, modification time): a copy made once, on the state's
 * filesystem, for containers' run directories to link to.  Copies of
 * other binaries (an upgrade's) go when a new one is made; containers
 * that run keep theirs through their links. */
static int
init_copy (const struct ab_config *cfg, const char *src, char **out,
           ab_error_t *err)
{
  cleanup_free char *dir = NULL, *tmp = NULL;
  struct stat st;
  DIR *d;
  struct dirent *de;

  if (stat (src, &st) < 0)
    return ab_error_errno (err, "%s", src);
  if (asprintf (&dir, "%s/init", cfg->state_dir) < 0
      || asprintf (out, "%s/" AB_INIT_FILE ".%llx-%llx-%llx-%llx.%09ld", dir,
                   (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                   (unsigned long long)st.st_size,
                   (unsigned long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec)
             < 0
      || asprintf (&tmp, "%s/tmp.%d", dir, (int)getpid ()) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (access (*out, F_OK) == 0)
    return 0;
  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return ab_error_errno (err, "mkdir %s", dir);
  unlink (tmp);
  if (copy_file (src, tmp, 0755) < 0 || rename (tmp, *out) < 0)
    {
      ab_error_errno (err, "copy %s to %s", src, *out);
      unlink (tmp);
      return -1;
    }
  d = opendir (dir);
  while (d && (de = readdir (d)) != NULL)
    if (strncmp (de->d_name, AB_INIT_FILE ".", sizeof AB_INIT_FILE) == 0
        && strcmp (strrchr (*out, '/') + 1, de->d_name) != 0)
      unlinkat (dirfd (d), de->d_name, 0);
  if (d)
    closedir (d);
  return 0;
}

/* agentbox-init in STATE_DIR/run, which the container sees read-only at
 * /run/agentbox: one bind mount for both (a mount of its own cost runc
 * 0.35-0.5 ms a start here).  A hard link to init_copy()'s copy: the
 * state is a tmpfs and the binary on disk, so no link to it. */
static int
install_init (const struct ab_config *cfg, const char *state_dir,
              ab_error_t *err)
{
  cleanup_free char *src = NULL, *copy = NULL, *dst = NULL;

  if (ab_sibling_path ("agentbox-init", &src, err) < 0
      || ab_net_make_run_dir (state_dir, err) < 0)
    return -1;
  if (asprintf (&dst, "%s/run/" AB_INIT_FILE, state_dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (init_copy (cfg, src, &copy, err) < 0)
    return -1;
  unlink (dst); /* a state directory taken over */
  if (link (copy, dst) == 0)
    return 0;
  /* The copy gone meanwhile (another binary's create made its own), or
   * another filesystem under the state directory: a copy of our own. */
  if (copy_file (src, dst, 0755) < 0)
    return ab_error_errno (err, "copy %s to %s", src, dst);
  return 0;
}

int
ab_init_rewrite (struct ab_spec *s, const struct ab_config *cfg,
                 const char *state_dir, unsigned what,
                 struct ab_harden_report *rep, ab_error_t *err)
{
  struct ab_json *proc = ab_spec_process (s);
  int r;

  if (install_init (cfg, state_dir, err) < 0
      || ab_net_bind_run (s, state_dir, rep, err) < 0)
    return ab_error_wrap (err, "agentbox-init");
  if (proc == NULL)
    return 0;
  r = ab_init_prepend (proc, what, err);
  if (r == 1)
    ab_harden_report_add (
        rep, "process.args: run under %s (%s%s%s)", AB_INIT_PATH,
        what & AB_INIT_LANDLOCK ? "Landlock" : "",
        what == (AB_INIT_LANDLOCK | AB_INIT_SECCOMP) ? ", " : "",
        what & AB_INIT_SECCOMP ? "seccomp" : "");
  return r < 0 ? -1 : 0;
}
