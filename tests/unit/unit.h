/* agentbox: a tiny TAP unit-test harness.
 *
 *   TEST (name) { CHECK (x == 1); CHECK_STR (a, "b"); }
 *   int main (void) { RUN (name); return unit_done (); }
 *
 * Each RUN prints "ok N - name" or "not ok N - name" with the failed
 * checks as TAP diagnostics; unit_done() prints the plan and returns the
 * exit status (1 if anything failed).  SKIP ("why") inside a test marks it
 * skipped ("ok N - name # SKIP why"). */
#ifndef AB_UNIT_H
#define AB_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_count, unit_failed, unit_cur_failed;
static const char *unit_skip_reason;

#define TEST(name) static void name (void)

#define CHECK(cond)                                                            \
  do                                                                           \
    {                                                                          \
      if (!(cond))                                                             \
        {                                                                      \
          printf ("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
          unit_cur_failed++;                                                   \
        }                                                                      \
    }                                                                          \
  while (0)

#define CHECK_STR(a, b)                                                        \
  do                                                                           \
    {                                                                          \
      const char *unit_a_ = (a), *unit_b_ = (b);                               \
      if (unit_a_ == NULL || unit_b_ == NULL || strcmp (unit_a_, unit_b_))     \
        {                                                                      \
          printf ("# %s:%d: %s == %s\n#   got:      %s\n#   expected: %s\n",   \
                  __FILE__, __LINE__, #a, #b, unit_a_ ? unit_a_ : "(null)",    \
                  unit_b_ ? unit_b_ : "(null)");                               \
          unit_cur_failed++;                                                   \
        }                                                                      \
    }                                                                          \
  while (0)

/* Check that the string A contains B. */
#define CHECK_CONTAINS(a, b)                                                   \
  do                                                                           \
    {                                                                          \
      const char *unit_a_ = (a), *unit_b_ = (b);                               \
      if (unit_a_ == NULL || strstr (unit_a_, unit_b_) == NULL)                \
        {                                                                      \
          printf ("# %s:%d: %s contains %s\n#   got: %s\n#   wanted in it: "   \
                  "%s\n",                                                      \
                  __FILE__, __LINE__, #a, #b, unit_a_ ? unit_a_ : "(null)",    \
                  unit_b_);                                                    \
          unit_cur_failed++;                                                   \
        }                                                                      \
    }                                                                          \
  while (0)

#define SKIP(why)                                                              \
  do                                                                           \
    {                                                                          \
      unit_skip_reason = (why);                                                \
      return;                                                                  \
    }                                                                          \
  while (0)

static inline void
unit_run (void (*fn) (void), const char *name)
{
  unit_cur_failed = 0;
  unit_skip_reason = NULL;
  fflush (stdout);
  fn ();
  unit_count++;
  if (unit_cur_failed)
    {
      unit_failed++;
      printf ("not ok %d - %s\n", unit_count, name);
    }
  else if (unit_skip_reason)
    printf ("ok %d - %s # SKIP %s\n", unit_count, name, unit_skip_reason);
  else
    printf ("ok %d - %s\n", unit_count, name);
  fflush (stdout);
}

#define RUN(fn) unit_run (fn, #fn)

static inline int
unit_done (void)
{
  printf ("1..%d\n", unit_count);
  return unit_failed ? 1 : 0;
}

#endif
