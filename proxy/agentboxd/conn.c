/* agentboxd: the transparent and the explicit proxy.
 *
 * Transparent: a container connects to a synthetic address on a port the
 * guardian serves; the address maps back to the name the container
 * resolved.  Explicit: CONNECT host:port or an absolute-URI request on
 * the peer's port 3128.  Either way, before a byte goes upstream:
 *   1. the source is a registered container (else closed);
 *   2. policy allows NetworkConnect to name:port;
 *   3. the first bytes name the same host: TLS SNI, or the HTTP Host
 *      (so a connection cannot be steered with a name policy allows and
 *      then talk to another one);
 *   4. the name resolves upstream to an address that is not private,
 *      loopback, link-local or metadata, unless policy names it.
 * Each decision is one audit line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "proxy/agentboxd/conn.h"

#define HEAD_IDLE_MS 10000    /* head, resolve, connect */
#define RELAY_IDLE_MS 3600000 /* an established tunnel: one hour idle */

static struct conn *conns;
static unsigned n_conns;
static struct ev *listeners[20];
static unsigned n_listeners;

unsigned
proxy_count (void)
{
  return n_conns;
}

int listen_on (int type, unsigned port, ab_error_t *err);
int
listen_on (int type, unsigned port, ab_error_t *err)
{
  struct sockaddr_in6 sa
      = { .sin6_family = AF_INET6, .sin6_port = htons ((uint16_t)port) };
  int fd = socket (AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int off = 0, on = 1;

  if (fd < 0)
    return ab_error_errno (err, "socket");
  /* One dual-stack socket per port: v4 arrives v4-mapped. */
  setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (bind (fd, (struct sockaddr *)&sa, sizeof sa) < 0
      || (type == SOCK_STREAM && listen (fd, 4096) < 0))
    {
      ab_error_errno (err, "listen on port %u", port);
      close (fd);
      return -1;
    }
  return fd;
}

void
conn_interest (struct conn *c, uint32_t cev, uint32_t uev)
{
  loop_mod (&c->cev, cev);
  if (c->uev.fd >= 0)
    loop_mod (&c->uev, uev);
}

void
conn_close (struct conn *c)
{
  if (c->lookup)
    resolve_cancel (c->lookup);
  loop_del (&c->cev);
  close (c->cev.fd);
  if (c->uev.fd >= 0)
    {
      loop_del (&c->uev);
      close (c->uev.fd);
    }
  half_free (&c->c2u);
  half_free (&c->u2c);
  if (c->prev)
    c->prev->next = c->next;
  else
    conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  free (c->head);
  free (c->out);
  free (c->r);
  free (c);
  n_conns--;
}

/* Refuse: an HTTP client gets a 403 that says why; a TLS client is
 * reset (there is no way to speak to it before the handshake). */
static void
refuse (struct conn *c, bool http, const char *why)
{
  if (http)
    {
      char msg[512];
      int n = snprintf (msg, sizeof msg,
                        "HTTP/1.1 403 Forbidden\r\n"
                        "Content-Type: text/plain\r\n"
                        "X-Agentbox-Denied: %s\r\n"
                        "Connection: close\r\n"
                        "Content-Length: %zu\r\n\r\n"
                        "agentbox: %s\n",
                        why, strlen (why) + 11, why);
      if (n > 0)
        send (c->cev.fd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg,
              MSG_NOSIGNAL | MSG_DONTWAIT);
    }
  else
    {
      struct linger l = { .l_onoff = 1, .l_linger = 0 };
      setsockopt (c->cev.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
  conn_close (c);
}

static void
deny (struct conn *c, bool http, const char *why, const struct verdict *v0)
{
  char res[AB_DNS_NAME_MAX + 8];
  struct verdict v = { .decision = "deny", .mode = "enforce" };

  if (v0)
    v = *v0;
  snprintf (res, sizeof res, "%s:%u", c->name[0] ? c->name : "?", c->port);
  audit (c->have_ct ? &c->ct : NULL, "proxy", "NetworkConnect", res, &v, why);
  refuse (c, http, why);
}

/* ---- upstream ---- */

static void on_upstream (struct ev *e, uint32_t events);
static void try_connect (struct conn *c);
static void send_ahead (struct conn *c);

static void
connected (struct conn *c)
{
  c->last = now_ms ();
  free (c->r);
  c->r = NULL;
  if (c->kind == K_EXPLICIT && c->http.form == AB_HTTP_CONNECT)
    {
      static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
      if (send (c->cev.fd, ok, sizeof ok - 1, MSG_NOSIGNAL | MSG_DONTWAIT)
          != (ssize_t)sizeof ok - 1)
        {
          conn_close (c);
          return;
        }
      /* Bytes the client sent after its CONNECT head are the tunnel's. */
      memmove (c->head, c->head + c->http.len, c->head_len - c->http.len);
      c->head_len -= c->http.len;
      c->state = S_TUNNEL;
      conn_interest (c, EPOLLIN, 0);
      if (c->head_len)
        c->cev.fn (&c->cev, EPOLLIN);
      return;
    }
  c->state = S_SEND;
  send_ahead (c);
}

static void
resolved (void *data, int status, const struct resolved *r)
{
  struct conn *c = data;

  c->lookup = 0;
  if (status != 0)
    {
      deny (c, c->kind == K_EXPLICIT || c->http.len,
            "name does not resolve "
            "upstream",
            NULL);
      return;
    }
  c->r = malloc (sizeof *c->r);
  if (c->r == NULL)
    {
      conn_close (c);
      return;
    }
  *c->r = *r;
  c->next_addr = 0;
  try_connect (c);
}

static void
try_connect (struct conn *c)
{
  bool http = c->kind == K_EXPLICIT || c->http.len;

  while (c->r && c->next_addr < c->r->n)
    {
      cleanup_error ab_error_t err = NULL;
      struct sockaddr_storage sa = c->r->addr[c->next_addr++];
      struct verdict v;
      socklen_t len;
      char ip[64], why[AB_DNS_NAME_MAX + 128];

      policy_check_upstream_ip (&c->ct, &sa, c->port, &v);
      if (!v.allow)
        {
          if (c->next_addr < c->r->n)
            continue;
          snprintf (why, sizeof why,
                    "%s resolves to %s, a special-purpose "
                    "address",
                    c->name, sa_ntop (&sa, ip, sizeof ip));
          deny (c, http, why, &v);
          return;
        }
      if (sa.ss_family == AF_INET)
        {
          ((struct sockaddr_in *)&sa)->sin_port = htons ((uint16_t)c->port);
          len = sizeof (struct sockaddr_in);
        }
      else
        {
          ((struct sockaddr_in6 *)&sa)->sin6_port = htons ((uint16_t)c->port);
          len = sizeof (struct sockaddr_in6);
        }
      if (c->uev.fd >= 0)
        {
          loop_del (&c->uev);
          close (c->uev.fd);
        }
      c->uev.fd = ns_upstream_socket (sa.ss_family, SOCK_STREAM, &err);
      if (c->uev.fd < 0)
        continue;
      c->uev.fn = on_upstream;
      if (connect (c->uev.fd, (struct sockaddr *)&sa, len) < 0
          && errno != EINPROGRESS)
        continue;
      c->state = S_CONNECT;
      if (loop_add (&c->uev, EPOLLOUT, &err) < 0)
        continue;
      conn_interest (c, 0, EPOLLOUT);
      return;
    }
  deny (c, http, "upstream unreachable", NULL);
}

static void
send_ahead (struct conn *c)
{
  const void *p = c->out ? (const void *)c->out : (const void *)c->head;
  size_t len = c->out ? c->out_len : c->head_len;

  while (c->sent < len)
    {
      ssize_t n = send (c->uev.fd, (const char *)p + c->sent, len - c->sent,
                        MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EAGAIN)
        {
          conn_interest (c, 0, EPOLLOUT); /* the rest when writable */
          return;
        }
      if (n <= 0)
        {
          conn_close (c);
          return;
        }
      c->sent += (size_t)n;
    }
  free (c->head);
  free (c->out);
  c->head = NULL;
  c->out = NULL;
  c->head_len = c->head_cap = c->out_len = 0;
  relay_start (c);
}

static void
on_upstream (struct ev *e, uint32_t events)
{
  struct conn *c = (struct conn *)((char *)e - offsetof (struct conn, uev));
  int soerr = 0;
  socklen_t l = sizeof soerr;

  c->last = now_ms ();
  switch (c->state)
    {
    case S_CONNECT:
      getsockopt (e->fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
      if (soerr)
        try_connect (c);
      else
        connected (c);
      return;
    case S_SEND:
      send_ahead (c);
      return;
    case S_RELAY:
      relay_event (c, e, events);
      return;
    default:
      return;
    }
}

/* ---- the client's first bytes ---- */

static void start_upstream (struct conn *c);

/* TLS: the SNI must be NAME.  HTTP: the Host header must be NAME.
 * 1: checked, go on; 0: read more; -1: denied (C is gone). */
static int
check_first_bytes (struct conn *c)
{
  char sni[AB_DNS_NAME_MAX];
  struct ab_http_head h;
  enum ab_sniff r;

  if (c->head_len == 0)
    return 0;
  if (c->head[0] == 0x16)
    {
      r = ab_tls_sni (c->head, c->head_len, sni, sizeof sni);
      if (r == AB_SNIFF_MORE)
        return 0;
      if (r != AB_SNIFF_OK)
        {
          deny (c, false,
                r == AB_SNIFF_NONE ? "TLS without SNI"
                                   : "malformed TLS ClientHello",
                NULL);
          return -1;
        }
      if (strcmp (sni, c->name) != 0)
        {
          char why[AB_DNS_NAME_MAX + 64];
          snprintf (why, sizeof why, "SNI %s is not the name connected to",
                    sni);
          deny (c, false, why, NULL);
          return -1;
        }
      return 1;
    }
  r = ab_http_head ((const char *)c->head, c->head_len, &h);
  if (r == AB_SNIFF_MORE)
    return 0;
  if (r != AB_SNIFF_OK || h.host_header[0] == '\0'
      || strcmp (h.host_header, c->name) != 0)
    {
      deny (c, true,
            r != AB_SNIFF_OK ? "neither TLS nor HTTP"
                             : "Host header is not the name connected to",
            NULL);
      return -1;
    }
  return 1;
}

static bool
read_more (struct conn *c)
{
  ssize_t n;

  if (c->head_cap - c->head_len == 0)
    {
      size_t cap = c->head_cap ? c->head_cap * 2 : 4096;
      uint8_t *p;
      if (cap > AB_TLS_HELLO_MAX + 1024 || !(p = realloc (c->head, cap)))
        {
          deny (c, false, "first bytes too large", NULL);
          return false;
        }
      c->head = p;
      c->head_cap = cap;
    }
  n = recv (c->cev.fd, c->head + c->head_len, c->head_cap - c->head_len,
            MSG_DONTWAIT);
  if (n < 0 && errno == EAGAIN)
    return true;
  if (n <= 0)
    {
      conn_close (c);
      return false;
    }
  c->head_len += (size_t)n;
  c->last = now_ms ();
  return true;
}

static void
allowed (struct conn *c, const struct verdict *v, const char *why)
{
  char res[AB_DNS_NAME_MAX + 8];

  snprintf (res, sizeof res, "%s:%u", c->name, c->port);
  audit (&c->ct, "proxy", "NetworkConnect", res, v, why);
}

/* The explicit proxy's request head. */
static int
explicit_head (struct conn *c)
{
  struct verdict v;
  enum ab_sniff r = ab_http_head ((const char *)c->head, c->head_len, &c->http);

  if (r == AB_SNIFF_MORE)
    return 0;
  if (r != AB_SNIFF_OK || c->http.form == AB_HTTP_ORIGIN)
    {
      deny (c, true,
            r == AB_SNIFF_OK ? "not a proxy request (use CONNECT or an "
                               "absolute URI)"
                             : "malformed request",
            NULL);
      return -1;
    }
  snprintf (c->name, sizeof c->name, "%s", c->http.host);
  c->port = c->http.port ? c->http.port : 80;
  if (c->http.form == AB_HTTP_ABSOLUTE && c->http.host_header[0]
      && strcmp (c->http.host_header, c->http.host) != 0)
    {
      deny (c, true, "Host header is not the URI's host", NULL);
      return -1;
    }
  policy_check_host (&c->ct, c->name, c->port, &v);
  if (!v.allow)
    {
      deny (c, true, "policy denies this host", &v);
      return -1;
    }
  allowed (c, &v, c->http.form == AB_HTTP_CONNECT ? "CONNECT" : "absolute URI");
  if (c->http.form == AB_HTTP_ABSOLUTE)
    {
      /* Forward in origin form: METHOD PATH HTTP/1.x, then the rest. */
      const char *h = (const char *)c->head;
      const char *line_end = memchr (h, '\n', c->http.len);
      const char *path = c->http.path_len ? h + c->http.path_off : "/";
      size_t plen = c->http.path_len ? c->http.path_len : 1;
      size_t rest = c->head_len - (size_t)(line_end + 1 - h);
      if (asprintf (&c->out, "%s %.*s HTTP/1.%d\r\n", c->http.method, (int)plen,
                    path, c->http.minor)
          < 0)
        {
          conn_close (c);
          return -1;
        }
      c->out_len = strlen (c->out);
      char *o = realloc (c->out, c->out_len + rest);
      if (o == NULL)
        {
          conn_close (c);
          return -1;
        }
      memcpy (o + c->out_len, line_end + 1, rest);
      c->out = o;
      c->out_len += rest;
    }
  return 1;
}

static void
start_upstream (struct conn *c)
{
  c->state = S_RESOLVE;
  conn_interest (c, 0, 0);
  c->lookup = resolve_start (c->name, resolved, c);
  if (c->lookup == 0)
    deny (c, c->kind == K_EXPLICIT, "too many lookups in flight", NULL);
}

static void
on_client (struct ev *e, uint32_t events)
{
  struct conn *c = (struct conn *)e;
  int r;

  switch (c->state)
    {
    case S_HEAD:
      if (!read_more (c))
        return;
      if (c->kind == K_EXPLICIT)
        {
          if ((r = explicit_head (c)) > 0)
            start_upstream (c);
          return;
        }
      if ((r = check_first_bytes (c)) > 0)
        {
          struct verdict v;
          policy_check_host (&c->ct, c->name, c->port, &v);
          allowed (c, &v, c->head[0] == 0x16 ? "TLS SNI" : "HTTP Host");
          start_upstream (c);
        }
      return;
    case S_TUNNEL:
      if (events & EPOLLIN && !read_more (c))
        return;
      if ((r = check_first_bytes (c)) > 0)
        {
          c->state = S_SEND;
          c->sent = 0;
          send_ahead (c);
        }
      return;
    case S_RELAY:
      relay_event (c, e, events);
      return;
    default:
      return;
    }
}

/* ---- accepting ---- */

struct listener
{
  struct ev ev;
  unsigned port;
  enum conn_kind kind;
};

static struct conn *
new_conn (int fd, enum conn_kind kind, unsigned port)
{
  struct conn *c = calloc (1, sizeof *c);
  cleanup_error ab_error_t err = NULL;

  if (c == NULL)
    return NULL;
  c->cev.fd = fd;
  c->cev.fn = on_client;
  c->uev.fd = -1;
  c->c2u.pipe[0] = c->c2u.pipe[1] = c->u2c.pipe[0] = c->u2c.pipe[1] = -1;
  c->kind = kind;
  c->port = port;
  c->last = now_ms ();
  if (loop_add (&c->cev, EPOLLIN, &err) < 0)
    {
      free (c);
      return NULL;
    }
  c->next = conns;
  if (conns)
    conns->prev = c;
  conns = c;
  n_conns++;
  return c;
}

static void
on_accept (struct ev *e, uint32_t events)
{
  struct listener *l = (struct listener *)e;

  for (int i = 0; i < 64; i++)
    {
      struct sockaddr_storage peer, local;
      socklen_t pl = sizeof peer, ll = sizeof local;
      int fd = accept4 (e->fd, (struct sockaddr *)&peer, &pl,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
      struct container *ct;
      struct conn *c;
      const char *name = NULL;

      if (fd < 0)
        return;
      sa_unmap (&peer);
      c = new_conn (fd, l->kind, l->port);
      if (c == NULL)
        {
          close (fd);
          continue;
        }
      /* Closed: an address that is not a registered container's is
       * served nothing. */
      if ((ct = container_by_addr (&peer)) == NULL)
        {
          deny (c, l->kind == K_EXPLICIT, "not a registered container", NULL);
          continue;
        }
      c->ct = *ct;
      c->ct.next = NULL;
      c->have_ct = true;
      if (l->kind == K_EXPLICIT)
        continue;
      /* Transparent: the synthetic address connected to names the host. */
      if (getsockname (fd, (struct sockaddr *)&local, &ll) < 0)
        local.ss_family = AF_UNSPEC; /* no name: denied below */
      sa_unmap (&local);
      name = synth_name (&local);
      if (name == NULL)
        {
          deny (c, false, "not a name the guardian resolved", NULL);
          continue;
        }
      snprintf (c->name, sizeof c->name, "%s", name);
      struct verdict v;
      policy_check_host (&c->ct, c->name, c->port, &v);
      if (!v.allow)
        deny (c, false, "policy denies this host", &v);
    }
}

static int
add_listener (unsigned port, enum conn_kind kind, ab_error_t *err)
{
  struct listener *l = calloc (1, sizeof *l);

  if (l == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  l->port = port;
  l->kind = kind;
  l->ev.fn = on_accept;
  l->ev.fd = listen_on (SOCK_STREAM, port, err);
  if (l->ev.fd < 0 || loop_add (&l->ev, EPOLLIN, err) < 0)
    {
      free (l);
      return -1;
    }
  listeners[n_listeners++] = &l->ev;
  return 0;
}

int
proxy_init (const struct ab_config *cfg, ab_error_t *err)
{
  for (unsigned i = 0; i < cfg->net.n_ports; i++)
    {
      if (cfg->net.ports[i] == cfg->net.proxy_port || cfg->net.ports[i] == 53)
        return ab_error_set (err, EINVAL,
                             "network.ports: %u is the proxy's or DNS's "
                             "port",
                             cfg->net.ports[i]);
      if (add_listener (cfg->net.ports[i], K_TRANSPARENT, err) < 0)
        return -1;
    }
  return add_listener (cfg->net.proxy_port, K_EXPLICIT, err);
}

void
proxy_tick (uint64_t now)
{
  for (struct conn *c = conns, *next; c; c = next)
    {
      uint64_t limit = c->state == S_RELAY ? RELAY_IDLE_MS : HEAD_IDLE_MS;
      next = c->next;
      if (now - c->last > limit)
        conn_close (c);
    }
}
