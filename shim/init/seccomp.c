/* agentbox-init: install the seccomp filter the shim compiled (init.h). */
#include "shim/init/init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"

int
ab_init_seccomp_load (const char *file, struct ab_init_filter *f,
                      ab_error_t *err)
{
  cleanup_close int fd = open (file, O_RDONLY | O_CLOEXEC);
  struct stat st;
  ssize_t n;

  if (fd < 0 || fstat (fd, &st) < 0)
    return ab_error_errno (err, "seccomp filter %s", file);
  if (st.st_size <= 0 || st.st_size % sizeof (struct sock_filter) != 0
      || st.st_size > BPF_MAXINSNS * (off_t)sizeof (struct sock_filter))
    return ab_error_set (err, EINVAL,
                         "seccomp filter %s: %lld bytes is not a filter of "
                         "1 to %d instructions",
                         file, (long long)st.st_size, BPF_MAXINSNS);
  f->insns = malloc ((size_t)st.st_size);
  if (f->insns == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  n = read (fd, f->insns, (size_t)st.st_size);
  if (n != st.st_size)
    {
      free (f->insns);
      f->insns = NULL;
      return n < 0 ? ab_error_errno (err, "seccomp filter %s", file)
                   : ab_error_set (err, EIO, "seccomp filter %s: short read",
                                   file);
    }
  f->n = (size_t)st.st_size / sizeof (struct sock_filter);
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
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
    return ab_error_errno (err, "install the seccomp filter %s", f->file);
  return 0;
}
