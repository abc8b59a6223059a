/* agentbox-init: install the seccomp filter the shim compiled (init.h). */
#include "shim/init/init.h"

#include <linux/filter.h>
#include <linux/seccomp.h>

int
ab_init_seccomp_load (const char *file, struct ab_init_filter *f,
                      ab_error_t *err)
{
  cleanup_close int fd = open (file, O_RDONLY | O_CLOEXEC);
  struct statx st;
  ssize_t n;

  if (fd < 0 || statx (fd, "", AT_EMPTY_PATH, STATX_SIZE, &st) < 0)
    return ab_error_errno (err, "seccomp filter %s", file);
  if (st.stx_size == 0 || st.stx_size % sizeof (struct sock_filter) != 0
      || st.stx_size > BPF_MAXINSNS * sizeof (struct sock_filter))
    return ab_error_set (err, EINVAL,
                         "seccomp filter %s: %llu bytes is not a filter of "
                         "1 to %d instructions",
                         file, (unsigned long long)st.stx_size, BPF_MAXINSNS);
  f->insns = malloc ((size_t)st.stx_size);
  if (f->insns == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  n = read (fd, f->insns, (size_t)st.stx_size);
  if (n < 0 || (size_t)n != st.stx_size)
    {
      free (f->insns);
      f->insns = NULL;
      return n < 0 ? ab_error_errno (err, "seccomp filter %s", file)
                   : ab_error_set (err, EIO, "seccomp filter %s: short read",
                                   file);
    }
  f->n = (size_t)st.stx_size / sizeof (struct sock_filter);
  f->file = file;
  return 0;
}

int
ab_init_seccomp_apply (const struct ab_init_filter *f, ab_error_t *err)
{
  struct sock_fprog prog = { .len = (unsigned short)f->n, .filter = f->insns };

  /* runc set it already; without it the kernel would refuse the filter
   * to an unprivileged process. */
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return ab_error_errno (err, "no_new_privs");
  if (syscall (__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
    return ab_error_errno (err, "install the seccomp filter %s", f->file);
  return 0;
}
