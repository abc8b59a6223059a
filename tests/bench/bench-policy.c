/* agentbox bench: IR lookups per second for the path, host and CIDR
 * tables with 10, 1,000 and 100,000 rules (the cost should stay flat),
 * and the time to parse and compile 100,000 rules.
 *
 *   build/bench/bench-policy [SECONDS-PER-CELL]      (default 0.3) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "policy/cedar.h"
#include "policy/ir.h"
#include "policy/model.h"

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ULL;
static uint32_t
rnd (uint32_t n)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

enum kind
{
  K_PATH,
  K_HOST,
  K_CIDR
};
static const char *const kind_names[] = { "path", "host", "cidr" };

static void
gen_rule (struct ab_buf *b, enum kind k, int i)
{
  switch (k)
    {
    case K_PATH:
      ab_buf_printf (b,
                     "%s (principal, action in Action::\"FileOpen\", "
                     "resource in Dir::\"/work/p%d/sub%d/\");\n",
                     i % 10 == 9 ? "forbid" : "permit", i, i % 7);
      break;
    case K_HOST:
      ab_buf_printf (b,
                     "permit (principal, action == Action::\"NetworkConnect\", "
                     "resource in Host::\"%sd%d.example.com\");\n",
                     i % 2 ? "*." : "api.", i);
      break;
    case K_CIDR:
      /* Distinct prefixes: /24 networks, every fourth a /32 host in it. */
      ab_buf_printf (b,
                     "%s (principal, action == Action::\"NetworkConnect\", "
                     "resource) when { "
                     "ip(context.addr).isInRange(ip(\"%u.%u.%u.%s\")) };\n",
                     i % 10 == 9 ? "forbid" : "permit",
                     10 + ((unsigned)i >> 16), (unsigned)i >> 8 & 255,
                     (unsigned)i & 255, i % 4 ? "0/24" : "1/32");
      break;
    }
}

static struct ab_ir *
build (enum kind k, int n, double *t_parse, double *t_compile)
{
  struct ab_buf b = AB_BUF_INIT;
  struct ab_cedar_set *set = ab_cedar_set_new ();
  ab_error_t err = NULL;
  struct ab_ir *ir = NULL;
  double t0;

  for (int i = 0; i < n; i++)
    gen_rule (&b, k, i);
  t0 = now ();
  if (ab_cedar_parse (set, "bench.cedar", b.data, b.len, &err) < 0)
    {
      fprintf (stderr, "bench-policy: %s\n", err->msg);
      exit (1);
    }
  ab_model_normalize (set);
  *t_parse = now () - t0;
  t0 = now ();
  struct ab_ir_source src = { .cedar = set };
  if (ab_ir_compile (&src, &ir, &err) < 0)
    {
      fprintf (stderr, "bench-policy: %s\n", err->msg);
      exit (1);
    }
  *t_compile = now () - t0;
  ab_buf_free (&b);
  return ir;
}

#define NQ 1024

struct queries
{
  char *s[NQ];
  struct ab_cidr a[NQ];
};

static void
gen_queries (struct queries *q, enum kind k, int n)
{
  for (int i = 0; i < NQ; i++)
    {
      int r = (int)rnd ((uint32_t)n * 2); /* about half hit a rule */
      switch (k)
        {
        case K_PATH:
          if (asprintf (&q->s[i], "/work/p%d/sub%d/src/lib/file%d.c", r, r % 7,
                        i)
              < 0)
            exit (1);
          break;
        case K_HOST:
          if (asprintf (&q->s[i], "%sd%d.example.com", r % 2 ? "x.y." : "api.",
                        r)
              < 0)
            exit (1);
          break;
        case K_CIDR:
          memset (&q->a[i], 0, sizeof q->a[i]);
          q->a[i].addr[0] = (uint8_t)(10 + (r >> 16));
          q->a[i].addr[1] = (uint8_t)(r >> 8);
          q->a[i].addr[2] = (uint8_t)r;
          q->a[i].addr[3] = (uint8_t)rnd (2);
          q->a[i].prefix = 32;
          break;
        }
    }
}

static double
measure (struct ab_ir *ir, enum kind k, struct queries *q, double secs,
         unsigned *allowed)
{
  unsigned long done = 0;
  double t0 = now (), t;
  struct ab_ir_result res;
  ab_error_t err = NULL;
  int rc = 0;

  *allowed = 0;
  do
    {
      for (int i = 0; i < NQ; i++)
        {
          if (k == K_PATH)
            rc = ab_ir_check_file (ir, NULL, q->s[i], AB_IR_FILE_OPEN_RO, &res,
                                   &err);
          else if (k == K_HOST)
            rc = ab_ir_check_host (ir, NULL, q->s[i], 443, &res, &err);
          else
            rc = ab_ir_check_ip (ir, NULL, &q->a[i], 443, &res, &err);
          if (rc < 0)
            {
              fprintf (stderr, "bench-policy: %s\n", err->msg);
              exit (1);
            }
          /* The share allowed, over the first round only. */
          *allowed += done == 0 && res.decision == AB_IR_ALLOW;
        }
      done += NQ;
      t = now () - t0;
    }
  while (t < secs);
  return (double)done / t;
}

int
main (int argc, char **argv)
{
  static const int sizes[] = { 10, 1000, 100000 };
  double secs = argc > 1 ? atof (argv[1]) : 0.3;
  double parse100k[3] = { 0 }, compile100k[3] = { 0 };

  printf ("policy IR lookups (one thread; about half the requests match a "
          "rule)\n");
  printf ("%-6s %8s %14s %10s %9s\n", "table", "rules", "lookups/s",
          "ns/lookup", "allowed");
  for (int k = 0; k < 3; k++)
    for (int s = 0; s < 3; s++)
      {
        double tp, tc;
        unsigned allowed;
        struct queries q;
        struct ab_ir *ir = build ((enum kind)k, sizes[s], &tp, &tc);
        gen_queries (&q, (enum kind)k, sizes[s]);
        double rate = measure (ir, (enum kind)k, &q, secs, &allowed);
        printf ("%-6s %8d %14.0f %10.1f %8.0f%%\n", kind_names[k], sizes[s],
                rate, 1e9 / rate, 100.0 * allowed / NQ);
        if (sizes[s] == 100000)
          {
            parse100k[k] = tp;
            compile100k[k] = tc;
          }
        for (int i = 0; k != K_CIDR && i < NQ; i++)
          free (q.s[i]);
        ab_ir_unref (ir);
      }
  printf ("\ncompile time for 100,000 rules\n");
  printf ("%-6s %12s %12s\n", "table", "parse ms", "compile ms");
  for (int k = 0; k < 3; k++)
    printf ("%-6s %12.1f %12.1f\n", kind_names[k], parse100k[k] * 1e3,
            compile100k[k] * 1e3);
  return 0;
}
