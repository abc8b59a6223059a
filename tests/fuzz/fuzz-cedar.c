/* Fuzz target: the Cedar parser and evaluator.  Any input either parses
 * or fails with a file:line:col error; whatever parses is evaluated
 * against a fixed request and entity store without crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/cedar.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct ab_cedar_set *s = ab_cedar_set_new ();
  struct ab_cedar_entities *e = ab_cedar_entities_new ();
  struct ab_cedar_uid g = { "Group", "g" }, u = { "User", "u" };
  struct ab_cedar_request req
      = { { "User", "u" }, { "Action", "a" }, { "Doc", "d" }, NULL };
  struct ab_cedar_response resp;
  ab_error_t err = NULL;

  ab_cedar_entities_add (e, &u, NULL, &g, 1, &err);
  ab_cedar_entities_add (e, &g, NULL, &u, 1, &err); /* a cycle */
  if (ab_cedar_parse (s, "fuzz.cedar", (const char *)data, size, &err) < 0)
    {
      if (err == NULL || strncmp (err->msg, "fuzz.cedar", 10) != 0)
        abort (); /* every parse error names the file */
    }
  else if (ab_cedar_authorize (s, e, &req, &resp, &err) == 0)
    {
      if (resp.n_reasons > s->len || resp.n_errors > s->len)
        abort ();
      ab_cedar_response_free (&resp);
    }
  ab_error_free (&err);
  ab_cedar_entities_free (e);
  ab_cedar_set_free (s);
  return 0;
}
