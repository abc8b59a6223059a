/* Unit tests for proxy/lib/dns: query parsing (A, AAAA, case, root,
 * EDNS), every malformed query the header lists (with header_ok), the
 * answer writer read back, and upstream answers built by hand: CNAME
 * chains, compression, pointer and CNAME loops, wrong id or question.
 * Ends with a timing loop printed as a TAP diagnostic. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proxy/lib/dns.h"
#include "tests/unit/unit.h"

struct pkt
{
  uint8_t b[4096];
  size_t n;
};

static void
put8 (struct pkt *p, uint8_t v)
{
  p->b[p->n++] = v;
}

static void
put16 (struct pkt *p, uint16_t v)
{
  put8 (p, v >> 8);
  put8 (p, v & 0xff);
}

static void
put32 (struct pkt *p, uint32_t v)
{
  put16 (p, v >> 16);
  put16 (p, v & 0xffff);
}

static void
put_raw (struct pkt *p, const void *d, size_t n)
{
  memcpy (p->b + p->n, d, n);
  p->n += n;
}

/* Labels of the dotted NAME, with no terminator ("" writes nothing). */
static void
put_labels (struct pkt *p, const char *name)
{
  while (*name)
    {
      size_t n = strcspn (name, ".");

      put8 (p, (uint8_t)n);
      put_raw (p, name, n);
      name += n;
      if (*name == '.')
        name++;
    }
}

static void
put_name (struct pkt *p, const char *name)
{
  put_labels (p, name);
  put8 (p, 0);
}

static void
put_ptr (struct pkt *p, size_t off)
{
  put16 (p, (uint16_t)(0xc000 | off));
}

static void
put_header (struct pkt *p, uint16_t id, uint16_t flags, uint16_t qd,
            uint16_t an, uint16_t ns, uint16_t ar)
{
  p->n = 0;
  put16 (p, id);
  put16 (p, flags);
  put16 (p, qd);
  put16 (p, an);
  put16 (p, ns);
  put16 (p, ar);
}

/* A standard query: id 0x1234, RD, one question. */
static void
make_query (struct pkt *p, const char *name, uint16_t qtype, uint16_t ar)
{
  put_header (p, 0x1234, 0x0100, 1, 0, 0, ar);
  put_name (p, name);
  put16 (p, qtype);
  put16 (p, AB_DNS_CLASS_IN);
}

static void
put_opt (struct pkt *p, uint16_t udp_size)
{
  put8 (p, 0);
  put16 (p, AB_DNS_TYPE_OPT);
  put16 (p, udp_size);
  put32 (p, 0);
  put16 (p, 0);
}

/* The fixed part of a record after its owner name. */
static void
put_rr (struct pkt *p, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
  put16 (p, type);
  put16 (p, AB_DNS_CLASS_IN);
  put32 (p, ttl);
  put16 (p, rdlen);
}

static void
put_a (struct pkt *p, uint32_t ttl, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
  put_rr (p, AB_DNS_TYPE_A, ttl, 4);
  put8 (p, a);
  put8 (p, b);
  put8 (p, c);
  put8 (p, d);
}

/* A CNAME whose target is spelled out. */
static void
put_cname (struct pkt *p, uint32_t ttl, const char *target)
{
  struct pkt t = { .n = 0 };

  put_name (&t, target);
  put_rr (p, AB_DNS_TYPE_CNAME, ttl, (uint16_t)t.n);
  put_raw (p, t.b, t.n);
}

static int
parse (const struct pkt *p, struct ab_dns_query *q, bool *hok)
{
  return ab_dns_parse_query (p->b, p->n, q, hok);
}

TEST (query_a)
{
  struct pkt p;
  struct ab_dns_query q;
  bool hok = false;

  make_query (&p, "example.com", AB_DNS_TYPE_A, 0);
  CHECK (parse (&p, &q, &hok) == 0);
  CHECK (hok);
  CHECK (q.id == 0x1234 && q.flags == 0x0100);
  CHECK_STR (q.name, "example.com");
  CHECK (q.qtype == AB_DNS_TYPE_A && q.qclass == AB_DNS_CLASS_IN);
  CHECK (q.question_end == p.n);
  CHECK (!q.edns && q.edns_udp_size == 0);
}

TEST (query_aaaa)
{
  struct pkt p;
  struct ab_dns_query q;
  bool hok;

  make_query (&p, "ipv6.a-b_c.example", AB_DNS_TYPE_AAAA, 0);
  CHECK (parse (&p, &q, &hok) == 0);
  CHECK_STR (q.name, "ipv6.a-b_c.example");
  CHECK (q.qtype == AB_DNS_TYPE_AAAA);
}

TEST (query_uppercase)
{
  struct pkt p;
  struct ab_dns_query q;
  bool hok;

  make_query (&p, "WWW.Example.COM", AB_DNS_TYPE_A, 0);
  CHECK (parse (&p, &q, &hok) == 0);
  CHECK_STR (q.name, "www.example.com");
}

TEST (query_root)
{
  struct pkt p;
  struct ab_dns_query q;
  bool hok;
  uint8_t a[64], b[64];

  /* The name on the wire ends in the root label, which text drops. */
  make_query (&p, "", AB_DNS_TYPE_A, 0);
  CHECK (parse (&p, &q, &hok) == 0);
  CHECK_STR (q.name, "");
  CHECK (q.question_end == 12 + 1 + 4);
  /* A trailing dot is the same name. */
  CHECK (ab_dns_write_query (1, "example.com.", 1, a, sizeof a) == 29);
  CHECK (ab_dns_write_query (1, "example.com", 1, b, sizeof b) == 29);
  CHECK (memcmp (a, b, 29) == 0);
  CHECK (ab_dns_write_query (1, ".", 1, a, sizeof a) == 17);
  CHECK (ab_dns_write_query (1, "", 1, b, sizeof b) == 17);
  CHECK (a[12] == 0 && memcmp (a, b, 17) == 0);
}

TEST (query_edns)
{
  struct pkt p;
  struct ab_dns_query q;
  bool hok;

  make_query (&p, "example.com", AB_DNS_TYPE_A, 1);
  put_opt (&p, 1232);
  CHECK (parse (&p, &q, &hok) == 0);
  CHECK (q.edns && q.edns_udp_size == 1232);
  CHECK (q.question_end == 12 + 13 + 4);

  /* An OPT carrying an option (a cookie), after another record. */
  make_query (&p, "example.com", AB_DNS_TYPE_A, 2);
  put_ptr (&p, 12);
  put_a (&p, 0, 1, 2, 3, 4);
  put8 (&p, 0);
  put16 (&p, AB_DNS_TYPE_OPT);
  put16 (&p, 4096);
  put32 (&p, 0);
  put16 (&p, 12);
  put16 (&p, 10);
  put16 (&p, 8);
  put32 (&p, 0x01020304);
  put32 (&p, 0x05060708);
  CHECK (parse (&p, &q, &hok) == 0);
  CHECK (q.edns && q.edns_udp_size == 4096);

  /* Two OPTs, or an OPT not owned by the root: FORMERR (RFC 6891). */
  make_query (&p, "example.com", AB_DNS_TYPE_A, 2);
  put_opt (&p, 1232);
  put_opt (&p, 1232);
  CHECK (parse (&p, &q, &hok) == -1 && hok);
  make_query (&p, "example.com", AB_DNS_TYPE_A, 1);
  put_ptr (&p, 12);
  put_rr (&p, AB_DNS_TYPE_OPT, 0, 0);
  CHECK (parse (&p, &q, &hok) == -1 && hok);

  /* An OPT outside the additional section is not EDNS. */
  put_header (&p, 0x1234, 0x0100, 1, 1, 0, 0);
  put_name (&p, "example.com");
  put16 (&p, 1);
  put16 (&p, 1);
  put_opt (&p, 1232);
  CHECK (parse (&p, &q, &hok) == 0 && !q.edns);
}

/* PKT must be rejected; HOK says whether id and flags were read. */
static void
reject (const struct pkt *p, bool hok_want, const char *why)
{
  struct ab_dns_query q;
  bool hok = !hok_want;
  int r = parse (p, &q, &hok);

  if (r != -1 || hok != hok_want
      || (hok
          && (q.id != (p->b[0] << 8 | p->b[1])
              || q.flags != (p->b[2] << 8 | p->b[3]))))
    {
      printf ("# not rejected properly: %s (r=%d hok=%d)\n", why, r, hok);
      unit_cur_failed++;
    }
}

/* 63-byte labels and a shorter last one, CHARS characters in all (253
 * and 254 never leave an empty last label). */
static void
make_long_name (char *buf, size_t chars)
{
  size_t o = 0;

  while (o < chars)
    {
      size_t n;

      if (o)
        buf[o++] = '.';
      n = chars - o > 63 ? 63 : chars - o;
      memset (buf + o, 'a', n);
      o += n;
    }
  buf[o] = '\0';
}

TEST (query_malformed)
{
  struct pkt p, full;
  struct ab_dns_query q;
  bool hok;
  char name[300];

  make_query (&full, "example.com", AB_DNS_TYPE_A, 1);
  put_opt (&full, 1232);

  p = full;
  p.n = 11;
  reject (&p, false, "short header");
  p.n = 0;
  reject (&p, false, "empty");
  p.n = 12;
  reject (&p, true, "header only");
  for (size_t n = 13; n < full.n; n++)
    {
      p = full;
      p.n = n;
      reject (&p, true, "truncated");
    }

  p = full;
  p.b[2] |= 0x80;
  reject (&p, true, "QR set");
  p = full;
  p.b[2] |= 2 << 3;
  reject (&p, true, "opcode STATUS");
  p = full;
  p.b[5] = 0;
  reject (&p, true, "QDCOUNT 0");
  p = full;
  p.b[5] = 2;
  reject (&p, true, "QDCOUNT 2");
  p = full;
  p.b[11] = 2;
  reject (&p, true, "ARCOUNT past the end");

  make_query (&p, "example.com", AB_DNS_TYPE_A, 0);
  p.b[12] = 64;
  reject (&p, true, "label length 64");
  p.b[12] = 0x47;
  reject (&p, true, "label type 0x40");
  p.b[12] = 0x87;
  reject (&p, true, "label type 0x80");

  put_header (&p, 1, 0x0100, 1, 0, 0, 0);
  put_labels (&p, "www");
  put_ptr (&p, 12);
  put16 (&p, 1);
  put16 (&p, 1);
  reject (&p, true, "pointer in question");
  put_header (&p, 1, 0x0100, 1, 0, 0, 0);
  put_ptr (&p, 12);
  put16 (&p, 1);
  put16 (&p, 1);
  reject (&p, true, "pointer loop in question");

  make_long_name (name, 253);
  CHECK (strlen (name) == 253);
  make_query (&p, name, AB_DNS_TYPE_A, 0);
  CHECK (parse (&p, &q, &hok) == 0 && strcmp (q.name, name) == 0);
  make_long_name (name, 254);
  CHECK (strlen (name) == 254);
  make_query (&p, name, AB_DNS_TYPE_A, 0);
  reject (&p, true, "name of 254");

  const char *bad[] = { "exa mple.com", "a*.com", "b\xff.com", "x/y.com" };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      make_query (&p, bad[i], AB_DNS_TYPE_A, 0);
      reject (&p, true, bad[i]);
    }
  /* A '.' or NUL inside a label would change the name once it is text. */
  make_query (&p, "ab.com", AB_DNS_TYPE_A, 0);
  p.b[12] = 6;
  reject (&p, true, "dot inside a label");
  make_query (&p, "ab.com", AB_DNS_TYPE_A, 0);
  p.b[14] = 0;
  reject (&p, true, "NUL inside a label");
}

TEST (answer_written)
{
  struct pkt p;
  struct ab_dns_query q;
  struct ab_dns_addrs got;
  bool hok;
  uint8_t out[512];
  const uint8_t v4[4] = { 10, 0, 0, 7 };
  const uint8_t v6[16] = { 0xfd, 0, [15] = 1 };
  static const uint8_t echo[] = "\x03www\x07"
                                "example\x03"
                                "com";
  size_t n;

  make_query (&p, "WWW.Example.Com", AB_DNS_TYPE_A, 1);
  put_opt (&p, 1232);
  CHECK (parse (&p, &q, &hok) == 0);
  n = ab_dns_write_answer (&q, true, AB_DNS_RCODE_NOERROR, v4, 60, out,
                           sizeof out);
  CHECK (n == 12 + 17 + 4 + 16);
  CHECK (out[0] == 0x12 && out[1] == 0x34);
  CHECK (out[2] == 0x85 && out[3] == 0x80); /* QR AA RD, RA, NOERROR */
  CHECK (out[4] == 0 && out[5] == 1 && out[7] == 1 && out[9] == 0
         && out[11] == 0);
  /* The echo is the lower-cased name, then QTYPE and QCLASS. */
  CHECK (memcmp (out + 12, echo, sizeof echo) == 0);
  CHECK (memcmp (out + 29, "\0\1\0\1", 4) == 0);
  CHECK (out[33] == 0xc0 && out[34] == 0x0c);
  CHECK (ab_dns_parse_answer (out, n, 0x1234, "www.example.com", AB_DNS_TYPE_A,
                              &got)
         == 0);
  CHECK (got.rcode == 0 && got.n == 1 && got.ttl == 60);
  CHECK (memcmp (got.addr[0], v4, 4) == 0);
  CHECK (ab_dns_write_answer (&q, true, 0, v4, 60, out, n - 1) == 0);

  make_query (&p, "v6.example", AB_DNS_TYPE_AAAA, 0);
  p.b[2] = 0; /* RD clear: not copied */
  CHECK (parse (&p, &q, &hok) == 0);
  n = ab_dns_write_answer (&q, true, 0, v6, 5, out, sizeof out);
  CHECK (n == 12 + 12 + 4 + 28);
  CHECK (out[2] == 0x84);
  CHECK (ab_dns_parse_answer (out, n, 0x1234, "V6.example.", AB_DNS_TYPE_AAAA,
                              &got)
         == 0);
  CHECK (got.n == 1 && memcmp (got.addr[0], v6, 16) == 0 && got.ttl == 5);

  n = ab_dns_write_answer (&q, true, AB_DNS_RCODE_NXDOMAIN, NULL, 0, out,
                           sizeof out);
  CHECK (n == 12 + 12 + 4 && out[3] == 0x83 && out[7] == 0);
  CHECK (
      ab_dns_parse_answer (out, n, 0x1234, "v6.example", AB_DNS_TYPE_AAAA, &got)
      == 0);
  CHECK (got.rcode == AB_DNS_RCODE_NXDOMAIN && got.n == 0);

  /* FORMERR: header only, no question. */
  make_query (&p, "a b", AB_DNS_TYPE_A, 0);
  CHECK (parse (&p, &q, &hok) == -1 && hok);
  n = ab_dns_write_answer (&q, false, AB_DNS_RCODE_FORMERR, v4, 0, out,
                           sizeof out);
  CHECK (n == 12 && out[0] == 0x12 && out[3] == 0x81 && out[5] == 0
         && out[7] == 0);
  CHECK (ab_dns_write_answer (&q, false, 1, NULL, 0, out, 11) == 0);
}

/* An upstream answer to ab_dns_write_query (ID, NAME, A): the query with
 * QR and RA set and ANCOUNT AN; records are appended by the caller. */
static void
make_upstream (struct pkt *p, uint16_t id, const char *name, uint16_t an)
{
  p->n = ab_dns_write_query (id, name, AB_DNS_TYPE_A, p->b, sizeof p->b);
  p->b[2] |= 0x80;
  p->b[3] |= 0x80;
  p->b[7] = (uint8_t)an;
}

static int
upstream (const struct pkt *p, struct ab_dns_addrs *got)
{
  return ab_dns_parse_answer (p->b, p->n, 0x4242, "example.com", AB_DNS_TYPE_A,
                              got);
}

TEST (write_query)
{
  uint8_t out[512];
  static const uint8_t want[] = "\x42\x42\x01\x00\0\1\0\0\0\0\0\0"
                                "\x07"
                                "Example\x03"
                                "com\0\0\x1c\0\1";

  CHECK (ab_dns_write_query (0x4242, "Example.com", AB_DNS_TYPE_AAAA, out,
                             sizeof out)
         == sizeof want - 1);
  CHECK (memcmp (out, want, sizeof want - 1) == 0);
  CHECK (ab_dns_write_query (1, "example.com", 1, out, 28) == 0);
  CHECK (ab_dns_write_query (1, "a..b", 1, out, sizeof out) == 0);
  CHECK (ab_dns_write_query (1, ".a", 1, out, sizeof out) == 0);
  CHECK (ab_dns_write_query (1, "a b", 1, out, sizeof out) == 0);
  CHECK (ab_dns_write_query (1, "a.", 1, out, sizeof out) != 0);
}

TEST (upstream_cname_chain)
{
  struct pkt p;
  struct ab_dns_addrs got;
  size_t cdn;

  /* example.com CNAME a.cdn.net; a.cdn.net CNAME b.<ptr cdn.net>;
   * b.cdn.net A x2; other.com A (not ours). */
  make_upstream (&p, 0x4242, "EXAMPLE.com", 5);
  put_ptr (&p, 12);
  put_cname (&p, 300, "a.cdn.net");
  cdn = p.n - 9; /* "\3cdn\3net\0" in that RDATA */
  put_ptr (&p, cdn - 2);
  put_rr (&p, AB_DNS_TYPE_CNAME, 100, 4);
  put_labels (&p, "b");
  put_ptr (&p, cdn);
  put_labels (&p, "B");
  put_ptr (&p, cdn);
  put_a (&p, 200, 192, 0, 2, 1);
  put_name (&p, "other.com");
  put_a (&p, 1, 6, 6, 6, 6);
  put_labels (&p, "b");
  put_ptr (&p, cdn);
  put_a (&p, 200, 192, 0, 2, 2);
  CHECK (upstream (&p, &got) == 0);
  CHECK (got.n == 2 && got.ttl == 100 && got.rcode == 0);
  CHECK (memcmp (got.addr[0], "\xc0\0\2\1", 4) == 0);
  CHECK (memcmp (got.addr[1], "\xc0\0\2\2", 4) == 0);

  /* The same chain out of order. */
  make_upstream (&p, 0x4242, "example.com", 3);
  put_name (&p, "b.cdn.net");
  put_a (&p, 50, 192, 0, 2, 3);
  put_name (&p, "a.cdn.net");
  put_cname (&p, 70, "b.cdn.net");
  put_ptr (&p, 12);
  put_cname (&p, 80, "a.cdn.net");
  CHECK (upstream (&p, &got) == 0);
  CHECK (got.n == 1 && got.ttl == 50);
}

TEST (upstream_limits)
{
  struct pkt p;
  struct ab_dns_addrs got;
  char from[16], to[16];

  /* A CNAME loop ends the chain; the address is taken once. */
  make_upstream (&p, 0x4242, "example.com", 3);
  put_ptr (&p, 12);
  put_cname (&p, 10, "loop.example");
  put_name (&p, "loop.example");
  put_cname (&p, 10, "example.com");
  put_ptr (&p, 12);
  put_a (&p, 10, 1, 1, 1, 1);
  CHECK (upstream (&p, &got) == 0 && got.n == 1);

  /* Eight CNAME hops are followed, a ninth is not. */
  for (int hops = 8; hops <= 9; hops++)
    {
      make_upstream (&p, 0x4242, "example.com", (uint16_t)(hops + 1));
      put_ptr (&p, 12);
      put_cname (&p, 10, "h1.example");
      for (int i = 1; i < hops; i++)
        {
          snprintf (from, sizeof from, "h%d.example", i);
          snprintf (to, sizeof to, "h%d.example", i + 1);
          put_name (&p, from);
          put_cname (&p, 10, to);
        }
      put_name (&p, to);
      put_a (&p, 10, 1, 2, 3, 4);
      CHECK (upstream (&p, &got) == 0 && got.n == (hops == 8 ? 1u : 0u));
    }

  /* More addresses than fit: the first AB_DNS_MAX_ADDRS are kept. */
  make_upstream (&p, 0x4242, "example.com", AB_DNS_MAX_ADDRS + 4);
  for (int i = 0; i < AB_DNS_MAX_ADDRS + 4; i++)
    {
      put_ptr (&p, 12);
      put_a (&p, 0x80000000u, 10, 0, 0, (uint8_t)i);
    }
  CHECK (upstream (&p, &got) == 0 && got.n == AB_DNS_MAX_ADDRS);
  CHECK (got.addr[AB_DNS_MAX_ADDRS - 1][3] == AB_DNS_MAX_ADDRS - 1);
  CHECK (got.ttl == 0); /* a TTL with the top bit set counts as 0 */

  /* NXDOMAIN with an SOA in authority: no addresses, not an error. */
  make_upstream (&p, 0x4242, "example.com", 0);
  p.b[3] |= AB_DNS_RCODE_NXDOMAIN;
  p.b[9] = 1;
  put_ptr (&p, 12 + 8);
  put_rr (&p, 6, 60, 3);
  put_raw (&p, "\xc0\x0c\0", 3);
  CHECK (upstream (&p, &got) == 0);
  CHECK (got.n == 0 && got.rcode == AB_DNS_RCODE_NXDOMAIN);
}

static void
reject_upstream (const struct pkt *p, const char *why)
{
  struct ab_dns_addrs got;

  if (upstream (p, &got) != -1)
    {
      printf ("# upstream answer not rejected: %s\n", why);
      unit_cur_failed++;
    }
}

TEST (upstream_malformed)
{
  struct pkt p, full;
  struct ab_dns_addrs got;

  make_upstream (&full, 0x4242, "example.com", 1);
  put_ptr (&full, 12);
  put_a (&full, 10, 1, 2, 3, 4);
  CHECK (upstream (&full, &got) == 0 && got.n == 1);
  for (size_t n = 0; n < full.n; n++)
    {
      p = full;
      p.n = n;
      reject_upstream (&p, "truncated");
    }
  p = full;
  p.b[1] ^= 1;
  reject_upstream (&p, "wrong id");
  p = full;
  p.b[2] &= 0x7f;
  reject_upstream (&p, "QR clear");
  p = full;
  p.b[12 + 1] = 'X';
  reject_upstream (&p, "wrong question name");
  p = full;
  p.b[12 + 14] = AB_DNS_TYPE_AAAA;
  reject_upstream (&p, "wrong question type");
  p = full;
  p.b[5] = 0;
  reject_upstream (&p, "no question");
  p = full;
  p.b[full.n - 5] = 5;
  p.b[p.n++] = 0;
  reject_upstream (&p, "A of 5 bytes");
  CHECK (ab_dns_parse_answer (full.b, full.n, 0x4242, "example..com",
                              AB_DNS_TYPE_A, &got)
         == -1);
  CHECK (ab_dns_parse_answer (full.b, full.n, 0x4242, "example.com",
                              AB_DNS_TYPE_CNAME, &got)
         == -1);

  /* Pointers: to itself, forward, into the header, and two that point at
   * each other. */
  size_t self = 12 + 13 + 4;
  p = full;
  p.n = self;
  put_ptr (&p, self);
  put_a (&p, 10, 1, 2, 3, 4);
  reject_upstream (&p, "pointer to itself");
  p.n = self;
  put_ptr (&p, self + 2);
  put_a (&p, 10, 1, 2, 3, 4);
  reject_upstream (&p, "forward pointer");
  p.n = self;
  put_ptr (&p, 4);
  put_a (&p, 10, 1, 2, 3, 4);
  reject_upstream (&p, "pointer into the header");
  p = full;
  p.b[7] = 2;
  p.n = self;
  put_ptr (&p, self + 16 + 2);
  put_a (&p, 10, 1, 2, 3, 4);
  put_labels (&p, "x");
  put_ptr (&p, self);
  put_a (&p, 10, 1, 2, 3, 4);
  reject_upstream (&p, "pointer loop");

  /* A CNAME whose target runs past its RDATA. */
  p = full;
  p.n = self;
  put_ptr (&p, 12);
  put_rr (&p, AB_DNS_TYPE_CNAME, 10, 2);
  put_name (&p, "ab");
  reject_upstream (&p, "CNAME past RDATA");
}

/* Not a benchmark: a rough number for docs/dns.md. */
static double
ns_per_call (int (*fn) (const struct pkt *), const struct pkt *p, int loops)
{
  struct timespec a, b;

  clock_gettime (CLOCK_MONOTONIC, &a);
  for (int i = 0; i < loops; i++)
    if (fn (p) < 0)
      return -1;
  clock_gettime (CLOCK_MONOTONIC, &b);
  return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / loops;
}

static int
time_query (const struct pkt *p)
{
  struct ab_dns_query q;
  bool hok;

  return parse (p, &q, &hok);
}

static int
time_answer (const struct pkt *p)
{
  struct ab_dns_addrs got;

  return upstream (p, &got);
}

TEST (speed)
{
  struct pkt q, a;

  make_query (&q, "registry.npmjs.org", AB_DNS_TYPE_A, 1);
  put_opt (&q, 1232);
  make_upstream (&a, 0x4242, "example.com", 3);
  put_ptr (&a, 12);
  put_cname (&a, 300, "edge.cdn.example.net");
  put_name (&a, "edge.cdn.example.net");
  put_a (&a, 60, 192, 0, 2, 1);
  put_name (&a, "edge.cdn.example.net");
  put_a (&a, 60, 192, 0, 2, 2);
  double tq = ns_per_call (time_query, &q, 1000000);
  double ta = ns_per_call (time_answer, &a, 1000000);
  CHECK (tq > 0 && ta > 0);
  printf ("# parse_query: %.0f ns; parse_answer (CNAME + 2 A): %.0f ns\n", tq,
          ta);
}

int
main (void)
{
  RUN (query_a);
  RUN (query_aaaa);
  RUN (query_uppercase);
  RUN (query_root);
  RUN (query_edns);
  RUN (query_malformed);
  RUN (answer_written);
  RUN (write_query);
  RUN (upstream_cname_chain);
  RUN (upstream_limits);
  RUN (upstream_malformed);
  RUN (speed);
  return unit_done ();
}
