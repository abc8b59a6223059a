/* agentbox: the component trie under pathtab and hosttab (see ktrie.h). */
#include "policy/ktrie.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "policy/tabvec.h"

static uint64_t
key_hash (const struct ab_ktrie *t, uint32_t parent, const char *key,
          size_t len)
{
  uint64_t h = ab_tab_hash (AB_TAB_HASH_INIT, &parent, sizeof parent);

  if (!t->fold)
    return ab_tab_hash (h, key, len);
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char)tolower ((unsigned char)key[i]);
      h = ab_tab_hash (h, &c, 1);
    }
  return h;
}

static bool
key_equal (const struct ab_ktrie *t, const struct ab_ktrie_node *n,
           uint32_t parent, const char *key, size_t len)
{
  if (n->parent != parent || n->len != len)
    return false;
  if (!t->fold)
    return memcmp (n->key, key, len) == 0;
  for (size_t i = 0; i < len; i++)
    if (n->key[i] != (char)tolower ((unsigned char)key[i]))
      return false;
  return true;
}

int
ab_ktrie_init (struct ab_ktrie *t, bool fold)
{
  memset (t, 0, sizeof *t);
  t->fold = fold;
  t->cap_nodes = 16;
  t->nodes = calloc (t->cap_nodes, sizeof *t->nodes);
  t->n_slots = 32;
  t->slots = calloc (t->n_slots, sizeof *t->slots);
  if (t->nodes == NULL || t->slots == NULL)
    {
      ab_ktrie_destroy (t);
      return -1;
    }
  t->n_nodes = 1; /* the root */
  return 0;
}

void
ab_ktrie_destroy (struct ab_ktrie *t)
{
  for (uint32_t i = 0; t->nodes && i < t->n_nodes; i++)
    free (t->nodes[i].key);
  free (t->nodes);
  free (t->slots);
  memset (t, 0, sizeof *t);
}

uint32_t
ab_ktrie_child (const struct ab_ktrie *t, uint32_t parent, const char *key,
                size_t len)
{
  size_t mask = t->n_slots - 1;
  size_t i = (size_t)key_hash (t, parent, key, len) & mask;

  for (; t->slots[i] != 0; i = (i + 1) & mask)
    if (key_equal (t, &t->nodes[t->slots[i]], parent, key, len))
      return t->slots[i];
  return 0;
}

static void
slot_insert (uint32_t *slots, size_t n_slots, uint64_t h, uint32_t id)
{
  size_t mask = n_slots - 1, i = (size_t)h & mask;

  while (slots[i] != 0)
    i = (i + 1) & mask;
  slots[i] = id;
}

/* Keep the load factor under 1/2 so probe chains stay short. */
static int
grow_slots (struct ab_ktrie *t)
{
  size_t n = t->n_slots * 2;
  uint32_t *slots = calloc (n, sizeof *slots);

  if (slots == NULL)
    return -1;
  for (uint32_t id = 1; id < t->n_nodes; id++)
    {
      const struct ab_ktrie_node *nd = &t->nodes[id];
      slot_insert (slots, n, key_hash (t, nd->parent, nd->key, nd->len), id);
    }
  free (t->slots);
  t->slots = slots;
  t->n_slots = n;
  return 0;
}

uint32_t
ab_ktrie_child_add (struct ab_ktrie *t, uint32_t parent, const char *key,
                    size_t len, bool *created)
{
  uint32_t id = ab_ktrie_child (t, parent, key, len);
  struct ab_ktrie_node *nd;

  *created = false;
  if (id != 0)
    return id;
  if (len > UINT32_MAX || t->n_nodes == UINT32_MAX)
    return 0;
  if ((size_t)t->n_nodes * 2 >= t->n_slots && grow_slots (t) < 0)
    return 0;
  if (t->n_nodes == t->cap_nodes)
    {
      uint32_t cap = t->cap_nodes * 2;
      struct ab_ktrie_node *nodes = realloc (t->nodes, cap * sizeof *nodes);
      if (nodes == NULL)
        return 0;
      t->nodes = nodes;
      t->cap_nodes = cap;
    }
  nd = &t->nodes[t->n_nodes];
  nd->key = malloc (len + 1);
  if (nd->key == NULL)
    return 0;
  for (size_t i = 0; i < len; i++)
    nd->key[i] = t->fold ? (char)tolower ((unsigned char)key[i]) : key[i];
  nd->key[len] = '\0';
  nd->len = (uint32_t)len;
  nd->parent = parent;
  id = t->n_nodes++;
  slot_insert (t->slots, t->n_slots, key_hash (t, parent, key, len), id);
  *created = true;
  return id;
}
