/* Fuzz target: agentbox-runc's command-line parser.  The input is split
 * on NUL bytes into argv; parsing must never crash, and what it returns
 * must point inside argv. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim/lib/cli.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *buf = malloc (size + 1), *argv[65];
  int argc = 1;
  struct ab_cli_global g;
  ab_error_t err = NULL;

  if (buf == NULL)
    return 0;
  memcpy (buf, data, size);
  buf[size] = '\0';
  argv[0] = (char *)"agentbox-runc";
  for (char *p = buf; p < buf + size && argc < 64; p += strlen (p) + 1)
    argv[argc++] = p;
  argv[argc] = NULL;
  if (ab_cli_parse_global (argc, argv, &g, &err) == 0 && g.verb_index < argc)
    {
      int n = argc - g.verb_index - 1;
      char *const *args = argv + g.verb_index + 1;
      struct ab_cli_create cc;
      struct ab_cli_exec ce;
      struct ab_cli_delete cd;

      if (g.verb == AB_VERB_CREATE || g.verb == AB_VERB_RUN)
        {
          if (ab_cli_parse_create (g.verb, n, args, &cc, &err) == 0 && cc.id
              && (cc.id < buf || cc.id > buf + size))
            abort ();
        }
      else if (g.verb == AB_VERB_EXEC)
        {
          if (ab_cli_parse_exec (n, args, &ce, &err) == 0 && !ce.help
              && (ce.id_index < 0 || ce.id_index >= n))
            abort ();
        }
      else if (g.verb == AB_VERB_DELETE)
        ab_cli_parse_delete (n, args, &cd, &err);
    }
  ab_error_free (&err);
  free (buf);
  return 0;
}
