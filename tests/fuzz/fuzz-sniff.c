/* Fuzz target for proxy/lib/sniff: both parsers on every input.  Whatever
 * parses must report spans inside what it was given and names that obey
 * the contract; a prefix of what parses must ask for more, never decide. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/lib/sniff.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_name (const char *name, size_t cap)
{
  size_t n = strnlen (name, cap);

  if (n >= cap || n > 253)
    abort ();
  for (size_t i = 0; i < n; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z')
          || (name[i] >= '0' && name[i] <= '9') || strchr (".-_", name[i])))
      abort ();
}

static void
fuzz_tls (const uint8_t *data, size_t size)
{
  char name[254], small[8];
  enum ab_sniff r = ab_tls_sni (data, size, name, sizeof name);
  size_t end;

  if (r == AB_SNIFF_OK)
    check_name (name, sizeof name);
  else if (name[0] != '\0')
    abort ();
  if (ab_tls_sni (data, size, small, sizeof small) == AB_SNIFF_OK)
    check_name (small, sizeof small);
  if (r != AB_SNIFF_OK && r != AB_SNIFF_NONE)
    return;
  /* A whole record was there; any shorter prefix of it is only a start. */
  end = 5 + ((size_t)data[3] << 8 | data[4]);
  if (end > size || end > AB_TLS_HELLO_MAX)
    abort ();
  if (ab_tls_sni (data, end, name, sizeof name) != r)
    abort ();
  if (ab_tls_sni (data, end - 1, name, sizeof name) != AB_SNIFF_MORE
      || ab_tls_sni (data, end / 2, name, sizeof name) != AB_SNIFF_MORE)
    abort ();
}

static bool
span_ok (size_t off, size_t len, size_t bound)
{
  return off <= bound && len <= bound - off;
}

static void
check_head (const struct ab_http_head *h, size_t size)
{
  if (h->len == 0 || h->len > size || h->len > AB_HTTP_HEAD_MAX)
    abort ();
  if (!span_ok (h->target_off, h->target_len, h->len)
      || !span_ok (h->path_off, h->path_len, h->len) || h->target_len == 0)
    abort ();
  if (h->method[0] == '\0' || strnlen (h->method, 16) > 15)
    abort ();
  if (strnlen (h->host, 254) > 253 || strnlen (h->host_header, 254) > 253)
    abort ();
  if (h->form < AB_HTTP_ORIGIN || h->form > AB_HTTP_CONNECT
      || (h->minor != 0 && h->minor != 1) || h->port > 65535
      || h->host_header_port > 65535)
    abort ();
  if (h->form == AB_HTTP_CONNECT && (h->port == 0 || h->host[0] == '\0'))
    abort ();
  if (h->form == AB_HTTP_ABSOLUTE && h->host[0] == '\0')
    abort ();
}

static void
fuzz_http (const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  struct ab_http_head h, g;

  if (ab_http_head (s, size, &h) != AB_SNIFF_OK)
    return;
  check_head (&h, size);
  /* The head alone parses the same; one byte less is only a start. */
  if (ab_http_head (s, h.len, &g) != AB_SNIFF_OK || g.len != h.len
      || strcmp (g.host, h.host) != 0 || g.port != h.port)
    abort ();
  if (ab_http_head (s, h.len - 1, &g) != AB_SNIFF_MORE)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fuzz_tls (data, size);
  fuzz_http (data, size);
  return 0;
}
