/* Fuzz target for policy/yaml (and the hostexec matcher behind it): load
 * arbitrary bytes as each kind of layer; whatever loads must merge, build
 * its hostexec ruleset and answer queries without crashing.  The input is
 * also split at newlines into an argv for the canonical quoting. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/yaml.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
exercise (const struct ab_projconf *c)
{
  struct ab_projconf *m = ab_projconf_new ();
  struct ab_hostexec *h = NULL;
  struct ab_hostexec_result res;
  ab_error_t err = NULL;
  const char *argv[] = { "git", "status" };

  if (m == NULL)
    return;
  /* Merging twice must not fail on anything but memory. */
  if (ab_projconf_merge (m, c, &err) < 0 || ab_projconf_merge (m, c, &err) < 0)
    abort ();
  (void)ab_projconf_proxy_allows (m, "a.example.com", 443, NULL);
  (void)ab_projconf_proxy_allows (m, "example.com.", 80, NULL);
  (void)ab_projconf_mode (m);
  /* Patterns were compiled at load: building again cannot fail. */
  if (ab_projconf_hostexec (m, &h, &err) < 0)
    abort ();
  if (ab_hostexec_decide_argv (h, argv, NULL, 2, &res, NULL, &err) < 0)
    ab_error_free (&err); /* match limits are allowed to trip */
  ab_hostexec_free (h);
  ab_projconf_free (m);
}

static void
canonical (const uint8_t *data, size_t size)
{
  const char *words[16];
  size_t lens[16], n = 0, start = 0;
  char *out = NULL;
  ab_error_t err = NULL;

  for (size_t i = 0; i <= size && n < 16; i++)
    if (i == size || data[i] == '\n')
      {
        words[n] = (const char *)data + start;
        lens[n++] = i - start;
        start = i + 1;
      }
  if (ab_hostexec_canonical (words, lens, n, &out, &err) < 0)
    ab_error_free (&err);
  free (out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const enum ab_yaml_layer layers[]
      = { AB_YAML_LAYER_GLOBAL, AB_YAML_LAYER_DECISIONS };

  for (size_t i = 0; i < sizeof layers / sizeof *layers; i++)
    {
      struct ab_projconf *c = NULL;
      ab_error_t err = NULL;

      if (ab_projconf_load_string ("fuzz.yaml", (const char *)data, size,
                                   layers[i], &c, &err)
          < 0)
        {
          if (err == NULL || err->msg == NULL)
            abort (); /* a failure always says why */
          ab_error_free (&err);
          continue;
        }
      exercise (c);
      ab_projconf_free (c);
    }
  canonical (data, size);
  return 0;
}
