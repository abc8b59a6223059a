/* Unit tests for proxy/lib/sniff: ClientHellos captured from openssl
 * s_client (with, without and with an upper-case SNI) whole, truncated at
 * every length and with each length field broken; built hellos for name
 * rules; HTTP heads in origin, absolute and CONNECT form, IPv6 literals,
 * Host header rules, bounds and every prefix of a valid head. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proxy/lib/sniff.h"
#include "tests/unit/unit.h"

/* openssl 3.0 s_client -servername example.com, -noservername and
   -servername API.Example.COM, recorded by a loopback listener. */
static const uint8_t hello_sni[] = {
  0x16, 0x03, 0x01, 0x01, 0x38, 0x01, 0x00, 0x01, 0x34, 0x03, 0x03, 0x0d, 0x8e,
  0xef, 0xe9, 0xf5, 0xde, 0x7e, 0xd2, 0xb8, 0xc8, 0x3c, 0x00, 0x61, 0xab, 0x9e,
  0x52, 0xce, 0x63, 0xe0, 0x0c, 0x8e, 0xdb, 0xd1, 0x66, 0x53, 0xe8, 0x89, 0xa8,
  0x2f, 0xd9, 0xb4, 0x59, 0x20, 0x26, 0x59, 0x8a, 0xd5, 0xa2, 0x6f, 0x76, 0x3f,
  0xc6, 0x6c, 0x0e, 0x72, 0x32, 0x71, 0x97, 0x62, 0x6c, 0x16, 0x41, 0x8e, 0xb3,
  0x48, 0x98, 0x1f, 0x2b, 0x3a, 0x0b, 0xc4, 0x55, 0x0e, 0xd8, 0x72, 0x00, 0x3e,
  0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc,
  0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24,
  0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0,
  0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c,
  0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00,
  0xad, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b, 0x65, 0x78, 0x61,
  0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x00, 0x0b, 0x00, 0x04, 0x03,
  0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17,
  0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01,
  0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17,
  0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06,
  0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04,
  0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03,
  0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x09,
  0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00, 0x2d, 0x00, 0x02,
  0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0x61,
  0xf2, 0x02, 0x78, 0x72, 0xf4, 0xb9, 0xaf, 0x82, 0x7e, 0x7b, 0x38, 0x95, 0x5d,
  0xe6, 0x92, 0xb7, 0x68, 0xd4, 0x86, 0x58, 0xe0, 0xe2, 0x9e, 0x61, 0x54, 0x54,
  0xe3, 0xe2, 0x17, 0xda, 0x2a,
};

static const uint8_t hello_nosni[] = {
  0x16, 0x03, 0x01, 0x01, 0x24, 0x01, 0x00, 0x01, 0x20, 0x03, 0x03, 0x7e, 0x20,
  0x22, 0x98, 0x7e, 0xb1, 0x3e, 0xb2, 0xb5, 0x50, 0x65, 0xaa, 0xd7, 0xe8, 0x5e,
  0xa2, 0x3e, 0x49, 0x02, 0x97, 0x84, 0xe4, 0xd0, 0x0e, 0x2a, 0x2c, 0xb0, 0xe9,
  0x18, 0xfd, 0x29, 0xe7, 0x20, 0x7c, 0x77, 0x49, 0xfb, 0x5c, 0x91, 0xbb, 0x6c,
  0x3f, 0x85, 0x35, 0x88, 0xd5, 0xd7, 0xa9, 0x56, 0x16, 0x1e, 0xe9, 0x5c, 0x63,
  0xbe, 0x2f, 0x01, 0xd4, 0x13, 0x6e, 0x8f, 0x39, 0xed, 0xc1, 0x46, 0x00, 0x3e,
  0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc,
  0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24,
  0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0,
  0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c,
  0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00,
  0x99, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16,
  0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01,
  0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00,
  0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00,
  0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09,
  0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05,
  0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02,
  0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02,
  0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00,
  0x24, 0x00, 0x1d, 0x00, 0x20, 0xb0, 0xc1, 0x43, 0x30, 0xa7, 0xa0, 0xb5, 0x39,
  0x09, 0x56, 0xf0, 0xe3, 0x64, 0xf3, 0x1b, 0xf1, 0x7e, 0x53, 0x5f, 0xbf, 0x18,
  0x0e, 0x4c, 0xdd, 0xc6, 0x7f, 0xf2, 0x06, 0x12, 0x97, 0xbe, 0x7e,
};

static const uint8_t hello_upper[] = {
  0x16, 0x03, 0x01, 0x01, 0x3c, 0x01, 0x00, 0x01, 0x38, 0x03, 0x03, 0x02, 0xd6,
  0x4a, 0x80, 0x67, 0x91, 0x8f, 0x11, 0xaf, 0x5c, 0x60, 0xa0, 0x1a, 0x38, 0xf3,
  0x96, 0x98, 0x40, 0x75, 0xbe, 0x6f, 0x4b, 0xaf, 0x74, 0x48, 0x06, 0x4a, 0x1b,
  0x3c, 0x3b, 0x4f, 0x98, 0x20, 0xcb, 0x89, 0x82, 0xbb, 0x38, 0x91, 0x81, 0x69,
  0x7a, 0x23, 0x77, 0x2e, 0x8c, 0xff, 0xf4, 0x15, 0x32, 0xf2, 0x6a, 0xf0, 0x5e,
  0xe1, 0xe9, 0x5f, 0xf6, 0xd3, 0xe4, 0xc0, 0xc3, 0x6a, 0xe0, 0x43, 0x00, 0x3e,
  0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc,
  0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24,
  0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0,
  0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c,
  0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00,
  0xb1, 0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x41, 0x50, 0x49,
  0x2e, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x43, 0x4f, 0x4d, 0x00,
  0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14,
  0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01,
  0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x16,
  0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04,
  0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
  0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06,
  0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02,
  0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01,
  0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00,
  0x1d, 0x00, 0x20, 0x72, 0xa7, 0x71, 0xcd, 0x4c, 0xae, 0x60, 0x56, 0x89, 0xfc,
  0x3d, 0xc0, 0x46, 0x1e, 0x18, 0x59, 0xff, 0x66, 0xda, 0x07, 0xb4, 0x71, 0x1e,
  0xe1, 0x36, 0x0a, 0x8d, 0x3b, 0x13, 0xf1, 0x65, 0x3e,
};

/* Offsets in hello_sni, read from the capture above. */
enum
{
  OFF_REC_LEN = 3,
  OFF_HS_TYPE = 5,
  OFF_HS_LEN = 6,
  OFF_VERSION = 9,
  OFF_SID_LEN = 43,
  OFF_CIPHERS_LEN = 76,
  OFF_COMP_LEN = 140,
  OFF_EXTS_LEN = 142,
  OFF_SNI_EXT_LEN = 146,
  OFF_SNI_LIST_LEN = 148,
  OFF_SNI_TYPE = 150,
  OFF_SNI_NAME_LEN = 151,
  OFF_SNI_NAME = 153,
};

static enum ab_sniff
sni (const uint8_t *buf, size_t len, char *name)
{
  return ab_tls_sni (buf, len, name, 254);
}

TEST (tls_captured)
{
  char name[254];

  CHECK (sni (hello_sni, sizeof hello_sni, name) == AB_SNIFF_OK);
  CHECK_STR (name, "example.com");
  CHECK (sni (hello_nosni, sizeof hello_nosni, name) == AB_SNIFF_NONE);
  CHECK_STR (name, "");
  CHECK (sni (hello_upper, sizeof hello_upper, name) == AB_SNIFF_OK);
  CHECK_STR (name, "api.example.com");
}

TEST (tls_trailing_bytes_ignored)
{
  uint8_t buf[sizeof hello_sni + 7];
  char name[254];

  memcpy (buf, hello_sni, sizeof hello_sni);
  memset (buf + sizeof hello_sni, 0x17, 7);
  CHECK (sni (buf, sizeof buf, name) == AB_SNIFF_OK);
  CHECK_STR (name, "example.com");
}

static void
check_prefixes (const uint8_t *hello, size_t len)
{
  char name[254];

  for (size_t i = 0; i < len; i++)
    {
      enum ab_sniff r = sni (hello, i, name);
      if (r != AB_SNIFF_MORE)
        printf ("# prefix %zu of %zu: %d\n", i, len, r);
      CHECK (r == AB_SNIFF_MORE);
      CHECK_STR (name, "");
    }
}

TEST (tls_every_prefix_is_more)
{
  check_prefixes (hello_sni, sizeof hello_sni);
  check_prefixes (hello_nosni, sizeof hello_nosni);
  check_prefixes (hello_upper, sizeof hello_upper);
}

/* Return what hello_sni parses to with the byte at OFF set to V. */
static enum ab_sniff
poke (size_t off, uint8_t v)
{
  uint8_t buf[sizeof hello_sni];
  char name[254];
  enum ab_sniff r;

  memcpy (buf, hello_sni, sizeof buf);
  buf[off] = v;
  r = sni (buf, sizeof buf, name);
  if (r != AB_SNIFF_OK)
    CHECK_STR (name, "");
  return r;
}

static enum ab_sniff
poke16 (size_t off, int delta)
{
  uint8_t buf[sizeof hello_sni];
  char name[254];
  unsigned v;

  memcpy (buf, hello_sni, sizeof buf);
  v = (buf[off] << 8 | buf[off + 1]) + delta;
  buf[off] = v >> 8;
  buf[off + 1] = v & 0xff;
  return sni (buf, sizeof buf, name);
}

TEST (tls_headers)
{
  char name[254];

  CHECK (poke (0, 23) == AB_SNIFF_BAD);          /* application_data */
  CHECK (poke (1, 2) == AB_SNIFF_BAD);           /* SSL 2 */
  CHECK (poke (2, 4) == AB_SNIFF_OK);            /* any 3.x record version */
  CHECK (poke (OFF_HS_TYPE, 2) == AB_SNIFF_BAD); /* ServerHello */
  CHECK (poke (OFF_VERSION, 2) == AB_SNIFF_BAD);
  /* Bad bytes are refused before the rest has arrived. */
  CHECK (sni ((const uint8_t *)"GET /", 5, name) == AB_SNIFF_BAD);
  CHECK (sni ((const uint8_t *)"\x16\x03\x01\x00\x10\x02", 6, name)
         == AB_SNIFF_BAD);
}

TEST (tls_record_bound)
{
  uint8_t head[5] = { 22, 3, 1, 0x40, 0x00 };
  char name[254];

  CHECK (sni (head, 5, name) == AB_SNIFF_MORE); /* 16384: allowed */
  head[4] = 0x01;
  CHECK (sni (head, 5, name) == AB_SNIFF_TOO_BIG);
  head[3] = 0xff;
  head[4] = 0xff;
  CHECK (sni (head, 5, name) == AB_SNIFF_TOO_BIG);
  head[3] = 0;
  head[4] = 3; /* no room for a handshake header */
  CHECK (sni (head, 5, name) == AB_SNIFF_BAD);
}

TEST (tls_malformed_lengths)
{
  /* The record and the hello inside it must agree. */
  CHECK (poke16 (OFF_REC_LEN, 1) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_REC_LEN, -1) == AB_SNIFF_BAD);
  CHECK (poke (OFF_HS_LEN + 2, hello_sni[OFF_HS_LEN + 2] + 1) == AB_SNIFF_BAD);
  CHECK (poke (OFF_HS_LEN + 2, hello_sni[OFF_HS_LEN + 2] - 1) == AB_SNIFF_BAD);
  CHECK (poke (OFF_HS_LEN, 1) == AB_SNIFF_BAD);
  /* Each vector against its container. */
  CHECK (poke (OFF_SID_LEN, 33) == AB_SNIFF_BAD);
  CHECK (poke (OFF_SID_LEN, 31) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_CIPHERS_LEN, 1) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_CIPHERS_LEN, 2) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_CIPHERS_LEN, 0x7000) == AB_SNIFF_BAD);
  CHECK (poke (OFF_COMP_LEN, 0) == AB_SNIFF_BAD);
  CHECK (poke (OFF_COMP_LEN, 2) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_EXTS_LEN, 1) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_EXTS_LEN, -1) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_EXTS_LEN, -0xad) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_SNI_EXT_LEN, 1) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_SNI_EXT_LEN, -1) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_SNI_EXT_LEN, 0x1000) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_SNI_LIST_LEN, 1) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_SNI_LIST_LEN, -1) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_SNI_NAME_LEN, 1) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_SNI_NAME_LEN, -1) == AB_SNIFF_BAD);
  CHECK (poke16 (OFF_SNI_NAME_LEN, -11) == AB_SNIFF_BAD);
}

TEST (tls_name_rules)
{
  CHECK (poke (OFF_SNI_NAME, '*') == AB_SNIFF_BAD);
  CHECK (poke (OFF_SNI_NAME, 0) == AB_SNIFF_BAD);
  CHECK (poke (OFF_SNI_NAME, 0xc3) == AB_SNIFF_BAD);
  CHECK (poke (OFF_SNI_NAME, '.') == AB_SNIFF_BAD); /* empty label */
  CHECK (poke (OFF_SNI_NAME, '_') == AB_SNIFF_OK);
  CHECK (poke (OFF_SNI_NAME + 10, '.') == AB_SNIFF_OK); /* "example.co." */
  /* An unknown name type alone names no host. */
  CHECK (poke (OFF_SNI_TYPE, 1) == AB_SNIFF_BAD);
  /* The server_name extension as another type: no SNI. */
  CHECK (poke (OFF_SNI_EXT_LEN - 1, 0x42) == AB_SNIFF_NONE);
}

/* ---- hellos built here, for what no capture shows ------------------------ */

struct buf
{
  uint8_t b[AB_TLS_HELLO_MAX + 64];
  size_t n;
};

static void
put (struct buf *b, const void *p, size_t n)
{
  memcpy (b->b + b->n, p, n);
  b->n += n;
}

static void
put16 (struct buf *b, size_t v)
{
  uint8_t x[2] = { v >> 8, v & 0xff };
  put (b, x, 2);
}

/* A server_name extension with one entry per NAMES[i] (type 0). */
static void
put_sni (struct buf *e, const char *const *names, size_t n)
{
  size_t list = 0;

  for (size_t i = 0; i < n; i++)
    list += 3 + strlen (names[i]);
  put16 (e, 0);
  put16 (e, list + 2);
  put16 (e, list);
  for (size_t i = 0; i < n; i++)
    {
      put (e, "", 1);
      put16 (e, strlen (names[i]));
      put (e, names[i], strlen (names[i]));
    }
}

static void
build (struct buf *out, const struct buf *exts)
{
  static const uint8_t fixed[] = { 3, 3 };
  uint8_t random[32] = { 0 };
  size_t hs = 2 + 32 + 1 + 2 + 2 + 2 + 2 + exts->n;

  out->n = 0;
  put (out, "\x16\x03\x01", 3);
  put16 (out, hs + 4);
  put (out, "\x01\x00", 2);
  put16 (out, hs);
  put (out, fixed, 2);
  put (out, random, 32);
  put (out, "\x00", 1);             /* no session id */
  put (out, "\x00\x02\x13\x01", 4); /* TLS_AES_128_GCM_SHA256 */
  put (out, "\x01\x00", 2);         /* null compression */
  put16 (out, exts->n);
  put (out, exts->b, exts->n);
}

static enum ab_sniff
built (const char *const *names, size_t n, char *name, size_t cap)
{
  static struct buf e, h;

  e.n = 0;
  put_sni (&e, names, n);
  build (&h, &e);
  return ab_tls_sni (h.b, h.n, name, cap);
}

TEST (tls_built_names)
{
  char name[254], longest[256], label[70];
  const char *one[1];

  one[0] = "Example.COM.";
  CHECK (built (one, 1, name, sizeof name) == AB_SNIFF_OK);
  CHECK_STR (name, "example.com");
  CHECK (built (one, 1, name, 12) == AB_SNIFF_OK);
  CHECK (built (one, 1, name, 11) == AB_SNIFF_TOO_BIG);
  one[0] = "a..b";
  CHECK (built (one, 1, name, sizeof name) == AB_SNIFF_BAD);
  one[0] = ".";
  CHECK (built (one, 1, name, sizeof name) == AB_SNIFF_BAD);
  one[0] = "a b";
  CHECK (built (one, 1, name, sizeof name) == AB_SNIFF_BAD);
  /* 253 characters: the longest name; 254 is refused. */
  for (size_t i = 0; i < 253; i++)
    longest[i] = i % 2 ? '.' : 'a';
  longest[253] = '\0';
  one[0] = longest;
  CHECK (built (one, 1, name, sizeof name) == AB_SNIFF_OK);
  CHECK (strlen (name) == 253);
  CHECK (built (one, 1, name, 253) == AB_SNIFF_TOO_BIG);
  memmove (longest + 1, longest, 254);
  longest[0] = 'b';
  CHECK (built (one, 1, name, sizeof name) == AB_SNIFF_BAD);
  memset (label, 'x', 64);
  label[64] = '\0';
  one[0] = label;
  CHECK (built (one, 1, name, sizeof name) == AB_SNIFF_BAD);
  label[63] = '\0';
  CHECK (built (one, 1, name, sizeof name) == AB_SNIFF_OK);
}

TEST (tls_built_structure)
{
  static struct buf e, h;
  const char *two[2] = { "a.example", "b.example" };
  char name[254];

  /* Two host_names in one list could name two hosts. */
  CHECK (built (two, 2, name, sizeof name) == AB_SNIFF_BAD);
  /* Two server_name extensions, likewise. */
  e.n = 0;
  put_sni (&e, two, 1);
  put_sni (&e, two + 1, 1);
  build (&h, &e);
  CHECK (sni (h.b, h.n, name) == AB_SNIFF_BAD);
  /* Empty extensions block; then no extensions at all (pre-TLS 1.2). */
  e.n = 0;
  build (&h, &e);
  CHECK (sni (h.b, h.n, name) == AB_SNIFF_NONE);
  h.n -= 2;
  h.b[4] -= 2;
  h.b[8] -= 2;
  CHECK (sni (h.b, h.n, name) == AB_SNIFF_NONE);
  /* An empty server_name body (as a server sends it) is not a request. */
  e.n = 0;
  put (&e, "\x00\x00\x00\x00", 4);
  build (&h, &e);
  CHECK (sni (h.b, h.n, name) == AB_SNIFF_BAD);
}

TEST (tls_largest_record)
{
  static struct buf e, h;
  const char *one[1] = { "big.example" };
  char name[254];

  /* Pad with one unknown extension so the record is exactly 16384. */
  e.n = 0;
  put_sni (&e, one, 1);
  size_t pad = 16384 - 47 - e.n - 4;
  put16 (&e, 0x5555);
  put16 (&e, pad);
  e.n += pad;
  build (&h, &e);
  CHECK (h.n == AB_TLS_HELLO_MAX);
  CHECK (sni (h.b, h.n, name) == AB_SNIFF_OK);
  CHECK_STR (name, "big.example");
}

/* ---- HTTP ---------------------------------------------------------------- */

static enum ab_sniff
head (const char *s, struct ab_http_head *h)
{
  return ab_http_head (s, strlen (s), h);
}

static bool
span_is (const char *buf, size_t off, size_t len, const char *want)
{
  return len == strlen (want) && memcmp (buf + off, want, len) == 0;
}

TEST (http_origin)
{
  const char *s = "GET /x?y=1 HTTP/1.1\r\nHost: A.Example:8080\r\n"
                  "User-Agent: t\r\n\r\nBODY";
  struct ab_http_head h;

  CHECK (head (s, &h) == AB_SNIFF_OK);
  CHECK (h.len == strlen (s) - 4);
  CHECK_STR (h.method, "GET");
  CHECK (h.form == AB_HTTP_ORIGIN);
  CHECK (h.minor == 1);
  CHECK_STR (h.host, "a.example");
  CHECK (h.port == 8080);
  CHECK_STR (h.host_header, "a.example");
  CHECK (h.host_header_port == 8080);
  CHECK (span_is (s, h.target_off, h.target_len, "/x?y=1"));
  CHECK (span_is (s, h.path_off, h.path_len, "/x?y=1"));
}

TEST (http_host_header)
{
  struct ab_http_head h;

  CHECK (head ("GET / HTTP/1.0\r\nhOsT:  b.example.  \r\n\r\n", &h)
         == AB_SNIFF_OK);
  CHECK_STR (h.host, "b.example");
  CHECK (h.port == 0);
  CHECK (h.minor == 0);
  CHECK (head ("GET / HTTP/1.0\r\n\r\n", &h) == AB_SNIFF_OK);
  CHECK_STR (h.host, "");
  CHECK_STR (h.host_header, "");
  CHECK (head ("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", &h)
         == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nHost:\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nHost: a:0\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nHost: a:\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", &h)
         == AB_SNIFF_OK);
  CHECK_STR (h.host, "::1");
  CHECK (h.port == 8080);
}

TEST (http_absolute)
{
  const char *s = "GET http://a.example:8080/x?y HTTP/1.1\r\n"
                  "Host: a.example:8080\r\n\r\n";
  struct ab_http_head h;

  CHECK (head (s, &h) == AB_SNIFF_OK);
  CHECK (h.form == AB_HTTP_ABSOLUTE);
  CHECK_STR (h.host, "a.example");
  CHECK (h.port == 8080);
  CHECK (span_is (s, h.target_off, h.target_len, "http://a.example:8080/x?y"));
  CHECK (span_is (s, h.path_off, h.path_len, "/x?y"));
  /* No path: path_len 0, the caller writes "/". */
  s = "POST HTTPS://B.Example HTTP/1.1\r\nHost: other.example\r\n\r\n";
  CHECK (head (s, &h) == AB_SNIFF_OK);
  CHECK (h.form == AB_HTTP_ABSOLUTE);
  CHECK_STR (h.host, "b.example");
  CHECK (h.port == 0);
  CHECK (h.path_len == 0);
  CHECK_STR (h.host_header, "other.example");
  CHECK (head ("GET http://[2001:db8::1]:81/ HTTP/1.1\r\n\r\n", &h)
         == AB_SNIFF_OK);
  CHECK_STR (h.host, "2001:db8::1");
  CHECK (h.port == 81);
  CHECK (head ("GET http://a.example?q HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET http://u:p@a.example/ HTTP/1.1\r\n\r\n", &h)
         == AB_SNIFF_BAD);
  CHECK (head ("GET http:// HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET http:///x HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET ftp://a.example/ HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("OPTIONS * HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
}

TEST (http_connect)
{
  const char *s = "CONNECT a.example:443 HTTP/1.1\r\n"
                  "Host: a.example:443\r\n\r\n";
  struct ab_http_head h;

  CHECK (head (s, &h) == AB_SNIFF_OK);
  CHECK (h.form == AB_HTTP_CONNECT);
  CHECK_STR (h.method, "CONNECT");
  CHECK_STR (h.host, "a.example");
  CHECK (h.port == 443);
  CHECK (span_is (s, h.target_off, h.target_len, "a.example:443"));
  CHECK (head ("CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n", &h)
         == AB_SNIFF_OK);
  CHECK_STR (h.host, "2001:db8::1");
  CHECK (h.port == 443);
  /* IPv6 literals are stored canonical, in lower case. */
  CHECK (head ("CONNECT [2001:DB8:0:0::1]:443 HTTP/1.1\r\n\r\n", &h)
         == AB_SNIFF_OK);
  CHECK_STR (h.host, "2001:db8::1");
  CHECK (head ("CONNECT a.example HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("CONNECT a.example:443/x HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("CONNECT /x HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("CONNECT 2001:db8::1:443 HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("CONNECT [2001:db8::1%25eth0]:443 HTTP/1.1\r\n\r\n", &h)
         == AB_SNIFF_BAD);
  CHECK (head ("CONNECT [1.2.3.4]:443 HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("CONNECT [::1:443 HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
}

TEST (http_request_line)
{
  struct ab_http_head h;

  CHECK (head ("ABCDEFGHIJKLMNO / HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_OK);
  CHECK_STR (h.method, "ABCDEFGHIJKLMNO");
  CHECK (head ("ABCDEFGHIJKLMNOP / HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("ABCDEFGHIJKLMNOP", &h) == AB_SNIFF_BAD);
  CHECK (head ("G(T / HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head (" GET / HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET  / HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1 \r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.2\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/2.0\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / http/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET /\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("\r\nGET / HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  /* Control characters, spaces and fragments in the target. */
  CHECK (head ("GET /a\x01 HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET /a\tb HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET /a\rb HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET /a\x7f HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET /\xc3\xa9 HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET /a#f HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET /a b HTTP/1.1\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (ab_http_head ("GET /a\0b HTTP/1.1\r\n\r\n", 22, &h) == AB_SNIFF_BAD);
  /* A TLS hello on the HTTP port fails on its first byte. */
  CHECK (ab_http_head ((const char *)hello_sni, 1, &h) == AB_SNIFF_BAD);
}

TEST (http_header_lines)
{
  struct ab_http_head h;

  CHECK (head ("GET / HTTP/1.1\r\nHost a\r\n\r\n", &h) == AB_SNIFF_BAD);
  /* Lines are judged once the head is whole (or the bound is reached). */
  CHECK (head ("GET / HTTP/1.1\r\nHost a\r\n", &h) == AB_SNIFF_MORE);
  CHECK (head ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\n: a\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nX: a\r\r\n\r\n", &h) == AB_SNIFF_BAD);
  CHECK (head ("GET / HTTP/1.1\r\nX:\ta \xc3\xa9\r\nY:\r\n\r\n", &h)
         == AB_SNIFF_OK);
  CHECK (head ("GET / HTTP/1.1\r\n\r\r\n", &h) == AB_SNIFF_MORE);
  CHECK (head ("GET / HTTP/1.1\r\n\r\r\n\r\n", &h) == AB_SNIFF_BAD);
}

TEST (http_bare_lf)
{
  const char *s = "GET / HTTP/1.0\nHost: a.example\n\nrest";
  struct ab_http_head h;

  CHECK (head (s, &h) == AB_SNIFF_OK);
  CHECK (h.len == strlen (s) - 4);
  CHECK_STR (h.host, "a.example");
  CHECK (head ("GET / HTTP/1.1\r\nHost: a\n\r\n", &h) == AB_SNIFF_OK);
}

TEST (http_every_prefix_is_more)
{
  static const char *const heads[] = {
    "GET /x HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\n\r\n",
    "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n",
    "GET http://a.example:8080/x?y HTTP/1.0\n\n",
  };
  struct ab_http_head h;

  for (size_t k = 0; k < sizeof heads / sizeof *heads; k++)
    {
      size_t n = strlen (heads[k]);

      for (size_t i = 0; i < n; i++)
        {
          enum ab_sniff r = ab_http_head (heads[k], i, &h);
          if (r != AB_SNIFF_MORE)
            printf ("# head %zu prefix %zu: %d\n", k, i, r);
          CHECK (r == AB_SNIFF_MORE);
        }
      CHECK (ab_http_head (heads[k], n, &h) == AB_SNIFF_OK);
      CHECK (h.len == n);
    }
}

/* A head of exactly N bytes: a request line, one X header padding it. */
static char *
sized_head (size_t n)
{
  static char buf[AB_HTTP_HEAD_MAX + 64];
  const char *line = "GET / HTTP/1.1\r\nX: ";

  memset (buf, 'x', n);
  memcpy (buf, line, strlen (line));
  memcpy (buf + n - 4, "\r\n\r\n", 4);
  buf[n] = '\0';
  return buf;
}

TEST (http_too_big)
{
  struct ab_http_head h;
  char *s;

  s = sized_head (AB_HTTP_HEAD_MAX);
  CHECK (head (s, &h) == AB_SNIFF_OK);
  CHECK (h.len == AB_HTTP_HEAD_MAX);
  s = sized_head (AB_HTTP_HEAD_MAX + 1);
  CHECK (head (s, &h) == AB_SNIFF_TOO_BIG);
  /* Without an end in sight, the bound decides. */
  CHECK (ab_http_head (s, AB_HTTP_HEAD_MAX - 1, &h) == AB_SNIFF_MORE);
  CHECK (ab_http_head (s, AB_HTTP_HEAD_MAX, &h) == AB_SNIFF_TOO_BIG);
  /* A bad line that ends inside the bound is BAD, not TOO_BIG. */
  s = sized_head (AB_HTTP_HEAD_MAX + 1);
  s[20] = '\x01';
  CHECK (head (s, &h) == AB_SNIFF_BAD);
}

int
main (void)
{
  RUN (tls_captured);
  RUN (tls_trailing_bytes_ignored);
  RUN (tls_every_prefix_is_more);
  RUN (tls_headers);
  RUN (tls_record_bound);
  RUN (tls_malformed_lengths);
  RUN (tls_name_rules);
  RUN (tls_built_names);
  RUN (tls_built_structure);
  RUN (tls_largest_record);
  RUN (http_origin);
  RUN (http_host_header);
  RUN (http_absolute);
  RUN (http_connect);
  RUN (http_request_line);
  RUN (http_header_lines);
  RUN (http_bare_lf);
  RUN (http_every_prefix_is_more);
  RUN (http_too_big);
  return unit_done ();
}
