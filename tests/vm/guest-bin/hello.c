/* agentbox VM test: a dynamically linked program, for running a program
 * through ld.so. */
#include <stdio.h>

int
main (void)
{
  puts ("hello");
  return 0;
}
