/* Unit tests for shim/lib/config.c: defaults, every key, and errors that
 * name file:line:col. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "policy/ir.h"
#include "shim/lib/config.h"
#include "tests/unit/unit.h"

static char dir[] = "/tmp/ab-test-config.XXXXXX";
static char path[256];

static void
write_config (const char *text)
{
  FILE *f = fopen (path, "w");
  fputs (text, f);
  fclose (f);
}

/* Load TEXT; returns the error message or NULL. */
static char *
load (const char *text, struct ab_config **out)
{
  static char msg[1024];
  cleanup_error ab_error_t err = NULL;

  write_config (text);
  if (ab_config_load (path, out, &err) == 0)
    return NULL;
  snprintf (msg, sizeof msg, "%s", err->msg);
  return msg;
}

static bool
has (char **v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

TEST (defaults_are_strict)
{
  struct ab_config *c = NULL;
  cleanup_error ab_error_t err = NULL;

  CHECK (ab_config_defaults (&c, &err) == 0);
  CHECK (c->no_new_privileges && c->seccomp && c->masked_paths
         && c->isolate_namespaces);
  CHECK_STR (c->state_dir, "/run/agentbox");
  CHECK (has (c->drop_capabilities, "CAP_SYS_ADMIN"));
  CHECK (has (c->drop_capabilities, "CAP_DAC_READ_SEARCH"));
  CHECK (has (c->seccomp_deny, "io_uring_setup"));
  CHECK (has (c->sensitive_paths, "~/.ssh"));
  CHECK (has (c->sensitive_paths, "/run/docker.sock"));
  ab_config_free (c);
}

/* The shipped config is all comments: it must load as the defaults. */
TEST (shipped_config_is_the_defaults)
{
  struct ab_config *c = NULL, *d = NULL;
  cleanup_error ab_error_t err = NULL;
  const char *top = getenv ("AB_TOP");
  char shipped[512];

  snprintf (shipped, sizeof shipped, "%s/contrib/config.yaml", top ? top : ".");
  CHECK (ab_config_load (shipped, &c, &err) == 0);
  if (err)
    printf ("# %s\n", err->msg);
  CHECK (ab_config_defaults (&d, &err) == 0);
  if (c == NULL || d == NULL)
    return;
  CHECK (c->seccomp == d->seccomp
         && c->no_new_privileges == d->no_new_privileges);
  for (size_t i = 0; d->sensitive_paths[i]; i++)
    CHECK_STR (c->sensitive_paths[i], d->sensitive_paths[i]);
  ab_config_free (c);
  ab_config_free (d);
}

/* The shipped file with its commented-out settings switched on must be
 * exactly the defaults: the documentation cannot drift from the code. */
static char *
uncomment_settings (const char *text)
{
  char *out = calloc (1, strlen (text) + 1), *o = out;
  bool in_list = false;

  for (const char *l = text; l && *l;)
    {
      const char *nl = strchr (l, '\n');
      size_t len = nl ? (size_t)(nl - l + 1) : strlen (l);
      const char *p = l;
      bool on = false;

      while (*p == ' ')
        p++;
      if (*p == '#' && p[1] >= 'a' && p[1] <= 'z'
          && strcspn (p + 1, ":\n") < strcspn (p + 1, " \n"))
        on = true, in_list = memchr (p, '[', len - (size_t)(p - l))
                             && !memchr (p, ']', len - (size_t)(p - l));
      else if (in_list && *p == '#')
        {
          on = true;
          if (memchr (p, ']', len - (size_t)(p - l)))
            in_list = false;
        }
      if (on)
        {
          memcpy (o, l, (size_t)(p - l));
          o += p - l;
          memcpy (o, p + 1, len - (size_t)(p - l) - 1);
          o += len - (size_t)(p - l) - 1;
        }
      else
        {
          memcpy (o, l, len);
          o += len;
        }
      l += len;
    }
  return out;
}

static bool
strv_equal (char **a, char **b)
{
  size_t i = 0;
  for (; a && b && a[i] && b[i]; i++)
    if (strcmp (a[i], b[i]) != 0)
      {
        printf ("#   differ at %zu: %s vs %s\n", i, a[i], b[i]);
        return false;
      }
  return a && b && a[i] == NULL && b[i] == NULL;
}

TEST (shipped_config_documents_the_defaults)
{
  const char *top = getenv ("AB_TOP");
  char shipped[512];
  cleanup_free char *text = NULL, *on = NULL;
  cleanup_error ab_error_t err = NULL;
  struct ab_config *c = NULL, *d = NULL;
  FILE *f;
  long n;

  snprintf (shipped, sizeof shipped, "%s/contrib/config.yaml", top ? top : ".");
  f = fopen (shipped, "r");
  CHECK (f != NULL);
  if (f == NULL)
    return;
  fseek (f, 0, SEEK_END);
  n = ftell (f);
  rewind (f);
  text = calloc (1, (size_t)n + 1);
  CHECK (fread (text, 1, (size_t)n, f) == (size_t)n);
  fclose (f);
  on = uncomment_settings (text);
  CHECK (strstr (on, "\n  sensitive_paths: [") != NULL);
  CHECK (
      ab_config_parse ("config.yaml (uncommented)", on, strlen (on), &c, &err)
      == 0);
  if (err)
    printf ("# %s\n", err->msg);
  CHECK (ab_config_defaults (&d, &err) == 0);
  if (c == NULL || d == NULL)
    return;
  CHECK (strv_equal (c->sensitive_paths, d->sensitive_paths));
  CHECK (strv_equal (c->drop_capabilities, d->drop_capabilities));
  CHECK (strv_equal (c->seccomp_deny, d->seccomp_deny));
  CHECK_STR (c->state_dir, d->state_dir);
  CHECK (c->no_new_privileges == d->no_new_privileges
         && c->seccomp == d->seccomp && c->masked_paths == d->masked_paths
         && c->isolate_namespaces == d->isolate_namespaces);
  ab_config_free (c);
  ab_config_free (d);
}

TEST (every_key_read)
{
  struct ab_config *c = NULL;
  char *e = load ("runtime: crun\n"
                  "state_dir: /tmp/x\n"
                  "hardening:\n"
                  "  extra_sensitive_paths: [/srv/secrets]\n"
                  "  drop_capabilities: [sys_admin, CAP_NET_RAW]\n"
                  "  no_new_privileges: false\n"
                  "  seccomp: false\n"
                  "  seccomp_deny: [bpf]\n"
                  "  masked_paths: false\n"
                  "  namespaces: false\n"
                  "  file_guard: global\n"
                  "network:\n"
                  "  policy_dir: /srv/policies\n"
                  "  annotation_modes: [enforce, record]\n",
                  &c);
  CHECK (e == NULL);
  if (c == NULL)
    return;
  CHECK_STR (c->runtime, "crun");
  CHECK_STR (c->state_dir, "/tmp/x");
  CHECK (has (c->sensitive_paths, "/srv/secrets"));
  CHECK (has (c->sensitive_paths, "~/.ssh")); /* extra_ appends */
  CHECK (has (c->drop_capabilities, "CAP_SYS_ADMIN"));
  CHECK (!has (c->drop_capabilities, "CAP_SYS_PTRACE")); /* replaced */
  CHECK (!c->no_new_privileges && !c->seccomp && !c->masked_paths
         && !c->isolate_namespaces);
  CHECK (has (c->seccomp_deny, "bpf") && !has (c->seccomp_deny, "ptrace"));
  CHECK (c->file_guard_global);
  CHECK_STR (c->net.policy_dir, "/srv/policies");
  CHECK (c->net.annotation_modes
         == (1u << AB_IR_MODE_ENFORCE | 1u << AB_IR_MODE_RECORD));
  ab_config_free (c);
}

TEST (errors_name_the_place)
{
  struct ab_config *c = NULL;
  char want[512];

  snprintf (want, sizeof want, "%s:2:1: unknown key `runtim`", path);
  CHECK_CONTAINS (load ("state_dir: /x\nruntim: runc\n", &c), want);
  snprintf (want, sizeof want, "%s:2:23: unknown capability `CAP_NOPE`", path);
  CHECK_CONTAINS (load ("hardening:\n  drop_capabilities: [CAP_NOPE]\n", &c),
                  want);
  snprintf (want, sizeof want, "%s:3:5: unknown syscall `not_a_syscall`", path);
  CHECK_CONTAINS (load ("hardening:\n  seccomp_deny:\n  - not_a_syscall\n", &c),
                  want);
  snprintf (want, sizeof want, "%s:1:22: expected true or false", path);
  CHECK_CONTAINS (load ("hardening: {seccomp: \"yes\"}\n", &c), want);
  snprintf (want, sizeof want, "%s:1:12: expected a mapping", path);
  CHECK_CONTAINS (load ("hardening: [1]\n", &c), want);
  CHECK_CONTAINS (load ("hardening: {bogus: 1}\n", &c),
                  "unknown key `hardening.bogus`");
  CHECK_CONTAINS (load ("state_dir: relative\n", &c),
                  "state_dir must be absolute");
  CHECK_CONTAINS (load ("hardening:\n  sensitive_paths: [relative]\n", &c),
                  "neither absolute nor ~/");
  CHECK_CONTAINS (load ("runtime: [\n", &c), path);
  CHECK (c == NULL);
}

TEST (missing_files)
{
  struct ab_config *c = NULL;
  cleanup_error ab_error_t err = NULL;
  char missing[300];

  snprintf (missing, sizeof missing, "%s/none.yaml", dir);
  /* Named explicitly (or by $AGENTBOX_CONFIG): an error. */
  CHECK (ab_config_load (missing, &c, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "none.yaml");
  ab_error_free (&err);
  setenv ("AGENTBOX_CONFIG", missing, 1);
  CHECK (ab_config_load (NULL, &c, &err) < 0);
  unsetenv ("AGENTBOX_CONFIG");
}

static void
make_exe (const char *in, const char *name, mode_t mode)
{
  char p[512];
  FILE *f;

  snprintf (p, sizeof p, "%s/%s", in, name);
  f = fopen (p, "w");
  fputs ("#!/bin/sh\n", f);
  fclose (f);
  chmod (p, mode);
}

/* Which delegate runs, with PATH pointing at a directory we control. */
static char *
delegate_with_path (const char *yaml, const char *path_env, char **errmsg)
{
  struct ab_config *c = NULL;
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *old = getenv ("PATH") ? strdup (getenv ("PATH")) : NULL;
  char *d = NULL;

  *errmsg = NULL;
  if (load (yaml, &c) != NULL)
    return NULL;
  setenv ("PATH", path_env, 1);
  if (ab_config_delegate (c, &d, &err) < 0)
    *errmsg = strdup (err->msg);
  if (old)
    setenv ("PATH", old, 1);
  ab_config_free (c);
  return d;
}

TEST (delegate_lookup)
{
  char bin[300], both[700], empty[300], want[512], a[300], b[300];
  cleanup_free char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL, *d5 = NULL,
                    *d6 = NULL, *d7 = NULL;
  cleanup_free char *e3 = NULL, *e4 = NULL, *e5 = NULL, *e6 = NULL, *e1 = NULL,
                    *e2 = NULL, *e7 = NULL;
  struct ab_config *c = NULL;

  snprintf (a, sizeof a, "%s/a", dir);
  snprintf (b, sizeof b, "%s/b", dir);
  snprintf (empty, sizeof empty, "%s/empty", dir);
  mkdir (a, 0755);
  mkdir (b, 0755);
  mkdir (empty, 0755);
  make_exe (a, "crun", 0755);
  make_exe (b, "runc", 0755);
  make_exe (b, "crun", 0755);
  mkdir (strcat (strcpy (bin, empty), "/runc"), 0755); /* a dir is not it */
  snprintf (both, sizeof both, "%s:%s", a, b);

  /* Default: runc when found (even after a crun earlier in PATH). */
  d1 = delegate_with_path ("{}\n", both, &e1);
  snprintf (want, sizeof want, "%s/runc", b);
  CHECK_STR (d1, want);
  /* No runc: crun. */
  d2 = delegate_with_path ("{}\n", a, &e2);
  snprintf (want, sizeof want, "%s/crun", a);
  CHECK_STR (d2, want);
  /* Neither (a directory named runc does not count). */
  d3 = delegate_with_path ("{}\n", empty, &e3);
  CHECK (d3 == NULL);
  CHECK_CONTAINS (e3, "neither runc nor crun");
  /* Named: only that one. */
  d4 = delegate_with_path ("runtime: runc\n", a, &e4);
  CHECK (d4 == NULL);
  CHECK_CONTAINS (e4, "runtime `runc` not found in PATH");
  d7 = delegate_with_path ("runtime: crun\n", both, &e7);
  snprintf (want, sizeof want, "%s/crun", a);
  CHECK_STR (d7, want);
  /* An absolute path must be an executable file. */
  snprintf (want, sizeof want, "runtime: %s/crun\n", a);
  d5 = delegate_with_path (want, empty, &e5);
  snprintf (want, sizeof want, "%s/crun", a);
  CHECK_STR (d5, want);
  snprintf (want, sizeof want, "runtime: %s\n", a);
  d6 = delegate_with_path (want, both, &e6);
  CHECK (d6 == NULL);
  CHECK_CONTAINS (e6, "not an executable file");
  make_exe (empty, "noexec", 0644);
  snprintf (want, sizeof want, "runtime: %s/noexec\n", empty);
  free (e6);
  d6 = delegate_with_path (want, both, &e6);
  CHECK (d6 == NULL);
  CHECK_CONTAINS (e6, "not an executable file");
  free (e6);
  d6 = delegate_with_path ("runtime: /nonexistent/runtime\n", both, &e6);
  CHECK (d6 == NULL);
  CHECK_CONTAINS (e6, "/nonexistent/runtime");
  /* Anything else is a config error at its place. */
  snprintf (want, sizeof want,
            "%s:1:10: runtime `docker`: expected runc, crun or an absolute "
            "path",
            path);
  CHECK_CONTAINS (load ("runtime: docker\n", &c), want);
  CHECK (c == NULL);
}

TEST (more_errors_and_forms)
{
  struct ab_config *c = NULL;
  char want[512];

  snprintf (want, sizeof want, "%s:2:22: expected a list, got a scalar", path);
  CHECK_CONTAINS (load ("hardening:\n  drop_capabilities: CAP_SYS_ADMIN\n", &c),
                  want);
  snprintf (want, sizeof want, "%s:1:33: unknown capability `cap_nope`", path);
  CHECK_CONTAINS (load ("hardening: {drop_capabilities: [cap_nope]}\n", &c),
                  want);
  snprintf (want, sizeof want, "%s:1:10: expected a string, got a list", path);
  CHECK_CONTAINS (load ("runtime: [runc]\n", &c), want);
  snprintf (want, sizeof want, "%s:1:25: `cgroup`: expected auto or global",
            path);
  CHECK_CONTAINS (load ("hardening: {file_guard: cgroup}\n", &c), want);
  snprintf (want, sizeof want,
            "%s:2:21: `lax`: not a mode (enforce, shadow, record)", path);
  CHECK_CONTAINS (load ("network:\n  annotation_modes: [lax]\n", &c), want);
  snprintf (want, sizeof want, "%s:2:15: ", path);
  CHECK_CONTAINS (load ("network:\n  policy_dir: relative\n", &c), want);
  /* Globs and ~/ are accepted; caps in any spelling are stored as CAP_X. */
  CHECK (load ("hardening:\n  sensitive_paths: [/run/user/*/bus, ~/.x]\n"
               "  drop_capabilities: [net_raw, Cap_Bpf]\n",
               &c)
         == NULL);
  if (c)
    {
      CHECK_STR (c->sensitive_paths[0], "/run/user/*/bus");
      CHECK (c->sensitive_paths[2] == NULL);
      CHECK_STR (c->drop_capabilities[0], "CAP_NET_RAW");
      CHECK_STR (c->drop_capabilities[1], "CAP_BPF");
      ab_config_free (c);
      c = NULL;
    }
  /* An empty file and an empty hardening section are the defaults. */
  CHECK (load ("", &c) == NULL);
  CHECK (c && c->seccomp && has (c->drop_capabilities, "CAP_SYS_ADMIN"));
  ab_config_free (c);
  c = NULL;
  CHECK (load ("hardening:\n", &c) == NULL);
  CHECK (c && c->no_new_privileges);
  ab_config_free (c);
}

int
main (void)
{
  if (mkdtemp (dir) == NULL)
    return 1;
  snprintf (path, sizeof path, "%s/config.yaml", dir);
  RUN (defaults_are_strict);
  RUN (shipped_config_is_the_defaults);
  RUN (shipped_config_documents_the_defaults);
  RUN (every_key_read);
  RUN (errors_name_the_place);
  RUN (missing_files);
  RUN (delegate_lookup);
  RUN (more_errors_and_forms);
  char cmd[400];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  if (system (cmd) != 0)
    printf ("# could not remove %s\n", dir);
  return unit_done ();
}
