/* agentbox: the global config (see config.h and contrib/config.yaml). */
#include "shim/lib/config.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/yaml.h"

/* Host paths no agent container should see.  "~/" is every home
 * directory; `*` matches within one path component.  Matched on the
 * resolved mount source (docs/hardening.md says why each is here, and why
 * engine state directories as a whole are not). */
static const char *const default_sensitive[] = {
  /* Engine and runtime control: any of these is root on the host. */
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/run/docker",
  "/var/run/docker",
  "/run/podman",
  "/var/run/podman",
  "/run/containerd/containerd.sock",
  "/var/run/containerd/containerd.sock",
  "/run/containerd/containerd.sock.ttrpc",
  "/run/containerd/s",
  "/run/containerd/runc",
  "/run/containerd/io.containerd.runtime.v2.task",
  "/run/containerd/io.containerd.runtime.v1.linux",
  "/run/crio",
  "/var/run/crio",
  "/run/buildkit",
  "/run/runc",
  "/run/crun",
  "/run/dbus",
  "/var/run/dbus",
  "/run/systemd/private",
  "/run/user/*/bus",
  "/run/user/*/podman",
  "/run/user/*/docker.sock",
  "/run/user/*/systemd",
  "/run/user/*/gnupg",
  "/run/user/*/keyring",
  "/run/user/*/gcr",
  "/run/user/*/openssh_agent",
  "/tmp/ssh-*",
  /* agentbox's own: the guardian's control socket, policy and keys. */
  "/run/agentbox/agentboxd.sock",
  "/etc/agentbox",
  "/var/lib/agentbox",
  /* Host secrets and boot. */
  "/etc/kubernetes",
  "/var/lib/kubelet/pki",
  "/etc/shadow",
  "/etc/gshadow",
  "/etc/sudoers",
  "/etc/sudoers.d",
  "/etc/ssh",
  "/etc/ssl/private",
  "/boot",
  /* Credentials in every home. */
  "~/.ssh",
  "~/.aws",
  "~/.gnupg",
  "~/.kube",
  "~/.docker",
  "~/.config/gcloud",
  "~/.config/gh",
  "~/.config/hub",
  "~/.netrc",
  "~/.npmrc",
  "~/.pypirc",
  "~/.git-credentials",
  "~/.azure",
  "~/.config/containers",
  "~/.local/share/keyrings",
  "~/.password-store",
  "~/.cargo/credentials",
  "~/.cargo/credentials.toml",
  "~/.gem/credentials",
  "~/.terraform.d/credentials.tfrc.json",
  "~/.vault-token",
  "~/.pgpass",
  "~/.my.cnf",
  NULL,
};

/* Capabilities that let a process leave or reconfigure its sandbox. */
static const char *const default_drop_caps[] = {
  "CAP_SYS_ADMIN",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_SYS_PTRACE",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_BPF",
  "CAP_PERFMON",
  "CAP_SYS_BOOT",
  "CAP_SYS_TIME",
  "CAP_MAC_ADMIN",
  "CAP_MAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_LINUX_IMMUTABLE",
  "CAP_SYSLOG",
  "CAP_AUDIT_CONTROL",
  "CAP_AUDIT_READ",
  "CAP_SYS_PACCT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TTY_CONFIG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_LEASE",
  "CAP_CHECKPOINT_RESTORE",
  "CAP_MKNOD",
  NULL,
};

/* Syscalls denied even when the engine brings its own seccomp profile. */
static const char *const default_seccomp_deny[] = {
  "bpf",
  "perf_event_open",
  "userfaultfd",
  "keyctl",
  "add_key",
  "request_key",
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  "open_by_handle_at",
  "name_to_handle_at",
  "mount",
  "umount",
  "umount2",
  "pivot_root",
  "move_mount",
  "fsopen",
  "fsconfig",
  "fsmount",
  "fspick",
  "open_tree",
  "mount_setattr",
  "setns",
  "unshare",
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
  "process_vm_readv",
  "process_vm_writev",
  "ptrace",
  "kcmp",
  "lookup_dcookie",
  "quotactl",
  "swapon",
  "swapoff",
  "reboot",
  "syslog",
  "acct",
  "settimeofday",
  "clock_settime",
  "adjtimex",
  "clock_adjtime",
  "vm86",
  "vm86old",
  "iopl",
  "ioperm",
  "create_module",
  "get_kernel_syms",
  "query_module",
  "nfsservctl",
  "uselib",
  NULL,
};

static char **
strv_dup (const char *const *v)
{
  size_t n = 0;
  char **out;

  while (v[n])
    n++;
  out = calloc (n + 1, sizeof *out);
  for (size_t i = 0; out && i < n; i++)
    if ((out[i] = strdup (v[i])) == NULL)
      {
        ab_strvfree (out);
        return NULL;
      }
  return out;
}

static int
strv_append (char ***v, char **more)
{
  size_t n = 0, m = 0;
  char **p;

  while (*v && (*v)[n])
    n++;
  while (more[m])
    m++;
  p = realloc (*v, (n + m + 1) * sizeof *p);
  if (p == NULL)
    return -1;
  memcpy (p + n, more, (m + 1) * sizeof *p);
  free (more); /* the strings moved into *v */
  *v = p;
  return 0;
}

void
ab_config_free (struct ab_config *c)
{
  if (c == NULL)
    return;
  free (c->path);
  free (c->runtime);
  free (c->state_dir);
  ab_strvfree (c->sensitive_paths);
  ab_strvfree (c->drop_capabilities);
  ab_strvfree (c->seccomp_deny);
  ab_config_net_free (&c->net);
  ab_config_hx_free (&c->hx);
  free (c);
}

int
ab_config_defaults (struct ab_config **out, ab_error_t *err)
{
  struct ab_config *c = calloc (1, sizeof *c);

  if (c == NULL)
    return ab_error_set (err, ENOMEM, "config: out of memory");
  c->state_dir = strdup (AB_DEFAULT_STATE_DIR);
  c->sensitive_paths = strv_dup (default_sensitive);
  c->drop_capabilities = strv_dup (default_drop_caps);
  c->seccomp_deny = strv_dup (default_seccomp_deny);
  c->no_new_privileges = c->seccomp = c->masked_paths = true;
  c->isolate_namespaces = true;
  c->file_layer = true;
  if (ab_config_net_defaults (&c->net) < 0 || ab_config_hx_defaults (&c->hx) < 0
      || !c->state_dir || !c->sensitive_paths || !c->drop_capabilities
      || !c->seccomp_deny)
    {
      ab_config_free (c);
      return ab_error_set (err, ENOMEM, "config: out of memory");
    }
  *out = c;
  return 0;
}

/* "sys_admin", "CAP_SYS_ADMIN" and "cap_sys_admin" all name one
 * capability; store the OCI spelling. */
static int
canonical_cap (const char *file, yaml_node_t *node, char **name,
               ab_error_t *err)
{
  cleanup_free char *up = NULL;
  cap_value_t v;

  if (asprintf (&up, "%s%s", strncasecmp (*name, "CAP_", 4) ? "CAP_" : "",
                *name)
      < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  for (char *p = up; *p; p++)
    *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
  if (cap_from_name (up, &v) < 0)
    return ab_yaml_error (err, file, node, "unknown capability `%s`", *name);
  free (*name);
  *name = steal_pointer (&up);
  return 0;
}

static int
check_caps (const char *file, yaml_document_t *doc, yaml_node_t *seq,
            char **caps, ab_error_t *err)
{
  for (size_t i = 0; caps[i]; i++)
    {
      yaml_node_t *item
          = yaml_document_get_node (doc, seq->data.sequence.items.start[i]);
      if (canonical_cap (file, item, &caps[i], err) < 0)
        return -1;
    }
  return 0;
}

static int
check_syscalls (const char *file, yaml_document_t *doc, yaml_node_t *seq,
                char **names, ab_error_t *err)
{
  for (size_t i = 0; names[i]; i++)
    if (seccomp_syscall_resolve_name (names[i]) == __NR_SCMP_ERROR)
      return ab_yaml_error (
          err, file,
          yaml_document_get_node (doc, seq->data.sequence.items.start[i]),
          "unknown syscall `%s`", names[i]);
  return 0;
}

static int
check_paths (const char *file, yaml_document_t *doc, yaml_node_t *seq,
             char **paths, ab_error_t *err)
{
  for (size_t i = 0; paths[i]; i++)
    if (paths[i][0] != '/' && strncmp (paths[i], "~/", 2) != 0)
      return ab_yaml_error (
          err, file,
          yaml_document_get_node (doc, seq->data.sequence.items.start[i]),
          "sensitive path `%s` is neither absolute nor ~/...", paths[i]);
  return 0;
}

typedef int (*list_check_fn) (const char *file, yaml_document_t *doc,
                              yaml_node_t *seq, char **v, ab_error_t *err);

/* Read the list at NODE, check (and canonicalise) it with CHECK, then
 * replace *DST with it, or append it with APPEND. */
static int
read_list (const char *file, yaml_document_t *doc, yaml_node_t *node,
           list_check_fn check, char ***dst, bool append, ab_error_t *err)
{
  char **v = NULL;

  if (ab_yaml_get_strv (file, doc, node, &v, err) < 0)
    return -1;
  if (check (file, doc, node, v, err) < 0)
    {
      ab_strvfree (v);
      return -1;
    }
  if (append)
    {
      if (strv_append (dst, v) < 0)
        {
          ab_strvfree (v);
          return ab_error_set (err, ENOMEM, "out of memory");
        }
      return 0;
    }
  ab_strvfree (*dst);
  *dst = v;
  return 0;
}

static int
hardening_key (const char *file, yaml_document_t *doc, const char *key,
               yaml_node_t *k, yaml_node_t *v, void *data, ab_error_t *err)
{
  struct ab_config *c = data;

  if (strcmp (key, "sensitive_paths") == 0
      || strcmp (key, "extra_sensitive_paths") == 0)
    return read_list (file, doc, v, check_paths, &c->sensitive_paths,
                      key[0] == 'e', err);
  if (strcmp (key, "drop_capabilities") == 0)
    return read_list (file, doc, v, check_caps, &c->drop_capabilities, false,
                      err);
  if (strcmp (key, "seccomp_deny") == 0)
    return read_list (file, doc, v, check_syscalls, &c->seccomp_deny, false,
                      err);
  if (strcmp (key, "no_new_privileges") == 0)
    return ab_yaml_get_bool (file, v, &c->no_new_privileges, err);
  if (strcmp (key, "seccomp") == 0)
    return ab_yaml_get_bool (file, v, &c->seccomp, err);
  if (strcmp (key, "masked_paths") == 0)
    return ab_yaml_get_bool (file, v, &c->masked_paths, err);
  if (strcmp (key, "namespaces") == 0)
    return ab_yaml_get_bool (file, v, &c->isolate_namespaces, err);
  if (strcmp (key, "file_layer") == 0)
    return ab_yaml_get_bool (file, v, &c->file_layer, err);
  if (strcmp (key, "file_guard") == 0)
    {
      cleanup_free char *how = NULL;

      if (ab_config_get_string (file, v, &how, false, err) < 0)
        return -1;
      if (strcmp (how, "auto") != 0 && strcmp (how, "global") != 0)
        return ab_yaml_error (err, file, v,
                              "`%s`: expected auto or global", how);
      c->file_guard_global = strcmp (how, "global") == 0;
      return 0;
    }
  return ab_yaml_error (err, file, k, "unknown key `hardening.%s`", key);
}

int
ab_config_get_string (const char *file, yaml_node_t *v, char **dst,
                      bool absolute, ab_error_t *err)
{
  const char *s;

  if (ab_yaml_get_string (file, v, &s, err) < 0)
    return -1;
  if (absolute && s[0] != '/')
    return ab_yaml_error (err, file, v, "`%s`: expected an absolute path", s);
  free (*dst);
  *dst = strdup (s);
  return *dst ? 0 : ab_error_set (err, ENOMEM, "out of memory");
}

static int
top_key (const char *file, yaml_document_t *doc, const char *key,
         yaml_node_t *k, yaml_node_t *v, void *data, ab_error_t *err)
{
  struct ab_config *c = data;

  if (strcmp (key, "runtime") == 0)
    {
      if (ab_config_get_string (file, v, &c->runtime, false, err) < 0)
        return -1;
      if (c->runtime[0] != '/' && strcmp (c->runtime, "runc") != 0
          && strcmp (c->runtime, "crun") != 0)
        return ab_yaml_error (err, file, v,
                              "runtime `%s`: expected runc, crun or an "
                              "absolute path",
                              c->runtime);
      return 0;
    }
  if (strcmp (key, "state_dir") == 0)
    {
      if (ab_config_get_string (file, v, &c->state_dir, false, err) < 0)
        return -1;
      if (c->state_dir[0] != '/')
        return ab_yaml_error (err, file, v, "state_dir must be absolute");
      return 0;
    }
  if (strcmp (key, "hardening") == 0)
    /* "hardening:" with everything under it commented out is empty. */
    return ab_yaml_is_null (v)
               ? 0
               : ab_yaml_mapping_each (file, doc, v, hardening_key, c, err);
  if (strcmp (key, "network") == 0)
    return ab_yaml_is_null (v)
               ? 0
               : ab_yaml_mapping_each (file, doc, v, ab_config_net_key, &c->net,
                                       err);
  if (strcmp (key, "hostexec") == 0)
    return ab_yaml_is_null (v) ? 0
                               : ab_yaml_mapping_each (
                                   file, doc, v, ab_config_hx_key, &c->hx, err);
  return ab_yaml_error (err, file, k, "unknown key `%s`", key);
}

static int
load_doc (struct ab_config *c, const char *file, yaml_document_t *doc,
          ab_error_t *err)
{
  yaml_node_t *root = yaml_document_get_root_node (doc);

  if (root == NULL) /* an empty file: all defaults */
    return 0;
  return ab_yaml_mapping_each (file, doc, root, top_key, c, err);
}

int
ab_config_load (const char *path, struct ab_config **out, ab_error_t *err)
{
  cleanup_config struct ab_config *c = NULL;
  yaml_document_t doc;
  bool explicit = path != NULL;
  int r;

  if (path == NULL && (path = getenv ("AGENTBOX_CONFIG")) && *path)
    explicit = true;
  else if (path == NULL || *path == '\0')
    path = AB_DEFAULT_CONFIG;
  if (ab_config_defaults (&c, err) < 0)
    return -1;
  r = ab_yaml_load (path, &doc, err);
  if (r < 0 && (*err)->status == ENOENT && !explicit)
    {
      /* No config file: the documented defaults, which are the strict
       * ones, apply. */
      ab_error_free (err);
      *out = steal_pointer (&c);
      return 0;
    }
  if (r < 0)
    return ab_error_wrap (err, "load config");
  r = load_doc (c, path, &doc, err);
  yaml_document_delete (&doc);
  if (r < 0)
    return ab_error_wrap (err, "load config");
  c->path = strdup (path);
  *out = steal_pointer (&c);
  return 0;
}

int
ab_config_parse (const char *name, const char *data, size_t len,
                 struct ab_config **out, ab_error_t *err)
{
  cleanup_config struct ab_config *c = NULL;
  yaml_document_t doc;
  int r;

  if (ab_config_defaults (&c, err) < 0
      || ab_yaml_load_string (name, data, len, &doc, err) < 0)
    return -1;
  r = load_doc (c, name, &doc, err);
  yaml_document_delete (&doc);
  if (r < 0)
    return -1;
  *out = steal_pointer (&c);
  return 0;
}

/* A regular file we may execute (access() alone passes directories). */
static bool
is_executable (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISREG (st.st_mode)
         && access (path, X_OK) == 0;
}

static char *
find_in_path (const char *name)
{
  const char *path = getenv ("PATH");
  cleanup_free char *copy
      = strdup (path && *path ? path
                              : "/usr/local/sbin:/usr/local/"
                                "bin:/usr/sbin:/usr/bin:/"
                                "sbin:/bin");
  char *save = NULL;

  if (copy == NULL)
    return NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir;
       dir = strtok_r (NULL, ":", &save))
    {
      char *full = NULL;
      if (asprintf (&full, "%s/%s", dir, name) < 0)
        return NULL;
      if (is_executable (full))
        return full;
      free (full);
    }
  return NULL;
}

int
ab_config_delegate (const struct ab_config *c, char **out, ab_error_t *err)
{
  const char *want = c->runtime;

  if (want && want[0] == '/')
    {
      struct stat st;

      /* Closed: a runtime we cannot run is an error now, not a confusing
       * exec failure after the bundle was rewritten. */
      if (stat (want, &st) < 0)
        return ab_error_errno (err, "%s: runtime `%s`",
                               c->path ? c->path : "config", want);
      if (!is_executable (want))
        return ab_error_set (err, EACCES,
                             "%s: runtime `%s`: not an executable file",
                             c->path ? c->path : "config", want);
      return (*out = strdup (want)) ? 0 : ab_error_set (err, ENOMEM, "oom");
    }
  if (want && strcmp (want, "runc") != 0 && strcmp (want, "crun") != 0)
    return ab_error_set (err, EINVAL,
                         "%s: runtime `%s`: expected runc, crun or an "
                         "absolute path",
                         c->path ? c->path : "config", want);
  if (want)
    {
      *out = find_in_path (want);
      if (*out == NULL)
        return ab_error_set (err, ENOENT, "%s: runtime `%s` not found in PATH",
                             c->path ? c->path : "config", want);
      return 0;
    }
  /* Default: runc when installed, else crun. */
  if ((*out = find_in_path ("runc")) || (*out = find_in_path ("crun")))
    return 0;
  return ab_error_set (err, ENOENT,
                       "no delegate runtime: neither runc nor crun in PATH");
}
