/* agentbox: load a bundle's config.json and write it back atomically.
 * Typed helpers live in mounts.c, process.c, linux.c, hooks.c; the type
 * checks in validate.c. */
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "spec/internal.h"

int
ab_spec_load_file (const char *path, struct ab_spec **out, ab_error_t *err)
{
  cleanup_json struct ab_json *root = NULL;
  struct ab_spec *s;

  if (ab_json_parse_file (path, &root, err) < 0)
    return -1;
  if (root->type != AB_JSON_OBJECT)
    return ab_error_set (err, EINVAL, "%s: expected object, got %s", path,
                         ab_json_type_name (root->type));
  s = calloc (1, sizeof (*s));
  if (s == NULL || (s->path = strdup (path)) == NULL)
    {
      free (s);
      return ab_error_set (err, ENOMEM, "load %s: out of memory", path);
    }
  s->root = steal_pointer (&root);
  *out = s;
  return 0;
}

int
ab_spec_load (const char *bundle, struct ab_spec **out, ab_error_t *err)
{
  cleanup_free char *path = NULL;

  if (asprintf (&path, "%s/config.json", bundle) < 0)
    return ab_error_set (err, ENOMEM, "load %s: out of memory", bundle);
  return ab_spec_load_file (path, out, err);
}

void
ab_spec_free (struct ab_spec *s)
{
  if (s == NULL)
    return;
  ab_json_free (s->root);
  free (s->path);
  free (s);
}

/* ---- atomic write ---- */

static int
write_all (int fd, const char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      data += n;
      len -= (size_t)n;
    }
  return 0;
}

/* Mode and owner of the file being replaced; 0644 (what runc spec
 * writes) if it does not exist yet. */
static int
target_attrs (const char *path, struct stat *st, ab_error_t *err)
{
  if (stat (path, st) == 0)
    return 1;
  if (errno != ENOENT)
    return ab_error_errno (err, "stat %s", path);
  memset (st, 0, sizeof (*st));
  st->st_mode = S_IFREG | 0644;
  return 0;
}

/* Write DATA to the open temporary file FD, with the target's mode. */
static int
fill_tmp (int fd, const char *tmp, const char *data, size_t len,
          const struct stat *st, bool exists, ab_error_t *err)
{
  /* fchmod, not the mode of open(): the umask must not change it. */
  if (fchmod (fd, st->st_mode & 07777) < 0)
    return ab_error_errno (err, "chmod %s", tmp);
  /* Keep the owner (root rewriting a rootless engine's bundle).  EPERM
   * means we are not root and the file is ours to replace anyway. */
  if (exists && (st->st_uid != geteuid () || st->st_gid != getegid ())
      && fchown (fd, st->st_uid, st->st_gid) < 0 && errno != EPERM)
    return ab_error_errno (err, "chown %s", tmp);
  if (write_all (fd, data, len) < 0)
    return ab_error_errno (err, "write %s", tmp);
  return 0;
}

/* No fsync: readers need only the rename's atomicity, and durability buys
 * nothing.  agentbox hardens the bundle on every create, before the
 * runtime reads it, so a rewrite lost to a crash is redone; a file a
 * crash left empty fails to parse (closed).  Two fsyncs took 1–15 ms of
 * each container start on a disk-backed bundle (docs/start-time.md). */
static int
write_atomic (const char *path, const char *data, size_t len, ab_error_t *err)
{
  cleanup_free char *dcopy = strdup (path), *tmp = NULL;
  cleanup_close int fd = -1;
  struct stat st;
  const char *dir;
  int exists;

  if (dcopy == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  dir = dirname (dcopy);
  exists = target_attrs (path, &st, err);
  if (exists < 0)
    return -1;
  if (asprintf (&tmp, "%s/.%s.agentbox-XXXXXX", dir,
                strrchr (path, '/') ? strrchr (path, '/') + 1 : path)
      < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  /* mkostemp opens with O_CREAT|O_EXCL: never an existing file or link. */
  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    return ab_error_errno (err, "create temporary file in %s", dir);
  if (fill_tmp (fd, tmp, data, len, &st, exists, err) < 0)
    goto fail;
  if (close (steal_fd (&fd)) < 0)
    {
      ab_error_errno (err, "close %s", tmp);
      goto fail;
    }
  if (rename (tmp, path) < 0)
    {
      ab_error_errno (err, "rename %s to %s", tmp, path);
      goto fail;
    }
  return 0;

fail:
  /* Nothing left behind: the original is untouched until rename. */
  unlink (tmp);
  return -1;
}

int
ab_spec_write_to (const struct ab_spec *s, const char *path, ab_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len = 0;

  if (ab_json_serialize (s->root, true, &data, &len, err) < 0)
    return ab_error_wrap (err, "write %s", path);
  if (write_atomic (path, data, len, err) < 0)
    return ab_error_wrap (err, "write %s", path);
  return 0;
}

int
ab_spec_write (const struct ab_spec *s, ab_error_t *err)
{
  return ab_spec_write_to (s, s->path, err);
}

/* ---- annotations ---- */

const char *
ab_spec_annotation (const struct ab_spec *s, const char *key)
{
  return ab_json_get_string (ab_json_get (s->root, "annotations"), key);
}

int
ab_spec_set_annotation (struct ab_spec *s, const char *key, const char *value,
                        ab_error_t *err)
{
  struct ab_json *a = ab_json_ensure_object (s->root, "annotations");

  if (a == NULL)
    return ab_error_set (err, EINVAL, "%s: annotations: expected object",
                         s->path);
  if (ab_json_set (a, key, ab_json_new_string (value)) < 0)
    return ab_error_set (err, ENOMEM, "set annotation %s: out of memory", key);
  return 0;
}
