/* agentbox: the path table — file and exec rules keyed by path
 * components.
 *
 * A path is split at '/' into components and walked down a component
 * trie (policy/ktrie.h): one hash probe per component, so a lookup costs
 * O(path depth) whatever the number of rules, and no rule or path has a
 * length limit.  Each node holds values in three slots:
 *
 *   EXACT  the path string exactly ("/etc/passwd", or "/work/" for a
 *          directory written with its slash);
 *   UNDER  every path strictly below a directory, at component
 *          boundaries: "/work/" matches "/work/a" and "/work/a/b/" but
 *          not "/work/" itself nor "/workx" (use EXACT for the dir).
 *
 * The matching follows agentbox's entity model (policy/model.h): the
 * directories of a path are its proper prefixes that end in '/'.  Paths
 * are compared byte for byte; the table does not resolve "..", "//" or
 * symlinks (the kernel hooks hand it resolved paths). */
#ifndef AB_POLICY_PATHTAB_H
#define AB_POLICY_PATHTAB_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

enum ab_pathtab_kind
{
  AB_PATHTAB_EXACT,
  AB_PATHTAB_UNDER,
};

struct ab_pathtab;

struct ab_pathtab *ab_pathtab_new (void);
void ab_pathtab_free (struct ab_pathtab *t);

static inline void
ab_pathtab_freep (struct ab_pathtab **t)
{
  ab_pathtab_free (*t);
}
#define cleanup_pathtab __attribute__ ((cleanup (ab_pathtab_freep)))

/* Add VALUE under PATH (LEN bytes).  UNDER needs PATH to end in '/'
 * (EINVAL otherwise). */
int ab_pathtab_add (struct ab_pathtab *t, const char *path, size_t len,
                    enum ab_pathtab_kind kind, uint32_t value, ab_error_t *err);

/* Called with the values of each matching slot: the UNDER slots of the
 * path's directories from the root down, then the EXACT slot.  A nonzero
 * return stops the walk and is returned by the lookup. */
typedef int (*ab_pathtab_visit_fn) (void *ctx, enum ab_pathtab_kind kind,
                                    const uint32_t *values, size_t n);

int ab_pathtab_lookup (const struct ab_pathtab *t, const char *path, size_t len,
                       ab_pathtab_visit_fn visit, void *ctx);

/* Sizes, for the IR dump and the bench. */
size_t ab_pathtab_nodes (const struct ab_pathtab *t);
size_t ab_pathtab_values (const struct ab_pathtab *t);

#endif
