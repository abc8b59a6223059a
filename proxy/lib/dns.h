/* agentbox: DNS wire format — just what the guardian needs.
 *
 * The guardian answers the containers' queries itself (one question,
 * A/AAAA only) and asks its upstream resolver for A/AAAA records.  The
 * parser is hand-written (docs/dns.md says why): it reads only the header,
 * the question and, in upstream answers, A/AAAA/CNAME records, never
 * trusts a length or a compression pointer, and is fuzzed
 * (tests/fuzz/fuzz-dns.c). */
#ifndef AB_PROXY_DNS_H
#define AB_PROXY_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AB_DNS_TYPE_A 1
#define AB_DNS_TYPE_CNAME 5
#define AB_DNS_TYPE_AAAA 28
#define AB_DNS_TYPE_OPT 41
#define AB_DNS_CLASS_IN 1

#define AB_DNS_RCODE_NOERROR 0
#define AB_DNS_RCODE_FORMERR 1
#define AB_DNS_RCODE_SERVFAIL 2
#define AB_DNS_RCODE_NXDOMAIN 3
#define AB_DNS_RCODE_NOTIMP 4
#define AB_DNS_RCODE_REFUSED 5

/* Longest name in presentation form without the trailing dot (253), +1. */
#define AB_DNS_NAME_MAX 254

struct ab_dns_query
{
  uint16_t id;
  uint16_t flags;             /* the header's second 16 bits, as sent */
  char name[AB_DNS_NAME_MAX]; /* lower case, no trailing dot; "" = root */
  uint16_t qtype, qclass;
  size_t question_end;    /* offset just past the question */
  bool edns;              /* an OPT record was present */
  uint16_t edns_udp_size; /* its payload size (0 when none) */
};

/* Parse a query.  Returns 0, or -1 when PKT is not one well-formed query
 * (QR set, opcode not QUERY, QDCOUNT != 1, truncated, bad label, a
 * compression pointer in the question, a name longer than 253, or a label
 * with a byte outside [A-Za-z0-9_-]): then, if the 12-byte header could be
 * read, Q->id and Q->flags are set and *HEADER_OK is true so that the
 * caller can answer FORMERR. */
int ab_dns_parse_query (const uint8_t *pkt, size_t len, struct ab_dns_query *q,
                        bool *header_ok);

/* Write the answer to Q into OUT (capacity CAP; 512 is always enough):
 * header (same id, QR=1, RD copied, RA=1, AA=1, the RCODE), Q's question
 * echoed (skipped when Q was not parsed, i.e. FORMERR), and when ADDR is
 * not NULL one answer record of Q->qtype (A: 4 bytes, AAAA: 16) named by
 * a pointer to the question, class IN, TTL.  No OPT record is echoed.
 * Returns the length, or 0 if CAP is too small. */
size_t ab_dns_write_answer (const struct ab_dns_query *q, bool parsed,
                            uint8_t rcode, const void *addr, uint32_t ttl,
                            uint8_t *out, size_t cap);

/* Write a recursive query (RD=1) for NAME and QTYPE with ID.  Returns the
 * length, or 0 when NAME is not a valid name or CAP is too small. */
size_t ab_dns_write_query (uint16_t id, const char *name, uint16_t qtype,
                           uint8_t *out, size_t cap);

#define AB_DNS_MAX_ADDRS 16

struct ab_dns_addrs
{
  uint8_t rcode;
  unsigned n;                         /* addresses found */
  uint8_t addr[AB_DNS_MAX_ADDRS][16]; /* A: first 4 bytes used */
  uint32_t ttl;                       /* smallest TTL seen */
};

/* Read an upstream answer to the query (ID, NAME, QTYPE): checks QR, the
 * id and that the question matches (case-insensitively), then collects up
 * to AB_DNS_MAX_ADDRS records of QTYPE whose owner is NAME or a name that
 * a CNAME chain in the same message leads to from NAME (at most 8 hops).
 * Compression pointers are followed with a hop limit (no loops).  Returns
 * 0 (OUT filled; OUT->n may be 0, e.g. NXDOMAIN) or -1 when the message is
 * malformed or is not the answer to that query. */
int ab_dns_parse_answer (const uint8_t *pkt, size_t len, uint16_t id,
                         const char *name, uint16_t qtype,
                         struct ab_dns_addrs *out);

#endif
