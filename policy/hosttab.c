/* agentbox: the host table (see hosttab.h). */
#include "policy/hosttab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/ktrie.h"
#include "policy/tabvec.h"

struct port_slot
{
  int port;
  struct ab_tabvec v;
};

struct host_slots
{
  struct ab_tabvec exact, any_port, below;
  struct port_slot *ports; /* few per name: a linear scan */
  uint32_t n_ports;
  struct port_slot *below_ports; /* BELOW, one port only */
  uint32_t n_below_ports;
};

struct ab_hosttab
{
  struct ab_ktrie trie;
  struct host_slots *slots; /* parallel to trie.nodes */
  uint32_t cap;
  size_t n_values;
};

struct ab_hosttab *
ab_hosttab_new (void)
{
  struct ab_hosttab *t = calloc (1, sizeof *t);

  if (t == NULL)
    return NULL;
  if (ab_ktrie_init (&t->trie, true) < 0)
    {
      free (t);
      return NULL;
    }
  return t;
}

void
ab_hosttab_free (struct ab_hosttab *t)
{
  if (t == NULL)
    return;
  for (uint32_t i = 0; i < t->cap && i < t->trie.n_nodes; i++)
    {
      struct host_slots *s = &t->slots[i];
      ab_tabvec_free (&s->exact);
      ab_tabvec_free (&s->any_port);
      ab_tabvec_free (&s->below);
      for (uint32_t p = 0; p < s->n_ports; p++)
        ab_tabvec_free (&s->ports[p].v);
      free (s->ports);
      for (uint32_t p = 0; p < s->n_below_ports; p++)
        ab_tabvec_free (&s->below_ports[p].v);
      free (s->below_ports);
    }
  free (t->slots);
  ab_ktrie_destroy (&t->trie);
  free (t);
}

bool
ab_hosttab_name_valid (const char *name, size_t len, size_t *canon_len)
{
  if (len > 1 && name[len - 1] == '.')
    len--;
  *canon_len = len;
  if (len == 0 || name[0] == '.' || name[len - 1] == '.')
    return false;
  if (memchr (name, '\0', len) || memmem (name, len, "..", 2))
    return false;
  if (memchr (name, ':', len) || memchr (name, '[', len)
      || memchr (name, ']', len))
    {
      /* Only an IPv6 literal: "[" no brackets inside "]" (dots may be:
       * "[::ffff:10.1.2.3]"). */
      if (name[0] != '[' || name[len - 1] != ']' || len < 3)
        return false;
      for (size_t i = 1; i + 1 < len; i++)
        if (name[i] == '[' || name[i] == ']')
          return false;
    }
  return true;
}

static int
ensure_slots (struct ab_hosttab *t)
{
  if (t->trie.n_nodes <= t->cap)
    return 0;
  uint32_t cap = t->cap ? t->cap : 16;
  while (cap < t->trie.n_nodes)
    cap *= 2;
  struct host_slots *s = realloc (t->slots, cap * sizeof *s);
  if (s == NULL)
    return -1;
  memset (&s[t->cap], 0, (cap - t->cap) * sizeof *s);
  t->slots = s;
  t->cap = cap;
  return 0;
}

/* The label before END (exclusive) in NAME: [*start, end). */
static size_t
label_start (const char *name, size_t end)
{
  size_t s = end;

  while (s > 0 && name[s - 1] != '.')
    s--;
  return s;
}

static uint32_t
node_for (struct ab_hosttab *t, const char *name, size_t len)
{
  uint32_t node = 0;
  size_t end = len;

  for (;;)
    {
      size_t s = label_start (name, end);
      bool created;

      node = ab_ktrie_child_add (&t->trie, node, name + s, end - s, &created);
      if (node == 0 || ensure_slots (t) < 0)
        return 0;
      if (s == 0)
        return node;
      end = s - 1;
    }
}

static struct ab_tabvec *
port_vec (struct port_slot **ports, uint32_t *n, int port)
{
  for (uint32_t i = 0; i < *n; i++)
    if ((*ports)[i].port == port)
      return &(*ports)[i].v;
  struct port_slot *p = realloc (*ports, (*n + 1) * sizeof *p);
  if (p == NULL)
    return NULL;
  *ports = p;
  memset (&p[*n], 0, sizeof *p);
  p[*n].port = port;
  return &p[(*n)++].v;
}

int
ab_hosttab_add (struct ab_hosttab *t, const char *name, size_t len,
                enum ab_hosttab_kind kind, int port, uint32_t value,
                ab_error_t *err)
{
  struct ab_tabvec *v;
  struct host_slots *s;
  uint32_t node;

  if (!ab_hosttab_name_valid (name, len, &len))
    return ab_error_set (err, EINVAL, "host table: `%.*s`: not a host name",
                         (int)len, name);
  if (port > 65535 || (port < 0 && port != AB_HOSTTAB_NO_PORT))
    return ab_error_set (err, EINVAL, "host table: port %d out of range", port);
  node = node_for (t, name, len);
  if (node == 0)
    return ab_error_set (err, ENOMEM, "host table: out of memory");
  s = &t->slots[node];
  if (kind == AB_HOSTTAB_BELOW && port == AB_HOSTTAB_NO_PORT)
    v = &s->below;
  else if (kind == AB_HOSTTAB_BELOW)
    v = port_vec (&s->below_ports, &s->n_below_ports, port);
  else if (kind == AB_HOSTTAB_ANY_PORT)
    v = &s->any_port;
  else if (port == AB_HOSTTAB_NO_PORT)
    v = &s->exact;
  else
    v = port_vec (&s->ports, &s->n_ports, port);
  if (v == NULL || ab_tabvec_push (v, value) < 0)
    return ab_error_set (err, ENOMEM, "host table: out of memory");
  t->n_values++;
  return 0;
}

int
ab_hosttab_add_pattern (struct ab_hosttab *t, const char *pattern,
                        uint32_t value, ab_error_t *err)
{
  const char *colon = strrchr (pattern, ':');
  size_t len = strlen (pattern);

  if (strncmp (pattern, "*.", 2) == 0)
    return ab_hosttab_add (t, pattern + 2, len - 2, AB_HOSTTAB_BELOW,
                           AB_HOSTTAB_NO_PORT, value, err);
  if (colon && strchr (colon, ']') == NULL)
    {
      char *end;
      long port = strtol (colon + 1, &end, 10);
      if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535)
        return ab_error_set (err, EINVAL, "host table: `%s`: bad port",
                             pattern);
      return ab_hosttab_add (t, pattern, (size_t)(colon - pattern),
                             AB_HOSTTAB_EXACT, (int)port, value, err);
    }
  if (ab_hosttab_add (t, pattern, len, AB_HOSTTAB_EXACT, AB_HOSTTAB_NO_PORT,
                      value, err)
      < 0)
    return -1;
  t->n_values--; /* one pattern, one value */
  return ab_hosttab_add (t, pattern, len, AB_HOSTTAB_ANY_PORT,
                         AB_HOSTTAB_NO_PORT, value, err);
}

static int
visit_vec (const struct ab_tabvec *v, enum ab_hosttab_kind kind,
           ab_hosttab_visit_fn visit, void *ctx)
{
  return v->n ? visit (ctx, kind, v->v, v->n) : 0;
}

static int
visit_name (const struct host_slots *s, int port, ab_hosttab_visit_fn visit,
            void *ctx)
{
  int r;

  if (port == AB_HOSTTAB_NO_PORT)
    return visit_vec (&s->exact, AB_HOSTTAB_EXACT, visit, ctx);
  if ((r = visit_vec (&s->any_port, AB_HOSTTAB_ANY_PORT, visit, ctx)) != 0)
    return r;
  for (uint32_t i = 0; i < s->n_ports; i++)
    if (s->ports[i].port == port)
      return visit_vec (&s->ports[i].v, AB_HOSTTAB_EXACT, visit, ctx);
  return 0;
}

static int
visit_below (const struct host_slots *s, int port, ab_hosttab_visit_fn visit,
             void *ctx)
{
  int r;

  if ((r = visit_vec (&s->below, AB_HOSTTAB_BELOW, visit, ctx)) != 0)
    return r;
  for (uint32_t i = 0; port != AB_HOSTTAB_NO_PORT && i < s->n_below_ports; i++)
    if (s->below_ports[i].port == port)
      return visit_vec (&s->below_ports[i].v, AB_HOSTTAB_BELOW, visit, ctx);
  return 0;
}

int
ab_hosttab_lookup (const struct ab_hosttab *t, const char *name, size_t len,
                   int port, ab_hosttab_visit_fn visit, void *ctx)
{
  uint32_t node = 0;
  size_t end;
  int r;

  if (!ab_hosttab_name_valid (name, len, &len))
    return -1;
  for (end = len;;)
    {
      size_t s = label_start (name, end);

      node = ab_ktrie_child (&t->trie, node, name + s, end - s);
      if (node == 0)
        return 0;
      if (s == 0)
        return visit_name (&t->slots[node], port, visit, ctx);
      /* A proper parent: its BELOW slots ("*.parent") apply. */
      if ((r = visit_below (&t->slots[node], port, visit, ctx)) != 0)
        return r;
      end = s - 1;
    }
}

size_t
ab_hosttab_nodes (const struct ab_hosttab *t)
{
  return t->trie.n_nodes;
}

size_t
ab_hosttab_values (const struct ab_hosttab *t)
{
  return t->n_values;
}
