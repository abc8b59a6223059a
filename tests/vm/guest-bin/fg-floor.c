/* fg-floor CGROUP_DIR LINK_PIN: attach tests/vm/bpf/fg-floor.bpf.c to a
 * cgroup and pin the link, so it stays attached after this exits; remove
 * LINK_PIN to detach.  For the file guard bench only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fg-floor.skel.h"

int
main (int argc, char **argv)
{
  struct fg_floor *skel;
  struct bpf_link *link;
  int cg, rc = 1;

  if (argc != 3)
    {
      fprintf (stderr, "usage: fg-floor CGROUP_DIR LINK_PIN\n");
      return 2;
    }
  cg = open (argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0)
    {
      fprintf (stderr, "fg-floor: %s: %s\n", argv[1], strerror (errno));
      return 1;
    }
  skel = fg_floor__open_and_load ();
  if (skel == NULL)
    {
      fprintf (stderr, "fg-floor: load: %s\n", strerror (errno));
      return 1;
    }
  link = bpf_program__attach_cgroup (skel->progs.ab_floor_file_open, cg);
  if (link == NULL)
    fprintf (stderr, "fg-floor: attach to %s: %s\n", argv[1], strerror (errno));
  else if (bpf_link__pin (link, argv[2]) < 0)
    fprintf (stderr, "fg-floor: pin %s: %s\n", argv[2], strerror (errno));
  else
    rc = 0;
  bpf_link__destroy (link);
  fg_floor__destroy (skel);
  close (cg);
  return rc;
}
