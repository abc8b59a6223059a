/* agentbox: DNS wire format (see dns.h and docs/dns.md).
 *
 * Every read goes through rd16/rd32 or an explicit bound check against
 * LEN; names are copied into a 255-byte wire-form buffer (length-prefixed
 * labels, ASCII lower-cased) so that comparing two names never depends on
 * where or how they were compressed. */
#include <string.h>

#include "proxy/lib/dns.h"

#define HDR_LEN 12
#define WIRE_MAX 255 /* a name in wire form, root byte included */
#define LABEL_MAX 63
#define PTR_HOPS 64 /* more than any real compressor makes for one name */
#define CNAME_HOPS 8

#define F_QR 0x8000
#define F_OPCODE 0x7800
#define F_AA 0x0400
#define F_RD 0x0100
#define F_RA 0x0080

struct wname
{
  uint8_t b[WIRE_MAX];
  size_t len;
};

struct rr
{
  uint16_t type, class;
  uint32_t ttl;
  size_t rdata;
  uint16_t rdlen;
};

static uint16_t
rd16 (const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32 (const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8
         | p[3];
}

static void
wr16 (uint8_t *p, uint16_t v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

static void
wr32 (uint8_t *p, uint32_t v)
{
  wr16 (p, v >> 16);
  wr16 (p + 2, v & 0xffff);
}

static uint8_t
ascii_lower (uint8_t c)
{
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool
host_char (uint8_t c)
{
  c = ascii_lower (c);
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
         || c == '_';
}

static bool
wname_eq (const struct wname *a, const struct wname *b)
{
  return a->len == b->len && memcmp (a->b, b->b, a->len) == 0;
}

/* Append one label of N bytes at SRC to W, lower-cased.  Fails when the
 * name would outgrow 255 bytes of wire form (253 in presentation). */
static int
wname_add (struct wname *w, const uint8_t *src, size_t n)
{
  if (n < 1 || n > LABEL_MAX || w->len + 1 + n + 1 > WIRE_MAX)
    return -1;
  w->b[w->len++] = (uint8_t)n;
  for (size_t i = 0; i < n; i++)
    w->b[w->len++] = ascii_lower (src[i]);
  return 0;
}

/* Follow a compression pointer at POS.  Only strictly backward targets
 * past the header are taken, so chains cannot loop; the hop count bounds
 * the work anyway. */
static int
follow_ptr (const uint8_t *pkt, size_t len, size_t *pos, unsigned *hops)
{
  size_t target;

  if (*pos + 1 >= len || ++*hops > PTR_HOPS)
    return -1;
  target = (size_t)(pkt[*pos] & 0x3f) << 8 | pkt[*pos + 1];
  if (target < HDR_LEN || target >= *pos)
    return -1;
  *pos = target;
  return 0;
}

/* Read the name at *OFF into W and move *OFF past it.  Compression
 * pointers are followed only when ALLOW_PTR (upstream answers); a query's
 * question must spell its name out. */
static int
read_name (const uint8_t *pkt, size_t len, size_t *off, bool allow_ptr,
           struct wname *w)
{
  size_t pos = *off, end = 0;
  unsigned hops = 0;

  w->len = 0;
  for (;;)
    {
      uint8_t c;

      if (pos >= len)
        return -1;
      c = pkt[pos];
      if (c == 0)
        break;
      if ((c & 0xc0) == 0xc0 && allow_ptr)
        {
          if (end == 0)
            end = pos + 2;
          if (follow_ptr (pkt, len, &pos, &hops) < 0)
            return -1;
          continue;
        }
      /* 0x40 and 0x80 are obsolete label types: reject. */
      if (c > LABEL_MAX || pos + 1 + c > len
          || wname_add (w, pkt + pos + 1, c) < 0)
        return -1;
      pos += 1 + c;
    }
  w->b[w->len++] = 0;
  *off = end ? end : pos + 1;
  return 0;
}

/* Move *OFF past the name there without following pointers: skipping a
 * record never needs the name itself. */
static int
skip_name (const uint8_t *pkt, size_t len, size_t *off)
{
  size_t pos = *off;

  while (pos < len)
    {
      uint8_t c = pkt[pos];

      if (c == 0 || (c & 0xc0) == 0xc0)
        {
          *off = pos + (c == 0 ? 1 : 2);
          return *off <= len ? 0 : -1;
        }
      if (c > LABEL_MAX)
        return -1;
      pos += 1 + c;
    }
  return -1;
}

/* Read the fixed part of the record whose owner name ends at *OFF and move
 * *OFF past its data. */
static int
read_rr_tail (const uint8_t *pkt, size_t len, size_t *off, struct rr *rr)
{
  size_t pos = *off;

  if (len - pos < 10)
    return -1;
  rr->type = rd16 (pkt + pos);
  rr->class = rd16 (pkt + pos + 2);
  rr->ttl = rd32 (pkt + pos + 4);
  rr->rdlen = rd16 (pkt + pos + 8);
  rr->rdata = pos + 10;
  if (len - rr->rdata < rr->rdlen)
    return -1;
  *off = rr->rdata + rr->rdlen;
  return 0;
}

/* Turn a presentation-form NAME (one trailing dot allowed, "" or "." for
 * the root) into wire form, case kept.  Only host-name bytes are valid. */
static int
encode_name (const char *name, struct wname *w)
{
  const char *p = name;

  w->len = 0;
  if (strcmp (name, ".") == 0)
    p++;
  while (*p)
    {
      size_t n = strcspn (p, ".");

      for (size_t i = 0; i < n; i++)
        if (!host_char ((uint8_t)p[i]))
          return -1;
      if (n < 1 || n > LABEL_MAX || w->len + 1 + n + 1 > WIRE_MAX)
        return -1;
      w->b[w->len++] = (uint8_t)n;
      memcpy (w->b + w->len, p, n);
      w->len += n;
      p += n;
      if (*p == '.')
        p++;
    }
  w->b[w->len++] = 0;
  return 0;
}

/* Write wire-form W as text into OUT (AB_DNS_NAME_MAX bytes), rejecting
 * bytes a host name cannot hold: '.' inside a label would change the
 * name's meaning once it is text. */
static int
wname_to_text (const struct wname *w, char *out)
{
  size_t i = 0, o = 0;

  while (w->b[i])
    {
      size_t n = w->b[i++];

      if (o)
        out[o++] = '.';
      for (size_t k = 0; k < n; k++, i++)
        {
          if (!host_char (w->b[i]))
            return -1;
          out[o++] = (char)w->b[i];
        }
    }
  out[o] = '\0';
  return 0;
}

/* ---- queries from the containers ---------------------------------------- */

static int
parse_opt (const uint8_t *pkt, size_t owner, const struct rr *rr,
           struct ab_dns_query *q)
{
  /* RFC 6891: OPT is owned by the root and appears at most once. */
  if (pkt[owner] != 0 || q->edns)
    return -1;
  q->edns = true;
  q->edns_udp_size = rr->class;
  return 0;
}

/* Walk the answer, authority and additional records after the question;
 * only an OPT in the additional section is looked at. */
static int
parse_query_records (const uint8_t *pkt, size_t len, struct ab_dns_query *q)
{
  unsigned an = rd16 (pkt + 6), ns = rd16 (pkt + 8), ar = rd16 (pkt + 10);
  size_t off = q->question_end;

  for (unsigned i = 0; i < an + ns + ar; i++)
    {
      size_t owner = off;
      struct rr rr;

      if (skip_name (pkt, len, &off) < 0
          || read_rr_tail (pkt, len, &off, &rr) < 0)
        return -1;
      if (i >= an + ns && rr.type == AB_DNS_TYPE_OPT
          && parse_opt (pkt, owner, &rr, q) < 0)
        return -1;
    }
  return 0;
}

int
ab_dns_parse_query (const uint8_t *pkt, size_t len, struct ab_dns_query *q,
                    bool *header_ok)
{
  struct wname w;
  size_t off = HDR_LEN;

  memset (q, 0, sizeof *q);
  *header_ok = len >= HDR_LEN;
  if (!*header_ok)
    return -1;
  q->id = rd16 (pkt);
  q->flags = rd16 (pkt + 2);
  if ((q->flags & (F_QR | F_OPCODE)) != 0 || rd16 (pkt + 4) != 1)
    return -1;
  if (read_name (pkt, len, &off, false, &w) < 0 || len - off < 4
      || wname_to_text (&w, q->name) < 0)
    return -1;
  q->qtype = rd16 (pkt + off);
  q->qclass = rd16 (pkt + off + 2);
  q->question_end = off + 4;
  if (parse_query_records (pkt, len, q) < 0)
    return -1;
  return 0;
}

/* ---- answers to the containers ------------------------------------------ */

static size_t
addr_len (uint16_t qtype)
{
  return qtype == AB_DNS_TYPE_A ? 4 : qtype == AB_DNS_TYPE_AAAA ? 16 : 0;
}

static size_t
write_answer_rr (const struct ab_dns_query *q, const void *addr, uint32_t ttl,
                 uint8_t *p)
{
  size_t n = addr_len (q->qtype);

  wr16 (p, 0xc000 | HDR_LEN); /* the question's name */
  wr16 (p + 2, q->qtype);
  wr16 (p + 4, AB_DNS_CLASS_IN);
  wr32 (p + 6, ttl);
  wr16 (p + 10, (uint16_t)n);
  memcpy (p + 12, addr, n);
  return 12 + n;
}

size_t
ab_dns_write_answer (const struct ab_dns_query *q, bool parsed, uint8_t rcode,
                     const void *addr, uint32_t ttl, uint8_t *out, size_t cap)
{
  struct wname w = { .len = 0 };
  bool answer = parsed && addr != NULL && addr_len (q->qtype) != 0;
  size_t need, off;

  /* The echo is re-encoded from the parsed name, never copied from the
   * client's bytes. */
  if (parsed && encode_name (q->name, &w) < 0)
    return 0;
  need = HDR_LEN + (parsed ? w.len + 4 : 0)
         + (answer ? 12 + addr_len (q->qtype) : 0);
  if (cap < need)
    return 0;
  wr16 (out, q->id);
  /* RFC 1035 copies the opcode; RFC 6840's CD copy is left out: we
   * do not validate. */
  wr16 (out + 2,
        F_QR | (q->flags & (F_OPCODE | F_RD)) | F_AA | F_RA | (rcode & 0x0f));
  wr16 (out + 4, parsed ? 1 : 0);
  wr16 (out + 6, answer ? 1 : 0);
  wr16 (out + 8, 0);
  wr16 (out + 10, 0);
  off = HDR_LEN;
  if (parsed)
    {
      memcpy (out + off, w.b, w.len);
      off += w.len;
      wr16 (out + off, q->qtype);
      wr16 (out + off + 2, q->qclass);
      off += 4;
    }
  if (answer)
    off += write_answer_rr (q, addr, ttl, out + off);
  return off;
}

/* ---- queries to and answers from upstream -------------------------------- */

size_t
ab_dns_write_query (uint16_t id, const char *name, uint16_t qtype, uint8_t *out,
                    size_t cap)
{
  struct wname w;

  if (encode_name (name, &w) < 0 || cap < HDR_LEN + w.len + 4)
    return 0;
  wr16 (out, id);
  wr16 (out + 2, F_RD);
  wr16 (out + 4, 1);
  wr16 (out + 6, 0);
  wr16 (out + 8, 0);
  wr16 (out + 10, 0);
  memcpy (out + HDR_LEN, w.b, w.len);
  wr16 (out + HDR_LEN + w.len, qtype);
  wr16 (out + HDR_LEN + w.len + 2, AB_DNS_CLASS_IN);
  return HDR_LEN + w.len + 4;
}

struct answer_walk
{
  const uint8_t *pkt;
  size_t len;
  size_t first; /* offset of the first answer record */
  unsigned ancount;
  uint16_t qtype;
  struct ab_dns_addrs *out;
  bool ttl_seen;
};

static void
note_ttl (struct answer_walk *aw, uint32_t ttl)
{
  /* RFC 2181 §8: a TTL with the top bit set means zero. */
  if (ttl > 0x7fffffff)
    ttl = 0;
  if (!aw->ttl_seen || ttl < aw->out->ttl)
    aw->out->ttl = ttl;
  aw->ttl_seen = true;
}

static int
take_addr (struct answer_walk *aw, const struct rr *rr)
{
  struct ab_dns_addrs *out = aw->out;

  if (rr->rdlen != addr_len (aw->qtype))
    return -1;
  note_ttl (aw, rr->ttl);
  if (out->n < AB_DNS_MAX_ADDRS)
    memcpy (out->addr[out->n++], aw->pkt + rr->rdata, rr->rdlen);
  return 0;
}

/* The CNAME's target must fill its RDATA exactly. */
static int
take_cname (struct answer_walk *aw, const struct rr *rr, struct wname *next)
{
  size_t off = rr->rdata;

  if (read_name (aw->pkt, rr->rdata + rr->rdlen, &off, true, next) < 0
      || off != rr->rdata + rr->rdlen)
    return -1;
  note_ttl (aw, rr->ttl);
  return 0;
}

/* One pass over the answer section for the owner CUR: collect its
 * addresses and return 1 with NEXT set if it is an alias, else 0. */
static int
walk_owner (struct answer_walk *aw, const struct wname *cur, struct wname *next)
{
  size_t off = aw->first;
  int alias = 0;

  for (unsigned i = 0; i < aw->ancount; i++)
    {
      struct wname owner;
      struct rr rr;

      if (read_name (aw->pkt, aw->len, &off, true, &owner) < 0
          || read_rr_tail (aw->pkt, aw->len, &off, &rr) < 0)
        return -1;
      if (rr.class != AB_DNS_CLASS_IN || !wname_eq (&owner, cur))
        continue;
      if (rr.type == aw->qtype && take_addr (aw, &rr) < 0)
        return -1;
      /* A second CNAME for one owner is illegal; the first one wins. */
      if (rr.type == AB_DNS_TYPE_CNAME && !alias)
        {
          if (take_cname (aw, &rr, next) < 0)
            return -1;
          alias = 1;
        }
    }
  return alias;
}

/* Follow the CNAME chain from the question's name; a name seen twice ends
 * it so that a loop in the chain adds no address twice. */
static int
walk_chain (struct answer_walk *aw, const struct wname *qname)
{
  struct wname seen[CNAME_HOPS + 1];
  unsigned n = 0;

  seen[n++] = *qname;
  for (;;)
    {
      struct wname next;
      int r = walk_owner (aw, &seen[n - 1], &next);

      if (r <= 0 || n > CNAME_HOPS)
        return r < 0 ? -1 : 0;
      for (unsigned i = 0; i < n; i++)
        if (wname_eq (&seen[i], &next))
          return 0;
      seen[n++] = next;
    }
}

/* Check the header and question of an upstream answer; leave *OFF past the
 * question. */
static int
check_answer_head (const uint8_t *pkt, size_t len, uint16_t id,
                   const struct wname *want, uint16_t qtype, size_t *off)
{
  struct wname got;
  uint16_t flags;

  if (len < HDR_LEN)
    return -1;
  flags = rd16 (pkt + 2);
  if (rd16 (pkt) != id || !(flags & F_QR) || (flags & F_OPCODE) != 0
      || rd16 (pkt + 4) != 1)
    return -1;
  *off = HDR_LEN;
  if (read_name (pkt, len, off, true, &got) < 0 || len - *off < 4)
    return -1;
  if (!wname_eq (&got, want) || rd16 (pkt + *off) != qtype
      || rd16 (pkt + *off + 2) != AB_DNS_CLASS_IN)
    return -1;
  *off += 4;
  return 0;
}

int
ab_dns_parse_answer (const uint8_t *pkt, size_t len, uint16_t id,
                     const char *name, uint16_t qtype, struct ab_dns_addrs *out)
{
  struct answer_walk aw
      = { .pkt = pkt, .len = len, .qtype = qtype, .out = out };
  struct wname want;

  memset (out, 0, sizeof *out);
  if (addr_len (qtype) == 0 || encode_name (name, &want) < 0)
    return -1;
  for (size_t i = 0; i < want.len; i++)
    want.b[i] = ascii_lower (want.b[i]);
  if (check_answer_head (pkt, len, id, &want, qtype, &aw.first) < 0)
    return -1;
  out->rcode = rd16 (pkt + 2) & 0x0f;
  aw.ancount = rd16 (pkt + 6);
  if (walk_chain (&aw, &want) < 0)
    {
      memset (out, 0, sizeof *out);
      return -1;
    }
  return 0;
}
