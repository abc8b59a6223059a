/* Unit tests for shim/lib/harden*.c: each rule of the profile, on trees
 * built in memory and on host paths made in a temp dir. */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "shim/lib/harden.h"
#include "spec/spec.h"
#include "tests/unit/seccomp-probes.h"
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
  int r = ab_harden_spec (s, c, "t1", 0, rep, &err);
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

/* The mount at DEST (the last one), or NULL; free (m->options). */
static bool
mount_at (const struct ab_spec *s, const char *dest, struct ab_mount *out)
{
  bool found = false;

  for (size_t i = 0; i < ab_spec_mount_count (s); i++)
    {
      struct ab_mount m;
      cleanup_error ab_error_t err = NULL;
      if (ab_spec_mount (s, i, &m, &err) < 0)
        continue;
      if (strcmp (m.destination, dest) == 0)
        {
          if (found)
            free (out->options);
          *out = m;
          found = true;
        }
      else
        free (m.options);
    }
  return found;
}

/* The engine binds $HOME and, over its .ssh, ~/.ssh itself.  The second
 * mount is removed; the first must still get its mask: the removed mount
 * at the same destination must not count as one. */
TEST (mask_kept_when_sensitive_mount_removed_at_its_place)
{
  cleanup_free char *home = tpath ("home"), *ssh = tpath ("home/.ssh");
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  const char *binds[] = { home, "/home/agent", ssh, "/home/agent/.ssh", NULL };
  struct ab_spec *s = spec_with_binds (binds);
  struct ab_mount m = { 0 };

  CHECK (harden (s, c, &rep) == 0);
  CHECK (mount_at (s, "/home/agent/.ssh", &m));
  CHECK_STR (m.type, "tmpfs");
  CHECK (ab_mount_has_option (&m, "ro"));
  CHECK_STR (destinations (s),
             "/proc /home/agent /home/agent/.ssh /home/agent/.netrc");
  free (m.options);
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

/* runc reads a relative bind source from the bundle directory. */
TEST (relative_source_resolved_from_bundle)
{
  cleanup_free char *bundle = tpath ("bundle");
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  const char *binds[]
      = { "../home/.ssh", "/keys", "../home/.ssh/../.ssh/", "/keys2", NULL };
  struct ab_spec *s = spec_with_binds (binds);

  mkdir (bundle, 0755);
  free (s->path);
  if (asprintf (&s->path, "%s/config.json", bundle) < 0)
    abort ();
  CHECK (harden (s, c, &rep) == 0);
  CHECK_STR (destinations (s), "/proc");
  CHECK (report_has (&rep, "sensitive: ~/.ssh"));
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

/* A source that does not exist is matched by its longest existing
 * prefix, resolved: a missing file under a link to ~/.ssh is in ~/.ssh. */
TEST (missing_source_under_symlink_matched)
{
  cleanup_free char *ssh = tpath ("home/.ssh"), *link = tpath ("alias");
  cleanup_free char *src = tpath ("alias/nothing-here/id_rsa");
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };

  CHECK (symlink (ssh, link) == 0);
  const char *binds[] = { src, "/k", NULL };
  struct ab_spec *s = spec_with_binds (binds);
  CHECK (harden (s, c, &rep) == 0);
  CHECK_STR (destinations (s), "/proc");
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

/* podman's `-v SRC:DST:O` is an overlay over host paths: lowerdir and
 * upperdir count as sources. */
TEST (overlay_layers_checked)
{
  cleanup_free char *home = tpath ("home"), *ssh = tpath ("home/.ssh");
  cleanup_free char *o1 = NULL, *o2 = NULL, *json = NULL;
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  struct ab_mount m = { 0 };

  if (asprintf (&o1, "lowerdir=/usr:%s,upperdir=/tmp/u,workdir=/tmp/w", ssh) < 0
      || asprintf (&o2, "lowerdir=%s", home) < 0
      || asprintf (&json,
                   "{\"ociVersion\":\"1.0.2\",\"mounts\":["
                   "{\"destination\":\"/a\",\"type\":\"overlay\",\"source\":"
                   "\"overlay\",\"options\":[\"%s\"]},"
                   "{\"destination\":\"/b\",\"type\":\"overlay\",\"source\":"
                   "\"overlay\",\"options\":[\"%s\",\"upperdir=/tmp/u\"]}]}",
                   o1, o2)
             < 0)
    abort ();
  struct ab_spec *s = spec_from (json);
  CHECK (harden (s, c, &rep) == 0);
  CHECK_STR (destinations (s), "/b /b/.ssh /b/.netrc");
  CHECK (mount_at (s, "/b/.ssh", &m) && strcmp (m.type, "tmpfs") == 0);
  free (m.options);
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

/* `*` in a sensitive path matches one component: one entry covers every
 * user's runtime directory. */
TEST (glob_sensitive_paths)
{
  cleanup_free char *run = tpath ("run"), *user = tpath ("run/1000");
  cleanup_free char *bus = tpath ("run/1000/bus"), *pat = tpath ("run/*/bus");
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  struct ab_mount m = { 0 };

  mkdir (run, 0755);
  mkdir (user, 0755);
  touch (bus, "");
  ab_strvfree (c->sensitive_paths);
  c->sensitive_paths = calloc (2, sizeof (char *));
  c->sensitive_paths[0] = strdup (pat);
  const char *binds[] = { bus, "/bus", run, "/r", NULL };
  struct ab_spec *s = spec_with_binds (binds);
  CHECK (harden (s, c, &rep) == 0);
  CHECK_STR (destinations (s), "/proc /r /r/1000/bus");
  CHECK (mount_at (s, "/r/1000/bus", &m)
         && strcmp (m.source, "/dev/null") == 0);
  free (m.options);
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

static int confined_calls;

static int
fake_confined (const struct ab_config *cfg, const char *path, void *data)
{
  confined_calls++;
  return strcmp (path, (const char *)data) == 0;
}

/* A Kubernetes app container joins its sandbox's namespaces: kept when
 * the sandbox is one agentbox confined, replaced when it is not. */
TEST (confined_namespaces_kept)
{
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  struct ab_spec *s
      = spec_from ("{\"ociVersion\":\"1.0.2\",\"linux\":{\"namespaces\":["
                   "{\"type\":\"mount\"},{\"type\":\"pid\"},"
                   "{\"type\":\"ipc\",\"path\":\"/proc/4242/ns/ipc\"},"
                   "{\"type\":\"uts\",\"path\":\"/proc/1/ns/uts\"}]}}");
  const char *path = NULL;

  c->is_confined_ns = fake_confined;
  c->is_confined_ns_data = (void *)"/proc/4242/ns/ipc";
  CHECK (harden (s, c, &rep) == 0);
  CHECK (confined_calls == 2);
  CHECK (ab_spec_namespace (s, "ipc", &path) == 1 && path
         && strcmp (path, "/proc/4242/ns/ipc") == 0);
  CHECK (ab_spec_namespace (s, "uts", &path) == 1 && path == NULL);
  CHECK (report_has (&rep, "namespace uts: joining /proc/1/ns/uts replaced"));
  CHECK (!report_has (&rep, "namespace ipc"));
  ab_harden_report_free (&rep);
  ab_spec_free (s);
  ab_config_free (c);
}

/* ---- seccomp profiles compiled and loaded the way runc does ----
 * (runc's libcontainer/seccomp: rules with the default action are
 * skipped, unknown names ignored, every other rule added with
 * seccomp_rule_add_array; a conflict is an error that fails the start.) */

static unsigned long long
num (const struct ab_json *o, const char *key, unsigned long long dflt)
{
  const struct ab_json *n = ab_json_get (o, key);
  return ab_json_is (n, AB_JSON_NUMBER) ? strtoull (n->u.number, NULL, 0)
                                        : dflt;
}

static bool
action_of (const struct ab_json *o, const char *akey, const char *ekey,
           uint32_t *out)
{
  const char *a = ab_json_get_string (o, akey);

  if (a == NULL)
    return false;
  if (strcmp (a, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO ((uint16_t)num (o, ekey, EPERM));
  else if (strcmp (a, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (a, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (a, "SCMP_ACT_KILL") == 0
           || strcmp (a, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL;
  else if (strcmp (a, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else
    return false;
  return true;
}

static bool
op_of (const char *op, enum scmp_compare *out)
{
  static const struct
  {
    const char *name;
    enum scmp_compare op;
  } ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE },
    { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE },
    { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  for (size_t i = 0; op && i < sizeof ops / sizeof *ops; i++)
    if (strcmp (op, ops[i].name) == 0)
      return (*out = ops[i].op), true;
  return false;
}

static int
add_rule (scmp_filter_ctx ctx, uint32_t act, int nr, const struct ab_json *args)
{
  struct scmp_arg_cmp cmp[6];
  unsigned per_index[6] = { 0 };
  bool split = false;
  size_t n = ab_json_is (args, AB_JSON_ARRAY) ? args->u.array.len : 0;

  if (n > 6)
    return -E2BIG;
  for (size_t i = 0; i < n; i++)
    {
      const struct ab_json *a = args->u.array.items[i];
      enum scmp_compare op;
      unsigned idx = (unsigned)num (a, "index", 99);

      if (idx > 5 || !op_of (ab_json_get_string (a, "op"), &op))
        return -EINVAL;
      cmp[i] = (struct scmp_arg_cmp){ idx, op, num (a, "value", 0),
                                      num (a, "valueTwo", 0) };
      split |= ++per_index[idx] > 1;
    }
  if (!split)
    return seccomp_rule_add_array (ctx, act, nr, (unsigned)n, cmp);
  for (size_t i = 0; i < n; i++)
    {
      int r = seccomp_rule_add_array (ctx, act, nr, 1, &cmp[i]);
      if (r < 0)
        return r;
    }
  return 0;
}

/* Compile SC into a filter; NULL (with the reason printed) on failure. */
static scmp_filter_ctx
compile (const struct ab_json *sc)
{
  const struct ab_json *arches = ab_json_get (sc, "architectures");
  const struct ab_json *calls = ab_json_get (sc, "syscalls");
  uint32_t def;
  scmp_filter_ctx ctx;

  if (!action_of (sc, "defaultAction", "defaultErrnoRet", &def)
      || (ctx = seccomp_init (def)) == NULL)
    return NULL;
  for (size_t i = 0; arches && i < arches->u.array.len; i++)
    {
      const char *a = ab_json_string (arches->u.array.items[i]);
      char lower[32];
      size_t k = 0;
      for (const char *p = a + strlen ("SCMP_ARCH_"); *p && k < 31; p++)
        lower[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
      lower[k] = '\0';
      uint32_t arch = seccomp_arch_resolve_name (lower);
      int r = arch ? seccomp_arch_add (ctx, arch) : -EINVAL;
      if (r < 0 && r != -EEXIST)
        {
          printf ("# arch %s: %s\n", a, strerror (-r));
          seccomp_release (ctx);
          return NULL;
        }
    }
  for (size_t i = 0; calls && i < calls->u.array.len; i++)
    {
      const struct ab_json *rule = calls->u.array.items[i];
      const struct ab_json *names = ab_json_get (rule, "names");
      uint32_t act;

      if (!action_of (rule, "action", "errnoRet", &act))
        {
          printf ("# syscalls[%zu]: bad action\n", i);
          seccomp_release (ctx);
          return NULL;
        }
      if (act == def)
        continue;
      for (size_t j = 0; j < names->u.array.len; j++)
        {
          const char *name = ab_json_string (names->u.array.items[j]);
          int nr = seccomp_syscall_resolve_name (name), r;
          if (nr == __NR_SCMP_ERROR)
            continue;
          if ((r = add_rule (ctx, act, nr, ab_json_get (rule, "args"))) < 0)
            {
              printf ("# syscalls[%zu] %s: %s\n", i, name, strerror (-r));
              seccomp_release (ctx);
              return NULL;
            }
        }
    }
  return ctx;
}

/* Load CTX in a child and run the probes there; returns the child's
 * status: 0, or 1 when a probe gave the wrong answer (printed). */
struct expect
{
  int fork;        /* 0 or the errno fork gets */
  int personality; /* the same for personality (ADDR_NO_RANDOMIZE) */
};

static int
run_probes (scmp_filter_ctx ctx, const struct expect *want)
{
  pid_t pid;
  int status = 0;

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      struct probe p[] = {
        { "unshare(CLONE_NEWUTS)", 0, EPERM },
        { "setns(-1, 0)", 0, EPERM },
        { "clone3", 0, ENOSYS },
        { "clone(CLONE_NEWUSER)", 0, EPERM },
        { "io_uring_setup", 0, EPERM },
        { "fork", 0, want->fork },
        { "personality(query)", 0, 0 },
        { "personality(ADDR_NO_RANDOMIZE)", 0, want->personality },
      };

      prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (seccomp_load (ctx) < 0)
        _exit (255);
      p[0].got = probe_result (unshare (CLONE_NEWUTS));
      p[1].got = probe_result (setns (-1, 0));
      p[2].got = probe_result (syscall (SYS_clone3, NULL, 0));
      p[3].got = probe_clone (CLONE_NEWUSER);
      p[4].got = probe_result (syscall (SYS_io_uring_setup, 1, NULL));
      p[5].got = probe_clone (0);
      p[6].got = probe_result (personality (0xffffffff));
      p[7].got = probe_result (personality (PER_LINUX | ADDR_NO_RANDOMIZE));
      _exit (probes_report (p, sizeof p / sizeof *p));
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 256;
}

static struct ab_spec *
fixture (const char *rel)
{
  const char *top = getenv ("AB_TOP");
  cleanup_free char *path = NULL;
  cleanup_error ab_error_t err = NULL;
  struct ab_spec *s = NULL;

  if (asprintf (&path, "%s/tests/fixtures/%s", top ? top : ".", rel) < 0)
    abort ();
  if (ab_spec_load_file (path, &s, &err) < 0)
    printf ("# %s\n", err->msg);
  return s;
}

/* Harden FIXTURE; the result compiles like runc compiles it, its filter
 * denies what agentbox denies, and hardening it again changes nothing. */
static void
check_fixture (const char *rel, const struct expect *want)
{
  struct ab_spec *s = fixture (rel);
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 }, rep2 = { 0 };
  cleanup_json struct ab_json *once = NULL;
  scmp_filter_ctx ctx;

  CHECK (s != NULL);
  if (s == NULL)
    return;
  CHECK (harden (s, c, &rep) == 0);
  CHECK (rep.len > 0);
  CHECK ((ctx = compile (ab_spec_seccomp (s))) != NULL);
  if (ctx && want)
    {
      int r = run_probes (ctx, want);
      if (r)
        printf ("# %s: probes failed (status %d)\n", rel, r);
      CHECK (r == 0);
    }
  if (ctx)
    seccomp_release (ctx);
  once = ab_json_copy (s->root);
  CHECK (harden (s, c, &rep2) == 0);
  CHECK (ab_json_equal (once, s->root));
  CHECK (rep2.len == 0);
  for (size_t i = 0; i < rep2.len; i++)
    printf ("# %s: second pass changed: %s\n", rel, rep2.changes[i]);
  ab_harden_report_free (&rep);
  ab_harden_report_free (&rep2);
  ab_spec_free (s);
  ab_config_free (c);
}

TEST (fixture_without_seccomp)
{
  static const struct expect want = { .fork = 0, .personality = EPERM };
  check_fixture ("harden/k8s-no-seccomp.json", &want);
}

/* moby's shape, with CAP_SYS_ADMIN's extra allows (bpf, mount, setns,
 * unshare, unconditional clone): all taken back. */
TEST (fixture_moby_allowlist)
{
  static const struct expect want = { .fork = 0, .personality = EPERM };
  check_fixture ("harden/moby-allowlist.json", &want);
}

/* Default ALLOW with LOG rules for unshare and setns. */
TEST (fixture_engine_denylist)
{
  static const struct expect want = { .fork = 0, .personality = 0 };
  check_fixture ("harden/engine-denylist.json", &want);
}

/* Its profile is a stub (not even exit_group is allowed): compiled and
 * re-hardened, not loaded. */
TEST (fixture_podman_bundle) { check_fixture ("spec/podman.json", NULL); }

TEST (fixture_containerd_bundle)
{
  static const struct expect want = { .fork = 0, .personality = EPERM };
  check_fixture ("spec/containerd.json", &want);
}

/* The engine's own fields survive in a tightened profile. */
TEST (engine_profile_fields_kept)
{
  struct ab_spec *s = fixture ("harden/engine-denylist.json");
  struct ab_config *c = config ();
  struct ab_harden_report rep = { 0 };
  cleanup_free char *out = NULL;
  cleanup_error ab_error_t err = NULL;

  if (s == NULL)
    return;
  CHECK (harden (s, c, &rep) == 0);
  ab_json_serialize (ab_spec_seccomp (s), false, &out, NULL, &err);
  CHECK_CONTAINS (out, "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"]");
  CHECK_CONTAINS (out, "{\"names\":[\"chroot\"],\"action\":\"SCMP_ACT_ERRNO\","
                       "\"errnoRet\":13}");
  CHECK (strstr (out, "SCMP_ACT_LOG") == NULL);
  ab_harden_report_free (&rep);
  ab_spec_free (s);
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
  RUN (mask_kept_when_sensitive_mount_removed_at_its_place);
  RUN (relative_source_resolved_from_bundle);
  RUN (missing_source_under_symlink_matched);
  RUN (overlay_layers_checked);
  RUN (glob_sensitive_paths);
  RUN (confined_namespaces_kept);
  RUN (fixture_without_seccomp);
  RUN (fixture_moby_allowlist);
  RUN (fixture_engine_denylist);
  RUN (fixture_podman_bundle);
  RUN (fixture_containerd_bundle);
  RUN (engine_profile_fields_kept);
  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmp);
  if (system (cmd) != 0)
    printf ("# could not remove %s\n", tmp);
  return unit_done ();
}
