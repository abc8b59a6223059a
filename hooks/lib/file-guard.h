/* agentbox: the file guard — BPF LSM programs (bpf/file-guard.bpf.c)
 * attached to a container's cgroup with BPF_LSM_CGROUP, enforcing the
 * policy's file and exec rules in the kernel (docs/file-guard.md).
 *
 * The hook loads and attaches them at createRuntime and pins links and
 * maps under /sys/fs/bpf/agentbox/ID/fg, so enforcement outlives the hook
 * and the guardian; delete unpins.  The guardian reads the `events` ring
 * buffer into the audit log; `agentbox mode` flips the mode live. */
#ifndef AB_HOOKS_FILE_GUARD_H
#define AB_HOOKS_FILE_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf/file-guard.h"
#include "lib/error.h"
#include "policy/ir.h"

/* The compiled form of one principal's file and exec rules: the trie's
 * nodes for one generation, ready for the map. */
struct ab_fg_plan
{
  struct ab_fg_key *keys;
  struct ab_fg_node *nodes;
  size_t n, cap;
  uint32_t rights; /* rights some rule speaks of */
};

void ab_fg_plan_free (struct ab_fg_plan *p);

/* Compile P's file and exec rules of IR, narrowed by those of NARROW
 * (NULL: none; docs/narrowing.md), into PLAN for generation GEN (0 or
 * 1).  Returns 1 when neither policy has such a rule (no file layer
 * needed), 0, or -1.  Conditional permits are left out and conditional
 * forbids kept (stricter, as in the Landlock layer).  Events name a rule
 * by its index + 1 in IR, or n_rules (IR) + index + 1 in NARROW. */
int ab_fg_plan_build (const struct ab_ir *ir, const struct ab_ir *narrow,
                      const struct ab_ir_principal *p, uint32_t gen,
                      struct ab_fg_plan *plan, ab_error_t *err);

/* Whether this kernel can run the file guard: BPF LSM active, lockdown
 * allowing it, bpf_loop (5.17+), cgroup2.  WHY gets a reason when not. */
bool ab_fg_supported (char *why, size_t n);

/* Whether it can attach on the container's cgroup (BPF_LSM_CGROUP,
 * 6.0+); else the guard runs in global mode, through the dispatcher. */
bool ab_fg_cgroup_attach (void);

/* Whether the kernel gives the programs what directory memos need
 * (docs/file-guard.md, "Directory memos"). */
bool ab_fg_memos_supported (void);

/* The mount id of ROOTFS in PID's mount namespace (the topmost mount
 * on it, which becomes the container's "/"). */
int ab_fg_root_mount (pid_t pid, const char *rootfs, uint32_t *mnt_id,
                      ab_error_t *err);

/* /sys/fs/bpf/agentbox/ID/fg */
int ab_fg_pin_dir (const char *id, char **out, ab_error_t *err);

/* Load the programs, fill the maps from PLAN (generation 0), set MODE,
 * attach to the cgroup2 directory CGROUP (GLOBAL: register it with the
 * host-wide dispatcher for every hook instead), pin under
 * ab_fg_pin_dir (ID).  ROOT_MNT is the mount id of the container's root.
 * On failure nothing stays attached or pinned. */
int ab_fg_attach (const char *id, const char *cgroup,
                  const struct ab_fg_plan *plan, enum ab_fg_mode mode,
                  bool global, uint32_t root_mnt, uint64_t generation,
                  ab_error_t *err);

/* Unpin everything under ab_fg_pin_dir (ID); missing is success. */
int ab_fg_detach (const char *id, ab_error_t *err);

/* Whether container ID has a file guard pinned. */
bool ab_fg_attached (const char *id);

/* Put a new policy in force for ID: write the other generation's nodes,
 * flip `gen` with one store, delete the old generation.  A plan that
 * fails to write changes nothing. */
int ab_fg_update (const char *id, const struct ab_ir *ir,
                  const struct ab_ir *narrow, const struct ab_ir_principal *p,
                  uint64_t generation, ab_error_t *err);

/* Switch the mode of ID live. */
int ab_fg_set_mode (const char *id, enum ab_fg_mode mode, ab_error_t *err);

/* Read ID's config (mode, generation) and its drop counter. */
int ab_fg_status (const char *id, struct ab_fg_config *cfg, uint64_t *drops,
                  ab_error_t *err);

/* A file descriptor of ID's pinned `events` ring buffer, or -1. */
int ab_fg_events_fd (const char *id, ab_error_t *err);

const char *ab_fg_mode_name (enum ab_fg_mode m);
const char *ab_fg_op_name (enum ab_fg_op op);
const char *ab_fg_verdict_name (enum ab_fg_verdict v);

#endif
