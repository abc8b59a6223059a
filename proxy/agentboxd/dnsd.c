/* agentboxd: the containers' DNS server (UDP and TCP, port 53 of the
 * proxy namespace) and the synthetic addresses it hands out.
 *
 * An allowed name gets an address from the synthetic ranges, the same
 * index in both families, remembered both ways so that the proxy can map
 * a connection back to the name.  A denied name gets NXDOMAIN; nothing is
 * ever forwarded, so no data leaves in a query (closed).  Other types
 * are REFUSED. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "proxy/agentboxd/guardian.h"

#define SYNTH_MAX 65536u
#define DNS_TTL 60
#define TCP_DNS_MAX 64 /* concurrent TCP DNS connections */

/* ---- the synthetic table: open addressing name -> index, array index
 * -> name; the oldest index is reused when the table is full. ---- */

static char **names;    /* [index] */
static uint32_t *slots; /* hash slots: index + 1, 0 empty */
static unsigned n_names, next_index, hash_cap;

static uint32_t
hash (const char *s)
{
  uint32_t h = 2166136261u;

  while (*s)
    h = (h ^ (uint8_t)*s++) * 16777619u;
  return h;
}

static uint32_t *
slot_of (const char *name)
{
  for (uint32_t i = hash (name) & (hash_cap - 1);; i = (i + 1) & (hash_cap - 1))
    if (slots[i] == 0 || strcmp (names[slots[i] - 1], name) == 0)
      return &slots[i];
}

static void
forget (unsigned idx)
{
  uint32_t *s = slot_of (names[idx]);
  uint32_t i = (uint32_t)(s - slots);

  /* Backward-shift deletion keeps probe chains whole. */
  *s = 0;
  for (uint32_t j = (i + 1) & (hash_cap - 1); slots[j];
       j = (j + 1) & (hash_cap - 1))
    {
      uint32_t moved = slots[j];
      slots[j] = 0;
      *slot_of (names[moved - 1]) = moved;
    }
  free (names[idx]);
  names[idx] = NULL;
}

static int
synth_index (const char *name, unsigned *idx)
{
  uint32_t *s = slot_of (name);

  if (*s)
    {
      *idx = *s - 1;
      return 0;
    }
  if (names[next_index])
    forget (next_index);
  names[next_index] = strdup (name);
  if (names[next_index] == NULL)
    return -1;
  *slot_of (name) = next_index + 1;
  *idx = next_index;
  next_index = (next_index + 1) % n_names;
  return 0;
}

static void
synth_addr (unsigned idx, int af, uint8_t out[16])
{
  const struct ab_netconf *n = &g_cfg->net;

  /* Index 0 is the range's base + 1: the base itself is never handed
   * out. */
  if (af == AF_INET)
    {
      uint32_t a = htonl (ntohl (n->syn4.s_addr) + idx + 1);
      memcpy (out, &a, 4);
      return;
    }
  memcpy (out, &n->syn6, 16);
  uint32_t lo;
  memcpy (&lo, out + 12, 4);
  lo = htonl (ntohl (lo) + idx + 1);
  memcpy (out + 12, &lo, 4);
}

const char *
synth_name (const struct sockaddr_storage *sa)
{
  const struct ab_netconf *n = &g_cfg->net;
  uint64_t off;

  if (sa->ss_family == AF_INET)
    {
      uint32_t a = ntohl (((const struct sockaddr_in *)sa)->sin_addr.s_addr);
      uint32_t base = ntohl (n->syn4.s_addr);
      uint32_t mask = n->syn4_len ? ~0u << (32 - n->syn4_len) : 0;
      if ((a & mask) != base)
        return NULL;
      off = a - base;
    }
  else
    {
      const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
      uint32_t lo, blo;
      /* The index lives in the low 32 bits; the rest must be the
       * range's. */
      if (memcmp (a, n->syn6.s6_addr, 12) != 0)
        return NULL;
      memcpy (&lo, a + 12, 4);
      memcpy (&blo, n->syn6.s6_addr + 12, 4);
      off = (uint64_t)ntohl (lo) - ntohl (blo);
      if ((uint64_t)ntohl (lo) < ntohl (blo))
        return NULL;
    }
  if (off == 0 || off - 1 >= n_names)
    return NULL;
  return names[off - 1];
}

/* ---- answering ---- */

static size_t
answer (const struct container *c, const uint8_t *pkt, size_t len, uint8_t *out,
        size_t cap)
{
  struct ab_dns_query q;
  struct verdict v = { .decision = "deny", .mode = "enforce" };
  bool header_ok = false;
  uint8_t addr[16];
  unsigned idx;
  char res[AB_DNS_NAME_MAX + 16];

  if (ab_dns_parse_query (pkt, len, &q, &header_ok) < 0)
    return header_ok ? ab_dns_write_answer (&q, false, AB_DNS_RCODE_FORMERR,
                                            NULL, 0, out, cap)
                     : 0;
  snprintf (res, sizeof res, "%s", q.name);
  if (c == NULL)
    {
      /* Closed: only registered containers are answered. */
      snprintf (v.rule, sizeof v.rule, "unknown source");
      audit (NULL, "dns", "NetworkConnect", res, &v,
             "query from an "
             "unregistered address");
      return ab_dns_write_answer (&q, true, AB_DNS_RCODE_REFUSED, NULL, 0, out,
                                  cap);
    }
  if (q.qclass != AB_DNS_CLASS_IN
      || (q.qtype != AB_DNS_TYPE_A && q.qtype != AB_DNS_TYPE_AAAA))
    {
      snprintf (v.rule, sizeof v.rule, "query type %u", q.qtype);
      audit (c, "dns", "NetworkConnect", res, &v,
             "only A and AAAA are "
             "answered");
      return ab_dns_write_answer (&q, true, AB_DNS_RCODE_REFUSED, NULL, 0, out,
                                  cap);
    }
  policy_check_host (c, q.name, 0, &v);
  audit (c, "dns", "NetworkConnect", res, &v,
         q.qtype == AB_DNS_TYPE_A ? "A" : "AAAA");
  if (!v.allow)
    return ab_dns_write_answer (&q, true, AB_DNS_RCODE_NXDOMAIN, NULL, 0, out,
                                cap);
  /* AAAA without IPv6: the name exists, without that type (NODATA). */
  if (q.qtype == AB_DNS_TYPE_AAAA && !g_cfg->net.ipv6)
    return ab_dns_write_answer (&q, true, AB_DNS_RCODE_NOERROR, NULL, 0, out,
                                cap);
  if (synth_index (q.name, &idx) < 0)
    return ab_dns_write_answer (&q, true, AB_DNS_RCODE_SERVFAIL, NULL, 0, out,
                                cap);
  synth_addr (idx, q.qtype == AB_DNS_TYPE_A ? AF_INET : AF_INET6, addr);
  return ab_dns_write_answer (&q, true, AB_DNS_RCODE_NOERROR, addr, DNS_TTL,
                              out, cap);
}

/* ---- UDP ---- */

static struct ev udp_ev = { .fd = -1 };

static void
on_udp (struct ev *e, uint32_t events)
{
  for (int i = 0; i < 64; i++)
    {
      uint8_t in[4096], out[512];
      struct sockaddr_storage from;
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom (e->fd, in, sizeof in, MSG_DONTWAIT,
                            (struct sockaddr *)&from, &fl);
      size_t m;

      if (n < 0)
        return;
      sa_unmap (&from);
      m = answer (container_by_addr (&from), in, (size_t)n, out, sizeof out);
      if (m == 0)
        continue;
      /* Reply to the address as received (v4-mapped on the dual-stack
       * socket). */
      fl = sizeof from;
      struct sockaddr_storage to;
      memset (&to, 0, sizeof to);
      if (from.ss_family == AF_INET)
        {
          struct sockaddr_in6 *t6 = (struct sockaddr_in6 *)&to;
          const struct sockaddr_in *f4 = (const struct sockaddr_in *)&from;
          t6->sin6_family = AF_INET6;
          t6->sin6_port = f4->sin_port;
          t6->sin6_addr.s6_addr[10] = t6->sin6_addr.s6_addr[11] = 0xff;
          memcpy (&t6->sin6_addr.s6_addr[12], &f4->sin_addr, 4);
        }
      else
        memcpy (&to, &from, sizeof from);
      sendto (e->fd, out, m, MSG_DONTWAIT, (struct sockaddr *)&to,
              sizeof (struct sockaddr_in6));
    }
}

/* ---- TCP: two-byte length, one message, at most TCP_DNS_MAX at once,
 * closed after DNS_TCP_IDLE_MS idle. ---- */

#define DNS_TCP_IDLE_MS 10000

struct tcpdns
{
  struct ev ev;
  struct container *c;
  uint8_t buf[2 + 4096];
  size_t len;
  uint64_t last;
  struct tcpdns *next;
};

static struct ev tcp_ev = { .fd = -1 };
static struct tcpdns *tcp_conns;
static unsigned n_tcp;

static void
tcp_close (struct tcpdns *t)
{
  for (struct tcpdns **p = &tcp_conns; *p; p = &(*p)->next)
    if (*p == t)
      {
        *p = t->next;
        break;
      }
  loop_del (&t->ev);
  close (t->ev.fd);
  free (t);
  n_tcp--;
}

static void
on_tcp_conn (struct ev *e, uint32_t events)
{
  struct tcpdns *t = (struct tcpdns *)e;
  ssize_t n = read (e->fd, t->buf + t->len, sizeof t->buf - t->len);
  size_t need;

  if (n <= 0)
    {
      if (n < 0 && errno == EAGAIN)
        return;
      tcp_close (t);
      return;
    }
  t->len += (size_t)n;
  t->last = now_ms ();
  while (t->len >= 2)
    {
      uint8_t out[2 + 512];
      size_t m;

      need = ((size_t)t->buf[0] << 8 | t->buf[1]) + 2;
      if (need > sizeof t->buf)
        {
          tcp_close (t); /* bigger than any query we answer */
          return;
        }
      if (t->len < need)
        return;
      m = answer (t->c, t->buf + 2, need - 2, out + 2, sizeof out - 2);
      out[0] = (uint8_t)(m >> 8);
      out[1] = (uint8_t)m;
      /* A reply that does not fit the socket buffer at once is not
       * worth waiting for: answers are tiny. */
      if (m == 0 || write (e->fd, out, m + 2) != (ssize_t)(m + 2))
        {
          tcp_close (t);
          return;
        }
      memmove (t->buf, t->buf + need, t->len - need);
      t->len -= need;
    }
}

static void
on_tcp_accept (struct ev *e, uint32_t events)
{
  struct sockaddr_storage from;
  socklen_t fl = sizeof from;
  int fd = accept4 (e->fd, (struct sockaddr *)&from, &fl,
                    SOCK_NONBLOCK | SOCK_CLOEXEC);
  struct tcpdns *t;
  cleanup_error ab_error_t err = NULL;

  if (fd < 0)
    return;
  sa_unmap (&from);
  if (n_tcp >= TCP_DNS_MAX || !(t = calloc (1, sizeof *t)))
    {
      close (fd);
      return;
    }
  t->ev.fd = fd;
  t->ev.fn = on_tcp_conn;
  t->c = container_by_addr (&from);
  t->last = now_ms ();
  if (loop_add (&t->ev, EPOLLIN, &err) < 0)
    {
      close (fd);
      free (t);
      return;
    }
  t->next = tcp_conns;
  tcp_conns = t;
  n_tcp++;
}

void dnsd_tick (uint64_t now);
void
dnsd_tick (uint64_t now)
{
  for (struct tcpdns *t = tcp_conns, *next; t; t = next)
    {
      next = t->next;
      if (now - t->last > DNS_TCP_IDLE_MS)
        tcp_close (t);
    }
}

int listen_on (int type, unsigned port, ab_error_t *err);

int
dnsd_init (const struct ab_config *cfg, ab_error_t *err)
{
  unsigned range4
      = cfg->net.syn4_len >= 31 ? 0 : (1u << (32 - cfg->net.syn4_len)) - 2;

  n_names = range4 < SYNTH_MAX ? range4 : SYNTH_MAX;
  for (hash_cap = 2; hash_cap < n_names * 2; hash_cap <<= 1)
    ;
  names = calloc (n_names, sizeof *names);
  slots = calloc (hash_cap, sizeof *slots);
  if (!names || !slots || n_names == 0)
    return ab_error_set (err, ENOMEM, "synthetic address table");
  udp_ev.fd = listen_on (SOCK_DGRAM, 53, err);
  udp_ev.fn = on_udp;
  if (udp_ev.fd < 0 || loop_add (&udp_ev, EPOLLIN, err) < 0)
    return ab_error_wrap (err, "DNS over UDP");
  tcp_ev.fd = listen_on (SOCK_STREAM, 53, err);
  tcp_ev.fn = on_tcp_accept;
  if (tcp_ev.fd < 0 || loop_add (&tcp_ev, EPOLLIN, err) < 0)
    return ab_error_wrap (err, "DNS over TCP");
  return 0;
}
