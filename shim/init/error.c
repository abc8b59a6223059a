/* The build rule for agentbox-init compiles the files of shim/init alone into a
 * static, libc-only binary, so the tree's one error type is compiled in
 * here instead of linked from libab.a. */
#include "lib/error.c"
