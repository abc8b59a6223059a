/* agentboxd: upstream name resolution for the proxy — A, then AAAA, over
 * UDP to the configured resolver, from the upstream namespace.  Answers
 * are matched by id and question (ab_dns_parse_answer), so a spoofed or
 * stale datagram is dropped.  Up to RESOLVE_MAX lookups in flight. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "proxy/agentboxd/guardian.h"

#define RESOLVE_MAX 4096
#define CACHE_SIZE 4096 /* direct-mapped by name hash */
#define CACHE_MIN_S 5   /* upstream TTLs are clamped to [5 s, 5 min] */
#define CACHE_MAX_S 300
#define TRY_MS 2000
#define TRIES 2

struct lookup
{
  bool used, failed, done;
  uint16_t id;
  uint32_t handle;
  char name[AB_DNS_NAME_MAX];
  uint16_t qtype;
  int tries;
  uint64_t deadline;
  resolve_fn fn;
  void *data;
  struct resolved r;
  uint32_t ttl;
};

static struct lookup lookups[RESOLVE_MAX];
static unsigned done_list[RESOLVE_MAX], n_done; /* answered by the cache */

/* Answers are kept for their TTL: a connection to a name looked up a
 * moment ago does not wait for the resolver again. */
struct cached
{
  char name[AB_DNS_NAME_MAX];
  uint64_t expires;
  struct resolved r;
  uint32_t ttl;
};
static struct cached *cache;

static struct cached *
cache_slot (const char *name)
{
  uint32_t h = 2166136261u;

  for (const char *p = name; *p; p++)
    h = (h ^ (uint8_t)*p) * 16777619u;
  return cache ? &cache[h % CACHE_SIZE] : NULL;
}

static void
cache_put (const char *name, const struct resolved *r, uint32_t ttl)
{
  struct cached *c = cache_slot (name);

  if (c == NULL || r->n == 0)
    return;
  ttl = ttl < CACHE_MIN_S ? CACHE_MIN_S : ttl > CACHE_MAX_S ? CACHE_MAX_S : ttl;
  snprintf (c->name, sizeof c->name, "%s", name);
  c->r = *r;
  c->expires = now_ms () + (uint64_t)ttl * 1000;
}

static const struct resolved *
cache_get (const char *name)
{
  struct cached *c = cache_slot (name);

  if (c == NULL || c->expires <= now_ms () || strcmp (c->name, name) != 0)
    return NULL;
  return &c->r;
}
static struct sockaddr_storage server;
static socklen_t server_len;
static struct ev ev = { .fd = -1 };
static uint32_t next_handle = 1;

static int
parse_server (const char *s, ab_error_t *err)
{
  char host[64];
  unsigned port = 53;
  struct sockaddr_in *s4 = (struct sockaddr_in *)&server;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&server;

  memset (&server, 0, sizeof server);
  if (s[0] == '[')
    {
      if (sscanf (s, "[%63[^]]]:%u", host, &port) < 1)
        goto bad;
    }
  else if (strchr (s, '.') && strchr (s, ':'))
    {
      if (sscanf (s, "%63[^:]:%u", host, &port) != 2)
        goto bad;
    }
  else
    snprintf (host, sizeof host, "%s", s);
  if (inet_pton (AF_INET, host, &s4->sin_addr) == 1)
    {
      s4->sin_family = AF_INET;
      s4->sin_port = htons ((uint16_t)port);
      server_len = sizeof *s4;
      return 0;
    }
  if (inet_pton (AF_INET6, host, &s6->sin6_addr) == 1)
    {
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons ((uint16_t)port);
      server_len = sizeof *s6;
      return 0;
    }
bad:
  return ab_error_set (err, EINVAL, "resolver `%s`: not an address", s);
}

/* /etc/resolv.conf's first nameserver, as the host resolves. */
static int
system_resolver (char *out, size_t cap, ab_error_t *err)
{
  cleanup_file FILE *f = fopen ("/etc/resolv.conf", "re");
  char line[256];

  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, " nameserver %63s", out) == 1)
      return 0;
  (void)cap;
  return ab_error_set (err, ENOENT,
                       "no resolver: set network.resolver (no nameserver "
                       "in /etc/resolv.conf)");
}

static void
finish (struct lookup *l, int status)
{
  resolve_fn fn = l->fn;
  void *data = l->data;
  struct resolved r = l->r;

  l->used = false;
  if (status == 0)
    cache_put (l->name, &r, l->ttl);
  fn (data, status, &r);
}

static void
send_query (struct lookup *l)
{
  uint8_t q[512];
  size_t n;
  uint16_t id;

  /* An unpredictable id makes off-path answer spoofing a guess. */
  if (getrandom (&id, sizeof id, 0) != sizeof id)
    id = (uint16_t)(now_ms () ^ (uintptr_t)l);
  l->id = id;
  l->deadline = now_ms () + TRY_MS;
  n = ab_dns_write_query (l->id, l->name, l->qtype, q, sizeof q);
  if (n == 0
      || sendto (ev.fd, q, n, MSG_DONTWAIT, (struct sockaddr *)&server,
                 server_len)
             < 0)
    l->failed = true; /* reported from the next tick */
}

static void
add_addrs (struct lookup *l, const struct ab_dns_addrs *a)
{
  for (unsigned i = 0; i < a->n && l->r.n < AB_DNS_MAX_ADDRS; i++)
    {
      struct sockaddr_storage *sa = &l->r.addr[l->r.n++];
      memset (sa, 0, sizeof *sa);
      if (l->qtype == AB_DNS_TYPE_A)
        {
          struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
          s4->sin_family = AF_INET;
          memcpy (&s4->sin_addr, a->addr[i], 4);
        }
      else
        {
          struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
          s6->sin6_family = AF_INET6;
          memcpy (&s6->sin6_addr, a->addr[i], 16);
        }
    }
}

static void
on_answer (struct ev *e, uint32_t events)
{
  for (int k = 0; k < 64; k++)
    {
      uint8_t buf[4096];
      struct ab_dns_addrs a;
      ssize_t n = recv (e->fd, buf, sizeof buf, MSG_DONTWAIT);
      uint16_t id;

      if (n < 12)
        {
          if (n < 0)
            return;
          continue;
        }
      id = (uint16_t)(buf[0] << 8 | buf[1]);
      for (unsigned i = 0; i < RESOLVE_MAX; i++)
        {
          struct lookup *l = &lookups[i];
          if (!l->used || l->failed || l->id != id
              || ab_dns_parse_answer (buf, (size_t)n, id, l->name, l->qtype, &a)
                     < 0)
            continue;
          add_addrs (l, &a);
          if (a.n && (l->ttl == 0 || a.ttl < l->ttl))
            l->ttl = a.ttl;
          if (l->r.n == 0 && l->qtype == AB_DNS_TYPE_A)
            {
              l->qtype = AB_DNS_TYPE_AAAA;
              l->tries = 0;
              send_query (l);
            }
          else
            finish (l, l->r.n ? 0 : ENOENT);
          break;
        }
    }
}

int
resolve_init (const struct ab_config *cfg, ab_error_t *err)
{
  char sys[64];

  cache = calloc (CACHE_SIZE, sizeof *cache);
  if (cache == NULL)
    return ab_error_set (err, ENOMEM, "resolver cache");

  if (cfg->net.resolver)
    {
      if (parse_server (cfg->net.resolver, err) < 0)
        return -1;
    }
  else if (system_resolver (sys, sizeof sys, err) < 0
           || parse_server (sys, err) < 0)
    {
      /* Closed, not fatal: with no resolver every upstream lookup fails
       * (so every connection is refused), while DNS answers and denials
       * keep working. */
      ab_log_warning ("%s", (*err)->msg);
      ab_error_free (err);
      return 0;
    }
  ev.fd = ns_upstream_socket (server.ss_family, SOCK_DGRAM, err);
  if (ev.fd < 0)
    return ab_error_wrap (err, "resolver socket");
  /* connect() so that only the resolver's datagrams reach us. */
  if (connect (ev.fd, (struct sockaddr *)&server, server_len) < 0)
    return ab_error_errno (err, "connect to the resolver");
  ev.fn = on_answer;
  return loop_add (&ev, EPOLLIN, err);
}

uint32_t
resolve_start (const char *name, resolve_fn fn, void *data)
{
  const struct resolved *hit = cache_get (name);

  for (unsigned i = 0; i < RESOLVE_MAX; i++)
    {
      struct lookup *l = &lookups[i];
      if (l->used)
        continue;
      memset (l, 0, sizeof *l);
      l->used = true;
      l->handle = next_handle++;
      snprintf (l->name, sizeof l->name, "%s", name);
      l->qtype = AB_DNS_TYPE_A;
      l->fn = fn;
      l->data = data;
      if (hit)
        {
          l->r = *hit;
          l->done = true; /* answered by resolve_flush */
          done_list[n_done++] = i;
        }
      else if (ev.fd < 0)
        l->failed = true; /* no resolver */
      else
        send_query (l);
      return l->handle;
    }
  /* Full: fails from the next tick, like a timeout would. */
  return 0;
}

void
resolve_cancel (uint32_t handle)
{
  for (unsigned i = 0; i < RESOLVE_MAX; i++)
    if (lookups[i].used && lookups[i].handle == handle)
      lookups[i].used = false;
}

void
resolve_flush (void)
{
  while (n_done > 0)
    {
      struct lookup *l = &lookups[done_list[--n_done]];
      resolve_fn fn = l->fn;
      struct resolved r = l->r;

      /* Cancelled meanwhile: the slot was freed (and maybe reused). */
      if (!l->used || !l->done)
        continue;
      l->used = l->done = false;
      fn (l->data, 0, &r);
    }
}

void
resolve_tick (uint64_t now)
{
  for (unsigned i = 0; i < RESOLVE_MAX; i++)
    {
      struct lookup *l = &lookups[i];
      if (!l->used || l->done)
        continue;
      if (l->failed)
        finish (l, EIO);
      else if (now >= l->deadline && ++l->tries < TRIES)
        send_query (l);
      else if (now >= l->deadline)
        finish (l, ETIMEDOUT);
    }
}
