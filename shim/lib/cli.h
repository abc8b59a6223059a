/* agentbox: runc's command line, parsed the way runc parses it.
 *
 * runc uses urfave/cli v1 over Go's flag package, so agentbox-runc follows
 * the same rules, or it could harden one bundle while runc runs another:
 *   - a flag is -name or --name, for short and long names alike; a value is
 *     "=V" or the next argument (whatever it looks like); booleans take
 *     only "=V" (1 0 t f T F true false TRUE FALSE True False);
 *   - global flags stop at the first non-flag argument, the verb;
 *   - for create, run and delete, urfave first moves the verb's flags (and
 *     the argument after each flag without "=") ahead of the other
 *     arguments; exec is parsed in order (its command may carry flags).
 * Parsing never changes argv. */
#ifndef AB_CLI_H
#define AB_CLI_H

#include <stdbool.h>

#include "lib/error.h"

enum ab_verb
{
  AB_VERB_UNKNOWN = -1,
  AB_VERB_NONE = 0, /* no verb given */
  AB_VERB_CHECKPOINT,
  AB_VERB_CREATE,
  AB_VERB_DELETE,
  AB_VERB_EVENTS,
  AB_VERB_EXEC,
  AB_VERB_FEATURES,
  AB_VERB_HELP,
  AB_VERB_KILL,
  AB_VERB_LIST,
  AB_VERB_PAUSE,
  AB_VERB_PS,
  AB_VERB_RESTORE,
  AB_VERB_RESUME,
  AB_VERB_RUN,
  AB_VERB_SPEC,
  AB_VERB_START,
  AB_VERB_STATE,
  AB_VERB_UPDATE,
};

/* "create" -> AB_VERB_CREATE ("h" is help, as in runc); AB_VERB_UNKNOWN
 * for anything else. */
enum ab_verb ab_verb_lookup (const char *name);
const char *ab_verb_name (enum ab_verb v);

/* The global flags, before the verb.  Strings point into argv. */
struct ab_cli_global
{
  const char *root;
  const char *log;
  const char *log_format; /* "text" or "json"; NULL if not given */
  const char *rootless;   /* "auto" or a boolean; NULL if not given */
  const char *criu;
  bool debug;
  bool systemd_cgroup;
  bool version;   /* -v / --version */
  bool help;      /* -h / --help */
  int verb_index; /* argv index of the verb, argc when there is none */
  enum ab_verb verb;
};

/* Parse argv[1..] up to the verb.  An unknown flag, a missing value, a bad
 * boolean, --log-format other than text|json and --rootless other than
 * auto or a boolean (runc's parseBoolOrAuto) are errors naming the flag (runc:
 * exit status 1).  An unknown verb is not an error here: g->verb is
 * AB_VERB_UNKNOWN. */
int ab_cli_parse_global (int argc, char *const *argv, struct ab_cli_global *g,
                         ab_error_t *err);

/* create / run: what agentbox needs to find the bundle and the container.
 * ARGS are the arguments after the verb. */
struct ab_cli_create
{
  const char *id;
  const char *bundle; /* NULL: the current directory */
  const char *pid_file;
  const char *console_socket;
  bool detach; /* run -d */
  bool keep;   /* run --keep */
  bool help;   /* -h/--help: the delegate prints the verb's help */
};

/* Exactly one container id is required, as runc requires; an unknown flag
 * is an error (fails closed: a flag we do not know might take a value, or
 * point the runtime at another config, like crun's --config). */
int ab_cli_parse_create (enum ab_verb verb, int argc, char *const *args,
                         struct ab_cli_create *c, ab_error_t *err);

/* delete [--force|-f] ID */
struct ab_cli_delete
{
  const char *id;
  bool force;
  bool help;
};
int ab_cli_parse_delete (int argc, char *const *args, struct ab_cli_delete *d,
                         ab_error_t *err);

/* exec [flags] ID [command...] */
struct ab_cli_exec
{
  const char *id;
  int id_index;        /* index in ARGS of the id */
  const char *process; /* --process value, NULL if none */
  int process_index;   /* index in ARGS holding the value */
  bool process_inline; /* the value is after "=" in args[process_index] */
  bool help;
};
int ab_cli_parse_exec (int argc, char *const *args, struct ab_cli_exec *e,
                       ab_error_t *err);

/* The argv the delegate gets for `exec` on a container agentbox confined.
 * ARGV is the whole command line, VERB_INDEX where "exec" is in it, E its
 * parse.  In the copy: argv[0] is DELEGATE; the --process value is
 * PROCESS_PATH when that is not NULL; every --cap whose value DROP_CAP
 * says to drop is removed (runc adds --cap values to the bounding,
 * effective and permitted sets); every --no-new-privs before the id is
 * removed and "--no-new-privs=true" placed right after the verb; and the
 * words of BEFORE_COMMAND (NULL-terminated, may be NULL) go right after
 * the id, in front of the command, when one follows it.  *OUT is a
 * NULL-terminated vector of copies: free it with ab_strvfree(). */
int ab_cli_exec_argv (int argc, char *const *argv, int verb_index,
                      const struct ab_cli_exec *e, const char *delegate,
                      const char *process_path,
                      bool (*drop_cap) (const char *cap, void *data),
                      void *data, const char *const *before_command,
                      char ***out, ab_error_t *err);

/* Go's strconv.ParseBool: 1 if true, 0 if false, -1 if neither. */
int ab_cli_parse_bool (const char *s);

#endif
