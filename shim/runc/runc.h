/* agentbox-runc: what the verb files share.
 *
 * main.c parses the global flags and dispatches through its verb table;
 * each verb agentbox changes has its own file (create.c serves create and
 * run), and everything else goes to passthrough.c, which exec's the
 * delegate runtime with the argv unchanged. */
#ifndef ABR_RUNC_H
#define ABR_RUNC_H

#include "lib/error.h"
#include "shim/lib/cli.h"
#include "shim/lib/config.h"

struct abr_ctx
{
  int argc;
  char **argv;
  struct ab_cli_global g;
  int nargs;             /* arguments after the verb */
  char *const *args;     /* argv + g.verb_index + 1 */
  struct ab_config *cfg; /* loaded by abr_load_config */
  char *delegate;        /* absolute path of the real runtime */
};

/* Load the config and resolve the delegate (once). */
int abr_load_config (struct abr_ctx *c, ab_error_t *err);

/* execv ARGV with ARGV[0] replaced by the delegate.  Returns only on
 * failure, or with 0 in a server's worker when the front exec'd it
 * (ab_exec): the caller returns at once either way. */
int abr_exec_delegate (struct abr_ctx *c, char **argv, ab_error_t *err);

/* The same for an ARGV of the caller's own, whose ARGV[0] already is the
 * delegate (it stays the caller's to free). */
int abr_exec_argv (struct abr_ctx *c, char **argv, ab_error_t *err);

/* One runtime call, ARGV as runc's command line: main() of
 * agentbox-shim, and what a server's worker runs (serve.c).  Returns the
 * exit status. */
int abr_run_call (int argc, char **argv);

/* agentbox-shim --serve [options]: ARGV[0] is "--serve". */
int abr_serve (int argc, char **argv);

/* Verbs.  Each returns the exit status to use, or -1 with *ERR set (main
 * logs it and exits 1). */
int abr_cmd_create (struct abr_ctx *c, ab_error_t *err); /* and run */
int abr_cmd_exec (struct abr_ctx *c, ab_error_t *err);
int abr_cmd_delete (struct abr_ctx *c, ab_error_t *err);
int abr_cmd_features (struct abr_ctx *c, ab_error_t *err);
int abr_cmd_passthrough (struct abr_ctx *c, ab_error_t *err);
int abr_cmd_version (struct abr_ctx *c, ab_error_t *err);

#endif
