/* Unit tests for policy/hosttab: exact names, "*.zone" below (never the
 * apex), case, trailing dot, ports, invalid names, and a randomised
 * comparison with a brute-force reference. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/cleanup.h"
#include "policy/hosttab.h"
#include "tests/unit/unit.h"

struct hits
{
  uint32_t v[256];
  size_t n;
};

static int
collect (void *ctx, enum ab_hosttab_kind kind, const uint32_t *values, size_t n)
{
  struct hits *h = ctx;

  for (size_t i = 0; i < n && h->n < 256; i++)
    h->v[h->n++] = values[i];
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

static struct hits
look (struct ab_hosttab *t, const char *name, int port)
{
  struct hits h = { .n = 0 };
  ab_hosttab_lookup (t, name, strlen (name), port, collect, &h);
  return h;
}

static void
pat (struct ab_hosttab *t, const char *p, uint32_t v)
{
  cleanup_error ab_error_t err = NULL;
  CHECK (ab_hosttab_add_pattern (t, p, v, &err) == 0);
}

TEST (patterns)
{
  cleanup_hosttab struct ab_hosttab *t = ab_hosttab_new ();
  struct hits h;

  pat (t, "api.example.com", 1);
  pat (t, "*.npmjs.org", 2);
  pat (t, "git.example.com:22", 3);
  pat (t, "*.com", 4);

  h = look (t, "api.example.com", AB_HOSTTAB_NO_PORT);
  CHECK (hit (&h, 1) && hit (&h, 4) && h.n == 2);
  h = look (t, "api.example.com", 443);
  CHECK (hit (&h, 1));
  h = look (t, "API.Example.COM.", 443);
  CHECK (hit (&h, 1));
  h = look (t, "x.api.example.com", 443);
  CHECK (!hit (&h, 1) && hit (&h, 4));
  /* *.zone is never the apex. */
  h = look (t, "npmjs.org", 443);
  CHECK (!hit (&h, 2));
  h = look (t, "registry.npmjs.org", 443);
  CHECK (hit (&h, 2));
  h = look (t, "a.b.registry.npmjs.org", AB_HOSTTAB_NO_PORT);
  CHECK (hit (&h, 2));
  /* Label boundary: evilnpmjs.org is not below npmjs.org. */
  h = look (t, "evilnpmjs.org", 443);
  CHECK (!hit (&h, 2));
  /* Ports. */
  h = look (t, "git.example.com", 22);
  CHECK (hit (&h, 3));
  h = look (t, "git.example.com", 23);
  CHECK (!hit (&h, 3));
  h = look (t, "git.example.com", AB_HOSTTAB_NO_PORT);
  CHECK (!hit (&h, 3));
}

TEST (exact_kinds)
{
  cleanup_hosttab struct ab_hosttab *t = ab_hosttab_new ();
  cleanup_error ab_error_t err = NULL;
  struct hits h;

  CHECK (ab_hosttab_add (t, "a.com", 5, AB_HOSTTAB_EXACT, AB_HOSTTAB_NO_PORT, 1,
                         &err)
         == 0);
  CHECK (ab_hosttab_add (t, "a.com", 5, AB_HOSTTAB_ANY_PORT, AB_HOSTTAB_NO_PORT,
                         2, &err)
         == 0);
  h = look (t, "a.com", AB_HOSTTAB_NO_PORT);
  CHECK (hit (&h, 1) && !hit (&h, 2));
  h = look (t, "a.com", 80);
  CHECK (!hit (&h, 1) && hit (&h, 2));

  /* BELOW with one port: names below, that port only. */
  CHECK (ab_hosttab_add (t, "zone.org", 8, AB_HOSTTAB_BELOW, 443, 3, &err)
         == 0);
  h = look (t, "x.zone.org", 443);
  CHECK (hit (&h, 3));
  h = look (t, "x.zone.org", 80);
  CHECK (!hit (&h, 3));
  h = look (t, "x.zone.org", AB_HOSTTAB_NO_PORT);
  CHECK (!hit (&h, 3));
  h = look (t, "zone.org", 443);
  CHECK (!hit (&h, 3));
}

TEST (invalid_names)
{
  cleanup_hosttab struct ab_hosttab *t = ab_hosttab_new ();
  cleanup_error ab_error_t err = NULL;
  const char *bad[]
      = { "", ".", "a..b", ".a", "a.b..", "::1", "a:b", "[::1", "[a]b]" };
  size_t cl;

  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      CHECK (!ab_hosttab_name_valid (bad[i], strlen (bad[i]), &cl));
      CHECK (ab_hosttab_lookup (t, bad[i], strlen (bad[i]), 1, collect, NULL)
             == -1);
    }
  CHECK (ab_hosttab_add_pattern (t, "a..com", 1, &err) < 0);
  CHECK (err && err->status == EINVAL);
  CHECK (ab_hosttab_name_valid ("[::1]", 5, &cl) && cl == 5);
  CHECK (ab_hosttab_name_valid ("a.com.", 6, &cl) && cl == 5);
  pat (t, "[::1]:8080", 9);
  struct hits h = look (t, "[::1]", 8080);
  CHECK (hit (&h, 9));
}

/* ---- randomised against a brute-force reference ---- */

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint32_t
rnd (uint32_t n)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

static void
gen_name (char *buf)
{
  static const char *labels[] = { "a", "b", "A", "ex", "com", "co", "x-y" };
  size_t n = 0;
  int depth = 1 + (int)rnd (4);

  for (int i = 0; i < depth; i++)
    n += (size_t)sprintf (buf + n, "%s%s", i ? "." : "", labels[rnd (7)]);
}

struct rule
{
  char name[64];
  int kind, port;
};

static bool
ieq (const char *a, size_t an, const char *b, size_t bn)
{
  return an == bn && strncasecmp (a, b, an) == 0;
}

static bool
ref_match (const struct rule *r, const char *q, int port)
{
  size_t rl = strlen (r->name), ql = strlen (q);

  if (ql > 1 && q[ql - 1] == '.')
    ql--;
  if (r->kind == AB_HOSTTAB_BELOW)
    return ql > rl + 1 && q[ql - rl - 1] == '.'
           && ieq (q + ql - rl, rl, r->name, rl);
  if (!ieq (q, ql, r->name, rl))
    return false;
  if (r->kind == AB_HOSTTAB_ANY_PORT)
    return port != AB_HOSTTAB_NO_PORT;
  return port == r->port;
}

TEST (random_vs_reference)
{
  enum
  {
    N_RULES = 300,
    N_LOOKUPS = 3000
  };
  static struct rule rules[N_RULES];
  static const int ports[] = { AB_HOSTTAB_NO_PORT, 22, 443 };
  cleanup_hosttab struct ab_hosttab *t = ab_hosttab_new ();
  int bad = 0, matches = 0;

  for (uint32_t i = 0; i < N_RULES; i++)
    {
      cleanup_error ab_error_t err = NULL;
      gen_name (rules[i].name);
      rules[i].kind = (int)rnd (3);
      rules[i].port = rules[i].kind == AB_HOSTTAB_EXACT ? ports[rnd (3)]
                                                        : AB_HOSTTAB_NO_PORT;
      CHECK (ab_hosttab_add (t, rules[i].name, strlen (rules[i].name),
                             (enum ab_hosttab_kind)rules[i].kind, rules[i].port,
                             i, &err)
             == 0);
    }
  for (int k = 0; k < N_LOOKUPS; k++)
    {
      char q[64];
      bool got[N_RULES] = { false };
      int port = ports[rnd (3)];
      struct hits h;

      gen_name (q);
      if (rnd (4) == 0)
        strcat (q, ".");
      h = look (t, q, port);
      for (size_t i = 0; i < h.n; i++)
        got[h.v[i]] = true;
      for (int i = 0; i < N_RULES; i++)
        {
          bool want = ref_match (&rules[i], q, port);
          matches += want;
          if (want != got[i] && bad++ < 5)
            printf ("# %s:%d rule %s kind %d port %d: want %d got %d\n", q,
                    port, rules[i].name, rules[i].kind, rules[i].port, want,
                    got[i]);
        }
    }
  CHECK (bad == 0);
  CHECK (matches > 100); /* the generator does produce matches */
}

int
main (void)
{
  RUN (patterns);
  RUN (exact_kinds);
  RUN (invalid_names);
  RUN (random_vs_reference);
  return unit_done ();
}
