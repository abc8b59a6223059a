/* Unit tests for shim/lib/config.c: defaults, every key, and errors that
 * name file:line:col. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
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
                  "  namespaces: false\n",
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

TEST (delegate_lookup)
{
  struct ab_config *c = NULL;
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *d = NULL;

  CHECK (load ("runtime: runc\n", &c) == NULL);
  CHECK (ab_config_delegate (c, &d, &err) == 0);
  CHECK (d && d[0] == '/' && strstr (d, "runc"));
  ab_config_free (c);
  c = NULL;
  CHECK (load ("runtime: /nonexistent/runtime\n", &c) == NULL);
  CHECK (ab_config_delegate (c, &d, &err) < 0);
  ab_error_free (&err);
  ab_config_free (c);
  c = NULL;
  CHECK (load ("runtime: docker\n", &c) == NULL);
  CHECK (ab_config_delegate (c, &d, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL,
                  "expected runc, crun or an absolute path");
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
  RUN (every_key_read);
  RUN (errors_name_the_place);
  RUN (missing_files);
  RUN (delegate_lookup);
  unlink (path);
  rmdir (dir);
  return unit_done ();
}
