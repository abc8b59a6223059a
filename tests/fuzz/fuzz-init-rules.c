/* Fuzz target for agentbox-init's rules file (shim/init/rules.c): the
 * input is the file.  Whatever parses has absolute paths and at most
 * AB_INIT_MAX_LAYERS layers, and written back (one rule a line, `layer`
 * between layers) parses to the same rules. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/init/init.h"
/* agentbox-init is a static binary of its own; its parser comes in whole. */
#include "shim/init/rules.c"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const access_words[] = { "ro", "rw", "x" };

static void
check_same (const struct ab_init_rules *a, const struct ab_init_rules *b)
{
  if (a->n != b->n || a->n_layers != b->n_layers)
    abort ();
  for (size_t i = 0; i < a->n; i++)
    if (a->v[i].access != b->v[i].access || a->v[i].layer != b->v[i].layer
        || strcmp (a->v[i].path, b->v[i].path) != 0)
      abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct ab_init_rules r = { 0 }, back = { 0 };
  ab_error_t err = NULL;
  char *text = NULL, *in = malloc (size + 1);
  size_t len = 0;

  if (in == NULL)
    return 0;
  memcpy (in, data, size);
  if (ab_init_rules_parse (in, size, "fuzz", &r, &err) == 0)
    {
      FILE *out = open_memstream (&text, &len);
      unsigned layer = 0;

      if (r.n_layers < 1 || r.n_layers > AB_INIT_MAX_LAYERS || out == NULL)
        abort ();
      for (size_t i = 0; i < r.n; i++)
        {
          if (r.v[i].path[0] != '/' || r.v[i].layer >= r.n_layers
              || r.v[i].layer < layer || r.v[i].access > AB_INIT_X)
            abort ();
          for (; layer < r.v[i].layer; layer++)
            fputs ("layer\n", out);
          fprintf (out, "%s %s\n", access_words[r.v[i].access], r.v[i].path);
        }
      for (; layer + 1 < r.n_layers; layer++)
        fputs ("layer\n", out);
      fclose (out);
      /* Nothing written: one empty layer, as an empty file reads.
       * open_memstream leaves a NUL after the text: the room parse needs. */
      back.n_layers = 1;
      if (len && ab_init_rules_parse (text, len, "back", &back, &err) < 0)
        abort ();
      check_same (&r, &back);
      ab_init_rules_free (&back);
    }
  ab_error_free (&err);
  ab_init_rules_free (&r);
  free (in);
  free (text);
  return 0;
}
