/* Fuzz target for proxy/lib/hxproto: the input is a frame.  Whatever
 * request parses must be writable, and what is written must parse back to
 * the same argv, cwd, env and stdin flag.  The UTF-8 validator is also
 * held against a slow decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/lib/hxproto.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool
strv_equal (char **a, char **b)
{
  size_t i;

  if (a == NULL || b == NULL)
    return (a == NULL || a[0] == NULL) && (b == NULL || b[0] == NULL);
  for (i = 0; a[i] && b[i]; i++)
    if (strcmp (a[i], b[i]) != 0)
      return false;
  return a[i] == NULL && b[i] == NULL;
}

static void
roundtrip (const struct hx_request *r)
{
  struct hx_request b;
  char why[256], *out = NULL;
  size_t len = 0;

  /* The writer never makes a JSON longer than the one it was parsed from,
   * so it cannot fail on a request that came in a frame. */
  if (hx_request_write (r, &out, &len) < 0)
    abort ();
  if (len > HX_PAYLOAD_MAX || strlen (out) != len)
    abort ();
  if (hx_request_parse ((const uint8_t *)out, len, &b, why, sizeof why) < 0)
    abort ();
  if (b.argc != r->argc || !strv_equal (b.argv, r->argv)
      || strcmp (b.cwd, r->cwd) != 0 || !strv_equal (b.env, r->env)
      || b.stdin_wanted != r->stdin_wanted)
    abort ();
  hx_request_free (&b);
  free (out);
}

/* Decode each code point and apply the rules one by one. */
static bool
utf8_reference (const uint8_t *s, size_t len)
{
  size_t i = 0, n, k;
  uint32_t cp;

  while (i < len)
    {
      if (s[i] < 0x80)
        n = 1, cp = s[i];
      else if ((s[i] & 0xe0) == 0xc0)
        n = 2, cp = s[i] & 0x1f;
      else if ((s[i] & 0xf0) == 0xe0)
        n = 3, cp = s[i] & 0x0f;
      else if ((s[i] & 0xf8) == 0xf0)
        n = 4, cp = s[i] & 0x07;
      else
        return false;
      if (len - i < n)
        return false;
      for (k = 1; k < n; k++)
        {
          if ((s[i + k] & 0xc0) != 0x80)
            return false;
          cp = cp << 6 | (s[i + k] & 0x3f);
        }
      if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800)
          || (n == 4 && cp < 0x10000))
        return false;
      i += n;
    }
  return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hx_request r;
  uint8_t type, hdr[5];
  size_t plen;
  char why[256];

  if (hx_utf8_valid ((const char *)data, size) != utf8_reference (data, size))
    abort ();
  if (hx_frame_peek (data, size, &type, &plen) != 1)
    return 0;
  hx_frame_header (hdr, type, plen);
  if (memcmp (hdr, data, 5) != 0)
    abort ();
  if (hx_request_parse (data + 5, plen, &r, why, sizeof why) < 0)
    {
      if (r.argv || r.cwd || r.env)
        abort (); /* a refusal leaves nothing to free */
      return 0;
    }
  roundtrip (&r);
  hx_request_free (&r);
  return 0;
}
