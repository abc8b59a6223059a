/* agentbox: what the file guard's BPF programs (bpf/file-guard.bpf.c)
 * and user space (hooks/lib/file-guard.c, the guardian, the CLI) share.
 * docs/file-guard.md explains the design.
 *
 * The policy is a trie of path components in one hash map: a node is
 * keyed by its parent's id and its component's bytes, so the programs
 * walk a path root-first with one lookup per component.  Each node holds
 * the permits and forbids of three slots (the file itself, the directory
 * itself, everything beneath the directory), as right masks.  Two
 * generations live in the map side by side; `gen` in the config says
 * which root is in force, so a policy update is one 32-bit store.
 *
 * Pins, under /sys/fs/bpf/agentbox/ID/fg/: the links (link-NAME), the
 * maps `nodes` and `lnodes` (short and long components), `config`
 * (mmapable: the live mode and generation), `memos` (directory memos),
 * `events` (ring buffer) and `drops`. */
#ifndef AB_BPF_FILE_GUARD_H
#define AB_BPF_FILE_GUARD_H

#include <linux/bpf.h> /* struct bpf_spin_lock */
#include <linux/types.h>

#define AB_FG_NAME_MAX 256  /* a component: NAME_MAX + 1, zero-padded */
#define AB_FG_SHORT_MAX 32  /* shorter components live in the short map */
#define AB_FG_DEPTH_MAX 64  /* components walked; deeper paths are denied */
#define AB_FG_PATH_MAX 1024 /* an event's path (truncated, flagged) */

/* Rights.  READ: open without write; WRITE: open for write, truncate,
 * create, remove, rename, link, chmod, chown, connect to a Unix socket;
 * EXEC: execve, and mapping a file executable. */
#define AB_FG_READ 1u
#define AB_FG_WRITE 2u
#define AB_FG_EXEC 4u

/* The two roots: node ids 1 and 2 are generation 0's and 1's roots. */
#define AB_FG_ROOT(gen) ((gen) + 1u)

enum ab_fg_slot {
	AB_FG_SLOT_FILE = 0, /* resource == File::"/p" */
	AB_FG_SLOT_DIR,	     /* resource == Dir::"/p/" (and `in` it) */
	AB_FG_SLOT_UNDER,    /* strictly beneath Dir::"/p/" */
	AB_FG_N_SLOTS
};

/* Most components are short: they are keyed in `nodes` with a 40-byte
 * key (a lookup hashes and compares 40 bytes, not 264); the others in
 * `lnodes`.  Both are zero-padded. */
struct ab_fg_key {
	__u32 parent;
	__u32 len;
	char name[AB_FG_NAME_MAX];
};

struct ab_fg_skey {
	__u32 parent;
	__u32 len;
	char name[AB_FG_SHORT_MAX];
};

struct ab_fg_node {
	__u32 id;
	__u8 permit[AB_FG_N_SLOTS]; /* right masks */
	__u8 forbid[AB_FG_N_SLOTS];
	__u8 below; /* some node beneath this one holds a rule */
	__u8 kids_forbid; /* its children's FILE and DIR forbids, ORed */
	__u8 pad[2];
	/* The rule index (ab_ir_rule.index + 1; 0: none) of one permit and one
	 * forbid per slot, for the audit line. */
	__u32 permit_rule[AB_FG_N_SLOTS];
	__u32 forbid_rule[AB_FG_N_SLOTS];
};

enum ab_fg_mode {
	AB_FG_ENFORCE = 0,
	AB_FG_SHADOW,
	AB_FG_RECORD,
};

/* The one element of the `config` map.  User space stores each field
 * with a single aligned store through the map's mmap. */
struct ab_fg_config {
	__u32 mode;	/* enum ab_fg_mode */
	__u32 gen;	/* 0 or 1: the generation in force */
	__u32 rights;	/* rights the policy rules on; others are not checked */
	__u32 root_mnt; /* mount id of the container's root (after pivot) */
	__u64 generation; /* the policy's generation number, for events */
	__u64 cgroup_id;  /* the container's, as the dispatcher knows it */
	__u32 fgd_slot;	  /* its dispatcher slot + 1; 0: none */
	__u32 pad;
	__u64 epoch; /* bumped after every flip of gen: directory memos
		      * made before it are stale */
};

/* A directory's memo (inode storage, the `memos` map): where a walk to
 * the directory ended in the trie, and the rights its path grants and
 * forbids to everything beneath it, valid while no rename, no mount
 * change and no policy update happened since.  docs/file-guard.md,
 * "Directory memos". */
struct ab_fg_memo {
	struct bpf_spin_lock lock; /* writers hold it */
	__u32 seq;	    /* odd while a writer is in; readers check it */
	__u32 id;	    /* the directory's trie node; 0: none */
	__u64 dentry;	    /* the directory, as reached */
	__u64 mnt;	    /* through this mount */
	__u64 epoch;	    /* config.epoch */
	__u32 rename_seq;   /* the kernel's rename_lock sequence */
	__u32 mount_seq;    /* and mount_lock's */
	__u8 permit, forbid; /* UNDER rights from the root to the directory */
	__u8 kids_forbid;   /* the directory's node's */
	__u8 pad;
};

/* Guarded containers the dispatcher (bpf/fg-dispatch.bpf.c) can hold. */
#define AB_FGD_SLOTS 4096

/* The hooks the dispatcher serves, one prog array each.  The first ten
 * are the lsm_cgroup ones (dispatched only for containers attached in
 * global mode); the last four are always dispatched. */
enum ab_fgd_hook
{
  AB_FGD_FILE_OPEN = 0,
  AB_FGD_EXEC,
  AB_FGD_MMAP,
  AB_FGD_TRUNCATE,
  AB_FGD_MKNOD,
  AB_FGD_MKDIR,
  AB_FGD_UNLINK,
  AB_FGD_LINK,
  AB_FGD_RENAME,
  AB_FGD_UNIX_CONNECT,
  AB_FGD_RMDIR, /* the first always dispatched */
  AB_FGD_SYMLINK,
  AB_FGD_CHMOD,
  AB_FGD_CHOWN,
  AB_FGD_N_HOOKS
};

enum ab_fg_op {
	AB_FG_OP_OPEN = 1,
	AB_FG_OP_EXEC,
	AB_FG_OP_MMAP,
	AB_FG_OP_CREATE, /* mknod, mkdir, symlink, open O_CREAT */
	AB_FG_OP_REMOVE, /* unlink, rmdir */
	AB_FG_OP_RENAME,
	AB_FG_OP_LINK,
	AB_FG_OP_TRUNCATE,
	AB_FG_OP_CHMOD,
	AB_FG_OP_CHOWN,
	AB_FG_OP_CONNECT, /* a Unix socket */
};

enum ab_fg_verdict {
	AB_FG_DENY = 0,
	AB_FG_WOULD_DENY, /* shadow mode */
	AB_FG_ALLOW,	  /* record mode: every access */
};

/* Why a path has no name the policy could match. */
#define AB_FG_F_TRUNCATED 1u /* the event's path was cut */
#define AB_FG_F_DETACHED 2u  /* not reachable from the container's root */
#define AB_FG_F_DEEP 4u	     /* deeper than AB_FG_DEPTH_MAX */
#define AB_FG_F_SUBTREE 8u   /* a rename or removal of a ruled subtree */

struct ab_fg_event {
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u64 generation;
	__u32 pid, tgid;
	__u32 op;      /* enum ab_fg_op */
	__u32 verdict; /* enum ab_fg_verdict */
	__u32 rights;  /* asked for */
	__u32 rule;    /* deciding rule index + 1; 0: default deny */
	__u32 flags;
	__u32 path_len;
	char comm[16]; /* for people only: the agent sets it */
	char path[AB_FG_PATH_MAX];
};

#endif
