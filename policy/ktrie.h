/* agentbox: a trie of byte-string components (path components, DNS
 * labels), one open-addressing hash table keyed by (parent node, bytes).
 *
 * Walking one component costs one hash and one compare, whatever the
 * number of nodes, so a lookup costs O(depth).  Components have no length
 * limit.  Node 0 is the root (the empty sequence); ids are dense, so the
 * users (pathtab, hosttab) keep their per-node slots in parallel arrays. */
#ifndef AB_POLICY_KTRIE_H
#define AB_POLICY_KTRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ab_ktrie_node
{
  char *key; /* owned; compared case-insensitively if the trie folds */
  uint32_t len;
  uint32_t parent;
};

struct ab_ktrie
{
  struct ab_ktrie_node *nodes;
  uint32_t n_nodes, cap_nodes;
  uint32_t *slots; /* node ids; 0 is empty (the root is nobody's child) */
  size_t n_slots;  /* a power of two */
  bool fold;       /* ASCII case-insensitive keys (stored lower-case) */
};

int ab_ktrie_init (struct ab_ktrie *t, bool fold);
void ab_ktrie_destroy (struct ab_ktrie *t);
/* The child of PARENT for KEY, or 0 when there is none. */
uint32_t ab_ktrie_child (const struct ab_ktrie *t, uint32_t parent,
                         const char *key, size_t len);
/* The child, created if missing; *CREATED says whether it was.  Returns 0
 * when out of memory. */
uint32_t ab_ktrie_child_add (struct ab_ktrie *t, uint32_t parent,
                             const char *key, size_t len, bool *created);

#endif
