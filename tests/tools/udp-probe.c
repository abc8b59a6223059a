/* udp-probe: send one UDP datagram from inside a test container, the two
 * ways the connect guard must cover.  Built static so it runs in a
 * busybox rootfs.
 *
 *   udp-probe connect|sendto ADDR PORT
 *
 * Prints "sent" and exits 0, or prints the failing call's error and
 * exits 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  struct sockaddr_storage sa = { 0 };
  struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
  socklen_t len;
  int fd;

  if (argc != 4)
    {
      fprintf (stderr, "usage: udp-probe connect|sendto ADDR PORT\n");
      return 2;
    }
  if (inet_pton (AF_INET, argv[2], &s4->sin_addr) == 1)
    {
      s4->sin_family = AF_INET;
      s4->sin_port = htons ((unsigned short)atoi (argv[3]));
      len = sizeof *s4;
    }
  else if (inet_pton (AF_INET6, argv[2], &s6->sin6_addr) == 1)
    {
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons ((unsigned short)atoi (argv[3]));
      len = sizeof *s6;
    }
  else
    {
      fprintf (stderr, "udp-probe: %s: not an address\n", argv[2]);
      return 2;
    }
  fd = socket (sa.ss_family, SOCK_DGRAM, 0);
  if (fd < 0)
    {
      printf ("socket: %s\n", strerror (errno));
      return 1;
    }
  if (strcmp (argv[1], "connect") == 0)
    {
      if (connect (fd, (struct sockaddr *)&sa, len) < 0)
        {
          printf ("connect: %s\n", strerror (errno));
          return 1;
        }
      if (send (fd, "x", 1, 0) < 0)
        {
          printf ("send: %s\n", strerror (errno));
          return 1;
        }
    }
  else if (sendto (fd, "x", 1, 0, (struct sockaddr *)&sa, len) < 0)
    {
      printf ("sendto: %s\n", strerror (errno));
      return 1;
    }
  printf ("sent\n");
  return 0;
}
