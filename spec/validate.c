/* agentbox: check the shape of the config.json fields agentbox reads.
 *
 * Every later helper trusts these types, so a spec that fails here is not
 * touched (fails closed).  Errors name the file and the JSON path:
 *   "/b/config.json: process.capabilities.bounding[3]: expected string,
 *    got number"
 *
 * Beyond types, the objects runc decodes into Go structs are checked for
 * keys that Go's encoding/json would also bind to a field agentbox looks
 * at: it matches keys case-insensitively (with Unicode folding, so "K"
 * U+212A and "s" U+017F count as k and s) and merges duplicate objects.
 * A config with {"process": {...}, "Process": {...}} would let runc run a
 * process agentbox never saw; such keys are errors. */
#include "spec.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "spec/internal.h"

struct vctx
{
  const char *file;
  struct ab_buf path;
  ab_error_t *err;
};

/* ---- the JSON path in messages ---- */

static size_t
push_key (struct vctx *v, const char *key)
{
  size_t saved = v->path.len;

  if (ab_buf_printf (&v->path, "%s%s", saved ? "." : "", key) < 0)
    v->path.len = saved;
  return saved;
}

static size_t
push_index (struct vctx *v, size_t i)
{
  size_t saved = v->path.len;

  if (ab_buf_printf (&v->path, "[%zu]", i) < 0)
    v->path.len = saved;
  return saved;
}

static void
pop (struct vctx *v, size_t saved)
{
  v->path.len = saved;
  if (v->path.data)
    v->path.data[saved] = '\0';
}

static int
fail (struct vctx *v, const char *msg, const char *arg)
{
  const char *where = v->path.len ? v->path.data : "(top level)";

  return ab_error_set (v->err, EINVAL, "%s: %s: %s%s", v->file, where, msg,
                       arg ? arg : "");
}

static int
want (struct vctx *v, const struct ab_json *j, enum ab_json_type t)
{
  if (j->type == t)
    return 0;
  return ab_error_set (v->err, EINVAL, "%s: %s: expected %s, got %s", v->file,
                       v->path.len ? v->path.data : "(top level)",
                       ab_json_type_name (t), ab_json_type_name (j->type));
}

/* ---- Go's key matching ---- */

/* Does KEY equal the ASCII field name FIELD under Unicode simple case
 * folding?  Only K (U+212A) and long s (U+017F) fold onto ASCII letters
 * from outside ASCII. */
static bool
fold_equal (const char *key, const char *field)
{
  const unsigned char *k = (const unsigned char *)key;
  const unsigned char *f = (const unsigned char *)field;

  for (; *f; f++)
    {
      unsigned char lf = (*f >= 'A' && *f <= 'Z') ? *f + 32 : *f;

      if (k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa && lf == 'k')
        k += 3;
      else if (k[0] == 0xc5 && k[1] == 0xbf && lf == 's')
        k += 2;
      else if (((*k >= 'A' && *k <= 'Z') ? *k + 32 : *k) == lf)
        k++;
      else
        return false;
    }
  return *k == '\0';
}

/* Each FIELDS name may appear once, spelled exactly. */
static int
check_keys (struct vctx *v, const struct ab_json *obj,
            const char *const *fields)
{
  size_t i;

  for (; *fields; fields++)
    {
      size_t seen = 0;

      for (i = 0; i < obj->u.object.len; i++)
        {
          const char *k = obj->u.object.keys[i];

          if (!fold_equal (k, *fields))
            continue;
          if (strcmp (k, *fields) != 0)
            return ab_error_set (
                v->err, EINVAL,
                "%s: %s: key \"%s\" would be read by runc as \"%s\"", v->file,
                v->path.len ? v->path.data : "(top level)", k, *fields);
          if (++seen > 1)
            return fail (v, "duplicate key ", *fields);
        }
    }
  return 0;
}

/* ---- reusable shapes ---- */

typedef int (*check_fn) (struct vctx *v, const struct ab_json *j);

/* OBJ.KEY, if present (REQUIRED: must be), checked by FN or of type T. */
static int
field (struct vctx *v, const struct ab_json *obj, const char *key,
       bool required, enum ab_json_type t, check_fn fn)
{
  const struct ab_json *j = ab_json_get (obj, key);
  size_t saved;
  int r;

  if (j == NULL && !required)
    return 0;
  saved = push_key (v, key);
  if (j == NULL)
    r = fail (v, "required field is missing", NULL);
  else
    r = fn ? fn (v, j) : want (v, j, t);
  pop (v, saved);
  return r;
}

static int
each (struct vctx *v, const struct ab_json *arr, check_fn fn)
{
  size_t i;

  if (want (v, arr, AB_JSON_ARRAY) < 0)
    return -1;
  for (i = 0; i < arr->u.array.len; i++)
    {
      size_t saved = push_index (v, i);
      int r = fn (v, arr->u.array.items[i]);

      pop (v, saved);
      if (r < 0)
        return -1;
    }
  return 0;
}

static int
check_string (struct vctx *v, const struct ab_json *j)
{
  return want (v, j, AB_JSON_STRING);
}

static int
check_strv (struct vctx *v, const struct ab_json *j)
{
  return each (v, j, check_string);
}

static int
check_u64 (struct vctx *v, const struct ab_json *j)
{
  unsigned long long n;

  if (want (v, j, AB_JSON_NUMBER) < 0)
    return -1;
  if (!ab_json_number_u64 (j, &n))
    return fail (v, "expected unsigned 64-bit integer, got ", j->u.number);
  return 0;
}

static int
check_int (struct vctx *v, const struct ab_json *j)
{
  int n;

  if (want (v, j, AB_JSON_NUMBER) < 0)
    return -1;
  if (!ab_json_number_int (j, &n))
    return fail (v, "expected integer, got ", j->u.number);
  return 0;
}

/* An object whose every value is checked by FN (or is a string). */
static int
values (struct vctx *v, const struct ab_json *obj, check_fn fn)
{
  size_t i;

  if (want (v, obj, AB_JSON_OBJECT) < 0)
    return -1;
  for (i = 0; i < obj->u.object.len; i++)
    {
      size_t saved = push_key (v, obj->u.object.keys[i]);
      int r = fn (v, obj->u.object.values[i]);

      pop (v, saved);
      if (r < 0)
        return -1;
    }
  return 0;
}

static int
object_with (struct vctx *v, const struct ab_json *j, const char *const *fields)
{
  if (want (v, j, AB_JSON_OBJECT) < 0)
    return -1;
  return check_keys (v, j, fields);
}

/* ---- process ---- */

static int
check_caps (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[] = { "bounding",  "effective", "inheritable",
                                   "permitted", "ambient",   NULL };

  if (object_with (v, j, f) < 0)
    return -1;
  return values (v, j, check_strv);
}

static int
check_rlimit (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[] = { "type", "hard", "soft", NULL };

  if (object_with (v, j, f) < 0
      || field (v, j, "type", true, AB_JSON_STRING, NULL) < 0
      || field (v, j, "hard", true, 0, check_u64) < 0
      || field (v, j, "soft", true, 0, check_u64) < 0)
    return -1;
  return 0;
}

static int
check_rlimits (struct vctx *v, const struct ab_json *j)
{
  return each (v, j, check_rlimit);
}

static int
check_user (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[]
      = { "uid", "gid", "umask", "additionalGids", "username", NULL };

  if (object_with (v, j, f) < 0 || field (v, j, "uid", false, 0, check_u64) < 0
      || field (v, j, "gid", false, 0, check_u64) < 0)
    return -1;
  return 0;
}

static int
check_process (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[] = { "terminal",
                                   "consoleSize",
                                   "user",
                                   "args",
                                   "commandLine",
                                   "env",
                                   "cwd",
                                   "capabilities",
                                   "rlimits",
                                   "noNewPrivileges",
                                   "apparmorProfile",
                                   "oomScoreAdj",
                                   "selinuxLabel",
                                   "ioPriority",
                                   "scheduler",
                                   NULL };

  if (object_with (v, j, f) < 0
      || field (v, j, "terminal", false, AB_JSON_BOOL, NULL) < 0
      || field (v, j, "user", false, 0, check_user) < 0
      || field (v, j, "args", false, 0, check_strv) < 0
      || field (v, j, "env", false, 0, check_strv) < 0
      || field (v, j, "cwd", false, AB_JSON_STRING, NULL) < 0
      || field (v, j, "capabilities", false, 0, check_caps) < 0
      || field (v, j, "rlimits", false, 0, check_rlimits) < 0
      || field (v, j, "noNewPrivileges", false, AB_JSON_BOOL, NULL) < 0)
    return -1;
  return 0;
}

/* ---- mounts, root ---- */

static int
check_mount (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[]
      = { "destination", "type",        "source", "options",
          "uidMappings", "gidMappings", NULL };

  if (object_with (v, j, f) < 0
      || field (v, j, "destination", true, AB_JSON_STRING, NULL) < 0
      || field (v, j, "type", false, AB_JSON_STRING, NULL) < 0
      || field (v, j, "source", false, AB_JSON_STRING, NULL) < 0
      || field (v, j, "options", false, 0, check_strv) < 0)
    return -1;
  return 0;
}

static int
check_mounts (struct vctx *v, const struct ab_json *j)
{
  return each (v, j, check_mount);
}

static int
check_root (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[] = { "path", "readonly", NULL };

  if (object_with (v, j, f) < 0
      || field (v, j, "path", false, AB_JSON_STRING, NULL) < 0
      || field (v, j, "readonly", false, AB_JSON_BOOL, NULL) < 0)
    return -1;
  return 0;
}

/* ---- hooks ---- */

static int
check_hook (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[] = { "path", "args", "env", "timeout", NULL };

  if (object_with (v, j, f) < 0
      || field (v, j, "path", true, AB_JSON_STRING, NULL) < 0
      || field (v, j, "args", false, 0, check_strv) < 0
      || field (v, j, "env", false, 0, check_strv) < 0
      || field (v, j, "timeout", false, 0, check_int) < 0)
    return -1;
  return 0;
}

static int
check_hook_list (struct vctx *v, const struct ab_json *j)
{
  return each (v, j, check_hook);
}

static int
check_hooks (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[] = { "prestart",
                                   "createRuntime",
                                   "createContainer",
                                   "startContainer",
                                   "poststart",
                                   "poststop",
                                   NULL };

  if (object_with (v, j, f) < 0)
    return -1;
  return values (v, j, check_hook_list);
}

/* ---- linux ---- */

static int
check_namespace (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[] = { "type", "path", NULL };

  if (object_with (v, j, f) < 0
      || field (v, j, "type", true, AB_JSON_STRING, NULL) < 0
      || field (v, j, "path", false, AB_JSON_STRING, NULL) < 0)
    return -1;
  return 0;
}

static int
check_namespaces (struct vctx *v, const struct ab_json *j)
{
  return each (v, j, check_namespace);
}

static int
check_seccomp (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[]
      = { "defaultAction", "defaultErrnoRet",  "architectures", "flags",
          "listenerPath",  "listenerMetadata", "syscalls",      NULL };

  if (object_with (v, j, f) < 0
      || field (v, j, "defaultAction", false, AB_JSON_STRING, NULL) < 0
      || field (v, j, "syscalls", false, AB_JSON_ARRAY, NULL) < 0)
    return -1;
  return 0;
}

static int
check_linux (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[]
      = { "namespaces",  "seccomp",     "maskedPaths",       "readonlyPaths",
          "uidMappings", "gidMappings", "devices",           "resources",
          "cgroupsPath", "sysctl",      "rootfsPropagation", "mountLabel",
          "intelRdt",    "personality", "timeOffsets",       NULL };

  if (object_with (v, j, f) < 0
      || field (v, j, "namespaces", false, 0, check_namespaces) < 0
      || field (v, j, "seccomp", false, 0, check_seccomp) < 0
      || field (v, j, "maskedPaths", false, 0, check_strv) < 0
      || field (v, j, "readonlyPaths", false, 0, check_strv) < 0)
    return -1;
  return 0;
}

static int
check_annotations (struct vctx *v, const struct ab_json *j)
{
  return values (v, j, check_string);
}

static int
check_top (struct vctx *v, const struct ab_json *j)
{
  static const char *const f[]
      = { "ociVersion",  "root",  "process",  "mounts",     "hooks",
          "annotations", "linux", "hostname", "domainname", NULL };

  if (object_with (v, j, f) < 0
      || field (v, j, "ociVersion", true, AB_JSON_STRING, NULL) < 0
      || field (v, j, "root", false, 0, check_root) < 0
      || field (v, j, "process", false, 0, check_process) < 0
      || field (v, j, "mounts", false, 0, check_mounts) < 0
      || field (v, j, "hooks", false, 0, check_hooks) < 0
      || field (v, j, "annotations", false, 0, check_annotations) < 0
      || field (v, j, "linux", false, 0, check_linux) < 0)
    return -1;
  return 0;
}

int
ab_spec_validate (const struct ab_spec *s, ab_error_t *err)
{
  struct vctx v = { .file = s->path ? s->path : "config.json", .err = err };
  int r;

  if (s->root == NULL)
    return ab_error_set (err, EINVAL, "%s: empty spec", v.file);
  r = check_top (&v, s->root);
  ab_buf_free (&v.path);
  return r;
}

int
ab_process_validate (const struct ab_json *proc, const char *file,
                     ab_error_t *err)
{
  struct vctx v = { .file = file ? file : "process.json", .err = err };
  int r;

  if (proc == NULL)
    return ab_error_set (err, EINVAL, "%s: no process", v.file);
  r = check_process (&v, proc);
  ab_buf_free (&v.path);
  return r;
}
