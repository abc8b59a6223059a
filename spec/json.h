/* agentbox: a lossless JSON tree (parsed with yajl).
 *
 * Objects keep their keys in document order, duplicates included; numbers
 * keep their original text, so a document that is parsed and written back
 * unedited is semantically identical (whitespace aside) and every field
 * agentbox does not know survives an edit. */
#ifndef AB_JSON_H
#define AB_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

enum ab_json_type
{
  AB_JSON_NULL,
  AB_JSON_BOOL,
  AB_JSON_NUMBER,
  AB_JSON_STRING,
  AB_JSON_ARRAY,
  AB_JSON_OBJECT,
};

struct ab_json
{
  enum ab_json_type type;
  union
  {
    bool boolean;
    char *number; /* original text, e.g. "1e3", "-0", "18446744073709551615" */
    struct
    {
      char *ptr; /* NUL-terminated; may contain no NUL (yajl rejects \u0000) */
      size_t len;
    } string;
    struct
    {
      struct ab_json **items;
      size_t len, cap;
    } array;
    struct
    {
      char **keys;
      struct ab_json **values;
      size_t len, cap;
    } object;
  } u;
};

/* Parse DATA (LEN bytes).  NAME is used in errors: "NAME:LINE:COL: msg".
 * Trailing garbage, NUL bytes, invalid UTF-8 and a depth above 512 are
 * errors. */
int ab_json_parse (const char *data, size_t len, const char *name,
                   struct ab_json **out, ab_error_t *err);
int ab_json_parse_file (const char *path, struct ab_json **out,
                        ab_error_t *err);
/* Serialize; PRETTY indents with tabs like runc does.  *OUT is
 * NUL-terminated and owned by the caller. */
int ab_json_serialize (const struct ab_json *j, bool pretty, char **out,
                       size_t *len, ab_error_t *err);
void ab_json_free (struct ab_json *j);
struct ab_json *ab_json_copy (const struct ab_json *j);
bool ab_json_equal (const struct ab_json *a, const struct ab_json *b);

static inline void
ab_json_freep (struct ab_json **j)
{
  ab_json_free (*j);
}
#define cleanup_json __attribute__ ((cleanup (ab_json_freep)))

/* Constructors; NULL on allocation failure. */
struct ab_json *ab_json_new_null (void);
struct ab_json *ab_json_new_bool (bool b);
struct ab_json *ab_json_new_string (const char *s);
struct ab_json *ab_json_new_number (const char *text);
struct ab_json *ab_json_new_int (long long v);
struct ab_json *ab_json_new_array (void);
struct ab_json *ab_json_new_object (void);

/* Objects.  get returns the last value for KEY, NULL if absent.
 * set replaces the value of the first KEY (dropping later duplicates) or
 * appends KEY at the end; it takes ownership of VAL even on failure.
 * remove drops every KEY and returns how many were dropped. */
struct ab_json *ab_json_get (const struct ab_json *obj, const char *key);
int ab_json_set (struct ab_json *obj, const char *key, struct ab_json *val);
int ab_json_remove (struct ab_json *obj, const char *key);
/* get KEY, creating an empty object/array there if absent; NULL if present
 * with another type or on allocation failure. */
struct ab_json *ab_json_ensure_object (struct ab_json *obj, const char *key);
struct ab_json *ab_json_ensure_array (struct ab_json *obj, const char *key);

/* Arrays.  append/insert take ownership of VAL even on failure. */
int ab_json_append (struct ab_json *arr, struct ab_json *val);
int ab_json_insert (struct ab_json *arr, size_t index, struct ab_json *val);
void ab_json_array_remove (struct ab_json *arr, size_t index);

/* Typed access: NULL / false when absent or of another type. */
const char *ab_json_string (const struct ab_json *j);
const char *ab_json_get_string (const struct ab_json *obj, const char *key);
bool ab_json_is (const struct ab_json *j, enum ab_json_type t);
const char *ab_json_type_name (enum ab_json_type t);

#endif
