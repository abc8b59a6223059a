/* agentbox: the few kernel structures the BPF programs read, declared
 * with preserve_access_index so libbpf relocates every field access
 * against the running kernel's BTF (CO-RE).  Only the fields used are
 * listed; a field missing from a kernel fails the load, never a silent
 * misread.  Kept out of a generated vmlinux.h so the build does not
 * depend on the build host's kernel. */
#ifndef AB_BPF_KERNEL_TYPES_H
#define AB_BPF_KERNEL_TYPES_H

#include <linux/types.h>

#define AB_CORE __attribute__ ((preserve_access_index))

struct qstr
{
  union
  {
    struct
    {
      __u32 hash;
      __u32 len;
    };
    __u64 hash_len;
  };
  const unsigned char *name;
} AB_CORE;

struct inode
{
  __u16 i_mode;
} AB_CORE;

struct dentry
{
  unsigned int d_flags;
  struct dentry *d_parent;
  struct qstr d_name;
  struct inode *d_inode;
} AB_CORE;

struct vfsmount
{
  struct dentry *mnt_root;
} AB_CORE;

struct mount
{
  struct mount *mnt_parent;
  struct dentry *mnt_mountpoint;
  struct vfsmount mnt;
  int mnt_id;
} AB_CORE;

struct path
{
  struct vfsmount *mnt;
  struct dentry *dentry;
} AB_CORE;

struct file
{
  struct path f_path;
  unsigned int f_mode;
} AB_CORE;

struct linux_binprm
{
  struct file *file;
} AB_CORE;

struct mm_struct
{
  struct file *exe_file;
} AB_CORE;

struct task_struct
{
  struct mm_struct *mm;
} AB_CORE;

struct sock;

struct unix_sock
{
  struct path path;
} AB_CORE;

/* seqlock_t is an unnamed struct whose first member is a
 * seqcount_spinlock_t: its sequence is at these offsets from the lock. */
struct seqcount
{
  unsigned int sequence;
} AB_CORE;

struct seqcount_spinlock
{
  struct seqcount seqcount;
} AB_CORE;

/* The filesystem may find a dentry stale behind the dcache's back
 * (network filesystems, FUSE, proc): d_revalidate or d_weak_revalidate. */
#define AB_DCACHE_OP_REVALIDATE 0x4
#define AB_DCACHE_OP_WEAK_REVALIDATE 0x800

#define AB_FMODE_WRITE 0x2
#define AB_S_IFMT 00170000
#define AB_S_IFDIR 0040000
#define AB_PROT_EXEC 0x4

#endif
