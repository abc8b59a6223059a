/* agentbox: the global config, /etc/agentbox/config.yaml ($AGENTBOX_CONFIG
 * overrides).  Every field has a documented default (contrib/config.yaml);
 * a missing file means all defaults.  Unknown keys, wrong types and unknown
 * capability or syscall names are errors naming file:line:col. */
#ifndef AB_CONFIG_H
#define AB_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"
#include "lib/yaml.h"

#define AB_DEFAULT_CONFIG AB_SYSCONFDIR "/agentbox/config.yaml"
#define AB_DEFAULT_STATE_DIR "/run/agentbox"

struct ab_config
{
  char *path;      /* the file read, NULL when built-in defaults */
  char *runtime;   /* `runtime:` as written: "runc", "crun" or a path;
                      NULL = default (runc if found, else crun) */
  char *state_dir; /* `state_dir:`, default /run/agentbox */

  /* hardening: */
  char **sensitive_paths;   /* `hardening.sensitive_paths`, NULL-terminated;
                               "~/x" means x under every home directory */
  char **drop_capabilities; /* `hardening.drop_capabilities`: "CAP_X" */
  bool no_new_privileges;   /* `hardening.no_new_privileges`, default true */
  bool seccomp;             /* `hardening.seccomp`, default true */
  char **seccomp_deny;      /* `hardening.seccomp_deny`: syscall names */
  bool masked_paths;        /* `hardening.masked_paths`, default true */
  bool isolate_namespaces;  /* `hardening.namespaces`, default true: host
                               pid/ipc/uts replaced by new ones */
  bool file_layer;          /* `hardening.file_layer`, default true: the
                               policy's file/exec rules through Landlock */
  bool file_guard_global;   /* `hardening.file_guard: global`: the BPF file
                               guard through the host-wide dispatcher even
                               where BPF_LSM_CGROUP exists (default auto:
                               only where it does not) */

  /* network (docs/network.md): */
  struct ab_netconf
  {
    bool enabled;         /* `network.enabled`, default true */
    struct in_addr ct4;   /* `network.container_range4` */
    unsigned ct4_len;     /*   default 100.96.0.0/16: a /31 each */
    struct in6_addr ct6;  /* `network.container_range6` */
    unsigned ct6_len;     /*   default fd61:6762:6f78:1::/64: /127 */
    struct in_addr syn4;  /* `network.synthetic_range4` */
    unsigned syn4_len;    /*   default 198.18.0.0/15 */
    struct in6_addr syn6; /* `network.synthetic_range6` */
    unsigned syn6_len;    /*   default fd61:6762:6f78:5::/96 */
    bool ipv6;            /* `network.ipv6`, default true */
    unsigned ports[16];   /* `network.ports`, default [80, 443] */
    unsigned n_ports;
    unsigned proxy_port;       /* `network.proxy_port`, default 3128 */
    char *upstream_netns;      /* `network.upstream_netns`: a netns file;
                                  NULL = the netns agentboxd started in */
    char *resolver;            /* `network.resolver`: "IP" or "IP:PORT";
                                  NULL = /etc/resolv.conf's first */
    char *audit_log;           /* `network.audit_log`, default
                                  /var/log/agentbox/audit.jsonl */
    char **policy;             /* `network.policy`: Cedar/YAML files;
                                  default /etc/agentbox/policy.cedar */
    bool policy_set;           /* named in the file: then they must exist */
    char *policy_dir;          /* `network.policy_dir`: the policies a container
                                  may name to narrow its own (annotation
                                  io.agentbox.policy); default
                                  /etc/agentbox/policies */
    unsigned annotation_modes; /* `network.annotation_modes`: the modes
                                  io.agentbox.mode may pick, 1u << enum
                                  ab_ir_mode; default enforce only */
    char *guardian;            /* `network.guardian`: agentboxd's path;
                                  NULL = beside agentbox-runc */
    char *hook;                /* `network.hook`: agentbox-hook's path;
                                  NULL = beside agentbox-runc */
  } net;

  /* hostexec (docs/hostexec.md): */
  struct ab_hxconf
  {
    bool enabled;              /* `hostexec.enabled`, default true */
    unsigned command_timeout;  /* `hostexec.command_timeout` s, default 600 */
    unsigned approval_timeout; /* `hostexec.approval_timeout` s, 300 */
    long long output_limit;    /* `hostexec.output_limit` bytes, 64 MiB */
    char **pass_env;           /* `hostexec.pass_env`: names the client may
                                  send; default TERM LANG LC_ALL LC_CTYPE TZ
                                  NO_COLOR CI */
    char *path;                /* `hostexec.path`: PATH of host commands,
                                  default /usr/local/bin:/usr/bin:/bin */
    char *client;              /* `hostexec.client`: the static client bound
                                  into containers; NULL = beside
                                  agentbox-runc */
    long long limit_nofile;    /* `hostexec.limits.nofile`, default 1024 */
    long long limit_nproc;     /* `.nproc`: processes of the owner, 0 none */
    long long limit_as;        /* `.address_space` bytes, 0 none */
    long long limit_cpu;       /* `.cpu` seconds, 0 none */
    unsigned vsock_port;       /* `hostexec.vsock_port`: also listen on
                                  AF_VSOCK (VM runtimes); 0 = off */
  } hx;

  /* Not from the file.  Is the namespace file PATH a namespace of a
   * container agentbox confined (so joining it is kept)?  1 yes, 0 no,
   * negative on error (counted as no: closed).  NULL, the default, means
   * ab_state_is_confined_ns() on the containers recorded under state_dir;
   * tests and embedders set their own. */
  int (*is_confined_ns) (const struct ab_config *cfg, const char *path,
                         void *data);
  void *is_confined_ns_data;
};

/* Load PATH, or $AGENTBOX_CONFIG, or the default path when PATH is NULL.
 * A missing default file is not an error (defaults apply); a missing file
 * named by $AGENTBOX_CONFIG is. */
int ab_config_load (const char *path, struct ab_config **out, ab_error_t *err);
/* Parse config text DATA (LEN bytes); NAME is used in errors. */
int ab_config_parse (const char *name, const char *data, size_t len,
                     struct ab_config **out, ab_error_t *err);
/* Built-in defaults only. */
int ab_config_defaults (struct ab_config **out, ab_error_t *err);
void ab_config_free (struct ab_config *c);

/* Replace *DST with the scalar V (an absolute path when ABSOLUTE), or
 * fail naming FILE:LINE:COL. */
int ab_config_get_string (const char *file, yaml_node_t *v, char **dst,
                          bool absolute, ab_error_t *err);

/* The `network:` section (config-net.c). */
int ab_config_net_defaults (struct ab_netconf *n);
void ab_config_net_free (struct ab_netconf *n);
int ab_config_net_key (const char *file, yaml_document_t *doc, const char *key,
                       yaml_node_t *k, yaml_node_t *v, void *data,
                       ab_error_t *err);

/* The `hostexec:` section (config-hx.c). */
int ab_config_hx_defaults (struct ab_hxconf *h);
void ab_config_hx_free (struct ab_hxconf *h);
int ab_config_hx_key (const char *file, yaml_document_t *doc, const char *key,
                      yaml_node_t *k, yaml_node_t *v, void *data,
                      ab_error_t *err);

/* The delegate runtime as an absolute path: config's `runtime`, else runc
 * from PATH, else crun.  Error if none is found. */
int ab_config_delegate (const struct ab_config *c, char **out, ab_error_t *err);

static inline void
ab_config_freep (struct ab_config **c)
{
  ab_config_free (*c);
}
#define cleanup_config __attribute__ ((cleanup (ab_config_freep)))

#endif
