/* agentbox: mount rules (docs/hardening.md).
 *
 * The host paths a mount shows (a bind's source, read from the bundle
 * directory when relative; an overlay's lowerdir and upperdir layers) are
 * resolved (symlinks followed; a missing tail appended to its resolved
 * existing prefix) and compared with the sensitive paths at path-component
 * boundaries:
 *   - a source equals or lies inside a sensitive path, or is a host root
 *     that exposes everything (/, /proc, /sys, /dev, /run, /var/run, /var,
 *     /etc, anything under /proc and /sys): the mount is removed, as is a
 *     filesystem mounted from a host block device;
 *   - a source contains a sensitive path that exists on the host: the
 *     mount stays, and the sensitive path is masked inside the container
 *     right after it (an empty read-only tmpfs for a directory, /dev/null
 *     for anything else).
 * Every decision fails closed: the text as written is checked as well as
 * the resolved path, so resolution can only add reasons to remove. */
#include <errno.h>
#include <glob.h>
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

/* PATH with doubled and trailing slashes removed, so "/x//y/" matches
 * "/x/y". */
static char *
normalise (const char *path)
{
  char *out = malloc (strlen (path) + 1), *o = out;

  if (out == NULL)
    return NULL;
  for (const char *p = path; *p; p++)
    if (!(*p == '/' && (p[1] == '/' || p[1] == '\0') && o > out))
      *o++ = *p;
  *o = '\0';
  return out;
}

/* PATH with symlinks resolved.  When PATH does not exist, its longest
 * existing prefix is resolved and the rest appended, so a missing file
 * under a symlink to ~/.ssh still matches ~/.ssh (the runtime will reject
 * the mount, but it must not get there by a path we misjudged). */
static char *
resolve (const char *path)
{
  cleanup_free char *norm = normalise (path);
  cleanup_free char *work = NULL;
  char *r, *slash;

  if (norm == NULL || (work = strdup (norm)) == NULL)
    return NULL;
  if ((r = realpath (norm, NULL)))
    return r;
  while ((slash = strrchr (work, '/')) && slash > work)
    {
      char *out = NULL;
      int n;

      *slash = '\0';
      if ((r = realpath (work, NULL)) == NULL)
        continue;
      n = asprintf (&out, "%s%s", strcmp (r, "/") ? r : "",
                    norm + (slash - work));
      free (r);
      return n < 0 ? NULL : out;
    }
  return steal_pointer (&norm);
}

static int
sensitive_add (struct sensitive *sv, const char *path, const char *shown)
{
  struct stat st;

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
  /* A sensitive path that does not exist cannot be the source of a
   * mount that works: its text is enough, and costs no readlinks. */
  sv->paths[sv->len]
      = lstat (path, &st) == 0 ? resolve (path) : normalise (path);
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

static int
strv_push (char ***v, size_t *n, char *s)
{
  char **p;

  if (s == NULL || (p = realloc (*v, (*n + 2) * sizeof *p)) == NULL)
    {
      free (s);
      return -1;
    }
  p[(*n)++] = s;
  p[*n] = NULL;
  *v = p;
  return 0;
}

static bool
strv_has (char **v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
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
  cleanup_strv char **homes = calloc (1, sizeof *homes);
  size_t n = 0;
  struct passwd *pw;

  if (homes == NULL)
    return NULL;
  if (home && home[0] == '/' && strcmp (home, "/") != 0
      && strv_push (&homes, &n, strdup (home)) < 0)
    return NULL;
  while (f && (pw = fgetpwent (f)))
    {
      struct stat st;

      /* A home that is not a directory holds nothing to hide; "/" (some
       * system accounts') would make every path sensitive. */
      if (pw->pw_dir == NULL || pw->pw_dir[0] != '/'
          || strcmp (pw->pw_dir, "/") == 0 || strv_has (homes, pw->pw_dir)
          || stat (pw->pw_dir, &st) < 0 || !S_ISDIR (st.st_mode))
        continue;
      if (strv_push (&homes, &n, strdup (pw->pw_dir)) < 0)
        return NULL;
    }
  return steal_pointer (&homes);
}

/* Add PATH, or every existing path its glob pattern (`*`, `?`, `[...]`)
 * matches: one entry with `*` in place of the uid names every user's
 * session bus under /run/user. */
static int
sensitive_add_glob (struct sensitive *sv, const char *path, const char *shown)
{
  glob_t g;
  int r;

  if (strpbrk (path, "*?[") == NULL)
    return sensitive_add (sv, path, shown);
  r = glob (path, GLOB_NOSORT, NULL, &g);
  if (r == GLOB_NOMATCH)
    return 0;
  if (r != 0)
    return -1;
  for (size_t i = 0; i < g.gl_pathc; i++)
    if (sensitive_add (sv, g.gl_pathv[i], shown) < 0)
      {
        globfree (&g);
        return -1;
      }
  globfree (&g);
  return 0;
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
          if (sensitive_add_glob (sv, *p, *p) < 0)
            return ab_error_set (err, ENOMEM,
                                 "sensitive paths: `%s`: "
                                 "out of memory",
                                 *p);
          continue;
        }
      for (char **h = homes; *h; h++)
        {
          cleanup_free char *full = NULL;
          if (asprintf (&full, "%s/%s", *h, *p + 2) < 0
              || sensitive_add_glob (sv, full, *p) < 0)
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

/* Does an identical mask already follow index I?  Then an earlier pass
 * added it.  Only an identical mount counts: another mount at the same
 * destination may be one this pass removes (the sensitive path itself,
 * bound over its place in the home), and skipping the mask for it would
 * leave the secret visible through the containing mount. */
static bool
mask_follows (const struct ab_json *mounts, size_t i,
              const struct ab_json *mask)
{
  for (size_t j = i + 1; j < mounts->u.array.len; j++)
    if (ab_json_equal (mounts->u.array.items[j], mask))
      return true;
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
      /* stat, not lstat: a dangling link hides nothing, and a mask on it
       * would make the runtime create its target in the container. */
      if (stat (p, &st) < 0)
        continue; /* nothing there to hide */
      size_t dl = strlen (m->destination);
      if (asprintf (&dest, "%s%s", m->destination,
                    p + n + (dl > 0 && m->destination[dl - 1] == '/'))
          < 0)
        return ab_error_set (err, ENOMEM, "out of memory");
      mask = mask_mount (dest, S_ISDIR (st.st_mode));
      if (mask == NULL)
        return ab_error_set (err, ENOMEM, "out of memory");
      if (mask_follows (mounts, i, mask))
        {
          ab_json_free (mask);
          continue;
        }
      if (ab_json_insert (mounts, i + 1 + added, mask) < 0) /* frees it */
        return ab_error_set (err, ENOMEM, "out of memory");
      added++;
      ab_harden_report_add (
          rep, "mount %s: %s masked with %s (sensitive: %s)", m->destination,
          dest, S_ISDIR (st.st_mode) ? "an empty read-only tmpfs" : "/dev/null",
          sv->shown[k]);
    }
  return (int)added;
}

/* SRC as the runtime reads it: relative bind sources are relative to the
 * bundle directory (runc and crun chdir there). */
static char *
absolute_source (const struct ab_spec *s, const char *src)
{
  const char *slash = s->path ? strrchr (s->path, '/') : NULL;
  char *out = NULL;

  if (src[0] == '/')
    return strdup (src);
  if (slash == NULL)
    return asprintf (&out, "./%s", src) < 0 ? NULL : out;
  return asprintf (&out, "%.*s/%s", (int)(slash - s->path), s->path, src) < 0
             ? NULL
             : out;
}

/* The host directories an overlay shows: every lowerdir= layer and the
 * upperdir= (podman's `:O` volumes are overlays over host paths).  An
 * option may itself hold several, comma-separated: the runtime joins the
 * options with commas for the kernel. */
static int
overlay_sources (const struct ab_mount *m, char ***out, size_t *n)
{
  static const char *const keys[] = { "lowerdir=", "upperdir=", NULL };

  for (const char **o = m->options; o && *o; o++)
    {
      cleanup_free char *opts = strdup (*o);
      char *save = NULL;

      if (opts == NULL)
        return -1;
      for (char *opt = strtok_r (opts, ",", &save); opt;
           opt = strtok_r (NULL, ",", &save))
        for (size_t k = 0; keys[k]; k++)
          {
            size_t kl = strlen (keys[k]);
            char *save2 = NULL;

            if (strncmp (opt, keys[k], kl) != 0)
              continue;
            for (char *d = strtok_r (opt + kl, ":", &save2); d;
                 d = strtok_r (NULL, ":", &save2))
              if (strv_push (out, n, strdup (d)) < 0)
                return -1;
          }
    }
  return 0;
}

/* The host paths mount M shows inside the container, as absolute paths
 * (NULL-terminated; empty for proc, tmpfs, sysfs and the like, whose
 * "source" is not a host path). */
static int
mount_sources (const struct ab_spec *s, const struct ab_mount *m, char ***out)
{
  size_t n = 0;

  *out = calloc (1, sizeof **out);
  if (*out == NULL)
    return -1;
  if (is_bind (m) && m->source && m->source[0])
    return strv_push (out, &n, absolute_source (s, m->source));
  if (m->type && strcmp (m->type, "overlay") == 0)
    return overlay_sources (m, out, &n);
  return 0;
}

/* A filesystem mounted from a host block device shows the host's disk:
 * removed, whatever is on it. */
static bool
is_block_device_mount (const struct ab_mount *m)
{
  struct stat st;

  return !is_bind (m) && m->source && m->source[0] == '/'
         && stat (m->source, &st) == 0 && S_ISBLK (st.st_mode);
}

/* Why mount M must go, or NULL; *SHOWN is the source that decided. */
static const char *
mount_removal (char **sources, char **resolved, const struct ab_mount *m,
               const struct sensitive *sv, const char **shown)
{
  const char *why;

  for (size_t i = 0; sources[i]; i++)
    {
      cleanup_free char *lexical = normalise (sources[i]);

      *shown = resolved[i];
      if ((why = removal_reason (resolved[i], sv)))
        return why;
      /* Closed: the text as written counts too, should resolution have
       * taken it somewhere innocent. */
      if (lexical && (why = removal_reason (lexical, sv)))
        return why;
    }
  *shown = m->source;
  return is_block_device_mount (m) ? "a host block device" : NULL;
}

/* Apply the mount rules to mounts[I]; *NEXT is the index to look at
 * next. */
static int
harden_mount (struct ab_spec *s, struct ab_json *mounts, size_t i,
              const struct ab_mount *m, const struct sensitive *sv,
              size_t *next, struct ab_harden_report *rep, ab_error_t *err)
{
  cleanup_strv char **sources = NULL;
  cleanup_strv char **resolved = NULL;
  const char *why, *shown = NULL;
  size_t n = 0, added = 0;

  if (mount_sources (s, m, &sources) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  while (sources[n])
    n++;
  if ((resolved = calloc (n + 1, sizeof *resolved)) == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  for (size_t k = 0; k < n; k++)
    if ((resolved[k] = resolve (sources[k])) == NULL)
      return ab_error_set (err, ENOMEM, "out of memory");
  if ((why = mount_removal (sources, resolved, m, sv, &shown)))
    {
      ab_harden_report_add (
          rep, "mount %s -> %s: removed (sensitive: %s%s%s)",
          m->source ? m->source : "?", m->destination, why,
          shown && m->source && strcmp (shown, m->source) ? ", resolved to "
                                                          : "",
          shown && m->source && strcmp (shown, m->source) ? shown : "");
      ab_spec_mount_remove (s, i);
      *next = i;
      return 0;
    }
  for (size_t k = 0; k < n; k++)
    {
      int r = add_masks (mounts, i + added, m, resolved[k], sv, rep, err);
      if (r < 0)
        return -1;
      added += (size_t)r;
    }
  *next = i + 1 + added;
  return 0;
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

      if (ab_spec_mount (s, i, &m, err) < 0)
        {
          r = ab_error_wrap (err, "mounts[%zu]", i);
          break;
        }
      /* Resolving the list costs a stat per entry: only bundles with
       * mounts of host paths pay it. */
      if (!loaded
          && (is_bind (&m) || (m.type && strcmp (m.type, "overlay") == 0)
              || (m.source && m.source[0] == '/')))
        {
          if ((r = sensitive_load (&sv, cfg, err)) < 0)
            {
              free (m.options);
              break;
            }
          loaded = true;
        }
      if (loaded)
        r = harden_mount (s, mounts, i, &m, &sv, &i, rep, err);
      else
        i++;
      free (m.options);
    }
  sensitive_free (&sv);
  return r < 0 ? -1 : 0;
}
