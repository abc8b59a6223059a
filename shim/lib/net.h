/* agentbox: the network layer's part of the bundle rewrite, and the
 * guardian's client (docs/network.md).
 *
 * On create the shim takes an address slot, writes net.json and
 * resolv.conf into the container's state directory, and rewrites the
 * bundle: a fresh network namespace, agentbox-hook as createRuntime and
 * poststop hook, /etc/resolv.conf bound from the state directory, and the
 * proxy variables.  The hook builds the veth pair and the connect guard
 * and registers the container with the guardian, which the shim has
 * started if it was not running. */
#ifndef AB_SHIM_NET_H
#define AB_SHIM_NET_H

#include "lib/error.h"
#include "shim/lib/config.h"
#include "shim/lib/harden.h"
#include "shim/lib/netalloc.h"
#include "spec/spec.h"

/* Does the bundle need a network of its own?  0: no (network off in the
 * config, or it joins the network namespace of a container agentbox
 * confined — a pod's app container; *JOINED then names that path), 1:
 * yes. */
int ab_net_wanted (const struct ab_spec *s, const struct ab_config *cfg,
                   const char **joined);

/* Rewrite S for a container with addresses A whose state directory is
 * STATE_DIR.  HOOK is agentbox-hook's absolute path.  JOINED: S joins the
 * network namespace of the container whose state directory is STATE_DIR
 * (a pod's app container): its namespace, and hostexec, are left alone.
 * Idempotent. */
/* agentbox-hook (at HOOK) as the createRuntime and poststop hook, once. */
int ab_net_add_hooks (struct ab_spec *s, const struct ab_config *cfg,
                      const char *hook, struct ab_harden_report *rep,
                      ab_error_t *err);

int ab_net_rewrite (struct ab_spec *s, const struct ab_config *cfg,
                    const char *state_dir, const struct ab_netaddr *a,
                    const char *hook, bool joined, struct ab_harden_report *rep,
                    ab_error_t *err);

/* STATE_DIR/netjoin.json: {"owner": "ID"} — the container whose network
 * this one joined; the hook reads it.  ab_net_join_owner: 0 and *OWNER
 * (heap), or ENOENT. */
int ab_net_write_join (const char *state_dir, const char *owner,
                       ab_error_t *err);
int ab_net_join_owner (const char *state_dir, char **owner, ab_error_t *err);

/* Write STATE_DIR/resolv.conf naming A's peer. */
int ab_net_write_resolv (const char *state_dir, const struct ab_netaddr *a,
                         ab_error_t *err);

/* STATE_DIR/run, mode 0755: bound at /run/agentbox in the container;
 * the guardian creates hostexec.sock in it. */
int ab_net_make_run_dir (const char *state_dir, ab_error_t *err);

/* STATE_DIR/run at /run/agentbox (read-only), and SRC at DEST
 * (read-only, nosuid), replacing other mounts there; idempotent. */
int ab_net_bind_run (struct ab_spec *s, const char *state_dir,
                     struct ab_harden_report *rep, ab_error_t *err);
int ab_net_bind_file (struct ab_spec *s, const char *dest, const char *src,
                      struct ab_harden_report *rep, ab_error_t *err);

/* A program installed beside the running one (agentbox-hook, agentboxd):
 * dirname(/proc/self/exe)/NAME. */
int ab_sibling_path (const char *name, char **out, ab_error_t *err);

/* ---- the guardian (agentboxd) ---- */

/* STATE_DIR/agentboxd.sock */
int ab_guardian_socket (const struct ab_config *cfg, char **out,
                        ab_error_t *err);
/* Send one request line (a JSON object) and read the one-line reply into
 * *REPLY.  The reply's "ok" decides: false is an error carrying its
 * "error" text. */
int ab_guardian_call (const struct ab_config *cfg, const char *request,
                      char **reply, ab_error_t *err);
/* Ask the guardian to follow container ID's file guard events (op
 * `fg-watch`), for a container the network layer does not register.  The
 * guardian must be running (ab_guardian_ensure). */
int ab_guardian_fg_watch (const struct ab_config *cfg, const char *id,
                          ab_error_t *err);
/* Make sure the guardian runs: if its socket does not answer, start it
 * (under an flock, so concurrent creates start one) and wait until it
 * does.  CONFIG_PATH is passed on (NULL: its default). */
int ab_guardian_ensure (const struct ab_config *cfg, const char *config_path,
                        ab_error_t *err);

#endif
