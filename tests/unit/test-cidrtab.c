/* Unit tests for policy/cidrtab: parsing, v4/v6 separation, every
 * containing prefix visited, longest-prefix match, and a randomised
 * comparison with a brute-force reference. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/cidrtab.h"
#include "tests/unit/unit.h"

struct hits
{
  uint32_t v[512];
  unsigned prefix[512];
  size_t n;
};

static int
collect (void *ctx, unsigned prefix, const uint32_t *values, size_t n)
{
  struct hits *h = ctx;

  for (size_t i = 0; i < n && h->n < 512; i++)
    {
      h->prefix[h->n] = prefix;
      h->v[h->n++] = values[i];
    }
  return 0;
}

static bool
hit (const struct hits *h, uint32_t v)
{
  for (size_t i = 0; i < h->n; i++)
    if (h->v[i] == v)
      return true;
  return false;
}

static void
add (struct ab_cidrtab *t, const char *s, uint32_t v)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_cidr c;

  CHECK (ab_cidr_parse (s, &c, &err) == 0);
  CHECK (ab_cidrtab_add (t, &c, v, &err) == 0);
}

static struct hits
look (struct ab_cidrtab *t, const char *a)
{
  cleanup_error ab_error_t err = NULL;
  struct hits h = { .n = 0 };
  struct ab_cidr c;

  CHECK (ab_cidr_parse (a, &c, &err) == 0);
  ab_cidrtab_lookup (t, c.v6, c.addr, collect, &h);
  return h;
}

TEST (parse)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_cidr c;
  char buf[64];

  CHECK (ab_cidr_parse ("10.1.2.3/8", &c, &err) == 0 && !c.v6 && c.prefix == 8);
  CHECK (ab_cidr_parse ("2001:db8::/32", &c, &err) == 0 && c.v6
         && c.prefix == 32);
  ab_cidr_format (&c, buf, sizeof buf);
  CHECK_STR (buf, "2001:db8::/32");
  CHECK (ab_cidr_parse ("::1", &c, &err) == 0 && c.prefix == 128);
  CHECK (ab_cidr_parse ("10.0.0.0/33", &c, &err) < 0);
  CHECK (ab_cidr_parse ("10.0.0.0/", &c, &err) < 0);
  CHECK (ab_cidr_parse ("10.0.0/8", &c, &err) < 0);
  CHECK (ab_cidr_parse ("nope", &c, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "nope");
}

TEST (contains_and_longest)
{
  cleanup_cidrtab struct ab_cidrtab *t = ab_cidrtab_new ();
  const uint32_t *vals;
  size_t n;
  struct hits h;
  struct ab_cidr a;
  cleanup_error ab_error_t err = NULL;

  add (t, "0.0.0.0/0", 1);
  add (t, "10.0.0.0/8", 2);
  add (t, "10.1.2.3/8", 3); /* host bits ignored: same prefix as 10/8 */
  add (t, "10.1.0.0/16", 4);
  add (t, "10.1.2.3/32", 5);
  add (t, "::/0", 6);
  add (t, "2001:db8::/32", 7);

  h = look (t, "10.1.2.3");
  CHECK (h.n == 5 && hit (&h, 1) && hit (&h, 2) && hit (&h, 3) && hit (&h, 4)
         && hit (&h, 5) && !hit (&h, 6));
  CHECK (h.prefix[0] == 0 && h.prefix[h.n - 1] == 32);
  h = look (t, "10.2.0.1");
  CHECK (h.n == 3 && !hit (&h, 4));
  h = look (t, "11.0.0.1");
  CHECK (h.n == 1 && hit (&h, 1));
  /* Families never mix. */
  h = look (t, "::ffff:10.1.2.3");
  CHECK (h.n == 1 && hit (&h, 6));
  h = look (t, "2001:db8:1::1");
  CHECK (hit (&h, 6) && hit (&h, 7) && !hit (&h, 1));

  CHECK (ab_cidr_parse ("10.1.9.9", &a, &err) == 0);
  CHECK (ab_cidrtab_longest (t, false, a.addr, &vals, &n) == 16);
  CHECK (n == 1 && vals[0] == 4);
  CHECK (ab_cidr_parse ("2001:db9::1", &a, &err) == 0);
  CHECK (ab_cidrtab_longest (t, true, a.addr, &vals, &n) == 0);
  CHECK (ab_cidrtab_prefixes (t) == 6);
}

/* ---- randomised against a brute-force reference ---- */

static uint64_t rng = 0x853c49e6748fea9bULL;
static uint32_t
rnd (uint32_t n)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

static bool
ref_contains (const struct ab_cidr *r, const struct ab_cidr *a)
{
  if (r->v6 != a->v6)
    return false;
  for (unsigned b = 0; b < r->prefix; b++)
    if (((r->addr[b / 8] ^ a->addr[b / 8]) >> (7 - b % 8)) & 1)
      return false;
  return true;
}

static void
gen (struct ab_cidr *c, bool v6)
{
  memset (c, 0, sizeof *c);
  c->v6 = v6;
  /* A small address space so that prefixes overlap often. */
  c->addr[0] = (uint8_t)(v6 ? 0x20 : 10);
  c->addr[1] = (uint8_t)rnd (4);
  c->addr[v6 ? 15 : 3] = (uint8_t)rnd (4);
  c->prefix = (uint8_t)rnd (v6 ? 129 : 33);
}

TEST (random_vs_reference)
{
  enum
  {
    N_RULES = 400,
    N_LOOKUPS = 4000
  };
  static struct ab_cidr rules[N_RULES];
  cleanup_cidrtab struct ab_cidrtab *t = ab_cidrtab_new ();
  int bad = 0, matches = 0;

  for (uint32_t i = 0; i < N_RULES; i++)
    {
      cleanup_error ab_error_t err = NULL;
      gen (&rules[i], rnd (2));
      CHECK (ab_cidrtab_add (t, &rules[i], i, &err) == 0);
    }
  for (int k = 0; k < N_LOOKUPS; k++)
    {
      struct ab_cidr a;
      struct hits h = { .n = 0 };
      bool got[N_RULES] = { false };

      gen (&a, rnd (2));
      a.prefix = a.v6 ? 128 : 32;
      ab_cidrtab_lookup (t, a.v6, a.addr, collect, &h);
      for (size_t i = 0; i < h.n; i++)
        got[h.v[i]] = true;
      for (int i = 0; i < N_RULES; i++)
        {
          bool want = ref_contains (&rules[i], &a);
          matches += want;
          if (want != got[i] && bad++ < 5)
            printf ("# rule %d /%u: want %d got %d\n", i, rules[i].prefix, want,
                    got[i]);
        }
    }
  CHECK (bad == 0);
  CHECK (matches > 1000);
}

int
main (void)
{
  RUN (parse);
  RUN (contains_and_longest);
  RUN (random_vs_reference);
  return unit_done ();
}
