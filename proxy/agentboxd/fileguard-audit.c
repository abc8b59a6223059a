/* agentboxd: one file guard event as one audit line.  Kept apart from
 * fileguard.c (the ring buffers and the loop) so a unit test can build
 * it alone.  The common fields come first, in the order of audit.c's
 * lines (docs/network.md), then the file layer's own. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hooks/lib/file-guard.h"
#include "lib/log.h"
#include "proxy/agentboxd/fileguard.h"

/* Bytes of a valid UTF-8 sequence at P (N left), 0 if none: no overlong
 * forms, surrogates or code points above U+10FFFF. */
static size_t
utf8_len (const unsigned char *p, size_t n)
{
  size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
  unsigned lo = 0x80, hi = 0xbf;

  if (p[0] < 0xc2 || p[0] > 0xf4 || len > n)
    return 0;
  if (p[0] == 0xe0)
    lo = 0xa0;
  else if (p[0] == 0xed)
    hi = 0x9f;
  else if (p[0] == 0xf0)
    lo = 0x90;
  else if (p[0] == 0xf4)
    hi = 0x8f;
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  return len;
}

/* A JSON string body for N bytes at S.  A path is bytes, JSON is UTF-8:
 * a byte that is not part of valid UTF-8 becomes U+FFFD and *LOSSY is
 * set (such a path cannot be named in a Cedar policy either). */
static void
put_text (struct ab_buf *b, const char *s, size_t n, bool *lossy)
{
  const unsigned char *p = (const unsigned char *)s;
  char ascii[2] = { 0 };

  for (size_t i = 0; i < n;)
    {
      size_t len = p[i] < 0x80 ? 1 : utf8_len (p + i, n - i);
      if (len == 0)
        {
          ab_buf_puts (b, "\\ufffd");
          *lossy = true;
          i++;
        }
      else if (len == 1)
        {
          ascii[0] = (char)p[i++];
          ab_json_escape (b, ascii);
        }
      else
        {
          ab_buf_append (b, p + i, len);
          i += len;
        }
    }
}

static void
string (struct ab_buf *b, const char *key, const char *s, size_t n, bool *lossy)
{
  bool ignored = false;

  ab_buf_printf (b, ",\"%s\":\"", key);
  put_text (b, s, n, lossy ? lossy : &ignored);
  ab_buf_puts (b, "\"");
}

static void
cstring (struct ab_buf *b, const char *key, const char *s)
{
  if (s == NULL)
    ab_buf_printf (b, ",\"%s\":null", key);
  else
    string (b, key, s, strlen (s), NULL);
}

/* "read,write" */
static void
rights (struct ab_buf *b, uint32_t r)
{
  static const char *const names[] = { "read", "write", "exec" };
  const char *sep = "";

  ab_buf_puts (b, ",\"rights\":\"");
  for (unsigned i = 0; i < 3; i++)
    if (r & (1u << i))
      {
        ab_buf_printf (b, "%s%s", sep, names[i]);
        sep = ",";
      }
  ab_buf_puts (b, "\"");
}

/* The Cedar action the access stands for, as the policy names it. */
static const char *
action (uint32_t r)
{
  return r & AB_FG_EXEC    ? "ProcessExec"
         : r & AB_FG_WRITE ? "FileOpenReadWrite"
                           : "FileOpenReadOnly";
}

static void
flags (struct ab_buf *b, uint32_t f, bool lossy)
{
  static const char *const names[]
      = { "truncated", "detached", "deep", "subtree" };
  const char *sep = "";

  if (f == 0 && !lossy)
    return;
  ab_buf_puts (b, ",\"flags\":\"");
  for (unsigned i = 0; i < 4; i++)
    if (f & (1u << i))
      {
        ab_buf_printf (b, "%s%s", sep, names[i]);
        sep = ",";
      }
  if (lossy)
    ab_buf_printf (b, "%snot-utf8", sep);
  ab_buf_puts (b, "\"");
}

static void
rule (struct ab_buf *b, const struct ab_fg_event *ev,
      const struct ab_ir_rule *r)
{
  if (ev->rule == 0)
    cstring (b, "rule", "default deny");
  else if (r == NULL)
    /* A rule index the guardian's policy does not have: the hook
     * compiled a policy the guardian has not loaded yet. */
    ab_buf_printf (b, ",\"rule\":\"#%u\"", ev->rule - 1);
  else
    {
      ab_buf_printf (b, ",\"rule\":\"");
      ab_json_escape (b, r->loc.file ? r->loc.file : "?");
      ab_buf_printf (b, ":%u:%u\"", r->loc.line, r->loc.col);
      cstring (b, "rule_id", r->id);
    }
}

static const char *const decisions[][2] = {
  [AB_FG_DENY] = { "deny", "enforce" },
  [AB_FG_WOULD_DENY] = { "would-deny", "shadow" },
  [AB_FG_ALLOW] = { "allow", "record" },
};

int
fg_audit_line (struct ab_buf *b, const struct timespec *when,
               const char *container, const char *project,
               const struct ab_fg_event *ev, const struct ab_ir_rule *r)
{
  size_t path_n = strnlen (ev->path, sizeof ev->path);
  bool known = ev->verdict <= AB_FG_ALLOW, lossy = false;
  const char *op = ab_fg_op_name ((enum ab_fg_op)ev->op);
  struct tm tm;
  char t[40];

  if (ev->path_len < path_n)
    path_n = ev->path_len;
  gmtime_r (&when->tv_sec, &tm);
  strftime (t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
  ab_buf_printf (b, "{\"time\":\"%s.%06ldZ\"", t, when->tv_nsec / 1000);
  cstring (b, "container", container);
  cstring (b, "project", project);
  cstring (b, "layer", "file");
  cstring (b, "action", action (ev->rights));
  string (b, "resource", ev->path, path_n, &lossy);
  /* An unknown verdict comes from newer programs: say so, never
   * "allow". */
  cstring (b, "decision", known ? decisions[ev->verdict][0] : "unknown");
  cstring (b, "mode", known ? decisions[ev->verdict][1] : "unknown");
  rule (b, ev, r);
  ab_buf_printf (b, ",\"pid\":%u", ev->tgid ? ev->tgid : ev->pid);
  cstring (b, "op", op ? op : "unknown");
  string (b, "path", ev->path, path_n, NULL);
  rights (b, ev->rights);
  flags (b, ev->flags, lossy);
  string (b, "comm", ev->comm, strnlen (ev->comm, sizeof ev->comm), NULL);
  ab_buf_printf (b, ",\"generation\":%llu}\n",
                 (unsigned long long)ev->generation);
  return b->data ? 0 : -1;
}
