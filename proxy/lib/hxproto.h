/* agentbox: the hostexec wire protocol (docs/hostexec.md).
 *
 * A stream of frames over the per-container Unix socket (or AF_VSOCK):
 *
 *   u32 length (big endian, of what follows)  u8 type  payload
 *
 * Control frames carry JSON objects; data frames carry raw bytes.  The
 * first frame from the client is HX_REQUEST; everything is bounded (see
 * the limits below) and a frame that breaks a rule ends the session.
 * Both sides include this header; the client (shim/hostexec/, static,
 * libc only) uses the framing and the request writer but no JSON parser:
 * the replies it must understand are binary. */
#ifndef AB_PROXY_HXPROTO_H
#define AB_PROXY_HXPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HX_VERSION 1

/* Limits: a frame larger than HX_FRAME_MAX is an error, whatever its
 * type.  The length field counts the type byte too (so it is never 0 and
 * an empty frame has length 1): a payload holds at most HX_PAYLOAD_MAX
 * bytes, which is also the largest request hx_request_write produces. */
#define HX_FRAME_MAX (64 * 1024)
#define HX_PAYLOAD_MAX (HX_FRAME_MAX - 1)
#define HX_ARGV_MAX 256           /* words */
#define HX_ARGV_BYTES (32 * 1024) /* all words together */
#define HX_ENV_MAX 64             /* variables */
#define HX_ENV_BYTES (16 * 1024)
#define HX_CWD_MAX 4096

enum hx_type
{
  /* client -> guardian */
  HX_REQUEST = 1,   /* JSON {"v":1,"argv":[...],"cwd":"/x","env":{"K":"V"},
                       "stdin":false} */
  HX_STDIN = 2,     /* raw bytes for the command's stdin (only with "stdin") */
  HX_STDIN_EOF = 3, /* empty */
  HX_SIGNAL = 4,    /* 1 byte: the signal number to send the process group
                       (SIGINT, SIGTERM, SIGHUP, SIGQUIT only) */

  /* guardian -> client */
  HX_WAITING = 16, /* text: "waiting for approval: agentbox approve ID" */
  HX_STARTED = 17, /* empty: the command runs */
  HX_STDOUT = 18,  /* raw bytes */
  HX_STDERR = 19,  /* raw bytes */
  HX_EXIT = 20,    /* 2 bytes: kind (0 exited, 1 killed by signal), code */
  HX_DENIED = 21,  /* text: why (the rule, a timeout, an error) */
};

/* ---- framing ---- */

/* Parse a frame header at BUF (LEN bytes available).  Returns 1 and sets
 * *TYPE, *PAYLOAD_LEN when the whole frame (5 + payload) is in BUF; 0
 * when more bytes are needed; -1 when the header is invalid (length 0,
 * or more than HX_FRAME_MAX). */
int hx_frame_peek (const uint8_t *buf, size_t len, uint8_t *type,
                   size_t *payload_len);

/* Write a frame header for TYPE and PAYLOAD_LEN into OUT[5]. */
void hx_frame_header (uint8_t out[5], uint8_t type, size_t payload_len);

/* ---- the request ---- */

struct hx_request
{
  char **argv; /* NULL-terminated */
  size_t argc;
  char *cwd;
  char **env; /* "K=V", NULL-terminated */
  bool stdin_wanted;
};

/* Serialize a request as JSON into *OUT (malloc'd, *LEN bytes).  Returns
 * 0, or -1 (errno) when a limit is exceeded (E2BIG) or a string is not
 * valid UTF-8 or holds a NUL (EINVAL). */
int hx_request_write (const struct hx_request *r, char **out, size_t *len);

/* Check R against every rule of the request (the limits above, argc >= 1,
 * UTF-8 without NUL, an absolute cwd shorter than HX_CWD_MAX, env as
 * distinct "KEY=VALUE" with a valid KEY).  Returns 0, or EINVAL or E2BIG
 * with a reason in WHY.  Shared by the writer and the parser, so whatever
 * one accepts the other does too. */
int hx_request_check (const struct hx_request *r, char *why, size_t why_cap);

/* Parse and validate a request payload.  Returns 0, or -1 with a reason
 * in WHY (capacity WHY_CAP): malformed JSON, a wrong "v", argv empty or
 * over the limits, a word or value with a NUL or invalid UTF-8, a
 * relative or over-long cwd, env over its limits or with a key that is
 * not [A-Za-z_][A-Za-z0-9_]*. */
int hx_request_parse (const uint8_t *buf, size_t len, struct hx_request *r,
                      char *why, size_t why_cap);
void hx_request_free (struct hx_request *r);

/* Is S (LEN bytes) valid UTF-8 without NUL? */
bool hx_utf8_valid (const char *s, size_t len);

#endif
