/* Unit tests for proxy/lib/hxproto: framing, the request's writer, parser
 * and limits, the UTF-8 validator. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "proxy/lib/hxproto.h"
#include "tests/unit/unit.h"

static char why[256];

/* Parse the JSON text S; 0 or -1 (the reason in WHY). */
static int
parse_str (const char *s, struct hx_request *r)
{
  why[0] = '\0';
  return hx_request_parse ((const uint8_t *)s, strlen (s), r, why, sizeof why);
}

/* Parse S and expect a refusal whose reason contains PART. */
#define REFUSED(s, part)                                                       \
  do                                                                           \
    {                                                                          \
      struct hx_request r_;                                                    \
      CHECK (parse_str (s, &r_) == -1);                                        \
      CHECK_CONTAINS (why, part);                                              \
      CHECK (r_.argv == NULL && r_.cwd == NULL && r_.env == NULL);             \
    }                                                                          \
  while (0)

/* hx_request_write of R fails with errno E. */
static bool
write_fails (const struct hx_request *r, int e)
{
  char *out = NULL;
  size_t len = 0;

  errno = 0;
  if (hx_request_write (r, &out, &len) == 0)
    {
      free (out);
      return false;
    }
  return errno == e;
}

/* Write R, parse it back, and compare every field. */
static bool
roundtrip (const struct hx_request *r)
{
  cleanup_free char *out = NULL;
  struct hx_request b;
  size_t len, i;
  bool same;

  if (hx_request_write (r, &out, &len) < 0)
    return false;
  if (hx_request_parse ((uint8_t *)out, len, &b, why, sizeof why) < 0)
    {
      printf ("# reparse: %s\n# %s\n", why, out);
      return false;
    }
  same = b.argc == r->argc && strcmp (b.cwd, r->cwd) == 0
         && b.stdin_wanted == r->stdin_wanted && b.argv[b.argc] == NULL;
  for (i = 0; same && i < r->argc; i++)
    same = strcmp (b.argv[i], r->argv[i]) == 0;
  for (i = 0; same && r->env && r->env[i]; i++)
    same = b.env && b.env[i] && strcmp (b.env[i], r->env[i]) == 0;
  if (same && (r->env == NULL || r->env[0] == NULL))
    same = b.env == NULL || b.env[0] == NULL;
  else if (same)
    same = b.env[i] == NULL;
  hx_request_free (&b);
  return same;
}

/* A request with N copies of WORD and an absolute cwd. */
static struct hx_request
words (size_t n, char *word)
{
  static char *argv[HX_ARGV_MAX + 2];
  struct hx_request r = { .argv = argv, .argc = n, .cwd = (char *)"/" };
  size_t i;

  for (i = 0; i < n; i++)
    argv[i] = word;
  argv[n] = NULL;
  return r;
}

/* A string of N copies of C (heap). */
static char *
repeat (char c, size_t n)
{
  char *s = malloc (n + 1);

  memset (s, c, n);
  s[n] = '\0';
  return s;
}

TEST (frame_peek_partial_and_bounds)
{
  uint8_t buf[4 + HX_FRAME_MAX + 1] = { 0 };
  uint8_t type = 0;
  size_t plen = 99;

  for (size_t i = 0; i < 4; i++)
    CHECK (hx_frame_peek (buf, i, &type, &plen) == 0);
  CHECK (hx_frame_peek (buf, 4, &type, &plen) == -1); /* length 0 */
  CHECK (hx_frame_peek (buf, 5, &type, &plen) == -1);

  hx_frame_header (buf, HX_STARTED, 0); /* empty: length 1 */
  CHECK (buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 1);
  CHECK (hx_frame_peek (buf, 4, &type, &plen) == 0);
  CHECK (hx_frame_peek (buf, 5, &type, &plen) == 1);
  CHECK (type == HX_STARTED && plen == 0);

  hx_frame_header (buf, HX_STDOUT, HX_PAYLOAD_MAX);
  CHECK (hx_frame_peek (buf, 4 + HX_FRAME_MAX - 1, &type, &plen) == 0);
  CHECK (hx_frame_peek (buf, 4 + HX_FRAME_MAX, &type, &plen) == 1);
  CHECK (type == HX_STDOUT && plen == HX_PAYLOAD_MAX);
  CHECK (hx_frame_peek (buf, sizeof buf, &type, &plen) == 1);

  hx_frame_header (buf, HX_STDOUT, HX_PAYLOAD_MAX + 1); /* max + 1 */
  CHECK (hx_frame_peek (buf, 4, &type, &plen) == -1);
  CHECK (hx_frame_peek (buf, sizeof buf, &type, &plen) == -1);

  memset (buf, 0xff, 4);
  CHECK (hx_frame_peek (buf, 4, &type, &plen) == -1);
}

TEST (frame_header_round_trip)
{
  uint8_t buf[5 + 1234 + 3] = { 0 };
  uint8_t type = 0;
  size_t plen = 0;

  hx_frame_header (buf, HX_EXIT, 1234);
  CHECK (buf[0] == 0 && buf[1] == 0 && buf[2] == 0x04 && buf[3] == 0xd3);
  CHECK (hx_frame_peek (buf, 5 + 1233, &type, &plen) == 0);
  /* Trailing bytes (the next frame) do not matter. */
  CHECK (hx_frame_peek (buf, sizeof buf, &type, &plen) == 1);
  CHECK (type == HX_EXIT && plen == 1234);
}

TEST (request_round_trip_escapes)
{
  char *argv[] = { (char *)"sh",
                   (char *)"-c",
                   (char *)"echo \"a\\b\" 'c'\n\tx\r\b\f",
                   (char *)"\x01\x1f\x7f caf\xc3\xa9 \xf0\x9f\x98\x80",
                   (char *)"",
                   (char *)"/\\u0041",
                   NULL };
  char *env[] = { (char *)"TERM=xterm", (char *)"_x9=a=b\"\\\n",
                  (char *)"EMPTY=", NULL };
  struct hx_request r = { .argv = argv,
                          .argc = 6,
                          .cwd = (char *)"/tmp/a \"b\"\n",
                          .env = env,
                          .stdin_wanted = true };
  cleanup_free char *out = NULL;
  size_t len;

  CHECK (roundtrip (&r));
  r.env = NULL;
  r.stdin_wanted = false;
  CHECK (roundtrip (&r));

  CHECK (hx_request_write (&r, &out, &len) == 0);
  CHECK (strlen (out) == len);
  CHECK_CONTAINS (out, "\"echo \\\"a\\\\b\\\" 'c'\\n\\tx\\r\\b\\f\"");
  CHECK_CONTAINS (out, "\"\\u0001\\u001f\x7f caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  CHECK_CONTAINS (out, "\"/\\\\u0041\"");
}

TEST (request_parse_defaults)
{
  struct hx_request r;

  CHECK (parse_str ("{\"v\":1,\"argv\":[\"ls\"],\"cwd\":\"/\"}", &r) == 0);
  CHECK (r.argc == 1 && strcmp (r.argv[0], "ls") == 0 && r.argv[1] == NULL);
  CHECK (!r.stdin_wanted);
  CHECK (r.env == NULL || r.env[0] == NULL);
  hx_request_free (&r);
  CHECK (r.argv == NULL);

  CHECK (parse_str (" { \"stdin\" : true , \"env\" : { \"A\" : \"\\u00e9\" },"
                    "\"cwd\":\"/x\",\"argv\":[\"a\",\"\"],\"v\":1 } ",
                    &r)
         == 0);
  CHECK (r.stdin_wanted && r.argc == 2);
  CHECK (r.env && r.env[0] && strcmp (r.env[0], "A=\xc3\xa9") == 0);
  CHECK (r.env && r.env[1] == NULL);
  hx_request_free (&r);
}

TEST (request_nul_and_utf8)
{
  static const char nul_json[] = "{\"v\":1,\"argv\":[\"a\0b\"],\"cwd\":\"/\"}";
  char *argv[] = { (char *)"a\xff", NULL };
  struct hx_request r = { .argv = argv, .argc = 1, .cwd = (char *)"/" };
  struct hx_request p;

  REFUSED ("{\"v\":1,\"argv\":[\"a\\u0000b\"],\"cwd\":\"/\"}", "");
  CHECK (hx_request_parse ((const uint8_t *)nul_json, sizeof nul_json - 1, &p,
                           why, sizeof why)
         == -1);
  REFUSED ("{\"v\":1,\"argv\":[\"a\xff\"],\"cwd\":\"/\"}", "");
  REFUSED ("{\"v\":1,\"argv\":[\"\xed\xa0\x80\"],\"cwd\":\"/\"}", "");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\xc0\xaf\"}", "");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\",\"env\":{\"A\":\"\xff\"}}",
           "");
  CHECK (write_fails (&r, EINVAL));
  argv[0] = (char *)"a";
  r.cwd = (char *)"/\xe0\x80\x80";
  CHECK (write_fails (&r, EINVAL));
}

TEST (request_argv_limits)
{
  struct hx_request r = words (HX_ARGV_MAX, (char *)"w");
  cleanup_free char *big = NULL, *json = NULL;
  size_t off = 0;
  struct hx_request p;

  CHECK (roundtrip (&r));
  r = words (HX_ARGV_MAX + 1, (char *)"w");
  CHECK (write_fails (&r, E2BIG));
  r = words (0, (char *)"w");
  CHECK (write_fails (&r, EINVAL));
  REFUSED ("{\"v\":1,\"argv\":[],\"cwd\":\"/\"}", "argv is empty");

  /* 257 words by hand, since the writer will not make them. */
  json = malloc (64 + 4 * (HX_ARGV_MAX + 1));
  off = sprintf (json, "{\"v\":1,\"cwd\":\"/\",\"argv\":[\"w\"");
  for (int i = 0; i < HX_ARGV_MAX; i++)
    off += sprintf (json + off, ",\"w\"");
  strcpy (json + off, "]}");
  REFUSED (json, "more than 256 words");
  json[off - 4] = ']';
  json[off - 3] = '}';
  json[off - 2] = '\0';
  CHECK (parse_str (json, &p) == 0 && p.argc == HX_ARGV_MAX);
  hx_request_free (&p);

  /* All words together: HX_ARGV_BYTES exactly is fine, one more is not. */
  big = repeat ('x', HX_ARGV_BYTES / 2);
  r = words (2, big);
  CHECK (roundtrip (&r));
  r = words (3, big);
  r.argv[2] = (char *)"y";
  CHECK (write_fails (&r, E2BIG));
}

TEST (request_total_size)
{
  cleanup_free char *ctl = repeat ('\x01', HX_ARGV_BYTES);
  cleanup_free char *json = NULL;
  struct hx_request r = words (1, ctl);
  size_t n = HX_PAYLOAD_MAX + 1 - 29; /* the JSON is one byte too long */

  /* Within every field limit, but 6 bytes a character once escaped. */
  CHECK (write_fails (&r, E2BIG));

  json = malloc (HX_PAYLOAD_MAX + 2);
  memcpy (json, "{\"v\":1,\"cwd\":\"/\",\"argv\":[\"", 26);
  memset (json + 26, ' ', n);
  strcpy (json + 26 + n, "\"]}");
  REFUSED (json, "request is longer than");
}

TEST (request_env_rules)
{
  char *env[HX_ENV_MAX + 2];
  char names[HX_ENV_MAX + 1][8];
  char *argv[] = { (char *)"a", NULL };
  struct hx_request r
      = { .argv = argv, .argc = 1, .cwd = (char *)"/", .env = env };
  cleanup_free char *big = repeat ('v', HX_ENV_BYTES + 1);
  int i;

  for (i = 0; i <= HX_ENV_MAX; i++)
    {
      snprintf (names[i], sizeof names[i], "V%d=", i);
      env[i] = names[i];
    }
  env[HX_ENV_MAX] = NULL;
  CHECK (roundtrip (&r));
  env[HX_ENV_MAX] = names[HX_ENV_MAX];
  env[HX_ENV_MAX + 1] = NULL;
  CHECK (write_fails (&r, E2BIG));

  memcpy (big, "K=", 2);
  env[0] = big;
  env[1] = NULL;
  big[HX_ENV_BYTES] = '\0'; /* HX_ENV_BYTES exactly */
  CHECK (roundtrip (&r));
  big[HX_ENV_BYTES] = 'v';
  CHECK (write_fails (&r, E2BIG));

  const char *bad[] = { "1A=x", "A-B=x", "=x", "A", "A B=x", "\xc3\xa9=x" };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    {
      env[0] = (char *)bad[k];
      CHECK (write_fails (&r, EINVAL));
    }
  env[0] = (char *)"A=1";
  env[1] = (char *)"A=2";
  env[2] = NULL;
  CHECK (write_fails (&r, EINVAL));
  env[1] = (char *)"AB=2";
  CHECK (roundtrip (&r));

  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\",\"env\":{\"1A\":\"x\"}}",
           "[A-Za-z_]");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\",\"env\":{\"A=B\":\"x\"}}",
           "[A-Za-z_]");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\",\"env\":{\"\":\"x\"}}",
           "[A-Za-z_]");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\","
           "\"env\":{\"A\":\"x\",\"A\":\"y\"}}",
           "repeated");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\",\"env\":{\"A\":1}}",
           "not a string");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\",\"env\":[\"A=1\"]}",
           "not an object");
}

TEST (request_cwd_rules)
{
  char *argv[] = { (char *)"a", NULL };
  struct hx_request r = { .argv = argv, .argc = 1, .cwd = (char *)"tmp" };
  cleanup_free char *longest = repeat ('d', HX_CWD_MAX);

  CHECK (write_fails (&r, EINVAL));
  r.cwd = (char *)"";
  CHECK (write_fails (&r, EINVAL));
  r.cwd = NULL;
  CHECK (write_fails (&r, EINVAL));
  longest[0] = '/';
  longest[HX_CWD_MAX - 1] = '\0'; /* 4095 bytes, as getcwd can return */
  r.cwd = longest;
  CHECK (roundtrip (&r));
  longest[HX_CWD_MAX - 1] = 'd';
  CHECK (write_fails (&r, E2BIG));

  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"tmp\"}", "absolute");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"\"}", "absolute");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"./x\"}", "absolute");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"]}", "no cwd");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":null}", "not a string");
}

TEST (request_shape)
{
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\",\"user\":\"root\"}",
           "unknown key \"user\"");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\",\"a\\nb\":1}",
           "unknown key \"a?b\"");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\",\"cwd\":\"/x\"}",
           "repeated");
  REFUSED ("{\"v\":2,\"argv\":[\"a\"],\"cwd\":\"/\"}", "version");
  REFUSED ("{\"v\":\"1\",\"argv\":[\"a\"],\"cwd\":\"/\"}", "version");
  REFUSED ("{\"v\":1.0,\"argv\":[\"a\"],\"cwd\":\"/\"}", "version");
  REFUSED ("{\"argv\":[\"a\"],\"cwd\":\"/\"}", "version");
  REFUSED ("{\"v\":1,\"cwd\":\"/\"}", "no argv");
  REFUSED ("{\"v\":1,\"argv\":\"a\",\"cwd\":\"/\"}", "not an array");
  REFUSED ("{\"v\":1,\"argv\":[\"a\",1],\"cwd\":\"/\"}", "argv[1]");
  REFUSED ("{\"v\":1,\"argv\":[[\"a\"]],\"cwd\":\"/\"}", "argv[0]");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\",\"stdin\":1}", "boolean");
  REFUSED ("[1]", "not a JSON object");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\"} x", "request:");
  REFUSED ("{\"v\":1,\"argv\":[\"a\"],\"cwd\":\"/\"", "request:");
  REFUSED ("", "");
}

TEST (utf8_validator)
{
#define U(s, ok) CHECK (hx_utf8_valid (s, sizeof s - 1) == ok)
  U ("", true);
  U ("plain ascii \x01\x7f", true);
  U ("\xc2\x80 \xdf\xbf", true);                 /* U+0080, U+07FF */
  U ("\xe0\xa0\x80 \xef\xbf\xbf", true);         /* U+0800, U+FFFF */
  U ("\xed\x9f\xbf \xee\x80\x80", true);         /* U+D7FF, U+E000 */
  U ("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf", true); /* U+10000, U+10FFFF */
  U ("a\0b", false);
  U ("\xc0\x80", false); /* overlong NUL */
  U ("\xc1\xbf", false);
  U ("\xe0\x9f\xbf", false);     /* overlong U+07FF */
  U ("\xf0\x8f\xbf\xbf", false); /* overlong U+FFFF */
  U ("\xed\xa0\x80", false);     /* U+D800 */
  U ("\xed\xbf\xbf", false);     /* U+DFFF */
  U ("\xf4\x90\x80\x80", false); /* U+110000 */
  U ("\xf5\x80\x80\x80", false);
  U ("\xff", false);
  U ("\x80", false);     /* lone continuation */
  U ("\xc3", false);     /* truncated */
  U ("\xe2\x82", false); /* truncated */
  U ("\xf0\x9f\x98", false);
  U ("\xc3\x28", false); /* bad continuation */
  U ("\xe2\x28\xa1", false);
  U ("\xf0\x9f\x98\x28", false);
#undef U
  /* LEN, not a NUL, ends the string. */
  CHECK (hx_utf8_valid ("\xc3\xa9xyz", 2));
  CHECK (!hx_utf8_valid ("\xc3\xa9xyz", 1));
}

int
main (void)
{
  RUN (frame_peek_partial_and_bounds);
  RUN (frame_header_round_trip);
  RUN (request_round_trip_escapes);
  RUN (request_parse_defaults);
  RUN (request_nul_and_utf8);
  RUN (request_argv_limits);
  RUN (request_total_size);
  RUN (request_env_rules);
  RUN (request_cwd_rules);
  RUN (request_shape);
  RUN (utf8_validator);
  return unit_done ();
}
