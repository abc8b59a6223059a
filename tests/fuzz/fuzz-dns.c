/* Fuzz target for proxy/lib/dns: the bytes as a query (and whatever
 * parses is answered, then the answer read back), and the same bytes as
 * an upstream answer to a fixed query. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/lib/dns.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
answer (const struct ab_dns_query *q, bool parsed)
{
  static const uint8_t addr[16] = { 192, 0, 2, 1 };
  struct ab_dns_addrs got;
  uint8_t out[512];
  size_t n;

  n = ab_dns_write_answer (q, parsed, parsed ? 0 : AB_DNS_RCODE_FORMERR, addr,
                           60, out, sizeof out);
  if (n == 0)
    abort (); /* 512 is always enough */
  if (!parsed)
    return;
  if (ab_dns_parse_answer (out, n, q->id, q->name, q->qtype, &got) < 0)
    {
      /* Our own answer reads back unless the type is not A/AAAA. */
      if (q->qtype == AB_DNS_TYPE_A || q->qtype == AB_DNS_TYPE_AAAA)
        if (q->qclass == AB_DNS_CLASS_IN)
          abort ();
      return;
    }
  if (got.n != 1 || got.ttl != 60 || memcmp (got.addr[0], addr, 4) != 0)
    abort ();
}

static void
as_query (const uint8_t *data, size_t size)
{
  struct ab_dns_query q;
  bool header_ok = false;

  if (ab_dns_parse_query (data, size, &q, &header_ok) == 0)
    {
      if (!header_ok || strlen (q.name) > 253)
        abort ();
      answer (&q, true);
    }
  else if (header_ok)
    answer (&q, false);
}

static void
as_answer (const uint8_t *data, size_t size)
{
  static const uint16_t types[] = { AB_DNS_TYPE_A, AB_DNS_TYPE_AAAA };
  struct ab_dns_addrs got;

  /* The seeds' queries use id 0x4242 and example.com. */
  for (size_t i = 0; i < 2; i++)
    if (ab_dns_parse_answer (data, size, 0x4242, "example.com", types[i], &got)
            == 0
        && got.n > AB_DNS_MAX_ADDRS)
      abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  as_query (data, size);
  as_answer (data, size);
  return 0;
}
