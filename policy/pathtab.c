/* agentbox: the path table (see pathtab.h). */
#include "policy/pathtab.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "policy/ktrie.h"
#include "policy/tabvec.h"

/* Per node: the path exactly without a trailing slash, the path with its
 * trailing slash, and everything below "path/". */
enum
{
  SLOT_SELF,
  SLOT_SLASH,
  SLOT_UNDER,
  N_SLOTS
};

struct ab_pathtab
{
  struct ab_ktrie trie;
  struct ab_tabvec (*slots)[N_SLOTS]; /* parallel to trie.nodes */
  uint32_t cap;
  size_t n_values;
};

struct ab_pathtab *
ab_pathtab_new (void)
{
  struct ab_pathtab *t = calloc (1, sizeof *t);

  if (t == NULL)
    return NULL;
  if (ab_ktrie_init (&t->trie, false) < 0)
    {
      free (t);
      return NULL;
    }
  return t;
}

void
ab_pathtab_free (struct ab_pathtab *t)
{
  if (t == NULL)
    return;
  for (uint32_t i = 0; i < t->cap && i < t->trie.n_nodes; i++)
    for (int s = 0; s < N_SLOTS; s++)
      ab_tabvec_free (&t->slots[i][s]);
  free (t->slots);
  ab_ktrie_destroy (&t->trie);
  free (t);
}

static int
ensure_slots (struct ab_pathtab *t)
{
  if (t->trie.n_nodes <= t->cap)
    return 0;
  uint32_t cap = t->cap ? t->cap : 16;
  while (cap < t->trie.n_nodes)
    cap *= 2;
  void *s = realloc (t->slots, cap * sizeof *t->slots);
  if (s == NULL)
    return -1;
  t->slots = s;
  memset (&t->slots[t->cap], 0, (cap - t->cap) * sizeof *t->slots);
  t->cap = cap;
  return 0;
}

/* The node for the components of PATH[0..LEN), created as needed. */
static uint32_t
node_for (struct ab_pathtab *t, const char *path, size_t len)
{
  uint32_t node = 0;
  size_t start = 0;

  for (;;)
    {
      const char *slash = memchr (path + start, '/', len - start);
      size_t end = slash ? (size_t)(slash - path) : len;
      bool created;

      node = ab_ktrie_child_add (&t->trie, node, path + start, end - start,
                                 &created);
      if (node == 0 || ensure_slots (t) < 0)
        return 0;
      if (end == len)
        return node;
      start = end + 1;
    }
}

int
ab_pathtab_add (struct ab_pathtab *t, const char *path, size_t len,
                enum ab_pathtab_kind kind, uint32_t value, ab_error_t *err)
{
  bool slash = len > 0 && path[len - 1] == '/';
  int slot;
  uint32_t node;

  if (kind == AB_PATHTAB_UNDER && !slash)
    return ab_error_set (err, EINVAL,
                         "path table: `%.*s`: a directory rule must end "
                         "in '/'",
                         (int)len, path);
  slot = kind == AB_PATHTAB_UNDER ? SLOT_UNDER : slash ? SLOT_SLASH : SLOT_SELF;
  node = node_for (t, path, slash ? len - 1 : len);
  if (node == 0 || ab_tabvec_push (&t->slots[node][slot], value) < 0)
    return ab_error_set (err, ENOMEM, "path table: out of memory");
  t->n_values++;
  return 0;
}

static int
visit_slot (const struct ab_tabvec *v, enum ab_pathtab_kind kind,
            ab_pathtab_visit_fn visit, void *ctx)
{
  return v->n ? visit (ctx, kind, v->v, v->n) : 0;
}

int
ab_pathtab_lookup (const struct ab_pathtab *t, const char *path, size_t len,
                   ab_pathtab_visit_fn visit, void *ctx)
{
  bool slash = len > 0 && path[len - 1] == '/';
  size_t qlen = slash ? len - 1 : len, start = 0;
  uint32_t node = 0;
  int r;

  /* Walk the components of the path without its trailing slash: every
   * node before the last is a proper directory prefix ("comp/"), the
   * last is the path itself. */
  for (;;)
    {
      const char *sep = memchr (path + start, '/', qlen - start);
      size_t end = sep ? (size_t)(sep - path) : qlen;

      node = ab_ktrie_child (&t->trie, node, path + start, end - start);
      if (node == 0)
        return 0;
      if (end == qlen)
        return visit_slot (&t->slots[node][slash ? SLOT_SLASH : SLOT_SELF],
                           AB_PATHTAB_EXACT, visit, ctx);
      if ((r = visit_slot (&t->slots[node][SLOT_UNDER], AB_PATHTAB_UNDER, visit,
                           ctx))
          != 0)
        return r;
      start = end + 1;
    }
}

size_t
ab_pathtab_nodes (const struct ab_pathtab *t)
{
  return t->trie.n_nodes;
}

size_t
ab_pathtab_values (const struct ab_pathtab *t)
{
  return t->n_values;
}
