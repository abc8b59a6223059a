/* Fuzz target for the shim server's request parser
 * (shim/lib/serve-request.c): the input is a request's bytes, as a
 * worker reads them from its socket.  A request that parses has argc
 * strings then NULL, an environment ending in NULL, every string inside
 * the input, and written back in the wire format it is the input again
 * (nothing skipped, nothing invented). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim/lib/serve-proto.h"
#include "shim/lib/serve-request.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_inside (const char *s, const char *buf, size_t size)
{
  if (s < buf || s >= buf + size
      || memchr (s, '\0', size - (size_t)(s - buf)) == NULL)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct ab_serve_call c;
  struct ab_serve_request h;
  const char *why = NULL;
  char *buf = malloc (size ? size : 1), *back, *p;
  size_t envc = 0, len = sizeof h;
  int r;

  if (buf == NULL)
    return 0;
  memcpy (buf, data, size);
  r = ab_serve_request_parse (buf, size, &c, &why);
  if (r != 1)
    {
      /* Refused or dropped, with a reason, and nothing to free. */
      if (why == NULL || c.argv != NULL)
        abort ();
      free (buf);
      return 0;
    }
  if (c.argc < 1 || c.argv[c.argc] != NULL || c.envp != c.argv + c.argc + 1)
    abort ();
  for (int i = 0; i < c.argc; i++)
    check_inside (c.argv[i], buf, size);
  for (; c.envp[envc]; envc++)
    check_inside (c.envp[envc], buf, size);
  /* Written back: the same bytes. */
  memcpy (&h, buf, sizeof h);
  if (h.argc != (uint32_t)c.argc || h.envc != envc
      || c.umask != (h.umask & 0777))
    abort ();
  for (int i = 0; i < c.argc; i++)
    len += strlen (c.argv[i]) + 1;
  for (size_t i = 0; i < envc; i++)
    len += strlen (c.envp[i]) + 1;
  if (len != size || (back = malloc (len)) == NULL)
    abort ();
  memcpy (back, &h, sizeof h);
  p = back + sizeof h;
  for (int i = 0; i < c.argc; i++)
    p = stpcpy (p, c.argv[i]) + 1;
  for (size_t i = 0; i < envc; i++)
    p = stpcpy (p, c.envp[i]) + 1;
  if (memcmp (back, data, size) != 0)
    abort ();
  free (back);
  ab_serve_call_free (&c);
  free (buf);
  return 0;
}
