// SPDX-License-Identifier: GPL-2.0
/* agentbox: the file guard.  BPF LSM programs attached to one container's
 * cgroup (BPF_LSM_CGROUP) that enforce its policy's file and exec rules:
 * open for read or write, exec (and mapping a file executable), and the
 * path operations that create, remove, rename, link, truncate or change
 * modes and owners (see "the hooks" below for how they are attached).
 *
 * A checked path is the one the kernel resolved: the file's own dentry
 * and mount, walked up to the container's root mount (not the task's
 * root: a chroot changes nothing).  Its components are then looked up
 * root-first in the policy trie, one hash probe each: O(depth), whatever
 * the number of rules.  docs/file-guard.md has the design.
 *
 * lsm_cgroup programs return 1 to allow and 0 to deny (EPERM); the
 * plain LSM ones 0 or -EPERM. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "bpf/kernel-types.h"
#include "bpf/file-guard.h"

#define ALLOW 1
#define DENY 0

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024); /* resized by user space before load */
	__type(key, struct ab_fg_skey);
	__type(value, struct ab_fg_node);
} nodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, struct ab_fg_key);
	__type(value, struct ab_fg_node);
} lnodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ab_fg_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Per task: the exe_file it was last found armed with (see armed()). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} armed_exe SEC(".maps");

/* Per directory inode: its memo (docs/file-guard.md, "Directory memos").
 * Storage lives and dies with the inode, so a memo can never be read for
 * another directory. */
struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ab_fg_memo);
} memos SEC(".maps");

/* Every rename (d_move, d_exchange, a directory spliced into place) and
 * every change to any mount tree bumps one of these two sequence
 * counts.  Resolved from kallsyms; a kernel built without
 * CONFIG_KALLSYMS_ALL leaves them 0, and then no memo is ever made. */
extern const void rename_lock __ksym __weak;
extern const void mount_lock __ksym __weak;

/* A walked path and the state of the loops over it.  bpf_loop callbacks
 * keep their state here, in map memory, not on the stack: a 6.1
 * verifier checks a callback as if it ran once, and would otherwise
 * draw (and act on) false conclusions about values the loop changed.
 * The depth is a power of two so that masked indexes satisfy it. */
struct walk {
	/* each component's name, read on the way up: the lookups and an
	 * event's path then probe only the name's bytes */
	const unsigned char *name[AB_FG_DEPTH_MAX];
	__u32 len[AB_FG_DEPTH_MAX];
	__u32 n;
	__u32 flags;
	struct ab_fg_key key;
	struct ab_fg_skey skey;
	/* walking up */
	struct mount *mnt;
	struct dentry *mroot; /* mnt's root, read once per mount */
	struct dentry *cur;
	__u32 root_mnt;
	__u32 up_n;
	__u32 record; /* store the components (else: is the root reached?) */
	__u32 reached, deep;
	/* looking the components up */
	__u32 id, want, is_dir, subtree, subtree_hit;
	__u32 permit, forbid, prule, frule;
	/* the state after the leaf's directory, for its memo */
	__u32 dir_id, dir_permit, dir_forbid, dir_kids, dir_set;
	/* writing an event's path */
	__u64 off;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} scratch SEC(".maps");

/* What a bpf_loop callback gets: pointers it does not change. */
struct loop_ctx {
	struct walk *w;
	struct ab_fg_event *e;
};

struct verdict {
	__u32 rule;   /* rule index + 1, 0: default deny */
	__u32 flags;
	bool allowed; /* what the policy says, before the mode */
};

static __always_inline struct mount *real_mount(struct vfsmount *m)
{
	return (void *)m - bpf_core_field_offset(struct mount, mnt);
}

static __always_inline struct vfsmount *vfs_mount(struct mount *m)
{
	return (void *)m + bpf_core_field_offset(struct mount, mnt);
}

/* D's parent and name.  One probe where d_name follows d_parent and
 * struct qstr is (hash, len, name), as in every kernel so far; CO-RE's
 * offsets decide at load time, and any other layout gets three. */
static __always_inline struct dentry *parent_and_name(struct dentry *d,
						      __u32 *len,
						      const unsigned char **name)
{
	struct {
		struct dentry *parent;
		__u32 hash, len;
		const unsigned char *name;
	} pn;

	if (bpf_core_field_offset(struct dentry, d_name) ==
		    bpf_core_field_offset(struct dentry, d_parent) + 8 &&
	    bpf_core_field_offset(struct qstr, len) == 4 &&
	    bpf_core_field_offset(struct qstr, name) == 8) {
		if (bpf_probe_read_kernel(&pn, sizeof(pn),
					  (void *)d + bpf_core_field_offset(struct dentry, d_parent)))
			pn.parent = d; /* unreadable: end the walk there */
	} else {
		pn.parent = BPF_CORE_READ(d, d_parent);
		pn.len = BPF_CORE_READ(d, d_name.len);
		pn.name = BPF_CORE_READ(d, d_name.name);
	}
	*len = pn.len;
	*name = pn.name;
	return pn.parent;
}

/* One step of a walk up the dentry tree, for bpf_loop: the verifier
 * checks a callback once, where an unrolled walk would multiply its
 * states by the depth. */
static long up_step(__u32 idx, void *ctx)
{
	struct walk *w = ((struct loop_ctx *)ctx)->w;
	/* Locals: a CO-RE read must not see our own structs' fields. */
	struct mount *mnt = w->mnt;
	struct dentry *d = w->cur;
	const unsigned char *name;
	struct dentry *parent;
	__u32 n, len;

	if (d == w->mroot) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		struct vfsmount *upv = vfs_mount(up);

		if ((__u32)BPF_CORE_READ(mnt, mnt_id) == w->root_mnt) {
			w->reached = 1;
			return 1;
		}
		if (up == mnt)
			return 1; /* the namespace's root, not ours */
		w->cur = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->mroot = BPF_CORE_READ(upv, mnt_root);
		return 0;
	}
	parent = parent_and_name(d, &len, &name);
	if (d == parent)
		return 1; /* a filesystem's root that is no mount's */
	n = w->up_n;
	if (w->record) {
		if (n >= AB_FG_DEPTH_MAX) {
			w->deep = 1;
			return 1;
		}
		barrier_var(n);
		w->name[n & (AB_FG_DEPTH_MAX - 1)] = name;
		w->len[n & (AB_FG_DEPTH_MAX - 1)] = len;
	}
	w->up_n = n + 1;
	w->cur = parent;
	return 0;
}

/* Walk from (VMNT, D) up to the container's root, recording components
 * when RECORD.  Returns whether the root was reached; a path that leaves
 * the root's tree (another mount namespace's file, a pipe, a memfd) is
 * "detached". */
static __always_inline bool walk_up(struct walk *w, struct vfsmount *vmnt,
				    struct dentry *d, __u32 root_mnt,
				    bool record)
{
	struct loop_ctx lc = { .w = w };

	w->mnt = real_mount(vmnt);
	w->mroot = BPF_CORE_READ(vmnt, mnt_root);
	w->cur = d;
	w->root_mnt = root_mnt;
	w->up_n = 0;
	w->record = record;
	w->reached = 0;
	w->deep = 0;
	bpf_loop(2 * AB_FG_DEPTH_MAX, up_step, &lc, 0);
	if (record) {
		w->n = w->up_n < AB_FG_DEPTH_MAX ? w->up_n : AB_FG_DEPTH_MAX;
		if (w->deep)
			w->flags |= AB_FG_F_DEEP;
		else if (!w->reached)
			w->flags |= AB_FG_F_DETACHED;
	}
	return w->reached;
}

/* A task is confined once it runs a program from inside the container's
 * root.  Until then it is the runtime (runc init runs from a memfd and
 * still has work to do after the programs are attached).
 *
 * A task's exe_file changes only at execve, and a file inside the root
 * stays inside it (the container cannot move mounts), so a task found
 * armed with an exe stays armed while it runs that exe: the answer is
 * kept in task storage, keyed by the file.  Only "armed" is kept.  A
 * stale key can only be an exe freed and its memory reused by another
 * file the task then runs: that makes the task checked, never
 * unchecked. */
static __always_inline bool armed(struct walk *w, const struct ab_fg_config *c)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct mm_struct *mm = t->mm;
	struct file *exe;
	__u64 *seen;

	if (!mm)
		return false;
	exe = mm->exe_file;
	if (!exe)
		return false;
	seen = bpf_task_storage_get(&armed_exe, t, 0, 0);
	if (seen && *seen == (__u64)exe)
		return true;
	if (!walk_up(w, exe->f_path.mnt, exe->f_path.dentry, c->root_mnt,
		     false))
		return false;
	seen = bpf_task_storage_get(&armed_exe, t, 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (seen)
		*seen = (__u64)exe;
	return true;
}

static __always_inline void take(struct walk *w, const struct ab_fg_node *nd,
				 int slot)
{
	__u32 forbid, permit, frule, prule;

	/* Constant indexes: the verifier sees a bool-derived index as any
	 * byte. */
	if (slot == AB_FG_SLOT_FILE) {
		forbid = nd->forbid[AB_FG_SLOT_FILE];
		permit = nd->permit[AB_FG_SLOT_FILE];
		frule = nd->forbid_rule[AB_FG_SLOT_FILE];
		prule = nd->permit_rule[AB_FG_SLOT_FILE];
	} else if (slot == AB_FG_SLOT_DIR) {
		forbid = nd->forbid[AB_FG_SLOT_DIR];
		permit = nd->permit[AB_FG_SLOT_DIR];
		frule = nd->forbid_rule[AB_FG_SLOT_DIR];
		prule = nd->permit_rule[AB_FG_SLOT_DIR];
	} else {
		forbid = nd->forbid[AB_FG_SLOT_UNDER];
		permit = nd->permit[AB_FG_SLOT_UNDER];
		frule = nd->forbid_rule[AB_FG_SLOT_UNDER];
		prule = nd->permit_rule[AB_FG_SLOT_UNDER];
	}
	if ((forbid & w->want) && !w->frule)
		w->frule = frule ? frule : ~0u;
	if ((permit & w->want) && !w->prule)
		w->prule = prule ? prule : ~0u;
	w->forbid |= forbid;
	w->permit |= permit;
}

/* The node for a component of up to AB_FG_SHORT_MAX - 1 bytes under
 * PARENT.  Keyed on the stack: the memo's check runs before the scratch
 * is taken. */
static __always_inline struct ab_fg_node *short_child(__u32 parent, __u32 len,
						      const unsigned char *name)
{
	struct ab_fg_skey k = {};

	k.parent = parent;
	k.len = len;
	barrier_var(len); /* keep the mask below */
	bpf_probe_read_kernel(k.name, len & (AB_FG_SHORT_MAX - 1), name);
	return bpf_map_lookup_elem(&nodes, &k);
}

/* The node for the component NAME (LEN bytes, kernel memory) under the
 * node PARENT, or NULL. */
static __always_inline struct ab_fg_node *child(struct walk *w, __u32 parent,
						__u32 len,
						const unsigned char *name)
{
	if (len > AB_FG_NAME_MAX - 1)
		return NULL; /* NAME_MAX forbids it; then no rule can name it */
	if (len < AB_FG_SHORT_MAX)
		return short_child(parent, len, name);
	__builtin_memset(&w->key, 0, sizeof(w->key));
	w->key.parent = parent;
	w->key.len = len;
	barrier_var(len);
	bpf_probe_read_kernel(w->key.name, len & (AB_FG_NAME_MAX - 1), name);
	return bpf_map_lookup_elem(&lnodes, &w->key);
}

/* The walk's state once the leaf's directory is taken: its memo.  ID and
 * KIDS: the directory's node's (0, 0: it has none). */
static __always_inline void dir_state(struct walk *w, __u32 id, __u32 kids)
{
	w->dir_id = id;
	w->dir_kids = kids;
	w->dir_permit = w->permit;
	w->dir_forbid = w->forbid;
	w->dir_set = 1;
}

/* One component, root-first: index n-1 down to 0. */
static long look_step(__u32 idx, void *ctx)
{
	struct walk *w = ((struct loop_ctx *)ctx)->w;
	struct ab_fg_node *nd;
	__u32 n = w->n, i;

	if (idx >= n)
		return 1;
	i = n - 1 - idx;
	if (i >= AB_FG_DEPTH_MAX)
		return 1;
	barrier_var(i); /* keep the mask: the verifier needs it */
	nd = child(w, w->id, w->len[i & (AB_FG_DEPTH_MAX - 1)],
		   w->name[i & (AB_FG_DEPTH_MAX - 1)]);
	if (!nd)
		return 1;
	w->id = nd->id;
	take(w, nd, i != 0 ? AB_FG_SLOT_UNDER
		    : w->is_dir ? AB_FG_SLOT_DIR : AB_FG_SLOT_FILE);
	if (i == 1)
		dir_state(w, nd->id, nd->kids_forbid);
	if (i == 0 && w->subtree && nd->below) {
		w->subtree_hit = 1;
		return 1;
	}
	return 0;
}

/* Look W's components up root-first and decide WANT: a forbid on the
 * path wins, else a permit allows, else the default denies (Cedar's
 * semantics).  SUBTREE: the leaf may not hold ruled paths beneath it. */
static __always_inline void decide(struct walk *w, const struct ab_fg_config *c,
				   bool is_dir, __u32 want, bool subtree,
				   struct verdict *v)
{
	struct loop_ctx lc = { .w = w };
	struct ab_fg_node *root;

	v->flags = w->flags;
	v->rule = 0;
	v->allowed = false;
	if (w->flags & (AB_FG_F_DEEP | AB_FG_F_DETACHED))
		return;
	w->want = want;
	w->is_dir = is_dir;
	w->subtree = subtree;
	w->subtree_hit = 0;
	w->permit = w->forbid = w->prule = w->frule = 0;
	w->dir_set = 0;
	__builtin_memset(&w->skey, 0, sizeof(w->skey));
	w->skey.len = c->gen & 1;
	root = bpf_map_lookup_elem(&nodes, &w->skey);
	if (root) {
		w->id = root->id;
		take(w, root, w->n != 0 ? AB_FG_SLOT_UNDER
			      : is_dir ? AB_FG_SLOT_DIR : AB_FG_SLOT_FILE);
		if (w->n == 1)
			dir_state(w, root->id, root->kids_forbid);
		bpf_loop(AB_FG_DEPTH_MAX, look_step, &lc, 0);
	}
	/* The lookups stopped above the leaf's directory: nothing deeper has
	 * a node, and the rights gathered so far hold beneath it. */
	if (!w->dir_set)
		dir_state(w, 0, 0);
	if (w->subtree_hit) {
		v->flags |= AB_FG_F_SUBTREE;
		return;
	}
	if (w->forbid & want) {
		v->rule = w->frule == ~0u ? 0 : w->frule;
		return;
	}
	if ((w->permit & want) == want) {
		v->rule = w->prule == ~0u ? 0 : w->prule;
		v->allowed = true;
	}
}

static long path_step(__u32 idx, void *ctx)
{
	struct loop_ctx *lc = ctx;
	struct walk *w = lc->w;
	struct ab_fg_event *e = lc->e;
	__u32 n = w->n, i, len;
	__u64 off = w->off;

	if (idx >= n)
		return 1;
	i = n - 1 - idx;
	if (i >= AB_FG_DEPTH_MAX)
		return 1;
	if (off > AB_FG_PATH_MAX - AB_FG_NAME_MAX - 1) {
		e->flags |= AB_FG_F_TRUNCATED;
		return 1;
	}
	barrier_var(i);
	len = w->len[i & (AB_FG_DEPTH_MAX - 1)];
	if (len > AB_FG_NAME_MAX - 1)
		len = AB_FG_NAME_MAX - 1;
	e->path[off] = '/';
	bpf_probe_read_kernel(&e->path[off + 1], len,
			      w->name[i & (AB_FG_DEPTH_MAX - 1)]);
	w->off = off + len + 1;
	return 0;
}

static __always_inline void put_path(struct ab_fg_event *e, struct walk *w)
{
	struct loop_ctx lc = { .w = w, .e = e };
	__u64 off;

	w->off = 0;
	bpf_loop(AB_FG_DEPTH_MAX, path_step, &lc, 0);
	off = w->off;
	if (off == 0)
		e->path[off++] = '/';
	e->path_len = off;
}

static __always_inline void emit(struct walk *w, const struct ab_fg_config *c,
				 __u32 op, __u32 want, const struct verdict *v,
				 __u32 verdict)
{
	struct ab_fg_event *e;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&drops, &zero);

		if (n)
			__sync_fetch_and_add(n, 1);
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->generation = c->generation;
	e->pid = (__u32)pid_tgid;
	e->tgid = pid_tgid >> 32;
	e->op = op;
	e->verdict = verdict;
	e->rights = want;
	e->rule = v->rule;
	e->flags = v->flags;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	put_path(e, w);
	bpf_ringbuf_submit(e, 0);
}

/* The mode decides what a verdict becomes; every denial and, in record
 * mode, every access is reported. */
static __always_inline int conclude(struct walk *w, const struct ab_fg_config *c,
				    __u32 op, __u32 want, const struct verdict *v)
{
	__u32 mode = c->mode;

	if (v->allowed) {
		if (mode == AB_FG_RECORD)
			emit(w, c, op, want, v, AB_FG_ALLOW);
		return ALLOW;
	}
	if (mode == AB_FG_ENFORCE) {
		emit(w, c, op, want, v, AB_FG_DENY);
		return DENY;
	}
	emit(w, c, op, want, v, AB_FG_WOULD_DENY);
	return ALLOW;
}

static __always_inline const struct ab_fg_config *conf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&config, &zero);
}

static __always_inline struct walk *scratch_walk(void)
{
	__u32 zero = 0;
	struct walk *w = bpf_map_lookup_elem(&scratch, &zero);

	if (w)
		w->flags = 0;
	return w;
}

static __always_inline bool dentry_is_dir(struct dentry *d)
{
	struct inode *ino = BPF_CORE_READ(d, d_inode);

	return ino && (BPF_CORE_READ(ino, i_mode) & AB_S_IFMT) == AB_S_IFDIR;
}

#define HOW_DIR 1u     /* the path is a directory */
#define HOW_SUBTREE 2u /* a rename: the path may not hold ruled paths */
#define HOW_BPRM 4u    /* an execve: checked for the runtime's tasks too */

#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))

/* ---- directory memos ----
 * A check of a file whose directory has a valid memo looks up one
 * component, the file's own, instead of walking its whole path.  The
 * memo holds what the walk to the directory found; it is valid while
 * the directory is the same dentry reached through the same mount, no
 * rename and no mount change happened anywhere (the kernel's rename_lock
 * and mount_lock sequence counts), and no policy update (config.epoch).
 * Only "allowed" is answered from a memo: a denial, or record mode,
 * takes the walk, which reports the path and the rule. */

/* The sequence count of the seqlock_t at LOCK; odd (as while a writer
 * holds it) where the kernel does not give it. */
static __always_inline __u32 kseq(const void *lock)
{
	__u32 seq = 1;

	if (lock && bpf_core_type_exists(struct seqcount_spinlock))
		bpf_probe_read_kernel(&seq, sizeof(seq),
				      lock + bpf_core_field_offset(struct seqcount_spinlock, seqcount) +
					      bpf_core_field_offset(struct seqcount, sequence));
	return seq;
}

/* What a walk's memo is checked against, read before the walk. */
struct memo_at {
	__u32 rename_seq, mount_seq;
	__u64 epoch;
};

static __always_inline void memo_now(struct memo_at *at,
				     const struct ab_fg_config *c)
{
	at->rename_seq = kseq(&rename_lock);
	at->mount_seq = kseq(&mount_lock);
	at->epoch = READ_ONCE(c->epoch);
	/* the epoch before the generation decide() reads: a memo made from
	 * a generation is never newer than the epoch it carries */
	barrier();
}

/* Does the memo M of DIR (LEAF's directory, reached through VMNT) let
 * WANT on LEAF through?
 *
 * Writers hold M's lock and make M's seq odd while they write; a reader
 * takes no lock, and keeps what it read only if seq was even and the
 * same before and after.  That needs the CPU to keep loads in order, as
 * x86-64 does (and this build's programs are x86-64's): elsewhere the
 * reader takes the lock too. */
static __always_inline bool memo_allows(const struct ab_fg_config *c,
					struct ab_fg_memo *m, __u64 vmnt,
					struct dentry *leaf, __u64 dir,
					__u32 want, bool is_dir)
{
	const unsigned char *name;
	struct ab_fg_node *nd;
	struct memo_at now;
	__u32 len, id, rseq, mseq, seq;
	__u64 mdir, mmnt, epoch;
	__u8 permit, forbid, kids;

	if (c->mode == AB_FG_RECORD)
		return false; /* every access is reported */
	memo_now(&now, c);
	if ((now.rename_seq | now.mount_seq) & 1)
		return false;
#ifdef __TARGET_ARCH_x86
	seq = READ_ONCE(m->seq);
	if (seq & 1)
		return false;
	barrier();
#else
	bpf_spin_lock(&m->lock);
#endif
	mdir = READ_ONCE(m->dentry);
	mmnt = READ_ONCE(m->mnt);
	epoch = READ_ONCE(m->epoch);
	rseq = READ_ONCE(m->rename_seq);
	mseq = READ_ONCE(m->mount_seq);
	id = READ_ONCE(m->id);
	permit = READ_ONCE(m->permit);
	forbid = READ_ONCE(m->forbid);
	kids = READ_ONCE(m->kids_forbid);
#ifdef __TARGET_ARCH_x86
	barrier();
	if (READ_ONCE(m->seq) != seq)
		return false;
#else
	bpf_spin_unlock(&m->lock);
#endif
	if (mdir != dir || mmnt != vmnt || epoch != now.epoch ||
	    rseq != now.rename_seq || mseq != now.mount_seq)
		return false;
	/* The file's own name matters only where its node could forbid
	 * WANT, or permit what the path does not. */
	if (id && ((kids & want) || (permit & want) != want)) {
		len = leaf->d_name.len;
		name = leaf->d_name.name;
		if (len >= AB_FG_SHORT_MAX)
			return false; /* rare: the walk looks it up */
		nd = short_child(id, len, name);
		if (nd && is_dir) {
			permit |= nd->permit[AB_FG_SLOT_DIR];
			forbid |= nd->forbid[AB_FG_SLOT_DIR];
		} else if (nd) {
			permit |= nd->permit[AB_FG_SLOT_FILE];
			forbid |= nd->forbid[AB_FG_SLOT_FILE];
		}
	}
	return !(forbid & want) && (permit & want) == want;
}

/* After a walk of D (through VMNT) that began at AT: keep the state of
 * DIR, D's directory, in M, if nothing moved meanwhile and the
 * directory's place cannot change behind the dcache's back. */
static __always_inline void memo_keep(struct walk *w, struct ab_fg_memo *m,
				      const struct memo_at *at, __u64 vmnt,
				      __u64 d, __u64 dir)
{
	if ((w->flags & (AB_FG_F_DEEP | AB_FG_F_DETACHED)) || w->n == 0)
		return;
	if ((__u64)BPF_CORE_READ((struct dentry *)d, d_parent) != dir ||
	    BPF_CORE_READ((struct dentry *)dir, d_flags) &
		    (AB_DCACHE_OP_REVALIDATE | AB_DCACHE_OP_WEAK_REVALIDATE))
		return;
	if ((at->rename_seq | at->mount_seq) & 1 ||
	    kseq(&rename_lock) != at->rename_seq ||
	    kseq(&mount_lock) != at->mount_seq)
		return;
	bpf_spin_lock(&m->lock);
	m->seq++;
	barrier();
	m->dentry = dir;
	m->mnt = vmnt;
	m->epoch = at->epoch;
	m->rename_seq = at->rename_seq;
	m->mount_seq = at->mount_seq;
	m->id = w->dir_id;
	m->permit = w->dir_permit;
	m->forbid = w->dir_forbid;
	m->kids_forbid = w->dir_kids;
	barrier();
	m->seq++;
	bpf_spin_unlock(&m->lock);
}

/* Check WANT on the path (VMNT, D).  One function, not inlined, so the
 * programs stay small; kernel pointers are only ever read through
 * probes.  OP_HOW is OP << 8 | HOW (a BPF call takes five arguments).
 * LEAF is D as the kernel's own pointer where D's directory's memo may
 * answer (D is not its mount's root), else NULL.
 *
 * Only armed tasks are checked, except at execve, where the runtime's
 * last execve (the container's first program) is checked too.  Paths
 * outside the container's tree are ones it was handed (pipes, inherited
 * descriptors): their rights came with the handle, except exec, which
 * must name a file of the container. */
static __noinline int fg_check(__u64 vmnt, __u64 d, __u32 op_how,
			      __u32 want, struct dentry *leaf)
{
	__u32 op = op_how >> 8, how = op_how & 0xff;
	const struct ab_fg_config *c = conf();
	struct ab_fg_memo *memo = NULL;
	struct dentry *dir = NULL;
	struct memo_at at;
	struct walk *w;
	bool is_armed;
	struct verdict v;

	if (!c)
		return DENY; /* never: an array's element exists */
	if (!(c->rights & want))
		return ALLOW;
	/* What a memo allows is allowed to any task, armed or not. */
	if (leaf) {
		dir = leaf->d_parent;
		memo = bpf_inode_storage_get(&memos, dir->d_inode, 0,
					     BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (memo && memo_allows(c, memo, vmnt, leaf, (__u64)dir, want,
					how & HOW_DIR))
			return ALLOW;
	}
	w = scratch_walk();
	if (!w)
		return DENY; /* never */
	is_armed = armed(w, c);
	if (!is_armed && !(how & HOW_BPRM))
		return ALLOW;
	if (memo)
		memo_now(&at, c);
	walk_up(w, (struct vfsmount *)vmnt, (struct dentry *)d, c->root_mnt,
		true);
	if ((w->flags & AB_FG_F_DETACHED) && (!(want & AB_FG_EXEC) || !is_armed))
		return ALLOW;
	decide(w, c, how & HOW_DIR, want, how & HOW_SUBTREE, &v);
	if (memo)
		memo_keep(w, memo, &at, vmnt, d, (__u64)dir);
	return conclude(w, c, op, want, &v);
}

static __always_inline int check(struct vfsmount *vmnt, struct dentry *d,
				 __u32 op, __u32 want, __u32 how)
{
	/* lsm_cgroup programs must be seen to return 0 or 1. */
	return fg_check((__u64)vmnt, (__u64)d, op << 8 | how, want, NULL)
		       ? ALLOW
		       : DENY;
}

/* The same for a file the kernel handed the hook (FILE, a BTF pointer):
 * its directory's memo may answer. */
static __always_inline int check_file(struct file *file, __u32 op,
				      __u32 want, __u32 how)
{
	struct vfsmount *vmnt = file->f_path.mnt;
	struct dentry *d = file->f_path.dentry;

	/* A mount's root goes on through another mount: no memo. */
	return fg_check((__u64)vmnt, (__u64)d, op << 8 | how, want,
			d != vmnt->mnt_root ? d : NULL)
		       ? ALLOW
		       : DENY;
}

static __always_inline __u32 dir_how(struct dentry *d)
{
	return dentry_is_dir(d) ? HOW_DIR : 0;
}

/* ---- the hooks ----
 * Each check is written once (on_*, returning ALLOW or DENY) and used
 * twice:
 *   - as an lsm_cgroup program on the container's cgroup, where the
 *     kernel has BPF_LSM_CGROUP: ab_fg_*, returning 1 or 0;
 *   - as a plain LSM program (BPF_LSM_MAC) that bpf/fg-dispatch.bpf.c's
 *     host-wide programs tail-call for tasks of this container:
 *     ab_fg_g_* (the same ten hooks, where lsm_cgroup is not used) and
 *     ab_fg_x_* (four more: the kernel has room for ten distinct
 *     lsm_cgroup hooks, CGROUP_LSM_NUM).  They return 0 or -EPERM.
 * User space loads the set the container's attach mode needs. */

#define AB_EPERM 1

static __always_inline int lsm_verdict(int allowed)
{
	return allowed == ALLOW ? 0 : -AB_EPERM;
}

static __always_inline int on_file_open(struct file *file)
{
	struct inode *ino = file->f_path.dentry->d_inode;
	bool is_dir = ino && (ino->i_mode & AB_S_IFMT) == AB_S_IFDIR;

	return check_file(file, AB_FG_OP_OPEN,
			  (file->f_mode & AB_FMODE_WRITE) ? AB_FG_WRITE : AB_FG_READ,
			  is_dir ? HOW_DIR : 0);
}

static __always_inline int on_exec(struct linux_binprm *bprm)
{
	return check_file(bprm->file, AB_FG_OP_EXEC, AB_FG_EXEC, HOW_BPRM);
}

/* ld.so maps a program it was asked to run: mapping a file executable
 * needs the exec right too. */
static __always_inline int on_mmap(struct file *file, unsigned long prot)
{
	if (!file || !(prot & AB_PROT_EXEC))
		return ALLOW;
	return check_file(file, AB_FG_OP_MMAP, AB_FG_EXEC, 0);
}

static __always_inline int on_truncate(const struct path *path)
{
	return check(BPF_CORE_READ(path, mnt), BPF_CORE_READ(path, dentry),
		     AB_FG_OP_TRUNCATE, AB_FG_WRITE, 0);
}

/* mknod covers open(O_CREAT) of a new file; a symlink is a new name in
 * its directory too. */
static __always_inline int on_create(const struct path *dir,
				     struct dentry *dentry, __u32 how)
{
	return check(BPF_CORE_READ(dir, mnt), dentry, AB_FG_OP_CREATE,
		     AB_FG_WRITE, how);
}

static __always_inline int on_remove(const struct path *dir,
				     struct dentry *dentry, __u32 how)
{
	return check(BPF_CORE_READ(dir, mnt), dentry, AB_FG_OP_REMOVE,
		     AB_FG_WRITE, how);
}

/* A link makes a second name for a file: it needs the write right on
 * the file's current path, so a protected file cannot be given a name
 * in an open directory. */
static __always_inline int on_link(struct dentry *old_dentry,
				   const struct path *new_dir,
				   struct dentry *new_dentry)
{
	struct vfsmount *m = BPF_CORE_READ(new_dir, mnt);

	if (check(m, old_dentry, AB_FG_OP_LINK, AB_FG_WRITE, 0) == DENY)
		return DENY;
	return check(m, new_dentry, AB_FG_OP_LINK, AB_FG_WRITE, 0);
}

/* Both names need the write right, and a directory holding ruled paths
 * cannot move (its rules would not follow it). */
static __always_inline int on_rename(const struct path *old_dir,
				     struct dentry *old_dentry,
				     const struct path *new_dir,
				     struct dentry *new_dentry)
{
	__u32 how = dir_how(old_dentry) | HOW_SUBTREE;

	if (check(BPF_CORE_READ(old_dir, mnt), old_dentry, AB_FG_OP_RENAME,
		  AB_FG_WRITE, how) == DENY)
		return DENY;
	return check(BPF_CORE_READ(new_dir, mnt), new_dentry, AB_FG_OP_RENAME,
		     AB_FG_WRITE, how);
}

/* Connecting to a Unix socket is writing to it; the check is on the
 * bound socket's own path, as the kernel resolved it. */
static __always_inline int on_unix_connect(struct sock *other)
{
	struct unix_sock *u = (void *)other;
	struct dentry *d = BPF_CORE_READ(u, path.dentry);

	if (!d)
		return ALLOW; /* abstract or unbound: no path to rule on */
	return check(BPF_CORE_READ(u, path.mnt), d, AB_FG_OP_CONNECT,
		     AB_FG_WRITE, 0);
}

/* Changing a file's mode or owner is writing to it. */
static __always_inline int on_attr(const struct path *path, __u32 op)
{
	struct dentry *d = BPF_CORE_READ(path, dentry);

	return check(BPF_CORE_READ(path, mnt), d, op, AB_FG_WRITE, dir_how(d));
}

/* ---- on the container's cgroup ---- */

SEC("lsm_cgroup/file_open")
int BPF_PROG(ab_fg_file_open, struct file *file)
{
	return on_file_open(file);
}

SEC("lsm_cgroup/bprm_check_security")
int BPF_PROG(ab_fg_exec, struct linux_binprm *bprm)
{
	return on_exec(bprm);
}

SEC("lsm_cgroup/mmap_file")
int BPF_PROG(ab_fg_mmap, struct file *file, unsigned long reqprot,
	     unsigned long prot)
{
	return on_mmap(file, prot);
}

SEC("lsm_cgroup/path_truncate")
int BPF_PROG(ab_fg_truncate, const struct path *path)
{
	return on_truncate(path);
}

SEC("lsm_cgroup/path_mknod")
int BPF_PROG(ab_fg_mknod, const struct path *dir, struct dentry *dentry)
{
	return on_create(dir, dentry, 0);
}

SEC("lsm_cgroup/path_mkdir")
int BPF_PROG(ab_fg_mkdir, const struct path *dir, struct dentry *dentry)
{
	return on_create(dir, dentry, HOW_DIR);
}

SEC("lsm_cgroup/path_unlink")
int BPF_PROG(ab_fg_unlink, const struct path *dir, struct dentry *dentry)
{
	return on_remove(dir, dentry, 0);
}

SEC("lsm_cgroup/path_link")
int BPF_PROG(ab_fg_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry)
{
	return on_link(old_dentry, new_dir, new_dentry);
}

SEC("lsm_cgroup/path_rename")
int BPF_PROG(ab_fg_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry)
{
	return on_rename(old_dir, old_dentry, new_dir, new_dentry);
}

SEC("lsm_cgroup/unix_stream_connect")
int BPF_PROG(ab_fg_unix_connect, struct sock *sock, struct sock *other)
{
	return on_unix_connect(other);
}

/* ---- the same ten, tail-called by the dispatcher ---- */

SEC("lsm/file_open")
int BPF_PROG(ab_fg_g_file_open, struct file *file)
{
	return lsm_verdict(on_file_open(file));
}

SEC("lsm/bprm_check_security")
int BPF_PROG(ab_fg_g_exec, struct linux_binprm *bprm)
{
	return lsm_verdict(on_exec(bprm));
}

SEC("lsm/mmap_file")
int BPF_PROG(ab_fg_g_mmap, struct file *file, unsigned long reqprot,
	     unsigned long prot)
{
	return lsm_verdict(on_mmap(file, prot));
}

SEC("lsm/path_truncate")
int BPF_PROG(ab_fg_g_truncate, const struct path *path)
{
	return lsm_verdict(on_truncate(path));
}

SEC("lsm/path_mknod")
int BPF_PROG(ab_fg_g_mknod, const struct path *dir, struct dentry *dentry)
{
	return lsm_verdict(on_create(dir, dentry, 0));
}

SEC("lsm/path_mkdir")
int BPF_PROG(ab_fg_g_mkdir, const struct path *dir, struct dentry *dentry)
{
	return lsm_verdict(on_create(dir, dentry, HOW_DIR));
}

SEC("lsm/path_unlink")
int BPF_PROG(ab_fg_g_unlink, const struct path *dir, struct dentry *dentry)
{
	return lsm_verdict(on_remove(dir, dentry, 0));
}

SEC("lsm/path_link")
int BPF_PROG(ab_fg_g_link, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry)
{
	return lsm_verdict(on_link(old_dentry, new_dir, new_dentry));
}

SEC("lsm/path_rename")
int BPF_PROG(ab_fg_g_rename, const struct path *old_dir,
	     struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry)
{
	return lsm_verdict(on_rename(old_dir, old_dentry, new_dir, new_dentry));
}

SEC("lsm/unix_stream_connect")
int BPF_PROG(ab_fg_g_unix_connect, struct sock *sock, struct sock *other)
{
	return lsm_verdict(on_unix_connect(other));
}

/* ---- four more, always through the dispatcher ---- */

SEC("lsm/path_rmdir")
int BPF_PROG(ab_fg_x_rmdir, const struct path *dir, struct dentry *dentry)
{
	return lsm_verdict(on_remove(dir, dentry, HOW_DIR));
}

SEC("lsm/path_symlink")
int BPF_PROG(ab_fg_x_symlink, const struct path *dir, struct dentry *dentry)
{
	return lsm_verdict(on_create(dir, dentry, 0));
}

SEC("lsm/path_chmod")
int BPF_PROG(ab_fg_x_chmod, const struct path *path)
{
	return lsm_verdict(on_attr(path, AB_FG_OP_CHMOD));
}

SEC("lsm/path_chown")
int BPF_PROG(ab_fg_x_chown, const struct path *path)
{
	return lsm_verdict(on_attr(path, AB_FG_OP_CHOWN));
}

char LICENSE[] SEC("license") = "GPL";
