/* agentbox: a growable vector of uint32 values, the payload of every slot
 * in the policy matchers (pathtab, hosttab, cidrtab).  The matchers store
 * opaque values; the IR stores indices of its table entries. */
#ifndef AB_POLICY_TABVEC_H
#define AB_POLICY_TABVEC_H

#include <stdint.h>
#include <stdlib.h>

struct ab_tabvec
{
  uint32_t *v;
  uint32_t n, cap;
};

/* 0 on success, -1 when out of memory (the vector is unchanged). */
static inline int
ab_tabvec_push (struct ab_tabvec *t, uint32_t x)
{
  if (t->n == t->cap)
    {
      uint32_t cap = t->cap ? t->cap * 2 : 2;
      uint32_t *v = realloc (t->v, cap * sizeof *v);
      if (v == NULL)
        return -1;
      t->v = v;
      t->cap = cap;
    }
  t->v[t->n++] = x;
  return 0;
}

static inline void
ab_tabvec_free (struct ab_tabvec *t)
{
  free (t->v);
  t->v = NULL;
  t->n = t->cap = 0;
}

/* FNV-1a: the matchers hash keys that come from policy (trusted); lookups
 * never insert, so an agent cannot grow a chain. */
static inline uint64_t
ab_tab_hash (uint64_t h, const void *data, size_t len)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++)
    {
      h ^= p[i];
      h *= 0x100000001b3ULL;
    }
  return h;
}
#define AB_TAB_HASH_INIT 0xcbf29ce484222325ULL

#endif
