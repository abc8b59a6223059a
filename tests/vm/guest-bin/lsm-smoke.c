/* lsm-smoke: in the VM, load and attach tests/vm/bpf/lsm-smoke.bpf.c,
 * then check that the BPF LSM hook sees this process's file opens and can
 * deny them.  Built static on the host (tests/vm/run.sh) so the guest
 * needs no libbpf.  Prints TAP lines; exits 1 if any check failed. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "lsm-smoke.skel.h"

#define PROBE_PATH "/proc/self/status"

static int n_checks;
static int n_failed;

static void
check (int ok, const char *fmt, ...)
{
  va_list ap;

  n_checks++;
  if (!ok)
    n_failed++;
  printf ("%sok %d - ", ok ? "" : "not ", n_checks);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

/* libbpf's messages become TAP comments, so a load failure explains
   itself in the console log. */
static int
print_libbpf (enum libbpf_print_level level, const char *fmt, va_list ap)
{
  if (level == LIBBPF_DEBUG)
    return 0;
  fputs ("# ", stdout);
  return vprintf (fmt, ap);
}

/* 0 or -errno of one open + close. */
static int
try_open (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return -errno;
  close (fd);
  return 0;
}

static unsigned long long
opens_seen (struct lsm_smoke *skel)
{
  unsigned int key = 0;
  unsigned long long n = 0;

  if (bpf_map__lookup_elem (skel->maps.ab_smoke_opens, &key, sizeof key, &n,
                            sizeof n, 0)
      < 0)
    return 0;
  return n;
}

static struct lsm_smoke *
load_and_attach (void)
{
  struct lsm_smoke *skel = lsm_smoke__open ();
  int rc;

  if (!skel)
    {
      check (0, "open the skeleton: %s", strerror (errno));
      return NULL;
    }
  skel->rodata->target_tgid = (unsigned int)getpid ();
  rc = lsm_smoke__load (skel);
  if (rc == 0)
    rc = lsm_smoke__attach (skel);
  check (rc == 0, "lsm/file_open program loads and attaches%s%s",
         rc ? ": " : "", rc ? strerror (-rc) : "");
  if (rc == 0)
    return skel;
  lsm_smoke__destroy (skel);
  return NULL;
}

static void
check_counts (struct lsm_smoke *skel)
{
  unsigned long long before = opens_seen (skel), after;
  int i, rc = 0;

  for (i = 0; i < 3 && rc == 0; i++)
    rc = try_open (PROBE_PATH);
  after = opens_seen (skel);
  check (rc == 0 && after - before == 3,
         "the hook counts this process's opens (3 opens, counter +%llu)",
         after - before);
}

static void
check_denies (struct lsm_smoke *skel)
{
  int denied, allowed;

  skel->bss->deny = 1;
  denied = try_open (PROBE_PATH);
  skel->bss->deny = 0;
  allowed = try_open (PROBE_PATH);
  check (denied == -EPERM, "the hook denies an open with EPERM (got %s)",
         denied ? strerror (-denied) : "success");
  check (allowed == 0, "opens work again once the hook allows (got %s)",
         allowed ? strerror (-allowed) : "success");
}

int
main (void)
{
  struct lsm_smoke *skel;

  libbpf_set_print (print_libbpf);
  skel = load_and_attach ();
  if (skel)
    {
      check_counts (skel);
      check_denies (skel);
      lsm_smoke__destroy (skel);
      /* Detached: this open must not be denied even with deny set. */
      check (try_open (PROBE_PATH) == 0,
             "opens work after the program is detached");
    }
  return n_failed ? 1 : 0;
}
