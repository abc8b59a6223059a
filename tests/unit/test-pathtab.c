/* Unit tests for policy/pathtab: exact and directory rules at component
 * boundaries, no length limit, and a randomised comparison with a
 * brute-force reference (a directory rule D matches P iff D is a proper
 * prefix of P and D ends in '/'). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/pathtab.h"
#include "tests/unit/unit.h"

struct hits
{
  uint32_t v[64];
  int kind[64];
  size_t n;
  int stop_at; /* stop after this many hits (0: never) */
};

static int
collect (void *ctx, enum ab_pathtab_kind kind, const uint32_t *values, size_t n)
{
  struct hits *h = ctx;

  for (size_t i = 0; i < n && h->n < 64; i++)
    {
      h->kind[h->n] = kind;
      h->v[h->n++] = values[i];
    }
  return h->stop_at && h->n >= (size_t)h->stop_at ? 7 : 0;
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
look (struct ab_pathtab *t, const char *p)
{
  struct hits h = { .n = 0 };
  ab_pathtab_lookup (t, p, strlen (p), collect, &h);
  return h;
}

static void
add (struct ab_pathtab *t, const char *p, enum ab_pathtab_kind k, uint32_t v)
{
  cleanup_error ab_error_t err = NULL;
  CHECK (ab_pathtab_add (t, p, strlen (p), k, v, &err) == 0);
}

TEST (exact_and_under)
{
  cleanup_pathtab struct ab_pathtab *t = ab_pathtab_new ();
  struct hits h;

  add (t, "/etc/passwd", AB_PATHTAB_EXACT, 1);
  add (t, "/work/", AB_PATHTAB_UNDER, 2);
  add (t, "/work/", AB_PATHTAB_EXACT, 3);
  add (t, "/", AB_PATHTAB_UNDER, 4);

  h = look (t, "/etc/passwd");
  CHECK (h.n == 2 && hit (&h, 1) && hit (&h, 4));
  h = look (t, "/etc/passwdx");
  CHECK (h.n == 1 && hit (&h, 4));
  h = look (t, "/etc/passwd/x");
  CHECK (!hit (&h, 1));
  h = look (t, "/work/a/b");
  CHECK (hit (&h, 2) && !hit (&h, 3) && hit (&h, 4));
  /* Component boundary: /workx is not below /work/. */
  h = look (t, "/workx");
  CHECK (!hit (&h, 2) && hit (&h, 4));
  h = look (t, "/workx/y");
  CHECK (!hit (&h, 2));
  /* /work (no slash) is neither the dir /work/ nor below it. */
  h = look (t, "/work");
  CHECK (!hit (&h, 2) && !hit (&h, 3));
  /* The dir itself matches EXACT, not UNDER. */
  h = look (t, "/work/");
  CHECK (hit (&h, 3) && !hit (&h, 2));
  h = look (t, "/");
  CHECK (h.n == 0);
}

TEST (order_and_stop)
{
  cleanup_pathtab struct ab_pathtab *t = ab_pathtab_new ();
  struct hits h = { .n = 0 };

  add (t, "/", AB_PATHTAB_UNDER, 1);
  add (t, "/a/", AB_PATHTAB_UNDER, 2);
  add (t, "/a/b/", AB_PATHTAB_UNDER, 3);
  add (t, "/a/b/c", AB_PATHTAB_EXACT, 4);
  ab_pathtab_lookup (t, "/a/b/c", 6, collect, &h);
  CHECK (h.n == 4);
  CHECK (h.v[0] == 1 && h.v[1] == 2 && h.v[2] == 3 && h.v[3] == 4);
  CHECK (h.kind[3] == AB_PATHTAB_EXACT && h.kind[0] == AB_PATHTAB_UNDER);
  memset (&h, 0, sizeof h);
  h.stop_at = 2;
  CHECK (ab_pathtab_lookup (t, "/a/b/c", 6, collect, &h) == 7);
  CHECK (h.n == 2);
}

TEST (under_needs_slash)
{
  cleanup_pathtab struct ab_pathtab *t = ab_pathtab_new ();
  cleanup_error ab_error_t err = NULL;

  CHECK (ab_pathtab_add (t, "/work", 5, AB_PATHTAB_UNDER, 1, &err) < 0);
  CHECK (err && err->status == EINVAL);
  CHECK_CONTAINS (err ? err->msg : NULL, "/work");
}

TEST (no_length_limit)
{
  cleanup_pathtab struct ab_pathtab *t = ab_pathtab_new ();
  cleanup_free char *deep = malloc (70000);
  cleanup_free char *longc = malloc (20000);
  size_t n = 0;
  struct hits h;

  /* 10,000 components deep, and one 19,999-byte component. */
  for (int i = 0; i < 10000; i++)
    n += (size_t)sprintf (deep + n, "/d%d", i % 10);
  add (t, deep, AB_PATHTAB_EXACT, 1);
  strcpy (deep + n, "/");
  add (t, deep, AB_PATHTAB_UNDER, 2);
  strcpy (deep + n, "/leaf");
  h = look (t, deep);
  CHECK (hit (&h, 2) && !hit (&h, 1));
  deep[n] = '\0';
  h = look (t, deep);
  CHECK (hit (&h, 1) && !hit (&h, 2));

  longc[0] = '/';
  memset (longc + 1, 'x', 19998);
  longc[19999] = '\0';
  add (t, longc, AB_PATHTAB_EXACT, 3);
  h = look (t, longc);
  CHECK (hit (&h, 3));
  longc[19998] = 'y';
  h = look (t, longc);
  CHECK (!hit (&h, 3));
}

/* ---- randomised against a brute-force reference ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t
rnd (uint32_t n)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

static void
gen_path (char *buf, bool dir)
{
  static const char *comps[] = { "a", "b", "ab", "work", "workx", "", "." };
  size_t n = 0;
  int depth = 1 + (int)rnd (4);

  for (int i = 0; i < depth; i++)
    n += (size_t)sprintf (buf + n, "/%s", comps[rnd (7)]);
  if (dir)
    strcpy (buf + n, "/");
}

static bool
ref_match (const char *rule, int kind, const char *p)
{
  size_t rl = strlen (rule), pl = strlen (p);

  if (kind == AB_PATHTAB_EXACT)
    return strcmp (rule, p) == 0;
  return pl > rl && strncmp (rule, p, rl) == 0;
}

TEST (random_vs_reference)
{
  enum
  {
    N_RULES = 300,
    N_LOOKUPS = 3000
  };
  static char rules[N_RULES][64];
  static int kinds[N_RULES];
  cleanup_pathtab struct ab_pathtab *t = ab_pathtab_new ();
  int bad = 0;

  for (uint32_t i = 0; i < N_RULES; i++)
    {
      kinds[i] = rnd (2) ? AB_PATHTAB_EXACT : AB_PATHTAB_UNDER;
      gen_path (rules[i], kinds[i] == AB_PATHTAB_UNDER || rnd (4) == 0);
      add (t, rules[i], (enum ab_pathtab_kind)kinds[i], i);
    }
  for (int k = 0; k < N_LOOKUPS; k++)
    {
      char p[64];
      bool want[N_RULES] = { false }, got[N_RULES] = { false };
      struct hits h;

      gen_path (p, rnd (3) == 0);
      h = look (t, p);
      for (size_t i = 0; i < h.n; i++)
        got[h.v[i]] = true;
      for (int i = 0; i < N_RULES; i++)
        {
          want[i] = ref_match (rules[i], kinds[i], p);
          if (want[i] != got[i] && bad++ < 5)
            printf ("# path %s rule %s kind %d: want %d got %d\n", p, rules[i],
                    kinds[i], want[i], got[i]);
        }
    }
  CHECK (bad == 0);
}

int
main (void)
{
  RUN (exact_and_under);
  RUN (order_and_stop);
  RUN (under_needs_slash);
  RUN (no_length_limit);
  RUN (random_vs_reference);
  return unit_done ();
}
