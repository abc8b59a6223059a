/* agentbox: the `agentbox policy` subcommands.  Each is one function in
 * the table below; they print and return an exit status. */
#include "policy/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/arena.h"
#include "policy/cedar-internal.h"
#include "policy/ir.h"
#include "policy/model.h"

static int
load_set (struct ab_cedar_set *s, int n, char **files)
{
  int errors = 0;

  for (int i = 0; i < n; i++)
    {
      cleanup_error ab_error_t err = NULL;
      if (ab_cedar_parse_file (s, files[i], &err) < 0)
        {
          fprintf (stderr, "%s\n", err->msg);
          errors++;
        }
    }
  return errors;
}

/* agentbox policy check FILE... */
static int
cmd_check (int argc, char **argv)
{
  cleanup_cedar_set struct ab_cedar_set *s = ab_cedar_set_new ();
  int errors;

  if (argc < 2)
    {
      fprintf (stderr, "usage: agentbox policy check FILE...\n");
      return 2;
    }
  if (s == NULL)
    return 1;
  errors = load_set (s, argc - 1, argv + 1);
  if (errors == 0 && s->len == 0)
    fprintf (stderr, "warning: no policies: every request is denied\n");
  if (errors == 0)
    printf ("%zu polic%s OK\n", s->len, s->len == 1 ? "y" : "ies");
  return errors ? 1 : 0;
}

/* "k=v": a long, true/false, or a string. */
static int
context_entry (struct ab_arena *a, const char *kv,
               struct ab_cv_record_entry *out)
{
  const char *eq = strchr (kv, '=');
  struct ab_cv *v = ab_arena_alloc (a, sizeof *v);
  char *end = NULL;
  long long l;

  if (eq == NULL || eq == kv || v == NULL)
    return -1;
  out->key = ab_arena_strndup (a, kv, (size_t)(eq - kv));
  out->val = v;
  errno = 0;
  l = strtoll (eq + 1, &end, 10);
  if (eq[1] && *end == '\0' && errno == 0)
    {
      v->type = AB_CV_LONG;
      v->u.l = l;
    }
  else if (strcmp (eq + 1, "true") == 0 || strcmp (eq + 1, "false") == 0)
    {
      v->type = AB_CV_BOOL;
      v->u.b = eq[1] == 't';
    }
  else if (strncmp (eq + 1, "ip:", 3) == 0
           && ab_cedar_parse_ip (eq + 4, &v->u.ip))
    v->type = AB_CV_IP;
  else
    {
      v->type = AB_CV_STRING;
      v->u.s.ptr = eq + 1;
      v->u.s.len = strlen (eq + 1);
    }
  return 0;
}

static void
explain_usage (void)
{
  fprintf (stderr,
           "usage: agentbox policy explain FILE... --action A --resource R\n"
           "         [--principal 'Container::\"id\"'] [--project NAME]\n"
           "         [--context k=v]...   (v: integer, true/false, ip:CIDR, "
           "or string)\n");
}

static void
print_policy (const struct ab_cedar_set *s, size_t i, const char *why)
{
  const struct ab_cedar_policy *p = &s->policies[i];

  printf ("  %s %s at %s:%u:%u%s%s%s\n", p->permit ? "permit" : "forbid", why,
          p->loc.file, p->loc.line, p->loc.col, p->annot_id ? " (@id " : "",
          p->annot_id ? p->annot_id : "", p->annot_id ? ")" : "");
}

/* agentbox policy explain FILE... --principal P --action A --resource R */
static int
cmd_explain (int argc, char **argv)
{
  static const struct option opts[]
      = { { "principal", required_argument, NULL, 'p' },
          { "project", required_argument, NULL, 'j' },
          { "action", required_argument, NULL, 'a' },
          { "resource", required_argument, NULL, 'r' },
          { "context", required_argument, NULL, 'c' },
          { "help", no_argument, NULL, 'h' },
          { NULL, 0, NULL, 0 } };
  cleanup_cedar_set struct ab_cedar_set *s = ab_cedar_set_new ();
  struct ab_cedar_entities *e = ab_cedar_entities_new ();
  cleanup_error ab_error_t err = NULL;
  const char *principal = NULL, *project = NULL, *action = NULL,
             *resource = NULL;
  struct ab_cv ctx = { .type = AB_CV_RECORD };
  struct ab_cedar_request req;
  struct ab_cedar_response resp;
  int c, rc = 1;

  if (s == NULL || e == NULL)
    goto out;
  ctx.u.rec.entries = ab_arena_alloc (ab_cedar_entities_arena (e),
                                      (size_t)argc * sizeof *ctx.u.rec.entries);
  optind = 1;
  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'p':
        principal = optarg;
        break;
      case 'j':
        project = optarg;
        break;
      case 'a':
        action = optarg;
        break;
      case 'r':
        resource = optarg;
        break;
      case 'c':
        if (context_entry (ab_cedar_entities_arena (e), optarg,
                           &ctx.u.rec.entries[ctx.u.rec.len++])
            < 0)
          {
            fprintf (stderr, "--context `%s`: expected KEY=VALUE\n", optarg);
            rc = 2;
            goto out;
          }
        break;
      default:
        explain_usage ();
        rc = 2;
        goto out;
      }
  if (action == NULL || resource == NULL || optind >= argc)
    {
      explain_usage ();
      rc = 2;
      goto out;
    }
  if (load_set (s, argc - optind, argv + optind))
    goto out;
  ab_model_normalize (s);
  if (ab_model_request (e, principal, project, action, resource, &req, &err)
      < 0)
    {
      fprintf (stderr, "agentbox policy explain: %s\n", err->msg);
      rc = 2;
      goto out;
    }
  req.context = &ctx;
  if (ab_cedar_authorize (s, e, &req, &resp, &err) < 0)
    {
      fprintf (stderr, "agentbox policy explain: %s\n", err->msg);
      goto out;
    }
  printf ("%s\n", resp.allow ? "ALLOW" : "DENY");
  for (size_t i = 0; i < resp.n_reasons; i++)
    print_policy (s, resp.reasons[i], "applies");
  if (!resp.allow && resp.n_reasons == 0)
    printf ("  no permit applies (default deny)\n");
  for (size_t i = 0; i < resp.n_errors; i++)
    {
      print_policy (s, resp.errors[i], "skipped: evaluation error");
      printf ("    %s\n", resp.error_msgs[i]);
    }
  rc = resp.allow ? 0 : 1;
  ab_cedar_response_free (&resp);
out:
  ab_cedar_entities_free (e);
  return rc;
}

static const struct
{
  const char *name;
  int (*fn) (int argc, char **argv);
  const char *help;
} commands[] = {
  { "check", cmd_check, "check FILE...      parse policies; exit 0 if valid" },
  { "explain", cmd_explain,
    "explain FILE... --action A --resource R [--principal P] [--context "
    "k=v]\n                     the decision and the rules that made it" },
  { "ir", ab_policy_cmd_ir,
    "ir FILE... [--mode M]  compile and print the IR (tables, rules)" },
};

int
ab_policy_cli (int argc, char **argv)
{
  if (argc >= 2)
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
      if (strcmp (argv[1], commands[i].name) == 0)
        return commands[i].fn (argc - 1, argv + 1);
  fprintf (argc >= 2 && strcmp (argv[1], "--help") ? stderr : stdout,
           "usage: agentbox policy COMMAND\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    printf ("  %s\n", commands[i].help);
  return argc >= 2 && strcmp (argv[1], "--help") == 0 ? 0 : 2;
}
