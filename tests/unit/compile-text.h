/* agentbox unit tests: a Cedar policy text compiled into an IR, as the
 * loaders do (normalised), for tests that start from policy text.  A
 * parse or compile error is printed as a TAP comment and gives NULL. */
#ifndef AB_TESTS_COMPILE_TEXT_H
#define AB_TESTS_COMPILE_TEXT_H

#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/ir.h"
#include "policy/model.h"

static inline struct ab_ir *
compile_text (const char *src)
{
  struct ab_cedar_set *set = ab_cedar_set_new ();
  struct ab_ir_source s = { .cedar = set };
  cleanup_error ab_error_t err = NULL;
  struct ab_ir *ir = NULL;

  if (ab_cedar_parse (set, "t.cedar", src, strlen (src), &err) < 0)
    {
      printf ("# %s\n", err->msg);
      ab_cedar_set_free (set);
      return NULL;
    }
  ab_model_normalize (set);
  if (ab_ir_compile (&s, &ir, &err) < 0)
    printf ("# %s\n", err->msg);
  return ir;
}

#endif
