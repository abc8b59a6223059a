/* agentbox-init: the rules as a Landlock ruleset (init.h). */
#include "shim/init/init.h"

#include <linux/landlock.h>

/* Rights newer than some <linux/landlock.h>; the values are kernel ABI. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_MAKE                                                                \
  (LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR                  \
   | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK                \
   | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK              \
   | LANDLOCK_ACCESS_FS_MAKE_SYM)
#define FS_WRITE                                                               \
  (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR               \
   | LANDLOCK_ACCESS_FS_REMOVE_FILE | FS_MAKE | LANDLOCK_ACCESS_FS_REFER       \
   | LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
/* The kernel refuses directory-only rights in a rule on a file. */
#define FS_FILE                                                                \
  (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE                  \
   | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE                \
   | LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* Every filesystem right each ABI added; ABIs 4, 6 and 7 added none. */
static const uint64_t added_by_abi[] = {
  [1] = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1,
  [2] = LANDLOCK_ACCESS_FS_REFER,
  [3] = LANDLOCK_ACCESS_FS_TRUNCATE,
  [5] = LANDLOCK_ACCESS_FS_IOCTL_DEV,
};
#define KNOWN_ABI ((int)(sizeof added_by_abi / sizeof added_by_abi[0]))

int
ab_init_landlock_abi (ab_error_t *err)
{
  long abi = syscall (__NR_landlock_create_ruleset, NULL, 0,
                      LANDLOCK_CREATE_RULESET_VERSION);

  if (abi >= 1)
    return (int)abi;
  if (errno == ENOSYS)
    return ab_error_set (err, ENOSYS,
                         "Landlock is not available: the "
                         "kernel lacks it (CONFIG_SECURITY_LANDLOCK) or a "
                         "seccomp filter blocks its system calls");
  if (errno == EOPNOTSUPP)
    return ab_error_set (err, EOPNOTSUPP,
                         "Landlock is built into the "
                         "kernel but disabled (add landlock to the lsm= "
                         "boot parameter)");
  return ab_error_errno (err, "Landlock is not usable: "
                              "landlock_create_ruleset");
}

/* A kernel newer than this program may know rights we cannot name: those
 * stay unhandled, that is allowed (docs/landlock.md). */
uint64_t
ab_init_landlock_handled (int abi)
{
  uint64_t handled = 0;

  for (int i = 1; i <= abi && i < KNOWN_ABI; i++)
    handled |= added_by_abi[i];
  return handled;
}

uint64_t
ab_init_landlock_rights (enum ab_init_access access, int dir)
{
  uint64_t r = FS_READ;

  if (access == AB_INIT_RW)
    r |= FS_WRITE;
  if (access == AB_INIT_X)
    r |= LANDLOCK_ACCESS_FS_EXECUTE;
  return dir ? r : r & FS_FILE;
}

static int
add_rule (int ruleset, const struct ab_init_rule *rule, uint64_t handled,
          ab_error_t *err)
{
  struct landlock_path_beneath_attr attr = { 0 };
  cleanup_close int fd = open (rule->path, O_PATH | O_CLOEXEC);
  struct statx st;

  /* Nothing there, nothing to allow: skipping only ever denies more. */
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return 0;
  if (fd < 0)
    return ab_error_errno (err, "open %s", rule->path);
  if (statx (fd, "", AT_EMPTY_PATH, STATX_TYPE, &st) < 0)
    return ab_error_errno (err, "stat %s", rule->path);
  attr.parent_fd = fd;
  attr.allowed_access
      = ab_init_landlock_rights (rule->access, S_ISDIR (st.stx_mode)) & handled;
  if (syscall (__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
               &attr, 0)
      < 0)
    return ab_error_errno (err, "landlock_add_rule %s", rule->path);
  return 0;
}

/* One ruleset: LAYER's rules, enforced on this process. */
static int
restrict_layer (const struct ab_init_rules *rules, unsigned layer, int abi,
                ab_error_t *err)
{
  struct landlock_ruleset_attr attr = { 0 };
  cleanup_close int ruleset = -1;

  /* Handling every right we know makes each one denied unless a rule
   * allows it: the ruleset is an allowlist. */
  attr.handled_access_fs = ab_init_landlock_handled (abi);
  ruleset = syscall (__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0)
    return ab_error_errno (err, "landlock_create_ruleset");
  for (size_t i = 0; i < rules->n; i++)
    if (rules->v[i].layer == layer
        && add_rule (ruleset, &rules->v[i], attr.handled_access_fs, err) < 0)
      return ab_error_wrap (err, "%s:%u", rules->file, rules->v[i].line);
  if (syscall (__NR_landlock_restrict_self, ruleset, 0) < 0)
    return ab_error_errno (err, "landlock_restrict_self");
  return 0;
}

int
ab_init_landlock_apply (const struct ab_init_rules *rules, int abi,
                        ab_error_t *err)
{
  /* Required to restrict ourselves without CAP_SYS_ADMIN; it also keeps
   * the agent from gaining privileges through a setuid binary. */
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return ab_error_errno (err, "prctl PR_SET_NO_NEW_PRIVS");
  /* Stacked: Landlock allows an access only when every layer does. */
  for (unsigned l = 0; l < rules->n_layers; l++)
    if (restrict_layer (rules, l, abi, err) < 0)
      return -1;
  return 0;
}
