/* tool-hxload: hostexec round trips for bench-hostexec.sh.
 *
 *   tool-hxload hostexec SOCKET N CONCURRENCY   `true` through hostexec
 *   tool-hxload direct N CONCURRENCY            fork+exec /bin/true here
 *
 * Runs N round trips split over CONCURRENCY processes and prints
 * "p50_us p99_us" over all of them.  Run from inside the container's pid
 * and network namespaces (nsenter), as the guardian checks the peer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proxy/lib/hxproto.h"

static double
now_us (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* One `true` through the guardian: 0 when it exited 0. */
static int
one_hostexec (const char *path)
{
  static char *argv[] = { "true", NULL };
  static char *env[] = { NULL };
  struct hx_request r = { .argv = argv, .argc = 1, .cwd = "/work", .env = env };
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  uint8_t h[5], buf[4096];
  size_t have = 0;
  char *json;
  size_t len;
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", path);
  if (fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    return -1;
  if (hx_request_write (&r, &json, &len) < 0)
    return -1;
  hx_frame_header (h, HX_REQUEST, len);
  if (write (fd, h, 5) != 5 || write (fd, json, len) != (ssize_t)len)
    return -1;
  free (json);
  for (;;)
    {
      uint8_t type;
      size_t plen;
      ssize_t n = read (fd, buf + have, sizeof buf - have);
      int r2;

      if (n <= 0)
        break;
      have += (size_t)n;
      while ((r2 = hx_frame_peek (buf, have, &type, &plen)) == 1)
        {
          if (type == HX_EXIT)
            {
              int code = plen == 2 && buf[5] == 0 ? buf[6] : -1;
              close (fd);
              return code;
            }
          if (type == HX_DENIED)
            {
              fprintf (stderr, "denied: %.*s\n", (int)plen, buf + 5);
              close (fd);
              return -1;
            }
          memmove (buf, buf + 5 + plen, have - 5 - plen);
          have -= 5 + plen;
        }
      if (r2 < 0)
        break;
    }
  close (fd);
  return -1;
}

static int
one_direct (void)
{
  int st;
  pid_t p = fork ();

  if (p == 0)
    {
      execl ("/bin/true", "true", (char *)NULL);
      _exit (127);
    }
  return waitpid (p, &st, 0) == p && WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

static int
cmp (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  bool hx = argc == 5 && strcmp (argv[1], "hostexec") == 0;
  int n, conc;
  double *lat;

  if (!hx && !(argc == 4 && strcmp (argv[1], "direct") == 0))
    {
      fprintf (stderr, "usage: tool-hxload hostexec SOCKET N CONCURRENCY | "
                       "direct N CONCURRENCY\n");
      return 2;
    }
  n = atoi (argv[hx ? 3 : 2]);
  conc = atoi (argv[hx ? 4 : 3]);
  if (n < 1 || conc < 1)
    return 2;
  lat = mmap (NULL, sizeof (double) * n, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  for (int w = 0; w < conc; w++)
    if (fork () == 0)
      {
        for (int i = w; i < n; i += conc)
          {
            double t0 = now_us ();
            int r = hx ? one_hostexec (argv[2]) : one_direct ();
            lat[i] = r == 0 ? now_us () - t0 : -1;
          }
        _exit (0);
      }
  while (wait (NULL) > 0)
    ;
  for (int i = 0; i < n; i++)
    if (lat[i] < 0)
      {
        fprintf (stderr, "round trip %d failed\n", i);
        return 1;
      }
  qsort (lat, n, sizeof *lat, cmp);
  printf ("%.0f %.0f\n", lat[n / 2], lat[(n * 99) / 100]);
  return 0;
}
