/* agentbox: linux.namespaces, linux.seccomp, linux.maskedPaths and
 * linux.readonlyPaths. */
#include "spec.h"

#include <errno.h>
#include <string.h>

#include "spec/internal.h"

static struct ab_json *
linux_obj (const struct ab_spec *s)
{
  struct ab_json *l = ab_json_get (s->root, "linux");

  return ab_json_is (l, AB_JSON_OBJECT) ? l : NULL;
}

static struct ab_json *
namespaces (const struct ab_spec *s)
{
  struct ab_json *n = ab_json_get (linux_obj (s), "namespaces");

  return ab_json_is (n, AB_JSON_ARRAY) ? n : NULL;
}

static bool
ns_is (const struct ab_json *e, const char *type)
{
  const char *t = ab_json_get_string (e, "type");

  return t && strcmp (t, type) == 0;
}

int
ab_spec_namespace (const struct ab_spec *s, const char *type, const char **path)
{
  const struct ab_json *arr = namespaces (s);
  size_t i;

  /* The last entry wins, as runc builds a map from the list. */
  for (i = arr ? arr->u.array.len : 0; i > 0; i--)
    if (ns_is (arr->u.array.items[i - 1], type))
      {
        if (path)
          *path = ab_json_get_string (arr->u.array.items[i - 1], "path");
        return 1;
      }
  if (path)
    *path = NULL;
  return 0;
}

/* Make entry E say PATH (or no path), keeping its other fields. */
static int
ns_set_path (struct ab_json *e, const char *path)
{
  if (path == NULL)
    {
      ab_json_remove (e, "path");
      return 0;
    }
  return ab_json_set (e, "path", ab_json_new_string (path));
}

static int
ns_append (struct ab_json *arr, const char *type, const char *path)
{
  cleanup_json struct ab_json *e = ab_json_new_object ();

  if (e == NULL || ab_json_set (e, "type", ab_json_new_string (type)) < 0
      || ns_set_path (e, path) < 0)
    return -1;
  return ab_json_append (arr, steal_pointer (&e));
}

int
ab_spec_set_namespace (struct ab_spec *s, const char *type, const char *path,
                       ab_error_t *err)
{
  struct ab_json *arr = ab_json_ensure_array (
      ab_json_ensure_object (s->root, "linux"), "namespaces");
  size_t i;
  bool done = false;

  if (arr == NULL)
    return ab_error_set (
        err, EINVAL, "%s: linux.namespaces: expected array in object", s->path);
  /* One entry for TYPE afterwards: the first is edited in place, the
   * rest are dropped, so no earlier path can win over ours. */
  for (i = 0; i < arr->u.array.len;)
    {
      if (!ns_is (arr->u.array.items[i], type))
        i++;
      else if (done)
        ab_json_array_remove (arr, i);
      else if (ns_set_path (arr->u.array.items[i], path) < 0)
        return ab_error_set (err, ENOMEM, "namespace %s: out of memory", type);
      else
        done = true, i++;
    }
  if (!done && ns_append (arr, type, path) < 0)
    return ab_error_set (err, ENOMEM, "namespace %s: out of memory", type);
  return 0;
}

int
ab_spec_remove_namespace (struct ab_spec *s, const char *type)
{
  struct ab_json *arr = namespaces (s);
  size_t i;
  int n = 0;

  for (i = 0; arr && i < arr->u.array.len;)
    if (ns_is (arr->u.array.items[i], type))
      {
        ab_json_array_remove (arr, i);
        n++;
      }
    else
      i++;
  return n;
}

/* ---- seccomp ---- */

struct ab_json *
ab_spec_seccomp (struct ab_spec *s)
{
  struct ab_json *sc = ab_json_get (linux_obj (s), "seccomp");

  return ab_json_is (sc, AB_JSON_OBJECT) ? sc : NULL;
}

int
ab_spec_set_seccomp (struct ab_spec *s, struct ab_json *seccomp,
                     ab_error_t *err)
{
  struct ab_json *l = ab_json_ensure_object (s->root, "linux");

  if (l == NULL)
    {
      ab_json_free (seccomp);
      return ab_error_set (err, EINVAL, "%s: linux: expected object", s->path);
    }
  if (seccomp == NULL)
    {
      ab_json_remove (l, "seccomp");
      return 0;
    }
  if (ab_json_set (l, "seccomp", seccomp) < 0)
    return ab_error_set (err, ENOMEM, "set linux.seccomp: out of memory");
  return 0;
}

/* ---- maskedPaths, readonlyPaths ---- */

static int
ensure_path (struct ab_spec *s, const char *key, const char *path,
             ab_error_t *err)
{
  struct ab_json *arr
      = ab_json_ensure_array (ab_json_ensure_object (s->root, "linux"), key);
  size_t i;

  if (arr == NULL)
    return ab_error_set (err, EINVAL, "%s: linux.%s: expected array", s->path,
                         key);
  for (i = 0; i < arr->u.array.len; i++)
    {
      const char *p = ab_json_string (arr->u.array.items[i]);

      if (p && strcmp (p, path) == 0)
        return 0;
    }
  if (ab_json_append_string (arr, path) < 0)
    return ab_error_set (err, ENOMEM, "linux.%s: out of memory", key);
  return 1;
}

int
ab_spec_ensure_masked_path (struct ab_spec *s, const char *path,
                            ab_error_t *err)
{
  return ensure_path (s, "maskedPaths", path, err);
}

int
ab_spec_ensure_readonly_path (struct ab_spec *s, const char *path,
                              ab_error_t *err)
{
  return ensure_path (s, "readonlyPaths", path, err);
}
