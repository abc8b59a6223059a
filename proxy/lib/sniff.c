/* agentbox: TLS ClientHello SNI and HTTP/1.x request heads, from the first
 * bytes a client sends.  See sniff.h for the contract and docs/sniff.md for
 * what is accepted.  Every decision here fails closed: what a conforming
 * client would not send is AB_SNIFF_BAD, and the caller refuses it. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "proxy/lib/sniff.h"

#define TRY(expr)                                                              \
  do                                                                           \
    {                                                                          \
      enum ab_sniff try_r_ = (expr);                                           \
      if (try_r_ != AB_SNIFF_OK)                                               \
        return try_r_;                                                         \
    }                                                                          \
  while (0)

#define NAME_MAX_LEN 253
#define LABEL_MAX_LEN 63

/* ---- host names, shared by both parsers --------------------------------- */

static bool
name_char (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static char
lower (char c)
{
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Empty or overlong labels never resolve; a name that has them is not one a
   client meant, so it cannot be matched against policy either. */
static bool
labels_ok (const char *s, size_t n)
{
  size_t run = 0;

  for (size_t i = 0; i <= n; i++)
    {
      if (i == n || s[i] == '.')
        {
          if (run == 0 || run > LABEL_MAX_LEN)
            return false;
          run = 0;
        }
      else
        run++;
    }
  return true;
}

/* Copy the host name S (N bytes) to OUT in lower case, without one trailing
   dot, so that policy compares one spelling of each name. */
static enum ab_sniff
copy_name (const char *s, size_t n, char *out, size_t cap)
{
  if (n > 0 && s[n - 1] == '.')
    n--;
  if (n == 0 || n > NAME_MAX_LEN || !labels_ok (s, n))
    return AB_SNIFF_BAD;
  for (size_t i = 0; i < n; i++)
    if (!name_char ((unsigned char)s[i]))
      return AB_SNIFF_BAD;
  if (n >= cap)
    return AB_SNIFF_TOO_BIG;
  for (size_t i = 0; i < n; i++)
    out[i] = lower (s[i]);
  out[n] = '\0';
  return AB_SNIFF_OK;
}

/* ---- TLS ----------------------------------------------------------------- */

#define TLS_HANDSHAKE 22
#define TLS_CLIENT_HELLO 1
#define TLS_RECORD_MAX 16384
#define TLS_EXT_SERVER_NAME 0
#define TLS_NAME_HOST 0

/* A cursor over one length-prefixed container of a complete record. */
struct rd
{
  const uint8_t *b;
  size_t pos, end;
};

static enum ab_sniff
rd_uint (struct rd *r, size_t n, size_t *v)
{
  if (n > r->end - r->pos)
    return AB_SNIFF_BAD;
  *v = 0;
  while (n--)
    *v = *v << 8 | r->b[r->pos++];
  return AB_SNIFF_OK;
}

static enum ab_sniff
rd_skip (struct rd *r, size_t n)
{
  if (n > r->end - r->pos)
    return AB_SNIFF_BAD;
  r->pos += n;
  return AB_SNIFF_OK;
}

/* Read a vector with an N-byte length in [MIN, MAX] into SUB and step over
   it: every length is checked against its container here, once. */
static enum ab_sniff
rd_vec (struct rd *r, size_t n, size_t min, size_t max, struct rd *sub)
{
  size_t len;

  TRY (rd_uint (r, n, &len));
  if (len < min || len > max || len > r->end - r->pos)
    return AB_SNIFF_BAD;
  *sub = (struct rd){ r->b, r->pos, r->pos + len };
  r->pos += len;
  return AB_SNIFF_OK;
}

/* ServerNameList: one host_name at most (RFC 6066 section 3); other name
   types are skipped, as a server that does not know them would. */
static enum ab_sniff
tls_server_name (struct rd ext, char *name, size_t cap)
{
  struct rd list, entry;
  size_t type;
  bool found = false;

  TRY (rd_vec (&ext, 2, 1, SIZE_MAX, &list));
  if (ext.pos != ext.end)
    return AB_SNIFF_BAD;
  while (list.pos < list.end)
    {
      TRY (rd_uint (&list, 1, &type));
      TRY (rd_vec (&list, 2, 1, SIZE_MAX, &entry));
      if (type != TLS_NAME_HOST)
        continue;
      if (found)
        return AB_SNIFF_BAD;
      found = true;
      TRY (copy_name ((const char *)entry.b + entry.pos, entry.end - entry.pos,
                      name, cap));
    }
  return found ? AB_SNIFF_OK : AB_SNIFF_BAD;
}

static enum ab_sniff
tls_extensions (struct rd *hello, char *name, size_t cap)
{
  struct rd exts, body;
  size_t type;
  bool found = false;

  /* Extensions are last: nothing may follow them. */
  TRY (rd_vec (hello, 2, 0, SIZE_MAX, &exts));
  if (hello->pos != hello->end)
    return AB_SNIFF_BAD;
  while (exts.pos < exts.end)
    {
      TRY (rd_uint (&exts, 2, &type));
      TRY (rd_vec (&exts, 2, 0, SIZE_MAX, &body));
      if (type != TLS_EXT_SERVER_NAME)
        continue;
      /* Two server_name extensions could name two hosts (RFC 8446 4.2). */
      if (found)
        return AB_SNIFF_BAD;
      found = true;
      TRY (tls_server_name (body, name, cap));
    }
  return found ? AB_SNIFF_OK : AB_SNIFF_NONE;
}

static enum ab_sniff
tls_client_hello (struct rd hello, char *name, size_t cap)
{
  struct rd skip;
  size_t version;

  TRY (rd_uint (&hello, 2, &version));
  if (version >> 8 != 3)
    return AB_SNIFF_BAD;
  TRY (rd_skip (&hello, 32));                 /* random */
  TRY (rd_vec (&hello, 1, 0, 32, &skip));     /* legacy_session_id */
  TRY (rd_vec (&hello, 2, 2, 0xfffe, &skip)); /* cipher_suites */
  if ((skip.end - skip.pos) % 2)
    return AB_SNIFF_BAD;
  TRY (rd_vec (&hello, 1, 1, 0xff, &skip)); /* compression_methods */
  /* Before TLS 1.2 a hello may end here; it names no server. */
  if (hello.pos == hello.end)
    return AB_SNIFF_NONE;
  return tls_extensions (&hello, name, cap);
}

/* Check the record and handshake headers in whatever prefix has arrived, so
   that bytes which are not a ClientHello are refused at once. */
static enum ab_sniff
tls_headers (const uint8_t *buf, size_t len, size_t *rec_len)
{
  if ((len > 0 && buf[0] != TLS_HANDSHAKE) || (len > 1 && buf[1] != 3))
    return AB_SNIFF_BAD;
  if (len < 5)
    return AB_SNIFF_MORE;
  *rec_len = (size_t)buf[3] << 8 | buf[4];
  if (*rec_len > TLS_RECORD_MAX)
    return AB_SNIFF_TOO_BIG;
  if (*rec_len < 4 || (len > 5 && buf[5] != TLS_CLIENT_HELLO))
    return AB_SNIFF_BAD;
  /* The hello fills the record: a client sends nothing else before the
     server answers, and a hello split over records is not parsed. */
  if (len >= 9 && ((size_t)buf[6] << 16 | buf[7] << 8 | buf[8]) != *rec_len - 4)
    return AB_SNIFF_BAD;
  return len < 5 + *rec_len ? AB_SNIFF_MORE : AB_SNIFF_OK;
}

enum ab_sniff
ab_tls_sni (const uint8_t *buf, size_t len, char *name, size_t cap)
{
  size_t rec_len = 0;
  enum ab_sniff r;

  if (cap > 0)
    name[0] = '\0';
  r = tls_headers (buf, len, &rec_len);
  if (r == AB_SNIFF_OK)
    r = tls_client_hello ((struct rd){ buf, 9, 5 + rec_len }, name, cap);
  if (r != AB_SNIFF_OK && cap > 0)
    name[0] = '\0';
  return r;
}

/* ---- HTTP ---------------------------------------------------------------- */

#define METHOD_MAX 15

/* RFC 9110 tchar. */
static const bool tchar[256] = {
  ['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true,
  ['!'] = true,         ['#'] = true,         ['$'] = true,
  ['%'] = true,         ['&'] = true,         ['\''] = true,
  ['*'] = true,         ['+'] = true,         ['-'] = true,
  ['.'] = true,         ['^'] = true,         ['_'] = true,
  ['`'] = true,         ['|'] = true,         ['~'] = true,
};

static size_t
token_len (const char *s, size_t n)
{
  size_t i = 0;

  while (i < n && tchar[(unsigned char)s[i]])
    i++;
  return i;
}

/* Refuse a first line whose method is not a token before it is complete, so
   that a TLS hello or garbage sent to the HTTP port fails at once. */
static enum ab_sniff
method_prefix (const char *buf, size_t len)
{
  size_t n = token_len (buf, len);

  if (n > METHOD_MAX)
    return AB_SNIFF_BAD;
  if (n < len && (n == 0 || buf[n] != ' '))
    return AB_SNIFF_BAD;
  return AB_SNIFF_OK;
}

/* Whether the blank line ending the head has arrived within the bound.
   Only a complete head is parsed: a client trickling one byte per read then
   costs a memchr per line, not a parse of everything so far. */
static bool
http_complete (const char *buf, size_t len)
{
  size_t lim = len < AB_HTTP_HEAD_MAX ? len : AB_HTTP_HEAD_MAX, p = 0;
  const char *lf;

  while ((lf = memchr (buf + p, '\n', lim - p)) != NULL)
    {
      p = lf - buf + 1;
      if ((p < lim && buf[p] == '\n')
          || (p + 1 < lim && buf[p] == '\r' && buf[p + 1] == '\n'))
        return true;
    }
  return len >= AB_HTTP_HEAD_MAX;
}

/* The line at POS ends at *EOL (before CR LF or bare LF); the next starts
   at *NEXT.  The whole head, final LF included, must fit the bound. */
static enum ab_sniff
http_line (const char *buf, size_t len, size_t pos, size_t *eol, size_t *next)
{
  size_t lim = len < AB_HTTP_HEAD_MAX ? len : AB_HTTP_HEAD_MAX;
  const char *lf = pos < lim ? memchr (buf + pos, '\n', lim - pos) : NULL;

  if (lf == NULL)
    return len >= AB_HTTP_HEAD_MAX ? AB_SNIFF_TOO_BIG : AB_SNIFF_MORE;
  *next = lf - buf + 1;
  *eol = lf - buf;
  if (*eol > pos && buf[*eol - 1] == '\r')
    (*eol)--;
  return AB_SNIFF_OK;
}

static bool
parse_port (const char *s, size_t n, unsigned *port)
{
  unsigned v = 0;

  if (n == 0 || n > 5)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return false;
      v = v * 10 + (s[i] - '0');
    }
  if (v == 0 || v > 65535)
    return false;
  *port = v;
  return true;
}

/* An IPv6 literal is stored in its canonical text, so that one address has
   one spelling for policy. Zone ids and IPvFuture are refused. */
static bool
copy_ipv6 (const char *s, size_t n, char *out, size_t cap)
{
  char tmp[INET6_ADDRSTRLEN];
  struct in6_addr a;

  if (n == 0 || n >= sizeof tmp)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!strchr ("0123456789abcdefABCDEF:.", s[i]) || s[i] == '\0')
      return false;
  memcpy (tmp, s, n);
  tmp[n] = '\0';
  return inet_pton (AF_INET6, tmp, &a) == 1
         && inet_ntop (AF_INET6, &a, out, cap) != NULL;
}

/* HOST[:PORT] or [IPV6][:PORT].  No userinfo: "a.example@b.example" would
   let a client name one host to policy and another to the origin. */
static bool
parse_hostport (const char *s, size_t n, char *host, size_t cap, unsigned *port,
                bool need_port)
{
  const char *end;
  size_t hn;

  if (n > 0 && s[0] == '[')
    {
      end = memchr (s, ']', n);
      if (end == NULL || !copy_ipv6 (s + 1, end - s - 1, host, cap))
        return false;
      hn = end - s + 1;
    }
  else
    {
      end = memchr (s, ':', n);
      hn = end ? (size_t)(end - s) : n;
      if (copy_name (s, hn, host, cap) != AB_SNIFF_OK)
        return false;
    }
  *port = 0;
  if (hn == n)
    return !need_port;
  return s[hn] == ':' && parse_port (s + hn + 1, n - hn - 1, port);
}

/* Absolute form: http:// or https://, an authority, then "/..." or
   nothing.  "http://a?q" is refused: writing it upstream as "?q" would not
   be a request line. */
static enum ab_sniff
http_absolute (const char *buf, struct ab_http_head *h)
{
  const char *t = buf + h->target_off;
  size_t n = h->target_len, skip, auth;
  const char *slash;

  if (n > 7 && strncasecmp (t, "http://", 7) == 0)
    skip = 7;
  else if (n > 8 && strncasecmp (t, "https://", 8) == 0)
    skip = 8;
  else
    return AB_SNIFF_BAD;
  slash = memchr (t + skip, '/', n - skip);
  auth = slash ? (size_t)(slash - t) - skip : n - skip;
  if (!parse_hostport (t + skip, auth, h->host, sizeof h->host, &h->port,
                       false))
    return AB_SNIFF_BAD;
  h->form = AB_HTTP_ABSOLUTE;
  h->path_off = h->target_off + skip + auth;
  h->path_len = n - skip - auth;
  return AB_SNIFF_OK;
}

static enum ab_sniff
http_target (const char *buf, struct ab_http_head *h)
{
  const char *t = buf + h->target_off;

  if (strcmp (h->method, "CONNECT") == 0)
    {
      if (!parse_hostport (t, h->target_len, h->host, sizeof h->host, &h->port,
                           true))
        return AB_SNIFF_BAD;
      h->form = AB_HTTP_CONNECT;
      h->path_off = h->target_off + h->target_len;
      return AB_SNIFF_OK;
    }
  if (t[0] == '/')
    {
      h->form = AB_HTTP_ORIGIN;
      h->path_off = h->target_off;
      h->path_len = h->target_len;
      return AB_SNIFF_OK;
    }
  /* "*" (OPTIONS) and other forms name no host to check: refused. */
  return http_absolute (buf, h);
}

/* Control characters, spaces, non-ASCII and fragments never belong in a
   request-target a client sends; a CR or NUL in one splits requests. */
static size_t
target_len (const char *s, size_t n)
{
  size_t i = 0;

  while (i < n && (unsigned char)s[i] > ' ' && (unsigned char)s[i] < 0x7f
         && s[i] != '#')
    i++;
  return i;
}

static enum ab_sniff
http_request_line (const char *buf, size_t eol, struct ab_http_head *h)
{
  size_t m = token_len (buf, eol), t, v;

  if (m == 0 || m > METHOD_MAX || m == eol || buf[m] != ' ')
    return AB_SNIFF_BAD;
  memcpy (h->method, buf, m);
  h->method[m] = '\0';
  h->target_off = m + 1;
  t = target_len (buf + h->target_off, eol - h->target_off);
  h->target_len = t;
  v = h->target_off + t;
  if (t == 0 || eol - v != 9 || memcmp (buf + v, " HTTP/1.", 8) != 0
      || (buf[v + 8] != '0' && buf[v + 8] != '1'))
    return AB_SNIFF_BAD;
  h->minor = buf[v + 8] - '0';
  return http_target (buf, h);
}

/* One header line.  Folded lines, a space before ':' and control bytes in
   values are how requests are smuggled past a proxy: all refused. */
static enum ab_sniff
http_header (const char *s, size_t n, struct ab_http_head *h, bool *seen_host)
{
  size_t name = token_len (s, n), a, b;

  if (name == 0 || name == n || s[name] != ':')
    return AB_SNIFF_BAD;
  for (size_t i = name + 1; i < n; i++)
    if (((unsigned char)s[i] < ' ' && s[i] != '\t') || s[i] == 0x7f)
      return AB_SNIFF_BAD;
  if (name != 4 || strncasecmp (s, "host", 4) != 0)
    return AB_SNIFF_OK;
  /* Two Host headers could name two hosts (RFC 9112 3.2). */
  if (*seen_host)
    return AB_SNIFF_BAD;
  *seen_host = true;
  for (a = name + 1; a < n && (s[a] == ' ' || s[a] == '\t'); a++)
    ;
  for (b = n; b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'); b--)
    ;
  if (!parse_hostport (s + a, b - a, h->host_header, sizeof h->host_header,
                       &h->host_header_port, false))
    return AB_SNIFF_BAD;
  return AB_SNIFF_OK;
}

static enum ab_sniff
http_headers (const char *buf, size_t len, size_t pos, struct ab_http_head *h)
{
  size_t eol, next;
  bool seen_host = false;

  for (;;)
    {
      TRY (http_line (buf, len, pos, &eol, &next));
      if (eol == pos)
        break;
      TRY (http_header (buf + pos, eol - pos, h, &seen_host));
      pos = next;
    }
  h->len = next;
  return AB_SNIFF_OK;
}

enum ab_sniff
ab_http_head (const char *buf, size_t len, struct ab_http_head *h)
{
  size_t eol, next;

  memset (h, 0, sizeof *h);
  TRY (method_prefix (buf, len));
  if (!http_complete (buf, len))
    return AB_SNIFF_MORE;
  TRY (http_line (buf, len, 0, &eol, &next));
  TRY (http_request_line (buf, eol, h));
  TRY (http_headers (buf, len, next, h));
  if (h->form == AB_HTTP_ORIGIN)
    {
      memcpy (h->host, h->host_header, sizeof h->host);
      h->port = h->host_header_port;
    }
  return AB_SNIFF_OK;
}
