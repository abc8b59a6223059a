/* agentbox: parsing the hostexec request (hxproto.h) on the guardian side.
 *
 * The JSON is read with the project's tree; this file checks its shape
 * (types, known keys, each once) and hands the limits to
 * hx_request_check, the same checker the writer uses.  Everything not
 * understood is refused: the request is untrusted input from inside the
 * container. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "proxy/lib/hxproto.h"
#include "spec/json.h"

static int why_set (char *why, size_t why_cap, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Returns -1, with the reason in WHY. */
static int
why_set (char *why, size_t why_cap, const char *fmt, ...)
{
  va_list ap;

  if (why && why_cap)
    {
      va_start (ap, fmt);
      vsnprintf (why, why_cap, fmt, ap);
      va_end (ap);
    }
  return -1;
}

/* A copy of a JSON string, NULL when it holds a NUL or invalid UTF-8
 * (which the tree should already have refused; checked here again since
 * a C string would silently cut at the NUL). */
static char *
string_dup (const struct ab_json *j)
{
  char *s;

  if (!hx_utf8_valid (j->u.string.ptr, j->u.string.len))
    return NULL;
  s = malloc (j->u.string.len + 1);
  if (s)
    {
      memcpy (s, j->u.string.ptr, j->u.string.len);
      s[j->u.string.len] = '\0';
    }
  return s;
}

static int
parse_argv (const struct ab_json *a, struct hx_request *r, char *why,
            size_t why_cap)
{
  size_t i, n;

  if (!ab_json_is (a, AB_JSON_ARRAY))
    return why_set (why, why_cap, "argv is not an array");
  n = a->u.array.len;
  /* Refused before allocating; the checker would refuse it after. */
  if (n > HX_ARGV_MAX)
    return why_set (why, why_cap, "argv has more than %d words", HX_ARGV_MAX);
  r->argv = calloc (n + 1, sizeof *r->argv);
  if (r->argv == NULL)
    return why_set (why, why_cap, "out of memory");
  for (i = 0; i < n; i++, r->argc++)
    {
      if (!ab_json_is (a->u.array.items[i], AB_JSON_STRING))
        return why_set (why, why_cap, "argv[%zu] is not a string", i);
      r->argv[i] = string_dup (a->u.array.items[i]);
      if (r->argv[i] == NULL)
        return why_set (why, why_cap, "argv[%zu] is not valid UTF-8", i);
    }
  return 0;
}

static char *
env_entry (const char *key, const struct ab_json *val)
{
  char *v = string_dup (val), *kv = NULL;

  if (v && asprintf (&kv, "%s=%s", key, v) < 0)
    kv = NULL;
  free (v);
  return kv;
}

static int
parse_env (const struct ab_json *o, struct hx_request *r, char *why,
           size_t why_cap)
{
  size_t i, n;

  if (!ab_json_is (o, AB_JSON_OBJECT))
    return why_set (why, why_cap, "env is not an object");
  n = o->u.object.len;
  if (n > HX_ENV_MAX)
    return why_set (why, why_cap, "env has more than %d variables", HX_ENV_MAX);
  r->env = calloc (n + 1, sizeof *r->env);
  if (r->env == NULL)
    return why_set (why, why_cap, "out of memory");
  for (i = 0; i < n; i++)
    {
      if (!ab_json_is (o->u.object.values[i], AB_JSON_STRING))
        return why_set (why, why_cap, "env[%zu] is not a string", i);
      /* An '=' in the name would move the split of "K=V"; the rest of
       * the name's syntax, and its uniqueness, are the checker's job. */
      if (strchr (o->u.object.keys[i], '='))
        return why_set (why, why_cap,
                        "env[%zu]: the name is not [A-Za-z_][A-Za-z0-9_]*", i);
      r->env[i] = env_entry (o->u.object.keys[i], o->u.object.values[i]);
      if (r->env[i] == NULL)
        return why_set (why, why_cap, "env[%zu] is not valid UTF-8", i);
    }
  return 0;
}

static int
parse_version (const struct ab_json *v, char *why, size_t why_cap)
{
  /* Exactly "1": "1.0" or "1e0" would be the same number, but a client
   * that writes them is not one of ours. */
  if (!ab_json_is (v, AB_JSON_NUMBER) || strcmp (v->u.number, "1") != 0)
    return why_set (why, why_cap, "unsupported protocol version (want %d)",
                    HX_VERSION);
  return 0;
}

static int
parse_cwd (const struct ab_json *c, struct hx_request *r, char *why,
           size_t why_cap)
{
  if (!ab_json_is (c, AB_JSON_STRING))
    return why_set (why, why_cap, "cwd is not a string");
  r->cwd = string_dup (c);
  if (r->cwd == NULL)
    return why_set (why, why_cap, "cwd is not valid UTF-8");
  return 0;
}

static int
parse_stdin (const struct ab_json *s, struct hx_request *r, char *why,
             size_t why_cap)
{
  if (!ab_json_is (s, AB_JSON_BOOL))
    return why_set (why, why_cap, "stdin is not a boolean");
  r->stdin_wanted = s->u.boolean;
  return 0;
}

static const char *const request_keys[]
    = { "v", "argv", "cwd", "env", "stdin" };
#define N_KEYS (sizeof request_keys / sizeof request_keys[0])

/* KEY made fit for a log line: at most 32 printable ASCII characters. */
static void
key_printable (const char *key, char out[33])
{
  size_t i;

  for (i = 0; key[i] && i < 32; i++)
    out[i] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '?';
  out[i] = '\0';
}

/* Which known key is KEY, or -1. */
static int
key_index (const char *key)
{
  size_t i;

  for (i = 0; i < N_KEYS; i++)
    if (strcmp (key, request_keys[i]) == 0)
      return i;
  return -1;
}

static int
parse_member (int k, const struct ab_json *val, struct hx_request *r, char *why,
              size_t why_cap)
{
  switch (k)
    {
    case 0:
      return parse_version (val, why, why_cap);
    case 1:
      return parse_argv (val, r, why, why_cap);
    case 2:
      return parse_cwd (val, r, why, why_cap);
    case 3:
      return parse_env (val, r, why, why_cap);
    default:
      return parse_stdin (val, r, why, why_cap);
    }
}

/* Unknown keys and repeated keys are refused (closed): a key we skip or a
 * duplicate read "last wins" could mean something else to the next
 * reader of the same bytes. */
static int
parse_object (const struct ab_json *j, struct hx_request *r, char *why,
              size_t why_cap)
{
  bool seen[N_KEYS] = { false };
  char shown[33];
  size_t i;
  int k;

  if (!ab_json_is (j, AB_JSON_OBJECT))
    return why_set (why, why_cap, "the request is not a JSON object");
  for (i = 0; i < j->u.object.len; i++)
    {
      k = key_index (j->u.object.keys[i]);
      if (k < 0)
        {
          key_printable (j->u.object.keys[i], shown);
          return why_set (why, why_cap, "unknown key \"%s\"", shown);
        }
      if (seen[k])
        return why_set (why, why_cap, "key \"%s\" repeated", request_keys[k]);
      seen[k] = true;
      if (parse_member (k, j->u.object.values[i], r, why, why_cap) < 0)
        return -1;
    }
  if (!seen[0])
    return why_set (why, why_cap, "no protocol version \"v\"");
  if (!seen[1])
    return why_set (why, why_cap, "no argv");
  if (!seen[2])
    return why_set (why, why_cap, "no cwd");
  return 0;
}

int
hx_request_parse (const uint8_t *buf, size_t len, struct hx_request *r,
                  char *why, size_t why_cap)
{
  struct hx_request req = { 0 };
  struct ab_json *j = NULL;
  ab_error_t err = NULL;
  int ret;

  memset (r, 0, sizeof *r);
  if (len > HX_PAYLOAD_MAX)
    return why_set (why, why_cap, "the request is longer than %d bytes",
                    HX_PAYLOAD_MAX);
  if (ab_json_parse ((const char *)buf, len, "request", &j, &err) < 0)
    {
      why_set (why, why_cap, "%s", err->msg);
      ab_error_free (&err);
      return -1;
    }
  ret = parse_object (j, &req, why, why_cap);
  ab_json_free (j);
  if (ret == 0 && hx_request_check (&req, why, why_cap) != 0)
    ret = -1;
  if (ret < 0)
    {
      hx_request_free (&req);
      return -1;
    }
  *r = req;
  return 0;
}

void
hx_request_free (struct hx_request *r)
{
  size_t i;

  if (r->argv)
    for (i = 0; r->argv[i]; i++)
      free (r->argv[i]);
  free (r->argv);
  if (r->env)
    for (i = 0; r->env[i]; i++)
      free (r->env[i]);
  free (r->env);
  free (r->cwd);
  memset (r, 0, sizeof *r);
}
