/* agentbox: the mounts array of config.json. */
#include "spec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/internal.h"

static struct ab_json *
mounts (const struct ab_spec *s)
{
  struct ab_json *m = ab_json_get (s->root, "mounts");

  return ab_json_is (m, AB_JSON_ARRAY) ? m : NULL;
}

size_t
ab_spec_mount_count (const struct ab_spec *s)
{
  struct ab_json *m = mounts (s);

  return m ? m->u.array.len : 0;
}

int
ab_spec_mount (const struct ab_spec *s, size_t i, struct ab_mount *m,
               ab_error_t *err)
{
  struct ab_json *arr = mounts (s), *mj, *opts;
  size_t bad;

  memset (m, 0, sizeof (*m));
  if (arr == NULL || i >= arr->u.array.len)
    return ab_error_set (err, ERANGE, "%s: mounts[%zu]: no such mount", s->path,
                         i);
  mj = arr->u.array.items[i];
  m->destination = ab_json_get_string (mj, "destination");
  if (m->destination == NULL)
    return ab_error_set (err, EINVAL,
                         "%s: mounts[%zu].destination: expected string",
                         s->path, i);
  m->type = ab_json_get_string (mj, "type");
  m->source = ab_json_get_string (mj, "source");
  opts = ab_json_get (mj, "options");
  if (opts == NULL)
    return 0;
  if (!ab_json_is (opts, AB_JSON_ARRAY)
      || ab_json_strv (opts, &m->options, &bad) < 0)
    {
      if (ab_json_is (opts, AB_JSON_ARRAY) && bad == SIZE_MAX)
        return ab_error_set (err, ENOMEM, "out of memory");
      return ab_error_set (err, EINVAL,
                           "%s: mounts[%zu].options: expected array of "
                           "strings",
                           s->path, i);
    }
  return 0;
}

void
ab_spec_mount_remove (struct ab_spec *s, size_t i)
{
  ab_json_array_remove (mounts (s), i);
}

/* Field order as runc spec writes it: destination, type, source,
 * options. */
static struct ab_json *
new_mount (const char *destination, const char *type, const char *source,
           const char *const *options)
{
  cleanup_json struct ab_json *m = ab_json_new_object ();

  if (m == NULL
      || ab_json_set (m, "destination", ab_json_new_string (destination)) < 0
      || (type && ab_json_set (m, "type", ab_json_new_string (type)) < 0)
      || (source && ab_json_set (m, "source", ab_json_new_string (source)) < 0)
      || (options
          && ab_json_set (m, "options", ab_json_new_strv (options)) < 0))
    return NULL;
  return steal_pointer (&m);
}

int
ab_spec_mount_add (struct ab_spec *s, const char *destination, const char *type,
                   const char *source, const char *const *options,
                   ab_error_t *err)
{
  struct ab_json *arr;

  if (destination == NULL)
    return ab_error_set (err, EINVAL, "add mount: no destination");
  arr = ab_json_ensure_array (s->root, "mounts");
  if (arr == NULL)
    return ab_error_set (err, EINVAL, "%s: mounts: expected array", s->path);
  if (ab_json_append (arr, new_mount (destination, type, source, options)) < 0)
    return ab_error_set (err, ENOMEM, "add mount %s: out of memory",
                         destination);
  return 0;
}

bool
ab_mount_has_option (const struct ab_mount *m, const char *opt)
{
  const char **o;

  for (o = m->options; o && *o; o++)
    if (strcmp (*o, opt) == 0)
      return true;
  return false;
}
