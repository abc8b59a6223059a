/* agentbox: an OCI bundle's config.json, edited as a lossless tree.
 *
 * Every helper works on the tree in place and keeps fields agentbox does
 * not know.  Type errors name the file and the JSON path of the field, e.g.
 * "/b/config.json: process.capabilities.bounding[3]: expected string, got
 * number". */
#ifndef AB_SPEC_H
#define AB_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"

struct ab_spec
{
  char *path;           /* the config.json this came from */
  struct ab_json *root; /* always an object */
};

/* Load BUNDLE/config.json (or a config file by path). */
int ab_spec_load (const char *bundle, struct ab_spec **out, ab_error_t *err);
int ab_spec_load_file (const char *path, struct ab_spec **out, ab_error_t *err);
/* Write back atomically: a temporary file in the same directory with the
 * same mode and owner, renamed over the original (no fsync: see
 * spec.c).  Nothing is left behind on failure. */
int ab_spec_write (const struct ab_spec *s, ab_error_t *err);
int ab_spec_write_to (const struct ab_spec *s, const char *path,
                      ab_error_t *err);
void ab_spec_free (struct ab_spec *s);

static inline void
ab_spec_freep (struct ab_spec **s)
{
  ab_spec_free (*s);
}
#define cleanup_spec __attribute__ ((cleanup (ab_spec_freep)))

/* Check the shape of the fields agentbox reads and writes (types of
 * process, mounts, linux.namespaces, hooks, annotations, ...), so later
 * helpers can trust them.  Errors name file and field. */
int ab_spec_validate (const struct ab_spec *s, ab_error_t *err);
/* The same checks for a process object alone (the file given to `exec
 * --process`); FILE names it in errors. */
int ab_process_validate (const struct ab_json *proc, const char *file,
                         ab_error_t *err);

/* ---- annotations ---- */
const char *ab_spec_annotation (const struct ab_spec *s, const char *key);
int ab_spec_set_annotation (struct ab_spec *s, const char *key,
                            const char *value, ab_error_t *err);

/* ---- mounts ---- */
struct ab_mount
{
  const char *destination;
  const char *type;     /* may be NULL */
  const char *source;   /* may be NULL */
  const char **options; /* NULL-terminated, NULL if none; owned by caller of
                           ab_spec_mount() (free the array, not strings) */
};
size_t ab_spec_mount_count (const struct ab_spec *s);
/* Fills M with pointers into the tree; free (m->options) afterwards. */
int ab_spec_mount (const struct ab_spec *s, size_t i, struct ab_mount *m,
                   ab_error_t *err);
void ab_spec_mount_remove (struct ab_spec *s, size_t i);
/* Append a mount; OPTIONS NULL-terminated or NULL. */
int ab_spec_mount_add (struct ab_spec *s, const char *destination,
                       const char *type, const char *source,
                       const char *const *options, ab_error_t *err);
bool ab_mount_has_option (const struct ab_mount *m, const char *opt);

/* ---- namespaces (linux.namespaces) ---- */
/* Returns 1 and sets *PATH (NULL if no path) when a namespace of TYPE
 * ("pid", "network", "ipc", "uts", "mount", "user", "cgroup", "time") is
 * listed, 0 when it is not. */
int ab_spec_namespace (const struct ab_spec *s, const char *type,
                       const char **path);
/* List TYPE with PATH (NULL: a new namespace), replacing any entry. */
int ab_spec_set_namespace (struct ab_spec *s, const char *type,
                           const char *path, ab_error_t *err);
int ab_spec_remove_namespace (struct ab_spec *s, const char *type);

/* ---- hooks ---- */
/* STAGE: "prestart", "createRuntime", "createContainer", "startContainer",
 * "poststart", "poststop".  ARGS and ENV NULL-terminated or NULL; TIMEOUT
 * <= 0 means none. */
int ab_spec_hook_add (struct ab_spec *s, const char *stage, const char *path,
                      const char *const *args, const char *const *env,
                      int timeout, ab_error_t *err);
/* True if STAGE already has a hook whose path is PATH. */
bool ab_spec_hook_has (const struct ab_spec *s, const char *stage,
                       const char *path);

/* ---- process ----
 * These take the process object itself, so the same code serves
 * config.json's "process" and the file of `exec --process`. */
struct ab_json *ab_spec_process (struct ab_spec *s); /* NULL if absent */
/* NULL-terminated copy of process.args (strings borrowed). */
int ab_process_args (const struct ab_json *proc, const char ***out,
                     ab_error_t *err);
int ab_process_prepend_args (struct ab_json *proc, const char *const *args,
                             ab_error_t *err);
/* Environment: get "KEY" (the value after '='), set KEY=VALUE (replacing
 * every KEY= entry, else appending), unset. */
const char *ab_process_getenv (const struct ab_json *proc, const char *key);
int ab_process_setenv (struct ab_json *proc, const char *key, const char *value,
                       ab_error_t *err);
int ab_process_unsetenv (struct ab_json *proc, const char *key);
/* Capabilities: SET is "bounding", "effective", "inheritable", "permitted"
 * or "ambient".  Names are as in OCI ("CAP_SYS_ADMIN"). */
bool ab_process_has_cap (const struct ab_json *proc, const char *set,
                         const char *cap);
/* Remove CAP from every set; returns how many entries were removed. */
int ab_process_drop_cap (struct ab_json *proc, const char *cap);
/* NULL-terminated copy of the names in SET (strings borrowed). */
int ab_process_caps (const struct ab_json *proc, const char *set,
                     const char ***out, ab_error_t *err);
bool ab_process_no_new_privileges (const struct ab_json *proc);
int ab_process_set_no_new_privileges (struct ab_json *proc, bool v,
                                      ab_error_t *err);
/* rlimits: set TYPE ("RLIMIT_NOFILE") to soft/hard, replacing any entry. */
int ab_process_set_rlimit (struct ab_json *proc, const char *type,
                           unsigned long long soft, unsigned long long hard,
                           ab_error_t *err);
int ab_process_rlimit (const struct ab_json *proc, const char *type,
                       unsigned long long *soft, unsigned long long *hard);

/* ---- linux.seccomp, maskedPaths, readonlyPaths ---- */
struct ab_json *ab_spec_seccomp (struct ab_spec *s); /* NULL if none */
/* Replace linux.seccomp with SECCOMP (ownership taken). */
int ab_spec_set_seccomp (struct ab_spec *s, struct ab_json *seccomp,
                         ab_error_t *err);
/* Add PATH to linux.maskedPaths / linux.readonlyPaths unless present.
 * Returns 1 if added, 0 if already there. */
int ab_spec_ensure_masked_path (struct ab_spec *s, const char *path,
                                ab_error_t *err);
int ab_spec_ensure_readonly_path (struct ab_spec *s, const char *path,
                                  ab_error_t *err);

#endif
