/* agentbox: mount rules (docs/hardening.md).
 *
 * A bind mount's source is resolved (symlinks followed) and compared with
 * the sensitive paths at path-component boundaries:
 *   - source equals or lies inside a sensitive path: the mount is removed;
 *   - source is a host root that exposes everything (/, /proc, /sys, /dev,
 *     /run, /var/run, or anything under /proc and /sys): removed;
 *   - source contains a sensitive path that exists on the host: the mount
 *     stays, and the sensitive path is masked inside the container right
 *     after it (an empty read-only tmpfs for a directory, /dev/null for
 *     anything else). */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cleanup.h"
#include "shim/lib/harden-internal.h"

static const char *const host_roots[] = {
  "/", "/proc", "/sys", "/dev", "/run", "/var/run", "/var", "/etc", NULL,
};
static const char *const host_trees[] = { "/proc", "/sys", NULL };

struct sensitive
{
  char **paths; /* absolute, resolved where they exist */
  char **shown; /* as configured, for messages */
  size_t len, cap;
};

static void
sensitive_free (struct sensitive *sv)
{
  for (size_t i = 0; i < sv->len; i++)
    {
      free (sv->paths[i]);
      free (sv->shown[i]);
    }
  free (sv->paths);
  free (sv->shown);
}

/* Resolve PATH when it exists; else normalise it lexically (strip
 * trailing and doubled slashes) so "/x//y/" matches "/x/y". */
static char *
resolve (const char *path)
{
  char *r = realpath (path, NULL);
  char *out, *o;

  if (r)
    return r;
  out = malloc (strlen (path) + 1);
  if (out == NULL)
    return NULL;
  o = out;
  for (const char *p = path; *p; p++)
    if (!(*p == '/' && (p[1] == '/' || p[1] == '\0') && o > out))
      *o++ = *p;
  *o = '\0';
  if (o > out + 1 && o[-1] == '/')
    o[-1] = '\0';
  return out;
}

static int
sensitive_add (struct sensitive *sv, const char *path, const char *shown)
{
  if (sv->len == sv->cap)
    {
      size_t cap = sv->cap ? sv->cap * 2 : 64;
      char **p = realloc (sv->paths, cap * sizeof *p);
      char **q = p ? realloc (sv->shown, cap * sizeof *q) : NULL;
      if (p)
        sv->paths = p;
      if (q == NULL)
        return -1;
      sv->shown = q;
      sv->cap = cap;
    }
  sv->paths[sv->len] = resolve (path);
  sv->shown[sv->len] = strdup (shown);
  if (sv->paths[sv->len] == NULL || sv->shown[sv->len] == NULL)
    {
      free (sv->paths[sv->len]);
      free (sv->shown[sv->len]);
      return -1;
    }
  sv->len++;
  return 0;
}

/* The homes "~/" stands for: $HOME and every account's home in
 * /etc/passwd.  /etc/passwd is read directly rather than through NSS: the
 * accounts whose homes can be bind-mounted are the local ones, and NSS
 * modules (systemd-userdb, LDAP) cost milliseconds per container start. */
static char **
load_homes (void)
{
  cleanup_file FILE *f = fopen ("/etc/passwd", "re");
  const char *home = getenv ("HOME");
  char **homes = calloc (1, sizeof *homes);
  size_t n = 0;
  struct passwd *pw;

  if (homes && home && home[0] == '/' && (homes[0] = strdup (home)))
    n = 1;
  while (homes && f && (pw = fgetpwent (f)))
    {
      char **p;
      struct stat st;
      /* A home that is not a directory holds nothing to hide. */
      if (pw->pw_dir == NULL || pw->pw_dir[0] != '/'
          || strcmp (pw->pw_dir, "/") == 0 || stat (pw->pw_dir, &st) < 0
          || !S_ISDIR (st.st_mode))
        continue;
      p = realloc (homes, (n + 2) * sizeof *p);
      if (p == NULL || (p[n] = strdup (pw->pw_dir)) == NULL)
        {
          homes = p ? p : homes;
          homes[n] = NULL;
          ab_strvfree (homes);
          return NULL;
        }
      homes = p;
      homes[++n] = NULL;
    }
  return homes;
}

static int
sensitive_load (struct sensitive *sv, const struct ab_config *cfg,
                ab_error_t *err)
{
  cleanup_strv char **homes = load_homes ();

  if (homes == NULL)
    return ab_error_set (err, ENOMEM, "sensitive paths: out of memory");
  for (char **p = cfg->sensitive_paths; p && *p; p++)
    {
      if (strncmp (*p, "~/", 2) != 0)
        {
          if (sensitive_add (sv, *p, *p) < 0)
            return ab_error_set (err, ENOMEM, "out of memory");
          continue;
        }
      for (char **h = homes; *h; h++)
        {
          cleanup_free char *full = NULL;
          if (asprintf (&full, "%s/%s", *h, *p + 2) < 0
              || sensitive_add (sv, full, *p) < 0)
            return ab_error_set (err, ENOMEM, "out of memory");
        }
    }
  return 0;
}

/* Is PATH equal to DIR or inside it, at a component boundary? */
static bool
path_within (const char *path, const char *dir)
{
  size_t n = strlen (dir);

  if (strcmp (dir, "/") == 0)
    return true;
  return strncmp (path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool
is_bind (const struct ab_mount *m)
{
  return (m->type && strcmp (m->type, "bind") == 0)
         || ab_mount_has_option (m, "bind") || ab_mount_has_option (m, "rbind");
}

/* Why SOURCE must not be mounted at all, or NULL. */
static const char *
removal_reason (const char *source, const struct sensitive *sv)
{
  for (size_t i = 0; host_roots[i]; i++)
    if (strcmp (source, host_roots[i]) == 0)
      return host_roots[i];
  for (size_t i = 0; host_trees[i]; i++)
    if (path_within (source, host_trees[i]))
      return host_trees[i];
  for (size_t i = 0; i < sv->len; i++)
    if (path_within (source, sv->paths[i]))
      return sv->shown[i];
  return NULL;
}

static struct ab_json *
mask_mount (const char *dest, bool dir)
{
  static const char *const tmpfs_opts[]
      = { "ro", "nosuid", "nodev", "noexec", "size=4k", "mode=0555", NULL };
  static const char *const null_opts[] = { "bind", "ro", NULL };
  const char *const *o = dir ? tmpfs_opts : null_opts;
  struct ab_json *m = ab_json_new_object ();
  struct ab_json *opts = ab_json_new_array ();

  if (m == NULL || opts == NULL
      || ab_json_set (m, "destination", ab_json_new_string (dest)) < 0
      || ab_json_set (m, "type", ab_json_new_string (dir ? "tmpfs" : "bind"))
             < 0
      || ab_json_set (m, "source",
                      ab_json_new_string (dir ? "tmpfs" : "/dev/null"))
             < 0)
    {
      ab_json_free (m);
      ab_json_free (opts);
      return NULL;
    }
  for (; *o; o++)
    if (ab_json_append (opts, ab_json_new_string (*o)) < 0)
      {
        ab_json_free (m);
        return NULL;
      }
  if (ab_json_set (m, "options", opts) < 0)
    {
      ab_json_free (m);
      return NULL;
    }
  return m;
}

/* Is DEST already the destination of a mount after index I?  Then an
 * earlier pass masked it (or the engine mounted something there itself,
 * which is checked on its own), and adding another would not be
 * idempotent. */
static bool
mounted_after (const struct ab_json *mounts, size_t i, const char *dest)
{
  for (size_t j = i + 1; j < mounts->u.array.len; j++)
    {
      const char *d
          = ab_json_get_string (mounts->u.array.items[j], "destination");
      if (d && strcmp (d, dest) == 0)
        return true;
    }
  return false;
}

/* Mask every existing sensitive path inside SOURCE; returns how many
 * mounts were inserted after index I. */
static int
add_masks (struct ab_json *mounts, size_t i, const struct ab_mount *m,
           const char *source, const struct sensitive *sv,
           struct ab_harden_report *rep, ab_error_t *err)
{
  size_t n = strlen (source), added = 0;

  for (size_t k = 0; k < sv->len; k++)
    {
      const char *p = sv->paths[k];
      cleanup_free char *dest = NULL;
      struct ab_json *mask;
      struct stat st;

      /* "/" never gets here: it is removed outright. */
      if (!(strncmp (p, source, n) == 0 && p[n] == '/'))
        continue;
      if (lstat (p, &st) < 0)
        continue; /* nothing there to hide */
      size_t dl = strlen (m->destination);
      if (asprintf (&dest, "%s%s", m->destination,
                    p + n + (dl > 0 && m->destination[dl - 1] == '/'))
          < 0)
        return ab_error_set (err, ENOMEM, "out of memory");
      if (mounted_after (mounts, i, dest))
        continue;
      mask = mask_mount (dest, S_ISDIR (st.st_mode));
      if (mask == NULL || ab_json_insert (mounts, i + 1 + added, mask) < 0)
        return ab_error_set (err, ENOMEM, "out of memory");
      added++;
      ab_harden_report_add (
          rep, "mount %s: %s masked with %s (sensitive: %s)", m->destination,
          dest, S_ISDIR (st.st_mode) ? "an empty read-only tmpfs" : "/dev/null",
          sv->shown[k]);
    }
  return (int)added;
}

int
ab_harden_mounts (struct ab_spec *s, const struct ab_config *cfg,
                  struct ab_harden_report *rep, ab_error_t *err)
{
  struct ab_json *mounts = ab_json_get (s->root, "mounts");
  struct sensitive sv = { 0 };
  bool loaded = false;
  int r = 0;

  if (!ab_json_is (mounts, AB_JSON_ARRAY))
    return 0;
  for (size_t i = 0; r >= 0 && i < mounts->u.array.len;)
    {
      struct ab_mount m = { 0 };
      cleanup_free char *source = NULL;
      const char *why;

      if (ab_spec_mount (s, i, &m, err) < 0)
        {
          r = ab_error_wrap (err, "mounts[%zu]", i);
          break;
        }
      if (!is_bind (&m) || m.source == NULL || m.source[0] != '/')
        {
          free (m.options);
          i++;
          continue;
        }
      /* Resolving the list costs a readlink per path component: only
       * bundles with bind mounts pay it. */
      if (!loaded && (r = sensitive_load (&sv, cfg, err)) < 0)
        {
          free (m.options);
          break;
        }
      loaded = true;
      source = resolve (m.source);
      if (source == NULL)
        r = ab_error_set (err, ENOMEM, "out of memory");
      /* Closed: a source we cannot see into is still matched lexically. */
      else if ((why = removal_reason (source, &sv)))
        {
          ab_harden_report_add (
              rep, "mount %s -> %s: removed (sensitive: %s%s%s)", m.source,
              m.destination, why,
              strcmp (source, m.source) ? ", resolved to " : "",
              strcmp (source, m.source) ? source : "");
          ab_spec_mount_remove (s, i);
        }
      else
        {
          r = add_masks (mounts, i, &m, source, &sv, rep, err);
          i += 1 + (r > 0 ? (size_t)r : 0);
        }
      free (m.options);
    }
  sensitive_free (&sv);
  return r < 0 ? -1 : 0;
}
