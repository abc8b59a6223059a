/* agentbox: what agentbox-runc records about the containers it hardened.
 *
 * One directory per container, STATE_DIR/containers/ID/ (STATE_DIR is the
 * config's state_dir, default /run/agentbox), mode 0700, holding
 * state.json:
 *
 *   {"id": "c1", "bundle": "/abs/bundle", "rootfs": "/abs/bundle/rootfs",
 *    "root": "/run/runc" | null, "pid_file": "/abs/pid" | null,
 *    "delegate": "/usr/sbin/runc", "created": "2026-11-22T12:00:00Z",
 *    "agentbox_version": "0.1.0",
 *    "annotations": {"io.agentbox.project": "demo", ...},
 *    "changes": ["capability CAP_SYS_ADMIN: dropped", ...]}
 *
 * written atomically (tmp + rename; no fsync: see state.c).
 *
 * The directory's existence is what "agentbox saw this container" means:
 * exec hardens processes only for containers that have one, and delete
 * removes it.  Later layers (hooks, guardian) add files beside state.json;
 * ab_state_remove() removes the whole directory. */
#ifndef AB_STATE_H
#define AB_STATE_H

#include <stdbool.h>

#include "lib/error.h"
#include "shim/lib/config.h"
#include "spec/spec.h"

/* runc's rule for container ids: [A-Za-z0-9_+,.-]+ (its regexp [\w+-\.]
 * is a range that includes ','), not "." or "..", so never a path. */
bool ab_container_id_valid (const char *id);

/* STATE_DIR/containers/ID in *OUT (caller frees).  Fails on an invalid
 * id, so the result is always one directory below containers/. */
int ab_state_dir (const struct ab_config *cfg, const char *id, char **out,
                  ab_error_t *err);

/* 1 if agentbox recorded ID (its state.json exists), 0 if not. */
int ab_state_exists (const struct ab_config *cfg, const char *id,
                     ab_error_t *err);

/* What create/run records. */
struct ab_state_info
{
  const char *id;
  const char *bundle;         /* absolute */
  const char *rootfs;         /* absolute, from root.path */
  const char *root;           /* the runtime's --root, NULL if not given */
  const char *pid_file;       /* absolute, NULL if not given */
  const char *delegate;       /* the runtime exec'd */
  const struct ab_spec *spec; /* io.agentbox.* annotations read here */
  const char *const *changes; /* NULL-terminated, may be NULL */
};

/* A state directory being written; ab_state_abort() undoes the
 * ab_state_begin() and ab_state_record() calls made on it. */
struct ab_state;

/* Create STATE_DIR/containers/ID (and its parents).  An existing
 * directory (a stale record of an earlier container with this id) is
 * reused; its state.json is kept in memory so abort can restore it.
 * One held by a foreground run that has ended (ab_state_hold) is waited
 * for, up to ab_state_teardown_wait_ms: its teardown removes it. */
int ab_state_begin (const struct ab_config *cfg, const char *id,
                    struct ab_state **out, ab_error_t *err);
/* A foreground `run` whose end a shim server's worker watches: the
 * engine sees runc's exit before the worker has torn the container's
 * state down, and a create of the same id may come in between.  Hold
 * ID's state directory (flock) until the teardown, with PID, the
 * process that runs runc, recorded in it for ab_state_begin: a create
 * waits for the hold only once PID has ended.  *FD is the hold; closing
 * it lets go. */
#define AB_STATE_TEARDOWN_WAIT_MS 10000
extern int ab_state_teardown_wait_ms; /* that; the unit tests shorten it */
int ab_state_hold (const struct ab_config *cfg, const char *id, pid_t pid,
                   int *fd, ab_error_t *err);
/* Write state.json atomically (tmp + rename). */
int ab_state_record (struct ab_state *st, const struct ab_state_info *info,
                     ab_error_t *err);
/* Undo: remove the directory if ab_state_begin created it, else put the
 * previous state.json back.  Best effort; never fails the caller. */
void ab_state_abort (struct ab_state *st);
/* Keep what was written and release ST. */
void ab_state_free (struct ab_state *st);
const char *ab_state_path (const struct ab_state *st);

static inline void
ab_state_freep (struct ab_state **st)
{
  ab_state_free (*st);
}
#define cleanup_state __attribute__ ((cleanup (ab_state_freep)))

/* Remove STATE_DIR/containers/ID and everything in it.  0 when it did not
 * exist. */
/* The io.agentbox.* annotation KEY recorded in DIR/state.json, copied
 * into BUF (N bytes; truncated); "" when the container has none or the
 * file cannot be read. */
void ab_state_annotation (const char *dir, const char *key, char *buf,
                          size_t n);

int ab_state_remove (const struct ab_config *cfg, const char *id,
                     ab_error_t *err);

/* Is the namespace file PATH (e.g. /proc/PID/ns/ipc, as a Kubernetes app
 * container names its pod sandbox's namespaces) a namespace of a
 * container agentbox confined?  Returns 1 yes, 0 no, negative on error.
 *
 * How: a namespace is identified by the (device, inode) of its nsfs file.
 * PATH is confined when that identity is not one of this process's own
 * (the host's) namespaces, and is the namespace of the same type of a
 * live process whose root directory is the rootfs of a recorded
 * container: the PID named in PATH when it has the /proc/PID/ns/TYPE
 * shape, else the pid in a recorded container's --pid-file.  Matching the
 * process by its root directory, not by pid alone, keeps a reused pid
 * from passing as a container.  Fails closed: anything unreadable counts
 * as not confined. */
int ab_state_is_confined_ns (const struct ab_config *cfg, const char *path,
                             ab_error_t *err);
/* The same, and on 1 *OWNER (heap) is the id of that container. */
int ab_state_confined_owner (const struct ab_config *cfg, const char *path,
                             char **owner, ab_error_t *err);

#endif
