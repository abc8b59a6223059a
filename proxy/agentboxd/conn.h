/* agentboxd: one proxied connection (conn.c decides, relay.c moves
 * bytes).  Private to agentboxd. */
#ifndef AGENTBOXD_CONN_H
#define AGENTBOXD_CONN_H

#include "proxy/agentboxd/guardian.h"
#include "proxy/lib/sniff.h"

enum conn_kind
{
  K_TRANSPARENT, /* to a synthetic address on an allowed port */
  K_EXPLICIT,    /* to the peer, port 3128: CONNECT or absolute URI */
};

enum conn_state
{
  S_HEAD,    /* reading the first bytes: ClientHello / request head */
  S_RESOLVE, /* upstream lookup in flight */
  S_CONNECT, /* upstream connect in flight */
  S_TUNNEL,  /* CONNECT answered: reading the tunnel's first bytes */
  S_SEND,    /* writing what was read ahead to the upstream */
  S_RELAY,   /* both ways, until both halves closed */
};

/* One direction of the relay: SRC to DST through a pipe lent from the
 * pool only while bytes are in flight, so idle tunnels hold none. */
struct half
{
  int pipe[2];
  size_t cap; /* the pipe's capacity, while it has one */
  size_t inpipe;
  bool eof, shut;
};

struct conn
{
  struct ev cev, uev; /* client, upstream (fd -1 until connecting) */
  struct conn *prev, *next;
  enum conn_kind kind;
  enum conn_state state;
  struct container ct; /* a copy: the container may unregister */
  bool have_ct;
  char name[AB_DNS_NAME_MAX];
  unsigned port;
  uint8_t *head; /* bytes read ahead from the client */
  size_t head_len, head_cap, sent;
  char *out; /* what to write upstream first (rewritten head) */
  size_t out_len;
  struct ab_http_head http;
  uint32_t lookup;
  struct resolved *r; /* while connecting only */
  unsigned next_addr;
  struct half c2u, u2c;
  uint64_t last;
};

/* relay.c */
void relay_start (struct conn *c);
void relay_event (struct conn *c, const struct ev *e, uint32_t events);
void half_free (struct half *h);
unsigned relay_pipes_in_use (void);

/* conn.c */
void conn_close (struct conn *c);
void conn_interest (struct conn *c, uint32_t cev, uint32_t uev);

#endif
