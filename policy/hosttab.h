/* agentbox: the host table — host names in a reversed-label trie.
 *
 * "a.b.example.com" is walked com -> example -> b -> a (policy/ktrie.h),
 * one hash probe per label, so a lookup costs O(labels) whatever the
 * number of rules.  Names are compared ASCII case-insensitively and one
 * trailing dot is ignored ("API.Example.com." is "api.example.com").
 * Each node holds values in four kinds of slot:
 *
 *   EXACT     the name exactly, with no port, or with exactly PORT;
 *   ANY_PORT  the name with some port (not the bare name);
 *   BELOW     every name strictly below this one, with or without a
 *             port (or, given PORT, with exactly that port):
 *             "*.example.com" is BELOW "example.com", and it matches
 *             "a.example.com" and "a.b.example.com:443" but never the
 *             apex "example.com".
 *
 * A name must be non-empty, with no empty label ("a..b"), and contain
 * ':', '[' or ']' only as an IPv6 literal in brackets ("[::1]",
 * "[::ffff:10.1.2.3]").  Invalid
 * names are EINVAL on add and on lookup (callers deny: fail closed). */
#ifndef AB_POLICY_HOSTTAB_H
#define AB_POLICY_HOSTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

enum ab_hosttab_kind
{
  AB_HOSTTAB_EXACT,
  AB_HOSTTAB_ANY_PORT,
  AB_HOSTTAB_BELOW,
};

#define AB_HOSTTAB_NO_PORT (-1)

struct ab_hosttab;

struct ab_hosttab *ab_hosttab_new (void);
void ab_hosttab_free (struct ab_hosttab *t);

static inline void
ab_hosttab_freep (struct ab_hosttab **t)
{
  ab_hosttab_free (*t);
}
#define cleanup_hosttab __attribute__ ((cleanup (ab_hosttab_freep)))

/* Is NAME (LEN bytes) a name the table accepts?  *CANON_LEN gets the
 * length without the ignored trailing dot. */
bool ab_hosttab_name_valid (const char *name, size_t len, size_t *canon_len);

/* Add VALUE for NAME.  PORT (0..65535, or AB_HOSTTAB_NO_PORT) is used by
 * EXACT and BELOW; ANY_PORT ignores it. */
int ab_hosttab_add (struct ab_hosttab *t, const char *name, size_t len,
                    enum ab_hosttab_kind kind, int port, uint32_t value,
                    ab_error_t *err);

/* Add a pattern as YAML allow-lists and Cedar's `resource in Host::..`
 * mean it: "*.zone" (BELOW zone), "name" (the name, any port or none) or
 * "name:port" (exactly). */
int ab_hosttab_add_pattern (struct ab_hosttab *t, const char *pattern,
                            uint32_t value, ab_error_t *err);

typedef int (*ab_hosttab_visit_fn) (void *ctx, enum ab_hosttab_kind kind,
                                    const uint32_t *values, size_t n);

/* Visit the BELOW slots of the name's parents from the top-level label
 * down, then (PORT given) ANY_PORT and EXACT:PORT, or (no port) EXACT.
 * Returns -1 (EINVAL) for an invalid name without visiting anything, else
 * 0 or the first nonzero value VISIT returned. */
int ab_hosttab_lookup (const struct ab_hosttab *t, const char *name, size_t len,
                       int port, ab_hosttab_visit_fn visit, void *ctx);

size_t ab_hosttab_nodes (const struct ab_hosttab *t);
size_t ab_hosttab_values (const struct ab_hosttab *t);

#endif
