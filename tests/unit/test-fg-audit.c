/* Unit tests for the guardian's file guard audit line
 * (proxy/agentboxd/fileguard-audit.c): the common fields, the decision
 * and mode of each verdict, the rule (location and id, default deny, an
 * index the policy does not have), rights, flags, and paths that are not
 * clean text; every line must parse as JSON.  The guardian is a program,
 * not a library: the formatter's source is built into this test. */
#include "proxy/agentboxd/fileguard-audit.c"

#include "lib/cleanup.h"
#include "spec/json.h"
#include "tests/unit/unit.h"

static const struct timespec when = { .tv_sec = 1764457800, /* 2025-11-29 */
                                      .tv_nsec = 123456789 };

static struct ab_fg_event
event (uint32_t op, uint32_t verdict, uint32_t rights, const char *path)
{
  struct ab_fg_event ev = { .ts_ns = 1,
                            .generation = 7,
                            .pid = 101,
                            .tgid = 100,
                            .op = op,
                            .verdict = verdict,
                            .rights = rights };

  snprintf (ev.path, sizeof ev.path, "%s", path);
  ev.path_len = (uint32_t)strlen (path) + 1;
  memcpy (ev.comm, "cat", 4);
  return ev;
}

/* The line for EV, parsed; NULL (and a diagnostic) when it is not one
 * JSON object ending in a newline. */
static struct ab_json *
line (const struct ab_fg_event *ev, const struct ab_ir_rule *r, char **text)
{
  struct ab_buf b = AB_BUF_INIT;
  struct ab_json *j = NULL;
  cleanup_error ab_error_t err = NULL;

  if (fg_audit_line (&b, &when, "c1", NULL, ev, r) < 0 || b.len == 0
      || b.data[b.len - 1] != '\n' || memchr (b.data, '\n', b.len - 1))
    printf ("# not one line: %s\n", b.data ? b.data : "(null)");
  else if (ab_json_parse (b.data, b.len, "line", &j, &err) < 0)
    printf ("# %s\n# %s", err->msg, b.data);
  *text = ab_buf_steal (&b);
  return j;
}

static const char *
get (const struct ab_json *j, const char *key)
{
  const struct ab_json *v = ab_json_get (j, key);

  if (ab_json_is (v, AB_JSON_NUMBER))
    return v->u.number;
  if (ab_json_is (v, AB_JSON_NULL))
    return "null";
  return ab_json_get_string (j, key);
}

TEST (deny_with_rule)
{
  struct ab_fg_event ev
      = event (AB_FG_OP_OPEN, AB_FG_DENY, AB_FG_READ, "/etc/shadow");
  struct ab_ir_rule r = { .index = 2,
                          .id = "no-secrets",
                          .loc = { "/etc/agentbox/policy.cedar", 12, 1 } };
  cleanup_free char *t = NULL;
  cleanup_json struct ab_json *j = NULL;

  ev.rule = 3;
  j = line (&ev, &r, &t);
  CHECK (j != NULL);
  CHECK_STR (
      t, "{\"time\":\"2025-11-29T23:10:00.123456Z\",\"container\":\"c1\","
         "\"project\":null,\"layer\":\"file\",\"action\":\"FileOpenReadOnly\","
         "\"resource\":\"/etc/shadow\",\"decision\":\"deny\",\"mode\":"
         "\"enforce\",\"rule\":\"/etc/agentbox/policy.cedar:12:1\",\"rule_id\":"
         "\"no-secrets\",\"pid\":100,\"op\":\"open\",\"path\":\"/etc/shadow\","
         "\"rights\":\"read\",\"comm\":\"cat\",\"generation\":7}\n");
}

TEST (verdicts_and_default_deny)
{
  static const struct
  {
    uint32_t verdict;
    const char *decision, *mode;
  } cases[] = {
    { AB_FG_DENY, "deny", "enforce" },
    { AB_FG_WOULD_DENY, "would-deny", "shadow" },
    { AB_FG_ALLOW, "allow", "record" },
    { 9, "unknown", "unknown" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    {
      struct ab_fg_event ev = event (AB_FG_OP_EXEC, cases[i].verdict,
                                     AB_FG_EXEC, "/usr/bin/curl");
      cleanup_free char *t = NULL;
      cleanup_json struct ab_json *j = line (&ev, NULL, &t);

      CHECK (j != NULL);
      CHECK_STR (get (j, "decision"), cases[i].decision);
      CHECK_STR (get (j, "mode"), cases[i].mode);
      CHECK_STR (get (j, "rule"), "default deny");
      CHECK (ab_json_get (j, "rule_id") == NULL);
      CHECK_STR (get (j, "action"), "ProcessExec");
      CHECK_STR (get (j, "rights"), "exec");
      CHECK (ab_json_get (j, "flags") == NULL);
    }
}

TEST (rule_the_policy_does_not_have)
{
  struct ab_fg_event ev
      = event (AB_FG_OP_CREATE, AB_FG_WOULD_DENY, AB_FG_WRITE, "/work/new");
  cleanup_free char *t = NULL;
  cleanup_json struct ab_json *j = NULL;

  ev.rule = 41;
  j = line (&ev, NULL, &t);
  CHECK (j != NULL);
  CHECK_STR (get (j, "rule"), "#40");
  CHECK_STR (get (j, "action"), "FileOpenReadWrite");
  CHECK_STR (get (j, "rights"), "write");
}

TEST (rights_and_flags)
{
  struct ab_fg_event ev
      = event (AB_FG_OP_RENAME, AB_FG_DENY, AB_FG_READ | AB_FG_WRITE, "/w/a");
  cleanup_free char *t = NULL;
  cleanup_json struct ab_json *j = NULL;

  ev.flags = AB_FG_F_TRUNCATED | AB_FG_F_SUBTREE;
  j = line (&ev, NULL, &t);
  CHECK (j != NULL);
  CHECK_STR (get (j, "rights"), "read,write");
  CHECK_STR (get (j, "flags"), "truncated,subtree");
  CHECK_STR (get (j, "pid"), "100");
}

TEST (paths_that_are_not_clean_text)
{
  struct ab_fg_event ev = event (AB_FG_OP_OPEN, AB_FG_DENY, AB_FG_READ,
                                 "/t/q\"b\\s\nn\xc3\xa9\xff\xc3");
  cleanup_free char *t = NULL;
  cleanup_json struct ab_json *j = NULL;

  ev.flags = AB_FG_F_DETACHED;
  /* A comm of 16 bytes has no NUL. */
  memcpy (ev.comm, "0123456789abcdef", 16);
  j = line (&ev, NULL, &t);
  CHECK (j != NULL);
  CHECK_STR (get (j, "path"), "/t/q\"b\\s\nn\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd");
  CHECK_STR (get (j, "flags"), "detached,not-utf8");
  CHECK_STR (get (j, "comm"), "0123456789abcdef");
}

TEST (path_len_bounds_the_path)
{
  struct ab_fg_event ev
      = event (AB_FG_OP_OPEN, AB_FG_DENY, AB_FG_READ, "/abcdef");
  cleanup_free char *t = NULL;
  cleanup_json struct ab_json *j = NULL;

  ev.path_len = 3;
  j = line (&ev, NULL, &t);
  CHECK_STR (get (j, "path"), "/ab");
  /* A path filling the whole buffer, without a NUL. */
  memset (ev.path, 'x', sizeof ev.path);
  ev.path[0] = '/';
  ev.path_len = sizeof ev.path;
  free (t);
  ab_json_free (j);
  j = line (&ev, NULL, &t);
  CHECK (j && strlen (get (j, "path")) == sizeof ev.path);
}

TEST (project)
{
  struct ab_fg_event ev
      = event (AB_FG_OP_MMAP, AB_FG_ALLOW, AB_FG_EXEC, "/lib/libc.so.6");
  struct ab_buf b = AB_BUF_INIT;

  CHECK (fg_audit_line (&b, &when, "c2", "web", &ev, NULL) == 0);
  CHECK_CONTAINS (b.data, "\"container\":\"c2\",\"project\":\"web\"");
  CHECK_CONTAINS (b.data, "\"op\":\"mmap-exec\"");
  ab_buf_free (&b);
}

int
main (void)
{
  RUN (deny_with_rule);
  RUN (verdicts_and_default_deny);
  RUN (rule_the_policy_does_not_have);
  RUN (rights_and_flags);
  RUN (paths_that_are_not_clean_text);
  RUN (path_len_bounds_the_path);
  RUN (project);
  return unit_done ();
}
