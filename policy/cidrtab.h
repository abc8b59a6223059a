/* agentbox: the CIDR table — IPv4 and IPv6 prefixes, one hash table per
 * prefix length and family.
 *
 * A lookup probes only the prefix lengths the table holds (a bitmap): at
 * most 33 probes for IPv4 and 129 for IPv6, usually a handful, whatever
 * the number of rules.  ab_cidrtab_lookup visits every prefix that
 * contains the address (shortest first), which Cedar semantics need (any
 * forbid wins); ab_cidrtab_longest is the classic longest-prefix match.
 * A v4 address never matches a v6 prefix nor the reverse (as Cedar's
 * isInRange; "::ffff:10.0.0.1" is a v6 address). */
#ifndef AB_POLICY_CIDRTAB_H
#define AB_POLICY_CIDRTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

struct ab_cidr
{
  bool v6;
  uint8_t addr[16]; /* v4 in the first 4 bytes */
  uint8_t prefix;   /* 0..32 or 0..128 */
};

/* "10.0.0.0/8", "2001:db8::/32", or an address alone (a full-length
 * prefix).  Host bits after the prefix are allowed and ignored. */
int ab_cidr_parse (const char *s, struct ab_cidr *out, ab_error_t *err);
/* "10.0.0.0/8" into BUF (at least 64 bytes). */
void ab_cidr_format (const struct ab_cidr *c, char *buf, size_t size);

struct ab_cidrtab;

struct ab_cidrtab *ab_cidrtab_new (void);
void ab_cidrtab_free (struct ab_cidrtab *t);

static inline void
ab_cidrtab_freep (struct ab_cidrtab **t)
{
  ab_cidrtab_free (*t);
}
#define cleanup_cidrtab __attribute__ ((cleanup (ab_cidrtab_freep)))

int ab_cidrtab_add (struct ab_cidrtab *t, const struct ab_cidr *c,
                    uint32_t value, ab_error_t *err);

/* PREFIX is the matching prefix length. */
typedef int (*ab_cidrtab_visit_fn) (void *ctx, unsigned prefix,
                                    const uint32_t *values, size_t n);

/* Visit every prefix containing ADDR (4 or 16 bytes), shortest first; a
 * nonzero return from VISIT stops and is returned. */
int ab_cidrtab_lookup (const struct ab_cidrtab *t, bool v6, const uint8_t *addr,
                       ab_cidrtab_visit_fn visit, void *ctx);

/* The longest prefix containing ADDR: its length, with *VALUES and *N set;
 * -1 when none does. */
int ab_cidrtab_longest (const struct ab_cidrtab *t, bool v6,
                        const uint8_t *addr, const uint32_t **values,
                        size_t *n);

size_t ab_cidrtab_prefixes (const struct ab_cidrtab *t);

#endif
