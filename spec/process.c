/* agentbox: process.args, env, capabilities, rlimits, noNewPrivileges.
 * These take the process object so that config.json's "process" and the
 * file of `exec --process` share them. */
#include "spec.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec/internal.h"

struct ab_json *
ab_spec_process (struct ab_spec *s)
{
  struct ab_json *p = ab_json_get (s->root, "process");

  return ab_json_is (p, AB_JSON_OBJECT) ? p : NULL;
}

static int
strv_of (const struct ab_json *proc, const char *key, const char ***out,
         ab_error_t *err)
{
  const struct ab_json *arr = ab_json_get (proc, key);
  size_t bad;
  int n;

  if (arr && !ab_json_is (arr, AB_JSON_ARRAY))
    return ab_error_set (err, EINVAL, "%s: expected array, got %s", key,
                         ab_json_type_name (arr->type));
  n = ab_json_strv (arr, out, &bad);
  if (n >= 0)
    return n;
  if (bad == SIZE_MAX)
    return ab_error_set (err, ENOMEM, "%s: out of memory", key);
  return ab_error_set (err, EINVAL, "%s[%zu]: expected string, got %s", key,
                       bad, ab_json_type_name (arr->u.array.items[bad]->type));
}

int
ab_process_args (const struct ab_json *proc, const char ***out, ab_error_t *err)
{
  return strv_of (proc, "args", out, err);
}

int
ab_process_prepend_args (struct ab_json *proc, const char *const *args,
                         ab_error_t *err)
{
  struct ab_json *arr = ab_json_ensure_array (proc, "args");
  size_t i;

  if (arr == NULL)
    return ab_error_set (err, EINVAL, "process.args: expected array");
  for (i = 0; args && args[i]; i++)
    if (ab_json_insert (arr, i, ab_json_new_string (args[i])) < 0)
      return ab_error_set (err, ENOMEM, "process.args: out of memory");
  return 0;
}

/* ---- environment ---- */

/* Does the env entry E set KEY?  ("KEY=..." exactly.) */
static bool
env_is (const struct ab_json *e, const char *key, size_t klen)
{
  const char *s = ab_json_string (e);

  return s && strncmp (s, key, klen) == 0 && s[klen] == '=';
}

const char *
ab_process_getenv (const struct ab_json *proc, const char *key)
{
  const struct ab_json *env = ab_json_get (proc, "env");
  size_t i, klen = strlen (key);

  if (!ab_json_is (env, AB_JSON_ARRAY))
    return NULL;
  /* The last entry wins, as in runc, which setenv()s them in order. */
  for (i = env->u.array.len; i > 0; i--)
    if (env_is (env->u.array.items[i - 1], key, klen))
      return ab_json_string (env->u.array.items[i - 1]) + klen + 1;
  return NULL;
}

int
ab_process_setenv (struct ab_json *proc, const char *key, const char *value,
                   ab_error_t *err)
{
  struct ab_json *env, *entry;
  cleanup_free char *kv = NULL;
  size_t i, klen = strlen (key);
  bool replaced = false;

  if (klen == 0 || strchr (key, '='))
    return ab_error_set (err, EINVAL, "setenv: invalid name \"%s\"", key);
  env = ab_json_ensure_array (proc, "env");
  if (env == NULL)
    return ab_error_set (err, EINVAL, "process.env: expected array");
  if (asprintf (&kv, "%s=%s", key, value) < 0)
    return ab_error_set (err, ENOMEM, "setenv %s: out of memory", key);
  for (i = 0; i < env->u.array.len;)
    {
      if (!env_is (env->u.array.items[i], key, klen))
        i++;
      else if (replaced)
        ab_json_array_remove (env, i);
      else
        {
          entry = ab_json_new_string (kv);
          if (entry == NULL)
            return ab_error_set (err, ENOMEM, "setenv %s: out of memory", key);
          ab_json_free (env->u.array.items[i]);
          env->u.array.items[i++] = entry;
          replaced = true;
        }
    }
  if (!replaced && ab_json_append_string (env, kv) < 0)
    return ab_error_set (err, ENOMEM, "setenv %s: out of memory", key);
  return 0;
}

int
ab_process_unsetenv (struct ab_json *proc, const char *key)
{
  struct ab_json *env = ab_json_get (proc, "env");
  size_t i, klen = strlen (key);
  int n = 0;

  if (!ab_json_is (env, AB_JSON_ARRAY))
    return 0;
  for (i = 0; i < env->u.array.len;)
    if (env_is (env->u.array.items[i], key, klen))
      {
        ab_json_array_remove (env, i);
        n++;
      }
    else
      i++;
  return n;
}

/* ---- capabilities ---- */

/* Names compare without case and without the CAP_ prefix: crun resolves
 * them with libcap's cap_from_name(), which accepts "cap_sys_admin", so
 * an exact match would let such a spelling survive a drop (fails
 * closed). */
static const char *
cap_base (const char *s)
{
  return strncasecmp (s, "CAP_", 4) == 0 ? s + 4 : s;
}

static bool
cap_eq (const char *a, const char *b)
{
  return a && b && strcasecmp (cap_base (a), cap_base (b)) == 0;
}

static struct ab_json *
cap_set (const struct ab_json *proc, const char *set)
{
  struct ab_json *arr = ab_json_get (ab_json_get (proc, "capabilities"), set);

  return ab_json_is (arr, AB_JSON_ARRAY) ? arr : NULL;
}

bool
ab_process_has_cap (const struct ab_json *proc, const char *set,
                    const char *cap)
{
  const struct ab_json *arr = cap_set (proc, set);
  size_t i;

  for (i = 0; arr && i < arr->u.array.len; i++)
    if (cap_eq (ab_json_string (arr->u.array.items[i]), cap))
      return true;
  return false;
}

int
ab_process_drop_cap (struct ab_json *proc, const char *cap)
{
  struct ab_json *caps = ab_json_get (proc, "capabilities");
  size_t s, i;
  int n = 0;

  if (!ab_json_is (caps, AB_JSON_OBJECT))
    return 0;
  /* Every set, known or not, and every duplicate key. */
  for (s = 0; s < caps->u.object.len; s++)
    {
      struct ab_json *arr = caps->u.object.values[s];

      if (!ab_json_is (arr, AB_JSON_ARRAY))
        continue;
      for (i = 0; i < arr->u.array.len;)
        if (cap_eq (ab_json_string (arr->u.array.items[i]), cap))
          {
            ab_json_array_remove (arr, i);
            n++;
          }
        else
          i++;
    }
  return n;
}

int
ab_process_caps (const struct ab_json *proc, const char *set, const char ***out,
                 ab_error_t *err)
{
  const struct ab_json *caps = ab_json_get (proc, "capabilities");

  if (caps && !ab_json_is (caps, AB_JSON_OBJECT))
    return ab_error_set (err, EINVAL,
                         "process.capabilities: expected object, got %s",
                         ab_json_type_name (caps->type));
  if (strv_of (caps, set, out, err) < 0)
    return ab_error_wrap (err, "process.capabilities");
  return 0;
}

/* ---- noNewPrivileges ---- */

bool
ab_process_no_new_privileges (const struct ab_json *proc)
{
  const struct ab_json *j = ab_json_get (proc, "noNewPrivileges");

  return ab_json_is (j, AB_JSON_BOOL) && j->u.boolean;
}

int
ab_process_set_no_new_privileges (struct ab_json *proc, bool v, ab_error_t *err)
{
  if (ab_json_set (proc, "noNewPrivileges", ab_json_new_bool (v)) < 0)
    return ab_error_set (err, ENOMEM, "process.noNewPrivileges: cannot set");
  return 0;
}

/* ---- rlimits ---- */

static struct ab_json *
new_u64 (unsigned long long v)
{
  char text[32];

  snprintf (text, sizeof (text), "%llu", v);
  return ab_json_new_number (text);
}

static int
set_limits (struct ab_json *r, unsigned long long soft, unsigned long long hard)
{
  if (ab_json_set (r, "hard", new_u64 (hard)) < 0
      || ab_json_set (r, "soft", new_u64 (soft)) < 0)
    return -1;
  return 0;
}

static int
append_rlimit (struct ab_json *arr, const char *type, unsigned long long soft,
               unsigned long long hard, ab_error_t *err)
{
  cleanup_json struct ab_json *r = ab_json_new_object ();

  if (r == NULL || ab_json_set (r, "type", ab_json_new_string (type)) < 0
      || set_limits (r, soft, hard) < 0
      || ab_json_append (arr, steal_pointer (&r)) < 0)
    return ab_error_set (err, ENOMEM, "rlimit %s: out of memory", type);
  return 0;
}

int
ab_process_set_rlimit (struct ab_json *proc, const char *type,
                       unsigned long long soft, unsigned long long hard,
                       ab_error_t *err)
{
  struct ab_json *arr = ab_json_ensure_array (proc, "rlimits"), *r;
  size_t i;
  bool done = false;

  if (arr == NULL)
    return ab_error_set (err, EINVAL, "process.rlimits: expected array");
  for (i = 0; i < arr->u.array.len;)
    {
      r = arr->u.array.items[i];
      if (!ab_json_is (r, AB_JSON_OBJECT)
          || strcmp (ab_json_get_string (r, "type") ?: "", type) != 0)
        i++;
      else if (done)
        ab_json_array_remove (arr, i);
      else if (set_limits (r, soft, hard) < 0)
        return ab_error_set (err, ENOMEM, "rlimit %s: out of memory", type);
      else
        done = true, i++;
    }
  if (done)
    return 0;
  return append_rlimit (arr, type, soft, hard, err);
}

int
ab_process_rlimit (const struct ab_json *proc, const char *type,
                   unsigned long long *soft, unsigned long long *hard)
{
  const struct ab_json *arr = ab_json_get (proc, "rlimits");
  size_t i;

  if (!ab_json_is (arr, AB_JSON_ARRAY))
    return 0;
  for (i = arr->u.array.len; i > 0; i--)
    {
      const struct ab_json *r = arr->u.array.items[i - 1];

      if (strcmp (ab_json_get_string (r, "type") ?: "", type) != 0)
        continue;
      if (!ab_json_number_u64 (ab_json_get (r, "soft"), soft)
          || !ab_json_number_u64 (ab_json_get (r, "hard"), hard))
        return -EINVAL;
      return 1;
    }
  return 0;
}
