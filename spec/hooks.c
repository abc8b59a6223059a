/* agentbox: OCI hooks. */
#include "spec.h"

#include <errno.h>
#include <string.h>

#include "spec/internal.h"

static const char *const stages[] = { "prestart",
                                      "createRuntime",
                                      "createContainer",
                                      "startContainer",
                                      "poststart",
                                      "poststop",
                                      NULL };

static bool
known_stage (const char *stage)
{
  const char *const *s;

  for (s = stages; *s; s++)
    if (strcmp (*s, stage) == 0)
      return true;
  return false;
}

static struct ab_json *
new_hook (const char *path, const char *const *args, const char *const *env,
          int timeout)
{
  cleanup_json struct ab_json *h = ab_json_new_object ();

  if (h == NULL || ab_json_set (h, "path", ab_json_new_string (path)) < 0
      || (args && ab_json_set (h, "args", ab_json_new_strv (args)) < 0)
      || (env && ab_json_set (h, "env", ab_json_new_strv (env)) < 0)
      || (timeout > 0
          && ab_json_set (h, "timeout", ab_json_new_int (timeout)) < 0))
    return NULL;
  return steal_pointer (&h);
}

int
ab_spec_hook_add (struct ab_spec *s, const char *stage, const char *path,
                  const char *const *args, const char *const *env, int timeout,
                  ab_error_t *err)
{
  struct ab_json *list;

  if (stage == NULL || !known_stage (stage))
    return ab_error_set (err, EINVAL, "add hook: unknown stage \"%s\"",
                         stage ? stage : "(null)");
  if (path == NULL || path[0] != '/')
    return ab_error_set (err, EINVAL, "add hook: path must be absolute");
  list = ab_json_ensure_array (ab_json_ensure_object (s->root, "hooks"), stage);
  if (list == NULL)
    return ab_error_set (err, EINVAL, "%s: hooks.%s: expected array in object",
                         s->path, stage);
  if (ab_json_append (list, new_hook (path, args, env, timeout)) < 0)
    return ab_error_set (err, ENOMEM, "add hook %s: out of memory", path);
  return 0;
}

bool
ab_spec_hook_has (const struct ab_spec *s, const char *stage, const char *path)
{
  const struct ab_json *list
      = ab_json_get (ab_json_get (s->root, "hooks"), stage);
  size_t i;

  if (!ab_json_is (list, AB_JSON_ARRAY))
    return false;
  for (i = 0; i < list->u.array.len; i++)
    {
      const char *p = ab_json_get_string (list->u.array.items[i], "path");

      if (p && strcmp (p, path) == 0)
        return true;
    }
  return false;
}
