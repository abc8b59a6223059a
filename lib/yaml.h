/* agentbox: small helpers over libyaml's document API, shared by the
 * global config and the policy's project files.  Every error names
 * "file:line:col" of the node at fault (1-based). */
#ifndef AB_YAML_H
#define AB_YAML_H

#include <stdbool.h>
#include <yaml.h>

#include "lib/error.h"

/* Load the first document of PATH.  ENOENT is returned as status ENOENT
 * so callers can treat a missing optional file as "defaults". */
int ab_yaml_load (const char *path, yaml_document_t *doc, ab_error_t *err);
/* Load from memory; NAME is used in errors. */
int ab_yaml_load_string (const char *name, const char *data, size_t len,
                         yaml_document_t *doc, ab_error_t *err);

/* "FILE:LINE:COL: message" at NODE. */
int ab_yaml_error (ab_error_t *err, const char *file, const yaml_node_t *node,
                   const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

const char *ab_yaml_type_name (const yaml_node_t *node);
/* The scalar text of NODE, or NULL if NODE is not a scalar. */
const char *ab_yaml_scalar (const yaml_node_t *node);

/* Typed reads; each fails with a file:line:col error on a wrong type. */
int ab_yaml_get_string (const char *file, yaml_node_t *node, const char **out,
                        ab_error_t *err);
int ab_yaml_get_bool (const char *file, yaml_node_t *node, bool *out,
                      ab_error_t *err);
int ab_yaml_get_long (const char *file, yaml_node_t *node, long *out,
                      ab_error_t *err);
/* A sequence of scalars as a NULL-terminated heap vector. */
int ab_yaml_get_strv (const char *file, yaml_document_t *doc, yaml_node_t *node,
                      char ***out, ab_error_t *err);
/* Call FN for each key/value of the mapping MAP, in order.  A key that is
 * not a scalar is an error; FN's errors stop the walk. */
typedef int (*ab_yaml_pair_fn) (const char *file, yaml_document_t *doc,
                                const char *key, yaml_node_t *key_node,
                                yaml_node_t *value, void *data,
                                ab_error_t *err);
int ab_yaml_mapping_each (const char *file, yaml_document_t *doc,
                          yaml_node_t *map, ab_yaml_pair_fn fn, void *data,
                          ab_error_t *err);

/* Is NODE YAML's null (an empty plain scalar, "~" or "null")? */
bool ab_yaml_is_null (const yaml_node_t *node);
/* Check NODE is a mapping. */
int ab_yaml_expect_mapping (const char *file, yaml_node_t *node,
                            ab_error_t *err);

static inline void
ab_yaml_docp (yaml_document_t *d)
{
  yaml_document_delete (d);
}
#define cleanup_yaml_doc __attribute__ ((cleanup (ab_yaml_docp)))

#endif
