/* agentbox: seccomp rules (docs/hardening.md).
 *
 * No profile in the bundle (Kubernetes' default): agentbox's allowlist,
 * in the spirit of podman's and moby's default, minus everything in the
 * deny list.  A profile in the bundle: the deny names are taken out of
 * every rule and a block of agentbox rules is put first.  The block:
 *   - the deny list, ERRNO(EPERM);
 *   - clone3, ERRNO(ENOSYS), so libc falls back to clone, whose flags
 *     seccomp can see;
 *   - clone with any CLONE_NEW* bit, ERRNO(EPERM), one rule per bit;
 *   - clone without them, ALLOW, when the profile allowed clone at all.
 * agentbox's own profile also limits personality(2) to moby's personas.
 * Under a default action of ERRNO(EPERM) the two EPERM kinds are left out:
 * their names are in no other rule, so the default already denies them,
 * and each rule costs runc time to compile.  Applying all this to its own
 * output changes nothing. */
#include <errno.h>
#include <seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "lib/cleanup.h"
#include "shim/lib/harden-internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const unsigned long clone_ns_bits[] = {
  CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
  CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET,
};

/* Ordinary syscalls a coding agent's tools need (moby's default list,
 * without the namespace, mount, module, BPF, keyring and tracing calls
 * that agentbox denies). */
static const char *const allowlist[] = {
  "accept",
  "accept4",
  "access",
  "alarm",
  "arch_prctl",
  "bind",
  "brk",
  "cachestat",
  "capget",
  "capset",
  "chdir",
  "chmod",
  "chroot",
  "chown",
  "chown32",
  "clock_getres",
  "clock_getres_time64",
  "clock_gettime",
  "clock_gettime64",
  "clock_nanosleep",
  "clock_nanosleep_time64",
  "close",
  "close_range",
  "connect",
  "copy_file_range",
  "creat",
  "dup",
  "dup2",
  "dup3",
  "epoll_create",
  "epoll_create1",
  "epoll_ctl",
  "epoll_ctl_old",
  "epoll_pwait",
  "epoll_pwait2",
  "epoll_wait",
  "epoll_wait_old",
  "eventfd",
  "eventfd2",
  "execve",
  "execveat",
  "exit",
  "exit_group",
  "faccessat",
  "faccessat2",
  "fadvise64",
  "fadvise64_64",
  "fallocate",
  "fanotify_mark",
  "fchdir",
  "fchmod",
  "fchmodat",
  "fchmodat2",
  "fchown",
  "fchown32",
  "fchownat",
  "fcntl",
  "fcntl64",
  "fdatasync",
  "fgetxattr",
  "flistxattr",
  "flock",
  "fork",
  "fremovexattr",
  "fsetxattr",
  "fstat",
  "fstat64",
  "fstatat64",
  "fstatfs",
  "fstatfs64",
  "fsync",
  "ftruncate",
  "ftruncate64",
  "futex",
  "futex_requeue",
  "futex_time64",
  "futex_wait",
  "futex_waitv",
  "futex_wake",
  "futimesat",
  "getcpu",
  "get_mempolicy",
  "getcwd",
  "getdents",
  "getdents64",
  "getegid",
  "getegid32",
  "geteuid",
  "geteuid32",
  "getgid",
  "getgid32",
  "getgroups",
  "getgroups32",
  "getitimer",
  "getpeername",
  "getpgid",
  "getpgrp",
  "getpid",
  "getppid",
  "getpriority",
  "getrandom",
  "getresgid",
  "getresgid32",
  "getresuid",
  "getresuid32",
  "getrlimit",
  "get_robust_list",
  "getrusage",
  "getsid",
  "getsockname",
  "getsockopt",
  "get_thread_area",
  "gettid",
  "gettimeofday",
  "getuid",
  "getuid32",
  "getxattr",
  "getxattrat",
  "inotify_add_watch",
  "inotify_init",
  "inotify_init1",
  "inotify_rm_watch",
  "io_cancel",
  "ioctl",
  "io_destroy",
  "io_getevents",
  "io_pgetevents",
  "io_pgetevents_time64",
  "ioprio_get",
  "ioprio_set",
  "io_setup",
  "io_submit",
  "ipc",
  "kill",
  "landlock_add_rule",
  "landlock_create_ruleset",
  "landlock_restrict_self",
  "lchown",
  "lchown32",
  "lgetxattr",
  "link",
  "linkat",
  "listen",
  "listxattr",
  "listxattrat",
  "llistxattr",
  "_llseek",
  "lremovexattr",
  "lseek",
  "lsetxattr",
  "lstat",
  "lstat64",
  "madvise",
  "map_shadow_stack",
  "mbind",
  "membarrier",
  "memfd_create",
  "memfd_secret",
  "mincore",
  "mkdir",
  "mkdirat",
  "mknod",
  "mknodat",
  "mlock",
  "mlock2",
  "mlockall",
  "mmap",
  "mmap2",
  "mprotect",
  "mq_getsetattr",
  "mq_notify",
  "mq_open",
  "mq_timedreceive",
  "mq_timedreceive_time64",
  "mq_timedsend",
  "mq_timedsend_time64",
  "mq_unlink",
  "mremap",
  "mseal",
  "msgctl",
  "msgget",
  "msgrcv",
  "msgsnd",
  "msync",
  "munlock",
  "munlockall",
  "munmap",
  "nanosleep",
  "newfstatat",
  "_newselect",
  "open",
  "openat",
  "openat2",
  "pause",
  "pidfd_getfd",
  "pidfd_open",
  "pidfd_send_signal",
  "pipe",
  "pipe2",
  "pkey_alloc",
  "pkey_free",
  "pkey_mprotect",
  "poll",
  "ppoll",
  "ppoll_time64",
  "prctl",
  "pread64",
  "preadv",
  "preadv2",
  "prlimit64",
  "process_mrelease",
  "pselect6",
  "pselect6_time64",
  "pwrite64",
  "pwritev",
  "pwritev2",
  "read",
  "readahead",
  "readlink",
  "readlinkat",
  "readv",
  "recv",
  "recvfrom",
  "recvmmsg",
  "recvmmsg_time64",
  "recvmsg",
  "remap_file_pages",
  "removexattr",
  "removexattrat",
  "rename",
  "renameat",
  "renameat2",
  "restart_syscall",
  "rmdir",
  "rseq",
  "rt_sigaction",
  "rt_sigpending",
  "rt_sigprocmask",
  "rt_sigqueueinfo",
  "rt_sigreturn",
  "rt_sigsuspend",
  "rt_sigtimedwait",
  "rt_sigtimedwait_time64",
  "rt_tgsigqueueinfo",
  "sched_getaffinity",
  "sched_getattr",
  "sched_getparam",
  "sched_get_priority_max",
  "sched_get_priority_min",
  "sched_getscheduler",
  "sched_rr_get_interval",
  "sched_rr_get_interval_time64",
  "sched_setaffinity",
  "sched_setattr",
  "sched_setparam",
  "sched_setscheduler",
  "sched_yield",
  "seccomp",
  "select",
  "semctl",
  "semget",
  "semop",
  "semtimedop",
  "semtimedop_time64",
  "send",
  "sendfile",
  "sendfile64",
  "sendmmsg",
  "sendmsg",
  "sendto",
  "set_mempolicy",
  "set_mempolicy_home_node",
  "setfsgid",
  "setfsgid32",
  "setfsuid",
  "setfsuid32",
  "setgid",
  "setgid32",
  "setgroups",
  "setgroups32",
  "setitimer",
  "setpgid",
  "setpriority",
  "setregid",
  "setregid32",
  "setresgid",
  "setresgid32",
  "setresuid",
  "setresuid32",
  "setreuid",
  "setreuid32",
  "setrlimit",
  "set_robust_list",
  "setsid",
  "setsockopt",
  "set_thread_area",
  "set_tid_address",
  "setuid",
  "setuid32",
  "setxattr",
  "setxattrat",
  "shmat",
  "shmctl",
  "shmdt",
  "shmget",
  "shutdown",
  "sigaltstack",
  "signalfd",
  "signalfd4",
  "sigprocmask",
  "sigreturn",
  "socket",
  "socketcall",
  "socketpair",
  "splice",
  "stat",
  "stat64",
  "statfs",
  "statfs64",
  "statx",
  "symlink",
  "symlinkat",
  "sync",
  "sync_file_range",
  "syncfs",
  "sysinfo",
  "tee",
  "tgkill",
  "time",
  "timer_create",
  "timer_delete",
  "timer_getoverrun",
  "timer_gettime",
  "timer_gettime64",
  "timer_settime",
  "timer_settime64",
  "timerfd_create",
  "timerfd_gettime",
  "timerfd_gettime64",
  "timerfd_settime",
  "timerfd_settime64",
  "times",
  "tkill",
  "truncate",
  "truncate64",
  "ugetrlimit",
  "umask",
  "uname",
  "unlink",
  "unlinkat",
  "utime",
  "utimensat",
  "utimensat_time64",
  "utimes",
  "vfork",
  "vmsplice",
  "wait4",
  "waitid",
  "waitpid",
  "write",
  "writev",
  "getpmsg",
  "putpmsg",
  "uretprobe",
  NULL,
};

static bool
in_list (char **list, const char *name)
{
  for (; list && *list; list++)
    if (strcmp (*list, name) == 0)
      return true;
  return false;
}

static struct ab_json *
str_array (const char *const *names, char **except)
{
  struct ab_json *a = ab_json_new_array ();

  for (; a && *names; names++)
    {
      /* Names libseccomp does not know on any arch are dropped here;
       * runc would ignore them anyway. */
      if (in_list (except, *names)
          || seccomp_syscall_resolve_name (*names) == __NR_SCMP_ERROR)
        continue;
      if (ab_json_append (a, ab_json_new_string (*names)) < 0)
        return NULL;
    }
  return a;
}

/* A rule object; takes NAMES and ARGS (which may be NULL) in every case
 * (ab_json_set takes its value even when it fails). */
static struct ab_json *
rule (struct ab_json *names, const char *action, int errno_ret,
      struct ab_json *args)
{
  struct ab_json *r = ab_json_new_object ();
  struct ab_json *n = names;

  names = NULL;
  if (r == NULL || n == NULL || ab_json_set (r, "names", n) < 0)
    {
      if (r == NULL)
        ab_json_free (n);
      goto fail;
    }
  if (ab_json_set (r, "action", ab_json_new_string (action)) < 0
      || (errno_ret >= 0
          && ab_json_set (r, "errnoRet", ab_json_new_int (errno_ret)) < 0))
    goto fail;
  if (args && ab_json_set (r, "args", steal_pointer (&args)) < 0)
    goto fail;
  return r;
fail:
  ab_json_free (r);
  ab_json_free (args);
  return NULL;
}

/* NAME when its argument 0 compares with OP to VALUE (and VALUE_TWO). */
static struct ab_json *
arg0_rule (const char *name, const char *op, unsigned long long value,
           unsigned long long value_two, const char *action, int errno_ret)
{
  const char *const names[] = { name, NULL };
  struct ab_json *args = ab_json_new_array ();
  struct ab_json *arg = ab_json_new_object ();

  /* ARGS owns ARG from here (append takes it even when it fails). */
  if (args == NULL || ab_json_append (args, arg) < 0
      || ab_json_set (arg, "index", ab_json_new_int (0)) < 0
      || ab_json_set (arg, "value", ab_json_new_int ((long long)value)) < 0
      || ab_json_set (arg, "valueTwo", ab_json_new_int ((long long)value_two))
             < 0
      || ab_json_set (arg, "op", ab_json_new_string (op)) < 0)
    {
      if (args == NULL)
        ab_json_free (arg);
      ab_json_free (args);
      return NULL;
    }
  return rule (str_array (names, NULL), action, errno_ret, args);
}

/* clone's flags (argument 0) masked with MASK equal to VALUE. */
static struct ab_json *
clone_rule (unsigned long mask, unsigned long value, const char *action,
            int errno_ret)
{
  return arg0_rule ("clone", "SCMP_CMP_MASKED_EQ", mask, value, action,
                    errno_ret);
}

/* personality(2) only with the personas moby allows: Linux, its 32-bit
 * UNAME26 variants, and the query 0xffffffff.  Flags such as
 * ADDR_NO_RANDOMIZE or READ_IMPLIES_EXEC would switch off ASLR or NX for
 * what the agent runs next: EPERM by default. */
static int
add_personality_rules (struct ab_json *syscalls)
{
  static const unsigned long long personas[]
      = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffffULL };

  for (size_t i = 0; i < sizeof personas / sizeof *personas; i++)
    if (ab_json_append (syscalls,
                        arg0_rule ("personality", "SCMP_CMP_EQ", personas[i], 0,
                                   "SCMP_ACT_ALLOW", -1))
        < 0)
      return -1;
  return 0;
}

/* The agentbox block, in order; ALLOW_CLONE adds the last rule. */
static struct ab_json *
agentbox_block (const struct ab_config *cfg, bool allow_clone,
                bool default_eperm)
{
  static const char *const clone3[] = { "clone3", NULL };
  struct ab_json *block = ab_json_new_array ();
  unsigned long all = 0;

  /* Under a default of ERRNO(EPERM) the EPERM rules change nothing (their
   * names are in no other rule), and every rule costs runc time to
   * compile: leave them out. */
  if (block == NULL
      || (!default_eperm
          && ab_json_append (
                 block,
                 rule (str_array ((const char *const *)cfg->seccomp_deny, NULL),
                       "SCMP_ACT_ERRNO", EPERM, NULL))
                 < 0)
      || ab_json_append (block, rule (str_array (clone3, NULL),
                                      "SCMP_ACT_ERRNO", ENOSYS, NULL))
             < 0)
    return NULL;
  for (size_t i = 0; i < sizeof clone_ns_bits / sizeof *clone_ns_bits; i++)
    {
      all |= clone_ns_bits[i];
      if (!default_eperm
          && ab_json_append (block,
                             clone_rule (clone_ns_bits[i], clone_ns_bits[i],
                                         "SCMP_ACT_ERRNO", EPERM))
                 < 0)
        return NULL;
    }
  if (allow_clone
      && ab_json_append (block, clone_rule (all, 0, "SCMP_ACT_ALLOW", -1)) < 0)
    return NULL;
  return block;
}

/* The host's native architecture only.  Syscalls made through another
 * ABI (32-bit x86 or x32 on x86_64) then fail closed, and the filter
 * runc compiles is a third the size: it costs ~15 ms per container start
 * with three arches, ~2 ms with one (make bench).  An engine that needs
 * 32-bit binaries passes its own profile, which agentbox tightens. */
static struct ab_json *
host_arches (void)
{
  struct ab_json *a = ab_json_new_array ();
  struct utsname u;
  const char *arch = NULL;

  if (a == NULL || uname (&u) < 0)
    return a;
  if (strcmp (u.machine, "x86_64") == 0)
    arch = "SCMP_ARCH_X86_64";
  else if (strcmp (u.machine, "aarch64") == 0)
    arch = "SCMP_ARCH_AARCH64";
  if (arch && ab_json_append (a, ab_json_new_string (arch)) < 0)
    return NULL;
  return a;
}

/* ALLOWLIST minus the deny list and the clone calls (governed by the
 * block). */
static struct ab_json *
allow_rule (const struct ab_config *cfg)
{
  static const char *const except_clone[] = { "clone", "clone3", NULL };
  struct ab_json *allow = str_array (allowlist, cfg->seccomp_deny);

  for (size_t j = 0; allow && j < allow->u.array.len;)
    if (in_list ((char **)except_clone,
                 ab_json_string (allow->u.array.items[j])))
      ab_json_array_remove (allow, j);
    else
      j++;
  return rule (allow, "SCMP_ACT_ALLOW", -1, NULL);
}

/* agentbox's profile for a bundle that has none: the block, personality
 * limited to moby's personas, then the allowlist; EPERM for the rest. */
struct ab_json *
ab_seccomp_default_profile (const struct ab_config *cfg)
{
  cleanup_json struct ab_json *p = ab_json_new_object ();
  struct ab_json *block = agentbox_block (cfg, true, true);

  if (p == NULL || block == NULL
      || ab_json_set (p, "defaultAction", ab_json_new_string ("SCMP_ACT_ERRNO"))
             < 0
      || ab_json_set (p, "defaultErrnoRet", ab_json_new_int (EPERM)) < 0
      || ab_json_set (p, "architectures", host_arches ()) < 0)
    {
      ab_json_free (block);
      return NULL;
    }
  /* P owns BLOCK from here, even if the set fails. */
  if (ab_json_set (p, "syscalls", block) < 0
      || (!in_list (cfg->seccomp_deny, "personality")
          && add_personality_rules (block) < 0)
      || ab_json_append (block, allow_rule (cfg)) < 0)
    return NULL;
  return steal_pointer (&p);
}

static bool
action_allows (const char *action)
{
  return action
         && (strcmp (action, "SCMP_ACT_ALLOW") == 0
             || strcmp (action, "SCMP_ACT_LOG") == 0
             || strncmp (action, "SCMP_ACT_TRACE", 14) == 0
             || strcmp (action, "SCMP_ACT_NOTIFY") == 0);
}

static bool
is_agentbox_rule (const struct ab_json *r, const struct ab_json *block)
{
  for (size_t i = 0; i < block->u.array.len; i++)
    if (ab_json_equal (r, block->u.array.items[i]))
      return true;
  return false;
}

/* Take every name that agentbox governs out of the engine's rules.
 * Returns whether the profile allowed clone somewhere. */
static bool
strip_names (struct ab_json *syscalls, const struct ab_config *cfg)
{
  bool clone_allowed = false;

  for (size_t i = 0; i < syscalls->u.array.len;)
    {
      struct ab_json *r = syscalls->u.array.items[i];
      struct ab_json *names = ab_json_get (r, "names");
      bool allows = action_allows (ab_json_get_string (r, "action"));

      for (size_t j = 0;
           ab_json_is (names, AB_JSON_ARRAY) && j < names->u.array.len;)
        {
          const char *n = ab_json_string (names->u.array.items[j]);
          bool clone = n && strcmp (n, "clone") == 0;

          if (clone && allows)
            clone_allowed = true;
          if (n
              && (clone || strcmp (n, "clone3") == 0
                  || in_list (cfg->seccomp_deny, n)))
            ab_json_array_remove (names, j);
          else
            j++;
        }
      if (ab_json_is (names, AB_JSON_ARRAY) && names->u.array.len == 0)
        ab_json_array_remove (syscalls, i);
      else
        i++;
    }
  return clone_allowed;
}

/* ERRNO with errno EPERM, given or by default (runc's). */
static bool
default_is_eperm (const struct ab_json *seccomp)
{
  const char *action = ab_json_get_string (seccomp, "defaultAction");
  const struct ab_json *ret = ab_json_get (seccomp, "defaultErrnoRet");

  if (action == NULL || strcmp (action, "SCMP_ACT_ERRNO") != 0)
    return false;
  return ret == NULL
         || (ab_json_is (ret, AB_JSON_NUMBER)
             && strcmp (ret->u.number, "1") == 0);
}

static int
tighten (struct ab_json *seccomp, const struct ab_config *cfg, ab_error_t *err)
{
  /* Every rule any pass may have added, to recognise them. */
  cleanup_json struct ab_json *with_clone = agentbox_block (cfg, true, false);
  struct ab_json *syscalls = ab_json_ensure_array (seccomp, "syscalls");
  struct ab_json *block;
  bool had_block_clone = false, clone_allowed;

  if (with_clone == NULL || syscalls == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  /* Drop an earlier pass's block, remembering whether it allowed clone. */
  for (size_t i = 0; i < syscalls->u.array.len;)
    if (is_agentbox_rule (syscalls->u.array.items[i], with_clone))
      {
        if (ab_json_equal (
                syscalls->u.array.items[i],
                with_clone->u.array.items[with_clone->u.array.len - 1]))
          had_block_clone = true;
        ab_json_array_remove (syscalls, i);
      }
    else
      i++;
  clone_allowed
      = strip_names (syscalls, cfg) || had_block_clone
        || action_allows (ab_json_get_string (seccomp, "defaultAction"));
  block = agentbox_block (cfg, clone_allowed, default_is_eperm (seccomp));
  if (block == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  for (size_t i = block->u.array.len; i > 0; i--)
    {
      struct ab_json *r = block->u.array.items[i - 1];
      block->u.array.items[i - 1] = NULL;
      if (ab_json_insert (syscalls, 0, r) < 0)
        {
          block->u.array.len = i - 1;
          ab_json_free (block);
          return ab_error_set (err, ENOMEM, "out of memory");
        }
    }
  block->u.array.len = 0;
  ab_json_free (block);
  return 0;
}

int
ab_harden_seccomp_default (struct ab_spec *s, const struct ab_config *cfg,
                           struct ab_harden_report *rep, ab_error_t *err)
{
  struct ab_json *p = ab_seccomp_default_profile (cfg);

  if (p == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (ab_spec_set_seccomp (s, p, err) < 0)
    return -1;
  ab_harden_report_add (rep, "linux.seccomp: none given, agentbox's "
                             "allowlist profile added");
  return 0;
}

int
ab_harden_seccomp (struct ab_spec *s, const struct ab_config *cfg,
                   struct ab_harden_report *rep, ab_error_t *err)
{
  struct ab_json *cur = ab_spec_seccomp (s);
  cleanup_json struct ab_json *before = NULL;

  if (cur == NULL)
    return 0;
  before = ab_json_copy (cur);
  if (before == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (tighten (cur, cfg, err) < 0)
    return -1;
  if (!ab_json_equal (before, cur))
    ab_harden_report_add (rep, "linux.seccomp: agentbox's denials added to "
                               "the bundle's profile");
  return 0;
}
