/* agentbox: the CIDR table (see cidrtab.h). */
#include "policy/cidrtab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/tabvec.h"

struct bucket
{
  bool used;
  uint8_t key[16];
  struct ab_tabvec v;
};

/* All prefixes of one length and family, open addressing. */
struct lentab
{
  struct bucket *b;
  size_t n, cap; /* cap a power of two */
};

struct family
{
  struct lentab *len[129];
  uint64_t used[3]; /* bit L: some prefix of length L */
};

struct ab_cidrtab
{
  struct family fam[2]; /* v4, v6 */
  size_t n_prefixes;
};

static void
mask (uint8_t *out, const uint8_t *addr, unsigned bytes, unsigned prefix)
{
  memset (out, 0, 16);
  for (unsigned i = 0; i < bytes && prefix > 0; i++)
    {
      unsigned bits = prefix >= 8 ? 8 : prefix;
      out[i] = (uint8_t)(addr[i] & (0xFF << (8 - bits)));
      prefix -= bits;
    }
}

int
ab_cidr_parse (const char *s, struct ab_cidr *out, ab_error_t *err)
{
  char buf[64];
  const char *slash = strchr (s, '/');
  size_t n = slash ? (size_t)(slash - s) : strlen (s);
  unsigned long prefix;
  char *end;

  memset (out, 0, sizeof *out);
  if (n >= sizeof buf)
    return ab_error_set (err, EINVAL, "`%s`: not an IP address", s);
  memcpy (buf, s, n);
  buf[n] = '\0';
  out->v6 = strchr (buf, ':') != NULL;
  if (inet_pton (out->v6 ? AF_INET6 : AF_INET, buf, out->addr) != 1)
    return ab_error_set (err, EINVAL, "`%s`: not an IP address", s);
  out->prefix = out->v6 ? 128 : 32;
  if (slash == NULL)
    return 0;
  errno = 0;
  prefix = strtoul (slash + 1, &end, 10);
  if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno != 0
      || prefix > out->prefix)
    return ab_error_set (err, EINVAL, "`%s`: bad prefix length", s);
  out->prefix = (uint8_t)prefix;
  return 0;
}

void
ab_cidr_format (const struct ab_cidr *c, char *buf, size_t size)
{
  char a[INET6_ADDRSTRLEN];

  if (inet_ntop (c->v6 ? AF_INET6 : AF_INET, c->addr, a, sizeof a) == NULL)
    snprintf (a, sizeof a, "?");
  snprintf (buf, size, "%s/%u", a, c->prefix);
}

struct ab_cidrtab *
ab_cidrtab_new (void)
{
  return calloc (1, sizeof (struct ab_cidrtab));
}

void
ab_cidrtab_free (struct ab_cidrtab *t)
{
  if (t == NULL)
    return;
  for (int f = 0; f < 2; f++)
    for (int l = 0; l < 129; l++)
      {
        struct lentab *lt = t->fam[f].len[l];
        if (lt == NULL)
          continue;
        for (size_t i = 0; i < lt->cap; i++)
          ab_tabvec_free (&lt->b[i].v);
        free (lt->b);
        free (lt);
      }
  free (t);
}

static size_t
key_slot (const uint8_t *key, size_t cap)
{
  return (size_t)ab_tab_hash (AB_TAB_HASH_INIT, key, 16) & (cap - 1);
}

static struct bucket *
find (const struct lentab *lt, const uint8_t *key)
{
  size_t m = lt->cap - 1;

  for (size_t i = key_slot (key, lt->cap); lt->b[i].used; i = (i + 1) & m)
    if (memcmp (lt->b[i].key, key, 16) == 0)
      return &lt->b[i];
  return NULL;
}

static int
grow (struct lentab *lt)
{
  size_t cap = lt->cap ? lt->cap * 2 : 8;
  struct bucket *b = calloc (cap, sizeof *b);

  if (b == NULL)
    return -1;
  for (size_t i = 0; i < lt->cap; i++)
    if (lt->b[i].used)
      {
        size_t j = key_slot (lt->b[i].key, cap);
        while (b[j].used)
          j = (j + 1) & (cap - 1);
        b[j] = lt->b[i];
      }
  free (lt->b);
  lt->b = b;
  lt->cap = cap;
  return 0;
}

int
ab_cidrtab_add (struct ab_cidrtab *t, const struct ab_cidr *c, uint32_t value,
                ab_error_t *err)
{
  struct family *f = &t->fam[c->v6];
  struct lentab *lt;
  struct bucket *b;
  uint8_t key[16];

  if (c->prefix > (c->v6 ? 128 : 32))
    return ab_error_set (err, EINVAL, "CIDR table: prefix /%u too long",
                         c->prefix);
  if (f->len[c->prefix] == NULL
      && (f->len[c->prefix] = calloc (1, sizeof (struct lentab))) == NULL)
    return ab_error_set (err, ENOMEM, "CIDR table: out of memory");
  lt = f->len[c->prefix];
  mask (key, c->addr, c->v6 ? 16 : 4, c->prefix);
  if ((b = lt->cap ? find (lt, key) : NULL) == NULL)
    {
      if ((lt->n + 1) * 2 > lt->cap && grow (lt) < 0)
        return ab_error_set (err, ENOMEM, "CIDR table: out of memory");
      size_t i = key_slot (key, lt->cap);
      while (lt->b[i].used)
        i = (i + 1) & (lt->cap - 1);
      b = &lt->b[i];
      b->used = true;
      memcpy (b->key, key, 16);
      lt->n++;
      t->n_prefixes++;
    }
  if (ab_tabvec_push (&b->v, value) < 0)
    return ab_error_set (err, ENOMEM, "CIDR table: out of memory");
  f->used[c->prefix / 64] |= 1ULL << (c->prefix % 64);
  return 0;
}

static const struct bucket *
probe (const struct family *f, const uint8_t *addr, unsigned bytes, unsigned l)
{
  uint8_t key[16];

  if (!(f->used[l / 64] & (1ULL << (l % 64))))
    return NULL;
  mask (key, addr, bytes, l);
  return find (f->len[l], key);
}

int
ab_cidrtab_lookup (const struct ab_cidrtab *t, bool v6, const uint8_t *addr,
                   ab_cidrtab_visit_fn visit, void *ctx)
{
  const struct family *f = &t->fam[v6];
  unsigned bytes = v6 ? 16 : 4, max = v6 ? 128 : 32;

  for (unsigned l = 0; l <= max; l++)
    {
      const struct bucket *b = probe (f, addr, bytes, l);
      int r;
      if (b && b->v.n && (r = visit (ctx, l, b->v.v, b->v.n)) != 0)
        return r;
    }
  return 0;
}

int
ab_cidrtab_longest (const struct ab_cidrtab *t, bool v6, const uint8_t *addr,
                    const uint32_t **values, size_t *n)
{
  const struct family *f = &t->fam[v6];
  unsigned bytes = v6 ? 16 : 4;

  for (int l = v6 ? 128 : 32; l >= 0; l--)
    {
      const struct bucket *b = probe (f, addr, bytes, (unsigned)l);
      if (b && b->v.n)
        {
          *values = b->v.v;
          *n = b->v.n;
          return l;
        }
    }
  return -1;
}

size_t
ab_cidrtab_prefixes (const struct ab_cidrtab *t)
{
  return t->n_prefixes;
}
