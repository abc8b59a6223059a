/* agentbox: helpers shared by the files of spec/ (not a public API). */
#ifndef AB_SPEC_INTERNAL_H
#define AB_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/cleanup.h"
#include "spec/json.h"

/* Append KEY and VAL (both taken, freed on failure) without looking for
 * duplicates: the parser keeps them as the document had them. */
int ab_json_object_push (struct ab_json *obj, char *key, struct ab_json *val);

/* Append a new string / copy of a NULL-terminated vector; -1 on ENOMEM. */
int ab_json_append_string (struct ab_json *arr, const char *s);
struct ab_json *ab_json_new_strv (const char *const *v);

/* The strings of ARR as a NULL-terminated vector of borrowed pointers.
 * Returns the count, or -1 if ARR holds a non-string (*BAD set to its
 * index) or on ENOMEM (*BAD = SIZE_MAX).  ARR NULL gives an empty vector. */
int ab_json_strv (const struct ab_json *arr, const char ***out, size_t *bad);

/* Parse an unsigned decimal JSON integer (no sign, fraction or exponent). */
bool ab_json_number_u64 (const struct ab_json *j, unsigned long long *v);
/* Parse a JSON integer that fits in an int. */
bool ab_json_number_int (const struct ab_json *j, int *v);

#endif
