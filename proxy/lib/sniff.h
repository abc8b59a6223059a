/* agentbox: the first bytes of a proxied connection — TLS ClientHello
 * SNI, and HTTP/1.x request heads (origin-form, absolute-form, CONNECT).
 *
 * Hand-written and fuzzed (tests/fuzz/fuzz-sniff.c): both parsers take a
 * buffer that may be incomplete and say so, never read past LEN, and
 * accept only what a conforming client sends. */
#ifndef AB_PROXY_SNIFF_H
#define AB_PROXY_SNIFF_H

#include <stddef.h>
#include <stdint.h>

enum ab_sniff
{
  AB_SNIFF_MORE = 0, /* a prefix of something valid: read more */
  AB_SNIFF_OK = 1,
  AB_SNIFF_BAD = -1,     /* malformed, or not this protocol */
  AB_SNIFF_NONE = -2,    /* TLS: a valid ClientHello without server_name */
  AB_SNIFF_TOO_BIG = -3, /* exceeds the parser's bound */
};

/* Largest ClientHello record accepted (one TLS record, 16 KiB + header). */
#define AB_TLS_HELLO_MAX (16384 + 5)

/* Find the host_name in the server_name extension of the ClientHello at
 * the start of BUF (a TLS handshake record, version 3.x, handshake type 1;
 * the ClientHello must fit in the first record).  On AB_SNIFF_OK, NAME
 * (capacity CAP) holds it in lower case without a trailing dot.  A name
 * with bytes outside [A-Za-z0-9.-_] or longer than 253 is AB_SNIFF_BAD. */
enum ab_sniff ab_tls_sni (const uint8_t *buf, size_t len, char *name,
                          size_t cap);

/* Largest request head accepted (request line + headers + CRLFCRLF). */
#define AB_HTTP_HEAD_MAX 16384

struct ab_http_head
{
  size_t len; /* bytes of the head, through the blank line */
  char method[16];
  char host[254];        /* CONNECT authority / absolute URI host / Host
                            header host: lower case, no trailing dot, IPv6
                            literal without brackets; "" when none */
  unsigned port;         /* from the authority, URI or Host; 0 when absent */
  char host_header[254]; /* the Host header's host, lower case ("" none) */
  unsigned host_header_port;
  int form; /* AB_HTTP_ORIGIN, AB_HTTP_ABSOLUTE, AB_HTTP_CONNECT */
  size_t target_off, target_len; /* the request-target within the head */
  size_t path_off, path_len;     /* absolute form: the path+query part
                                    ("/" when the URI has none: then
                                    path_len is 0 and callers write "/") */
  int minor;                     /* HTTP/1.MINOR */
};

enum
{
  AB_HTTP_ORIGIN = 1,
  AB_HTTP_ABSOLUTE,
  AB_HTTP_CONNECT,
};

/* Parse an HTTP/1.0 or 1.1 request head at the start of BUF.  Rules: the
 * request line is METHOD SP TARGET SP HTTP/1.x CRLF (bare LF accepted);
 * CONNECT needs an authority host:port; absolute form needs the scheme
 * http:// (https:// too, for clients that send it) and a host; more than
 * one Host header, a Host header with a bad host, or a header line
 * without ':' is AB_SNIFF_BAD; heads longer than AB_HTTP_HEAD_MAX are
 * AB_SNIFF_TOO_BIG.  Ports default to 0 (the caller knows the scheme). */
enum ab_sniff ab_http_head (const char *buf, size_t len,
                            struct ab_http_head *h);

#endif
