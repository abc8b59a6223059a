/* agentbox policy suggest ID [--audit FILE]: a Cedar policy permitting
 * the file accesses the audit log holds for container ID (the file
 * guard's lines: record, would-deny, deny), made by policy/suggest.c.
 * It lives here, not with the other `policy` verbs, because it reads the
 * config's audit log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/cli.h"
#include "policy/suggest.h"
#include "proxy/cli/cli.h"
#include "shim/lib/config.h"
#include "spec/json.h"

static const char usage[]
    = "usage: agentbox policy suggest ID [--audit FILE]\n"
      "\n"
      "Print a Cedar policy that permits the file accesses and executions\n"
      "container ID was seen making: the file guard's lines in the audit\n"
      "log (FILE, default network.audit_log of the config), whether they\n"
      "were recorded (`agentbox mode ID record`), would have been denied\n"
      "(shadow) or were denied.  One permit per distinct action and path;\n"
      "8 or more paths of one action in one directory become one\n"
      "`resource in Dir::\"/d/\"`.  Paths no policy can name (cut, outside\n"
      "the container's root, too deep, not UTF-8) are counted, not\n"
      "permitted.  Review the result before adding it to the policy.\n";

struct seen
{
  struct ab_suggest_item *items;
  size_t n, cap;
  size_t lines, skipped, bad;
};

static void
seen_free (struct seen *s)
{
  for (size_t i = 0; i < s->n; i++)
    free ((char *)s->items[i].path);
  free (s->items);
}

static int
add (struct seen *s, enum ab_ir_action a, const char *path)
{
  if (s->n == s->cap)
    {
      size_t cap = s->cap ? s->cap * 2 : 64;
      struct ab_suggest_item *v = realloc (s->items, cap * sizeof *v);
      if (v == NULL)
        return -1;
      s->items = v;
      s->cap = cap;
    }
  s->items[s->n].action = a;
  s->items[s->n].path = strdup (path);
  return s->items[s->n++].path ? 0 : -1;
}

static bool
wanted_decision (const char *d)
{
  return d
         && (strcmp (d, "allow") == 0 || strcmp (d, "would-deny") == 0
             || strcmp (d, "deny") == 0);
}

/* One audit line: its accesses into S when it is a file line of ID. */
static int
take_line (struct seen *s, const char *id, const char *line, size_t len)
{
  cleanup_json struct ab_json *j = NULL;
  cleanup_error ab_error_t err = NULL;
  const char *c, *path, *layer;
  unsigned actions;

  /* Most lines are the network's: skip them before parsing. */
  if (strstr (line, "\"layer\":\"file\"") == NULL)
    return 0;
  if (ab_json_parse (line, len, "audit line", &j, &err) < 0)
    {
      s->bad++;
      return 0;
    }
  c = ab_json_get_string (j, "container");
  layer = ab_json_get_string (j, "layer");
  if (c == NULL || strcmp (c, id) != 0 || layer == NULL
      || strcmp (layer, "file") != 0
      || !wanted_decision (ab_json_get_string (j, "decision")))
    return 0;
  s->lines++;
  path = ab_json_get_string (j, "path");
  actions = ab_suggest_rights_actions (ab_json_get_string (j, "rights"));
  /* A flagged path is not the file's name in the container. */
  if (ab_json_get (j, "flags") || path == NULL || path[0] != '/'
      || actions == 0)
    {
      s->skipped++;
      return 0;
    }
  for (unsigned a = 0; a < AB_IR_N_ACTIONS; a++)
    if ((actions & (1u << a)) && add (s, (enum ab_ir_action)a, path) < 0)
      return -1;
  return 0;
}

static int
read_log (const char *file, const char *id, struct seen *s, ab_error_t *err)
{
  cleanup_file FILE *f = fopen (file, "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t n;

  if (f == NULL)
    return ab_error_errno (err, "audit log %s", file);
  while ((n = getline (&line, &cap, f)) > 0)
    if (take_line (s, id, line, (size_t)n) < 0)
      return ab_error_set (err, ENOMEM, "out of memory");
  if (ferror (f))
    return ab_error_errno (err, "read %s", file);
  return 0;
}

static int
suggest (const char *id, const char *file)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_free char *header = NULL, *text = NULL;
  struct seen s = { 0 };
  int rc = 1;

  if (read_log (file, id, &s, &err) < 0)
    goto out;
  if (asprintf (&header,
                "agentbox policy suggest %s: the file accesses of container "
                "%s in %s\n%zu line%s; %zu skipped (paths no policy can "
                "name)%s.\nReview before use: a `resource in Dir` permits "
                "more than what was seen.",
                id, id, file, s.lines, s.lines == 1 ? "" : "s", s.skipped,
                s.bad ? ", and lines that are not JSON" : "")
      < 0)
    header = NULL;
  if (header == NULL)
    ab_error_set (&err, ENOMEM, "out of memory");
  else if (ab_suggest_policy (s.items, s.n, header, &text, &err) == 0)
    {
      fputs (text, stdout);
      rc = 0;
    }
  if (s.lines == 0)
    fprintf (stderr,
             "agentbox policy suggest: no file guard line of "
             "container %s in %s\n",
             id, file);
out:
  if (err)
    fprintf (stderr, "agentbox policy suggest: %s\n", err->msg);
  seen_free (&s);
  return rc;
}

int
ab_suggest_cli (int argc, char **argv)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_config struct ab_config *cfg = NULL;
  const char *id = NULL, *file = NULL;

  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        fputs (usage, stdout);
        return 0;
      }
    else if (strcmp (argv[i], "--audit") == 0 && i + 1 < argc)
      file = argv[++i];
    else if (id == NULL && argv[i][0] != '-')
      id = argv[i];
    else
      {
        fputs (usage, stderr);
        return 2;
      }
  if (id == NULL)
    {
      fputs (usage, stderr);
      return 2;
    }
  if (file)
    return suggest (id, file);
  if (ab_config_load (NULL, &cfg, &err) < 0)
    {
      fprintf (stderr, "agentbox policy suggest: %s\n", err->msg);
      return 1;
    }
  return suggest (id, cfg->net.audit_log);
}

int
ab_policy_main (int argc, char **argv)
{
  int rc;

  if (argc >= 2 && strcmp (argv[1], "suggest") == 0)
    return ab_suggest_cli (argc - 1, argv + 1);
  rc = ab_policy_cli (argc, argv);
  /* ab_policy_cli's own table does not know of suggest. */
  if (argc < 2 || strcmp (argv[1], "--help") == 0)
    printf ("  suggest ID [--audit FILE]\n"
            "                     a policy permitting the file accesses "
            "seen\n");
  return rc;
}
