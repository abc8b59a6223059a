/* agentbox: runc's command line, parsed as urfave/cli v1 and Go's flag
 * package parse it (see cli.h for the rules). */
#include "shim/lib/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

/* ---- verbs ---- */

static const struct
{
  const char *name;
  enum ab_verb verb;
} verbs[] = {
  { "checkpoint", AB_VERB_CHECKPOINT },
  { "create", AB_VERB_CREATE },
  { "delete", AB_VERB_DELETE },
  { "events", AB_VERB_EVENTS },
  { "exec", AB_VERB_EXEC },
  { "features", AB_VERB_FEATURES },
  { "help", AB_VERB_HELP },
  { "h", AB_VERB_HELP },
  { "kill", AB_VERB_KILL },
  { "list", AB_VERB_LIST },
  { "pause", AB_VERB_PAUSE },
  { "ps", AB_VERB_PS },
  { "restore", AB_VERB_RESTORE },
  { "resume", AB_VERB_RESUME },
  { "run", AB_VERB_RUN },
  { "spec", AB_VERB_SPEC },
  { "start", AB_VERB_START },
  { "state", AB_VERB_STATE },
  { "update", AB_VERB_UPDATE },
};

enum ab_verb
ab_verb_lookup (const char *name)
{
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp (verbs[i].name, name) == 0)
      return verbs[i].verb;
  return AB_VERB_UNKNOWN;
}

const char *
ab_verb_name (enum ab_verb v)
{
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (verbs[i].verb == v)
      return verbs[i].name;
  return v == AB_VERB_NONE ? "" : "?";
}

int
ab_cli_parse_bool (const char *s)
{
  static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
  static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

  for (size_t i = 0; i < 6; i++)
    {
      if (strcmp (s, yes[i]) == 0)
        return 1;
      if (strcmp (s, no[i]) == 0)
        return 0;
    }
  return -1;
}

/* ---- flag tables ---- */

enum flag_key
{
  F_IGNORED, /* known to the runtime, not needed by agentbox */
  F_HELP,
  F_VERSION,
  F_ROOT,
  F_LOG,
  F_LOG_FORMAT,
  F_DEBUG,
  F_SYSTEMD_CGROUP,
  F_ROOTLESS,
  F_CRIU,
  F_BUNDLE,
  F_CONSOLE_SOCKET,
  F_PID_FILE,
  F_FORCE,
  F_PROCESS,
  F_CAP,
  F_NO_NEW_PRIVS,
  F_DETACH,
  F_KEEP,
};

struct flag_def
{
  const char *name, *alias; /* alias may be NULL */
  bool takes_value;
  enum flag_key key;
};

#define FLAG_END                                                               \
  {                                                                            \
    NULL, NULL, false, F_IGNORED                                               \
  }

/* runc 1.1's global options (runc --help), plus urfave's help/version. */
static const struct flag_def global_flags[] = {
  { "root", NULL, true, F_ROOT },
  { "log", NULL, true, F_LOG },
  { "log-format", NULL, true, F_LOG_FORMAT },
  { "criu", NULL, true, F_CRIU },
  { "rootless", NULL, true, F_ROOTLESS },
  { "debug", NULL, false, F_DEBUG },
  { "systemd-cgroup", NULL, false, F_SYSTEMD_CGROUP },
  { "help", "h", false, F_HELP },
  { "version", "v", false, F_VERSION },
  FLAG_END,
};

/* runc create --help */
static const struct flag_def create_flags[] = {
  { "bundle", "b", true, F_BUNDLE },
  { "console-socket", NULL, true, F_CONSOLE_SOCKET },
  { "pid-file", NULL, true, F_PID_FILE },
  { "no-pivot", NULL, false, F_IGNORED },
  { "no-new-keyring", NULL, false, F_IGNORED },
  { "preserve-fds", NULL, true, F_IGNORED },
  { "help", "h", false, F_HELP },
  FLAG_END,
};

/* runc run --help: create's and three more. */
static const struct flag_def run_flags[] = {
  { "bundle", "b", true, F_BUNDLE },
  { "console-socket", NULL, true, F_CONSOLE_SOCKET },
  { "pid-file", NULL, true, F_PID_FILE },
  { "no-pivot", NULL, false, F_IGNORED },
  { "no-new-keyring", NULL, false, F_IGNORED },
  { "preserve-fds", NULL, true, F_IGNORED },
  { "detach", "d", false, F_DETACH },
  { "keep", NULL, false, F_KEEP },
  { "no-subreaper", NULL, false, F_IGNORED },
  { "help", "h", false, F_HELP },
  FLAG_END,
};

static const struct flag_def delete_flags[] = {
  { "force", "f", false, F_FORCE },
  { "help", "h", false, F_HELP },
  FLAG_END,
};

/* runc exec --help */
static const struct flag_def exec_flags[] = {
  { "console-socket", NULL, true, F_IGNORED },
  { "cwd", NULL, true, F_IGNORED },
  { "env", "e", true, F_IGNORED },
  { "tty", "t", false, F_IGNORED },
  { "user", "u", true, F_IGNORED },
  { "additional-gids", "g", true, F_IGNORED },
  { "process", "p", true, F_PROCESS },
  { "detach", "d", false, F_IGNORED },
  { "pid-file", NULL, true, F_IGNORED },
  { "process-label", NULL, true, F_IGNORED },
  { "apparmor", NULL, true, F_IGNORED },
  { "no-new-privs", NULL, false, F_NO_NEW_PRIVS },
  { "cap", "c", true, F_CAP },
  { "preserve-fds", NULL, true, F_IGNORED },
  { "cgroup", NULL, true, F_IGNORED },
  { "ignore-paused", NULL, false, F_IGNORED },
  { "help", "h", false, F_HELP },
  FLAG_END,
};

static const struct flag_def *
flag_lookup (const struct flag_def *defs, const char *name, size_t len)
{
  for (; defs->name; defs++)
    {
      if (strlen (defs->name) == len && memcmp (defs->name, name, len) == 0)
        return defs;
      if (defs->alias && strlen (defs->alias) == len
          && memcmp (defs->alias, name, len) == 0)
        return defs;
    }
  return NULL;
}

/* ---- Go's flag.FlagSet.parseOne ---- */

struct occurrence
{
  const struct flag_def *def;
  int flag_index;    /* where the flag is */
  int value_index;   /* where its value is (== flag_index when inline) */
  const char *value; /* NULL for a bare boolean */
  bool on;           /* a boolean's value */
};

/* Parse the flag at SEQ[*I].  Returns 1 and fills O for a flag, 0 at the
 * first non-flag argument (after consuming a "--"), -1 on error. */
static int
go_flag_next (const struct flag_def *defs, char *const *args, const int *seq,
              int n, int *i, struct occurrence *o, ab_error_t *err)
{
  const char *s = args[seq[*i]], *name, *eq;
  const struct flag_def *d;
  size_t len;

  if (strlen (s) < 2 || s[0] != '-')
    return 0;
  name = s + 1;
  if (s[1] == '-')
    {
      if (s[2] == '\0')
        {
          (*i)++;
          return 0;
        }
      name = s + 2;
    }
  if (*name == '-' || *name == '=')
    return ab_error_set (err, EINVAL, "bad flag syntax: `%s`", s);
  eq = strchr (name, '=');
  len = eq ? (size_t)(eq - name) : strlen (name);
  d = flag_lookup (defs, name, len);
  if (d == NULL)
    return ab_error_set (err, EINVAL, "flag provided but not defined: `%s`", s);
  o->def = d;
  o->flag_index = o->value_index = seq[(*i)++];
  o->value = eq ? eq + 1 : NULL;
  o->on = true;
  if (!d->takes_value)
    {
      int b = eq ? ab_cli_parse_bool (eq + 1) : 1;

      if (b < 0)
        return ab_error_set (
            err, EINVAL, "invalid boolean value `%s` for flag `%s`", eq + 1, s);
      o->on = b == 1;
      return 1;
    }
  if (eq)
    return 1;
  if (*i >= n)
    return ab_error_set (err, EINVAL, "flag needs an argument: `%s`", s);
  o->value_index = seq[(*i)++];
  o->value = args[o->value_index];
  return 1;
}

/* ---- urfave/cli v1's reorderArgs ---- */

/* urfave's argIsFlag: "-x"/"--x"/"--x=v" naming one of DEFS. */
static bool
arg_is_flag (const struct flag_def *defs, const char *a)
{
  size_t len;

  if (a[0] != '-' || strcmp (a, "-") == 0 || strcmp (a, "--") == 0)
    return false;
  a += (a[1] == '-') ? 2 : 1;
  if (*a == '-')
    a++;
  len = strcspn (a, "=");
  return flag_lookup (defs, a, len) != NULL;
}

/* SEQ (ARGC entries) receives the order urfave hands to Go's parser:
 * flags with their values first, then the other arguments, "--" first
 * among those. */
static void
urfave_reorder (const struct flag_def *defs, int argc, char *const *args,
                int *seq, int *rest)
{
  int nflags = 0, nrest = 0;
  bool may_value = false;

  for (int i = 0; i < argc; i++)
    {
      const char *a = args[i];
      bool is_flag = arg_is_flag (defs, a);

      if (may_value && !is_flag)
        {
          may_value = false;
          seq[nflags++] = i;
        }
      else if (strcmp (a, "--") == 0)
        {
          memmove (rest + 1, rest, nrest * sizeof (int));
          rest[0] = i;
          nrest++;
          for (int j = i + 1; j < argc; j++)
            rest[nrest++] = j;
          break;
        }
      else if (is_flag)
        {
          seq[nflags++] = i;
          may_value = strchr (a, '=') == NULL;
        }
      else
        rest[nrest++] = i;
    }
  memcpy (seq + nflags, rest, nrest * sizeof (int));
}

/* Parse the verb's flags in the order SEQ; OCC (room for ARGC entries)
 * receives each flag; *FIRST_POS is the position in SEQ of the first
 * positional argument. */
static int
parse_seq (const struct flag_def *defs, int argc, char *const *args,
           const int *seq, struct occurrence *occ, int *nocc, int *first_pos,
           ab_error_t *err)
{
  int i = 0, r;

  *nocc = 0;
  while (i < argc)
    {
      r = go_flag_next (defs, args, seq, argc, &i, &occ[*nocc], err);
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      (*nocc)++;
    }
  *first_pos = i;
  return 0;
}

/* A parse of one verb's arguments. */
struct verb_parse
{
  int *seq;
  struct occurrence *occ;
  int nocc;
  int first_pos; /* index into seq */
};

static void
verb_parse_free (struct verb_parse *p)
{
  free (p->seq);
  free (p->occ);
}

static int
verb_parse (const struct flag_def *defs, bool reorder, int argc,
            char *const *args, struct verb_parse *p, ab_error_t *err)
{
  cleanup_free int *rest = NULL;
  size_t n = argc > 0 ? (size_t)argc : 1;

  p->seq = calloc (n, sizeof (int));
  p->occ = calloc (n, sizeof (struct occurrence));
  rest = calloc (n, sizeof (int));
  if (p->seq == NULL || p->occ == NULL || rest == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (reorder)
    urfave_reorder (defs, argc, args, p->seq, rest);
  else
    for (int i = 0; i < argc; i++)
      p->seq[i] = i;
  return parse_seq (defs, argc, args, p->seq, p->occ, &p->nocc, &p->first_pos,
                    err);
}

static bool
parse_has_help (const struct verb_parse *p)
{
  for (int i = 0; i < p->nocc; i++)
    if (p->occ[i].def->key == F_HELP && p->occ[i].on)
      return true;
  return false;
}

/* ---- global flags ---- */

static int
check_global_values (const struct ab_cli_global *g, ab_error_t *err)
{
  if (g->log_format && strcmp (g->log_format, "text")
      && strcmp (g->log_format, "json"))
    return ab_error_set (err, EINVAL,
                         "invalid --log-format `%s`: expected text or json",
                         g->log_format);
  /* runc's parseBoolOrAuto: "", "auto" or a Go boolean. */
  if (g->rootless && *g->rootless && strcmp (g->rootless, "auto")
      && ab_cli_parse_bool (g->rootless) < 0)
    return ab_error_set (err, EINVAL,
                         "invalid --rootless `%s`: expected true, false or "
                         "auto",
                         g->rootless);
  return 0;
}

static void
apply_global (struct ab_cli_global *g, const struct occurrence *o)
{
  switch (o->def->key)
    {
    case F_ROOT:
      g->root = o->value;
      break;
    case F_LOG:
      g->log = o->value;
      break;
    case F_LOG_FORMAT:
      g->log_format = o->value;
      break;
    case F_CRIU:
      g->criu = o->value;
      break;
    case F_ROOTLESS:
      g->rootless = o->value;
      break;
    case F_DEBUG:
      g->debug = o->on;
      break;
    case F_SYSTEMD_CGROUP:
      g->systemd_cgroup = o->on;
      break;
    case F_HELP:
      g->help = o->on;
      break;
    case F_VERSION:
      g->version = o->on;
      break;
    default:
      break;
    }
}

int
ab_cli_parse_global (int argc, char *const *argv, struct ab_cli_global *g,
                     ab_error_t *err)
{
  struct verb_parse p = { 0 };
  int r;

  memset (g, 0, sizeof (*g));
  if (argc < 1)
    return ab_error_set (err, EINVAL, "empty command line");
  r = verb_parse (global_flags, false, argc - 1, argv + 1, &p, err);
  if (r == 0)
    {
      for (int i = 0; i < p.nocc; i++)
        apply_global (g, &p.occ[i]);
      g->verb_index = p.first_pos < argc - 1 ? 1 + p.seq[p.first_pos] : argc;
    }
  verb_parse_free (&p);
  if (r < 0)
    return ab_error_wrap (err, "global options");
  if (check_global_values (g, err) < 0)
    return -1;
  if (g->verb_index >= argc)
    g->verb = AB_VERB_NONE;
  else
    g->verb = ab_verb_lookup (argv[g->verb_index]);
  return 0;
}

/* ---- create / run ---- */

/* The positional arguments of a parse, as runc's checkArgs counts them. */
static int
positional_count (const struct verb_parse *p, int argc)
{
  return argc - p->first_pos;
}

int
ab_cli_parse_create (enum ab_verb verb, int argc, char *const *args,
                     struct ab_cli_create *c, ab_error_t *err)
{
  const struct flag_def *defs = verb == AB_VERB_RUN ? run_flags : create_flags;
  const char *name = ab_verb_name (verb);
  struct verb_parse p = { 0 };
  int r;

  memset (c, 0, sizeof (*c));
  r = verb_parse (defs, true, argc, args, &p, err);
  if (r < 0)
    goto out;
  for (int i = 0; i < p.nocc; i++)
    {
      const struct occurrence *o = &p.occ[i];
      if (o->def->key == F_BUNDLE)
        c->bundle = o->value;
      else if (o->def->key == F_PID_FILE)
        c->pid_file = o->value;
      else if (o->def->key == F_CONSOLE_SOCKET)
        c->console_socket = o->value;
      else if (o->def->key == F_DETACH)
        c->detach = o->on;
      else if (o->def->key == F_KEEP)
        c->keep = o->on;
    }
  c->help = parse_has_help (&p);
  if (c->help)
    goto out;
  if (positional_count (&p, argc) != 1)
    {
      r = ab_error_set (err, EINVAL,
                        "`%s` requires exactly 1 argument (the container "
                        "id), got %d",
                        name, positional_count (&p, argc));
      goto out;
    }
  c->id = args[p.seq[p.first_pos]];
out:
  verb_parse_free (&p);
  if (r < 0)
    return ab_error_wrap (err, "%s", name);
  return 0;
}

/* ---- delete ---- */

int
ab_cli_parse_delete (int argc, char *const *args, struct ab_cli_delete *d,
                     ab_error_t *err)
{
  struct verb_parse p = { 0 };
  int r;

  memset (d, 0, sizeof (*d));
  r = verb_parse (delete_flags, true, argc, args, &p, err);
  if (r == 0)
    {
      for (int i = 0; i < p.nocc; i++)
        if (p.occ[i].def->key == F_FORCE)
          d->force = p.occ[i].on;
      d->help = parse_has_help (&p);
      if (!d->help && positional_count (&p, argc) != 1)
        r = ab_error_set (err, EINVAL,
                          "`delete` requires exactly 1 argument (the "
                          "container id), got %d",
                          positional_count (&p, argc));
      else if (!d->help)
        d->id = args[p.seq[p.first_pos]];
    }
  verb_parse_free (&p);
  if (r < 0)
    return ab_error_wrap (err, "delete");
  return 0;
}

/* ---- exec ---- */

int
ab_cli_parse_exec (int argc, char *const *args, struct ab_cli_exec *e,
                   ab_error_t *err)
{
  struct verb_parse p = { 0 };
  int r;

  memset (e, 0, sizeof (*e));
  e->id_index = e->process_index = -1;
  /* runc's exec skips urfave's reordering: the command after the id keeps
   * its own flags. */
  r = verb_parse (exec_flags, false, argc, args, &p, err);
  if (r == 0)
    {
      for (int i = 0; i < p.nocc; i++)
        if (p.occ[i].def->key == F_PROCESS) /* Go: the last one wins */
          {
            e->process = p.occ[i].value;
            e->process_index = p.occ[i].value_index;
            e->process_inline = p.occ[i].value_index == p.occ[i].flag_index;
          }
      e->help = parse_has_help (&p);
      if (!e->help && p.first_pos >= argc)
        r = ab_error_set (err, EINVAL, "`exec` requires a container id");
      else if (!e->help)
        {
          e->id_index = p.first_pos;
          e->id = args[e->id_index];
        }
    }
  verb_parse_free (&p);
  if (r < 0)
    return ab_error_wrap (err, "exec");
  return 0;
}

/* What happens to args[j] (before the id) in the exec rewrite. */
enum exec_fate
{
  KEEP,
  DROP,
  REPLACE_VALUE,
  REPLACE_INLINE,
};

static void
exec_fates (const struct verb_parse *p, const struct ab_cli_exec *e,
            const char *process_path, bool (*drop_cap) (const char *, void *),
            void *data, enum exec_fate *fate)
{
  for (int i = 0; i < p->nocc; i++)
    {
      const struct occurrence *o = &p->occ[i];
      bool drop
          = (o->def->key == F_NO_NEW_PRIVS)
            || (o->def->key == F_CAP && drop_cap && drop_cap (o->value, data));
      if (drop)
        fate[o->flag_index] = fate[o->value_index] = DROP;
    }
  if (process_path && e->process_index >= 0)
    fate[e->process_index] = e->process_inline ? REPLACE_INLINE : REPLACE_VALUE;
}

static char *
exec_arg (const char *a, enum exec_fate fate, const char *process_path)
{
  char *s = NULL;

  if (fate == REPLACE_VALUE)
    return strdup (process_path);
  if (fate == REPLACE_INLINE)
    {
      int len = (int)(strchr (a, '=') - a);
      return asprintf (&s, "%.*s=%s", len, a, process_path) < 0 ? NULL : s;
    }
  return strdup (a);
}

int
ab_cli_exec_argv (int argc, char *const *argv, int verb_index,
                  const struct ab_cli_exec *e, const char *delegate,
                  const char *process_path,
                  bool (*drop_cap) (const char *cap, void *data), void *data,
                  const char *const *before_command, char ***out,
                  ab_error_t *err)
{
  char *const *args = argv + verb_index + 1;
  int nargs = argc - verb_index - 1, n = 0;
  struct verb_parse p = { 0 };
  cleanup_free enum exec_fate *fate = NULL;
  cleanup_strv char **v = NULL;
  size_t nbefore = 0;

  while (before_command && before_command[nbefore])
    nbefore++;

  if (e->id_index < 0 || e->id_index >= nargs)
    return ab_error_set (err, EINVAL, "exec: no container id");
  if (verb_parse (exec_flags, false, nargs, args, &p, err) < 0)
    {
      verb_parse_free (&p);
      return ab_error_wrap (err, "exec");
    }
  fate = calloc ((size_t)nargs, sizeof (*fate));
  v = calloc ((size_t)argc + 2 + nbefore, sizeof (char *));
  if (fate && v)
    exec_fates (&p, e, process_path, drop_cap, data, fate);
  verb_parse_free (&p);
  if (fate == NULL || v == NULL || (v[n++] = strdup (delegate)) == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  for (int i = 1; i <= verb_index; i++)
    if ((v[n++] = strdup (argv[i])) == NULL)
      return ab_error_set (err, ENOMEM, "out of memory");
  /* Right after the verb, so nothing later can turn it off but the
   * caller's own occurrences, which were dropped above. */
  if ((v[n++] = strdup ("--no-new-privs=true")) == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  for (int j = 0; j < nargs; j++)
    {
      if (j < e->id_index && fate[j] == DROP)
        continue;
      v[n] = exec_arg (args[j], j < e->id_index ? fate[j] : KEEP, process_path);
      if (v[n++] == NULL)
        return ab_error_set (err, ENOMEM, "out of memory");
      for (size_t k = 0; j == e->id_index && j + 1 < nargs && k < nbefore; k++)
        if ((v[n++] = strdup (before_command[k])) == NULL)
          return ab_error_set (err, ENOMEM, "out of memory");
    }
  *out = steal_pointer (&v);
  return 0;
}
