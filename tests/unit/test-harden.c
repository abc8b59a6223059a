/* Unit tests for shim/lib/harden*.c: each rule of the profile, on trees
 * built in memory and on host paths made in a temp dir. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "shim/lib/harden.h"
#include "spec/spec.h"
#include "tests/unit/unit.h"

static char tmp[] = "/tmp/ab-test-harden.XXXXXX";

static struct ab_spec *
spec_from (const char *json)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_spec *s = calloc (1, sizeof *s);

  s->path = strdup ("test.json");
  if (ab_json_parse (json, strlen (json), "test.json", &s->root, &err) < 0)
    {
      printf ("# parse: %s\n", err->msg);
      abort ();
    }
  return s;
}

static struct ab_config *
config (void)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_config *c = NULL;

  if (ab_config_defaults (&c, &err) < 0)
    abort ();
  free (c->state_dir);
  if (asprintf (&c->state_dir, "%s/state", tmp) < 0)
    abort ();
  return c;
}

static int
harden (struct ab_spec *s, struct ab_config *c, struct ab_harden_report *rep)
{
  cleanup_error ab_error_t err = NULL;
  int r = ab_harden_spec (s, c, "t1", rep, &err);
  if (r < 0)
    printf ("# harden: %s\n", err->msg);
  return r;
}

static bool
report_has (const struct ab_harden_report *rep, const char *needle)
{
  for (size_t i = 0; i < rep->len; i++)
    if (strstr (rep->changes[i], needle))
      return true;
  return false;
}

/* The destination list of the mounts, "d1 d2 ...". */
static char *
destinations (const struct ab_spec *s)
{
  static char buf[4096];
  size_t n = ab_spec_mount_count (s);

  buf[0] = '\0';
  for (size_t i = 0; i < n; i++)
    {
      struct ab_mount m;
      cleanup_error ab_error_t err = NULL;
      if (ab_spec_mount (s, i, &m, &err) < 0)
        continue;
      strcat (buf, m.destination);
      strcat (buf, i + 1 < n ? " " : "");
      free (m.options);
    }
  return buf;
}

static void
touch (const char *path, const char *content)
{
  FILE *f = fopen (path, "w");
  fputs (content, f);
  fclose (f);
}

static char *
tpath (const char *rel)
{
  char *p = NULL;
  if (asprintf (&p, "%s/%s", tmp, rel) < 0)
    abort ();
  return p;
}

static struct ab_spec *
spec_with_binds (const char *const *pairs)
{
  cleanup_buf struct ab_buf b = AB_BUF_INIT;

  ab_buf_puts (&b, "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]},"
                   "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\","
                   "\"source\":\"proc\"}");
  for (; *pairs; pairs += 2)
    ab_buf_printf (&b,
                   ",{\"destination\":\"%s\",\"type\":\"bind\",\"source\":"
                   "\"%s\",\"options\":[\"rbind\"]}",
                   pairs[1], pairs[0]);
  ab_buf_puts (&b, "]}");
  return spec_from (b.data);
}

TEST (sensitive_mount_removed)
{
  cleanup_free char *home = tpath ("home"), *ssh = tpath ("home/.ssh");
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };

  setenv ("HOME", home, 1);
  const char *binds[] = { ssh,
                          "/root/.ssh",
                          "/run/docker.sock",
                          "/var/run/docker.sock",
                          "/",
                          "/host",
                          "/proc",
                          "/hostproc",
                          NULL };
  struct ab_spec *s = spec_with_binds (binds);
  CHECK (harden (s, c, &rep) == 0);
  CHECK_STR (destinations (s), "/proc");
  CHECK (report_has (&rep, "sensitive: ~/.ssh"));
  CHECK (report_has (&rep, "/run/docker.sock"));
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

TEST (symlinked_source_resolved)
{
  cleanup_free char *ssh = tpath ("home/.ssh"), *link = tpath ("innocent");
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };

  CHECK (symlink (ssh, link) == 0);
  const char *binds[] = { link, "/mnt/keys", NULL };
  struct ab_spec *s = spec_with_binds (binds);
  CHECK (harden (s, c, &rep) == 0);
  CHECK_STR (destinations (s), "/proc");
  CHECK (report_has (&rep, "resolved to"));
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

TEST (containing_mount_masked)
{
  cleanup_free char *home = tpath ("home");
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };

  const char *binds[] = { home, "/home/agent", NULL };
  struct ab_spec *s = spec_with_binds (binds);
  CHECK (harden (s, c, &rep) == 0);
  /* The home stays; .ssh (a directory) gets a tmpfs, .netrc (a file)
   * /dev/null, right after it; .aws does not exist here: no mask. */
  CHECK_CONTAINS (destinations (s), "/proc /home/agent ");
  CHECK_CONTAINS (destinations (s), "/home/agent/.ssh");
  CHECK_CONTAINS (destinations (s), "/home/agent/.netrc");
  CHECK (strstr (destinations (s), "/home/agent/.aws") == NULL);
  for (size_t i = 0; i < ab_spec_mount_count (s); i++)
    {
      struct ab_mount m;
      cleanup_error ab_error_t err = NULL;
      ab_spec_mount (s, i, &m, &err);
      if (strcmp (m.destination, "/home/agent/.ssh") == 0)
        {
          CHECK_STR (m.type, "tmpfs");
          CHECK (ab_mount_has_option (&m, "ro"));
        }
      if (strcmp (m.destination, "/home/agent/.netrc") == 0)
        {
          CHECK_STR (m.source, "/dev/null");
          CHECK (ab_mount_has_option (&m, "ro"));
        }
      free (m.options);
    }
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

TEST (capabilities_dropped_everywhere)
{
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  struct ab_spec *s = spec_from (
      "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],"
      "\"capabilities\":"
      "{\"bounding\":[\"CAP_SYS_ADMIN\",\"CAP_CHOWN\"],\"effective\":[\"CAP_"
      "SYS_ADMIN\",\"CAP_NET_RAW\"],\"inheritable\":[\"CAP_SYS_PTRACE\"],"
      "\"permitted\":[\"CAP_BPF\",\"CAP_KILL\"],\"ambient\":[\"CAP_NET_ADMIN\"]"
      "}}}");
  static const char *const sets[] = { "bounding",  "effective", "inheritable",
                                      "permitted", "ambient",   NULL };

  CHECK (harden (s, c, &rep) == 0);
  for (const char *const *set = sets; *set; set++)
    for (char **cap = c->drop_capabilities; *cap; cap++)
      CHECK (!ab_process_has_cap (ab_spec_process (s), *set, *cap));
  CHECK (ab_process_has_cap (ab_spec_process (s), "bounding", "CAP_CHOWN"));
  CHECK (ab_process_has_cap (ab_spec_process (s), "permitted", "CAP_KILL"));
  CHECK (report_has (&rep, "capability CAP_SYS_ADMIN: dropped (2 entries)"));
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

TEST (no_new_privileges_and_paths)
{
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  struct ab_spec *s
      = spec_from ("{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":"
                   "[\"sh\"],\"noNewPrivileges\":false}}");

  CHECK (harden (s, c, &rep) == 0);
  CHECK (ab_process_no_new_privileges (ab_spec_process (s)));
  cleanup_free char *out = NULL;
  cleanup_error ab_error_t err = NULL;
  ab_json_serialize (s->root, false, &out, NULL, &err);
  CHECK_CONTAINS (out, "\"/proc/kcore\"");
  CHECK_CONTAINS (out, "\"/proc/sysrq-trigger\"");
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

TEST (host_namespaces_replaced)
{
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  struct ab_spec *s = spec_from (
      "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]},\"linux\":{"
      "\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"ipc\",\"path\":\"/proc/"
      "1/"
      "ns/ipc\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}]}}");
  const char *path = NULL;

  CHECK (harden (s, c, &rep) == 0);
  CHECK (ab_spec_namespace (s, "pid", &path) == 1 && path == NULL);
  CHECK (ab_spec_namespace (s, "uts", &path) == 1 && path == NULL);
  CHECK (ab_spec_namespace (s, "ipc", &path) == 1 && path == NULL);
  /* The network namespace is the network layer's: left as given. */
  CHECK (ab_spec_namespace (s, "network", &path) == 1 && path
         && strcmp (path, "/proc/1/ns/net") == 0);
  CHECK (report_has (&rep, "namespace ipc: joining /proc/1/ns/ipc replaced"));
  CHECK (report_has (&rep, "namespace pid: the host's replaced"));
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

/* Every name in the generated profile is one libseccomp knows, and none
 * of the deny list is allowed. */
TEST (seccomp_added_when_absent)
{
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  struct ab_spec *s = spec_from (
      "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]}}");
  struct ab_json *sc, *calls;

  CHECK (harden (s, c, &rep) == 0);
  sc = ab_spec_seccomp (s);
  CHECK (sc != NULL);
  if (sc == NULL)
    return;
  CHECK_STR (ab_json_get_string (sc, "defaultAction"), "SCMP_ACT_ERRNO");
  calls = ab_json_get (sc, "syscalls");
  size_t allowed = 0;
  for (size_t i = 0; i < calls->u.array.len; i++)
    {
      struct ab_json *r = calls->u.array.items[i];
      struct ab_json *names = ab_json_get (r, "names");
      bool allow
          = strcmp (ab_json_get_string (r, "action"), "SCMP_ACT_ALLOW") == 0;
      for (size_t j = 0; j < names->u.array.len; j++)
        {
          const char *n = ab_json_string (names->u.array.items[j]);
          CHECK (seccomp_syscall_resolve_name (n) != __NR_SCMP_ERROR);
          if (allow && ab_json_get (r, "args") == NULL)
            {
              allowed++;
              for (char **d = c->seccomp_deny; *d; d++)
                CHECK (strcmp (n, *d) != 0);
              CHECK (strcmp (n, "clone") != 0 && strcmp (n, "clone3") != 0);
            }
        }
    }
  CHECK (allowed > 250);
  CHECK (report_has (&rep, "allowlist profile added"));
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

TEST (seccomp_tightened_when_present)
{
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  struct ab_spec *s = spec_from (
      "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]},\"linux\":{"
      "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
      "\"names\":"
      "[\"unshare\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":["
      "\"bpf\"],"
      "\"action\":\"SCMP_ACT_LOG\"}],\"x-kept\":1}}}");
  cleanup_free char *out = NULL;
  cleanup_error ab_error_t err = NULL;

  CHECK (harden (s, c, &rep) == 0);
  ab_json_serialize (ab_spec_seccomp (s), false, &out, NULL, &err);
  /* unshare and bpf left the engine's rules; read stayed; the LOG rule,
   * now empty, is gone; agentbox's block comes first; unknown keys kept. */
  CHECK_CONTAINS (out, "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}");
  CHECK (strstr (out, "SCMP_ACT_LOG") == NULL);
  CHECK (strncmp (out,
                  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
                  "\"names\":[\"bpf\"",
                  60)
         == 0);
  CHECK_CONTAINS (out, "\"x-kept\":1");
  CHECK_CONTAINS (out,
                  "\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38");
  CHECK (report_has (&rep, "denials added"));
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

/* An allowlist profile (default ERRNO/EPERM): the governed names leave
 * the engine's allow rule and fall to the default; clone stays allowed
 * without namespace flags. */
TEST (seccomp_allowlist_tightened)
{
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  struct ab_spec *s = spec_from (
      "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]},\"linux\":{"
      "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{"
      "\"names\":[\"unshare\",\"read\",\"clone\",\"setns\"],\"action\":"
      "\"SCMP_ACT_ALLOW\"}]}}}");
  cleanup_free char *out = NULL;
  cleanup_error ab_error_t err = NULL;

  CHECK (harden (s, c, &rep) == 0);
  ab_json_serialize (ab_spec_seccomp (s), false, &out, NULL, &err);
  CHECK_CONTAINS (out, "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}");
  CHECK (strstr (out, "unshare") == NULL && strstr (out, "setns") == NULL);
  CHECK_CONTAINS (
      out,
      "\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},{\"names\":[\"read\"]");
  CHECK_CONTAINS (out,
                  "\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38");
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

/* Hardening its own output changes nothing and reports nothing. */
TEST (idempotent)
{
  cleanup_free char *home = tpath ("home");
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 }, rep2 = { 0 };
  const char *binds[] = { home, "/home/agent", "/run/docker.sock", "/x", NULL };
  struct ab_spec *s = spec_with_binds (binds);
  cleanup_json struct ab_json *once = NULL;

  ab_json_set (ab_spec_process (s), "noNewPrivileges",
               ab_json_new_bool (false));
  CHECK (harden (s, c, &rep) == 0);
  CHECK (rep.len > 0);
  once = ab_json_copy (s->root);
  CHECK (harden (s, c, &rep2) == 0);
  CHECK (ab_json_equal (once, s->root));
  CHECK (rep2.len == 0);
  for (size_t i = 0; i < rep2.len; i++)
    printf ("# second pass changed: %s\n", rep2.changes[i]);
  ab_harden_report_free (&rep);
  ab_harden_report_free (&rep2);
  ab_spec_free (s);
  ab_config_free (c);
}

TEST (exec_process_hardened)
{
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  cleanup_error ab_error_t err = NULL;
  cleanup_json struct ab_json *proc = NULL;
  const char *j
      = "{\"args\":[\"sh\"],\"noNewPrivileges\":false,\"capabilities\":"
        "{\"effective\":[\"CAP_SYS_ADMIN\",\"CAP_CHOWN\"]}}";

  CHECK (ab_json_parse (j, strlen (j), "p.json", &proc, &err) == 0);
  CHECK (ab_harden_process (proc, c, &rep, &err) == 0);
  CHECK (!ab_process_has_cap (proc, "effective", "CAP_SYS_ADMIN"));
  CHECK (ab_process_has_cap (proc, "effective", "CAP_CHOWN"));
  CHECK (ab_process_no_new_privileges (proc));
  ab_harden_report_free (&rep);
  ab_config_free (c);
}

int
main (void)
{
  cleanup_free char *h = NULL, *s = NULL;

  if (mkdtemp (tmp) == NULL)
    return 1;
  h = tpath ("home");
  s = tpath ("home/.ssh");
  mkdir (h, 0755);
  mkdir (s, 0700);
  cleanup_free char *key = tpath ("home/.ssh/id_rsa"),
                    *netrc = tpath ("home/.netrc");
  touch (key, "KEY");
  touch (netrc, "machine x");
  setenv ("HOME", h, 1);

  RUN (sensitive_mount_removed);
  RUN (symlinked_source_resolved);
  RUN (containing_mount_masked);
  RUN (capabilities_dropped_everywhere);
  RUN (no_new_privileges_and_paths);
  RUN (host_namespaces_replaced);
  RUN (seccomp_added_when_absent);
  RUN (seccomp_tightened_when_present);
  RUN (seccomp_allowlist_tightened);
  RUN (idempotent);
  RUN (exec_process_hardened);
  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmp);
  if (system (cmd) != 0)
    printf ("# could not remove %s\n", tmp);
  return unit_done ();
}
