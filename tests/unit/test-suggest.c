/* Unit tests for policy/suggest: one permit per distinct (action, path),
 * sorted and deduplicated; collapsing to a directory at 8 paths (not 7,
 * never "/"); escaping; the rights mapping; and every output parsing
 * with agentbox's own Cedar parser. */
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/cedar.h"
#include "policy/suggest.h"
#include "tests/unit/unit.h"

#define RO AB_IR_FILE_OPEN_RO
#define RW AB_IR_FILE_OPEN_RW
#define EX AB_IR_PROCESS_EXEC

/* Parse TEXT; the number of policies, or -1. */
static long
parse_count (const char *text)
{
  cleanup_cedar_set struct ab_cedar_set *s = ab_cedar_set_new ();
  cleanup_error ab_error_t err = NULL;

  if (s == NULL || ab_cedar_parse (s, "suggest", text, strlen (text), &err) < 0)
    {
      printf ("# parse: %s\n", err ? err->msg : "out of memory");
      return -1;
    }
  return (long)s->len;
}

static size_t
count_lines (const char *text, const char *prefix)
{
  size_t n = 0, len = strlen (prefix);

  for (const char *p = text; p && *p; p = strchr (p, '\n'), p += p != NULL)
    if (strncmp (p, prefix, len) == 0)
      n++;
  return n;
}

TEST (one_per_distinct_sorted)
{
  const struct ab_suggest_item it[] = {
    { EX, "/usr/bin/git" },  { RO, "/etc/hosts" }, { RO, "/etc/hosts" },
    { RW, "/work/out.txt" }, { RO, "/etc/group" },
  };
  cleanup_free char *t = NULL;
  cleanup_error ab_error_t err = NULL;

  CHECK (ab_suggest_policy (it, 5, NULL, &t, &err) == 0);
  CHECK_STR (t, "permit (principal, action == Action::\"FileOpenReadOnly\", "
                "resource == File::\"/etc/group\");\n"
                "permit (principal, action == Action::\"FileOpenReadOnly\", "
                "resource == File::\"/etc/hosts\");\n"
                "permit (principal, action == Action::\"FileOpenReadWrite\", "
                "resource == File::\"/work/out.txt\");\n"
                "permit (principal, action == Action::\"ProcessExec\", "
                "resource == File::\"/usr/bin/git\");\n");
  CHECK (parse_count (t) == 4);
}

static void
fill (struct ab_suggest_item *it, char paths[][32], size_t n,
      enum ab_ir_action a, const char *prefix)
{
  for (size_t i = 0; i < n; i++)
    {
      snprintf (paths[i], 32, "%s%d", prefix, (int)i);
      it[i] = (struct ab_suggest_item){ a, paths[i] };
    }
}

TEST (eight_collapse_seven_do_not)
{
  struct ab_suggest_item it[16];
  char paths[16][32];
  cleanup_free char *t7 = NULL, *t8 = NULL;
  cleanup_error ab_error_t err = NULL;

  fill (it, paths, 7, RO, "/usr/lib/lib");
  CHECK (ab_suggest_policy (it, 7, NULL, &t7, &err) == 0);
  CHECK (count_lines (t7, "permit") == 7);
  CHECK (strstr (t7, "Dir::") == NULL);

  fill (it, paths, 8, RO, "/usr/lib/lib");
  /* The same paths under another action are counted apart. */
  it[8] = (struct ab_suggest_item){ RW, "/usr/lib/lib0" };
  CHECK (ab_suggest_policy (it, 9, NULL, &t8, &err) == 0);
  CHECK_STR (t8, "permit (principal, action == Action::\"FileOpenReadOnly\", "
                 "resource in Dir::\"/usr/lib/\");\n"
                 "permit (principal, action == Action::\"FileOpenReadWrite\", "
                 "resource == File::\"/usr/lib/lib0\");\n");
  CHECK (parse_count (t8) == 2);
}

TEST (duplicates_do_not_count_toward_collapse)
{
  struct ab_suggest_item it[16];
  char paths[16][32];
  cleanup_free char *t = NULL;
  cleanup_error ab_error_t err = NULL;

  fill (it, paths, 7, RO, "/a/f");
  fill (it + 7, paths + 7, 7, RO, "/a/f");
  CHECK (ab_suggest_policy (it, 14, NULL, &t, &err) == 0);
  CHECK (count_lines (t, "permit") == 7);
}

TEST (root_never_collapses)
{
  struct ab_suggest_item it[10];
  char paths[10][32];
  cleanup_free char *t = NULL;
  cleanup_error ab_error_t err = NULL;

  fill (it, paths, 10, EX, "/init");
  CHECK (ab_suggest_policy (it, 10, NULL, &t, &err) == 0);
  CHECK (count_lines (t, "permit") == 10);
  CHECK (strstr (t, "in Dir") == NULL);
  CHECK (parse_count (t) == 10);
}

TEST (directory_covers_what_is_beneath)
{
  struct ab_suggest_item it[20];
  char paths[20][32];
  cleanup_free char *t = NULL;
  cleanup_error ab_error_t err = NULL;

  fill (it, paths, 8, RO, "/w/f");
  fill (it + 8, paths + 8, 8, RO, "/w/sub/g");
  it[16] = (struct ab_suggest_item){ RO, "/w/sub/deeper/x" };
  it[17] = (struct ab_suggest_item){ RO, "/wx/y" };
  CHECK (ab_suggest_policy (it, 18, NULL, &t, &err) == 0);
  /* /w/sub/ is collapsed too, but /w/ already covers it. */
  CHECK_STR (t, "permit (principal, action == Action::\"FileOpenReadOnly\", "
                "resource in Dir::\"/w/\");\n"
                "permit (principal, action == Action::\"FileOpenReadOnly\", "
                "resource == File::\"/wx/y\");\n");
}

TEST (header_dir_and_escapes)
{
  const struct ab_suggest_item it[] = {
    { RO, "/tmp/a \"b\"\\c" },
    { RO, "/tmp/tab\there" },
    { RO, "/srv/data/" },
    { RO, "/home/\xc3\xa9t\xc3\xa9" },
  };
  cleanup_free char *t = NULL;
  cleanup_error ab_error_t err = NULL;

  CHECK (ab_suggest_policy (it, 4, "from audit.jsonl\ncontainer c1", &t, &err)
         == 0);
  CHECK (strncmp (t, "// from audit.jsonl\n// container c1\n\npermit", 43)
         == 0);
  CHECK_CONTAINS (t, "resource == File::\"/tmp/a \\\"b\\\"\\\\c\"");
  CHECK_CONTAINS (t, "resource == File::\"/tmp/tab\\u{9}here\"");
  CHECK_CONTAINS (t, "resource == Dir::\"/srv/data/\"");
  CHECK (parse_count (t) == 4);
}

TEST (empty)
{
  cleanup_free char *t = NULL, *h = NULL;
  cleanup_error ab_error_t err = NULL;

  CHECK (ab_suggest_policy (NULL, 0, NULL, &t, &err) == 0);
  CHECK_STR (t, "");
  CHECK (ab_suggest_policy (NULL, 0, "nothing seen", &h, &err) == 0);
  CHECK_STR (h, "// nothing seen\n");
  CHECK (parse_count (h) == 0);
}

TEST (bad_items)
{
  const struct ab_suggest_item rel[] = { { RO, "etc/hosts" } };
  const struct ab_suggest_item net[] = { { AB_IR_NETWORK_CONNECT, "/x" } };
  char *t = NULL;
  cleanup_error ab_error_t e1 = NULL, e2 = NULL;

  CHECK (ab_suggest_policy (rel, 1, NULL, &t, &e1) < 0);
  CHECK (e1 && e1->status == EINVAL);
  CHECK (ab_suggest_policy (net, 1, NULL, &t, &e2) < 0);
  CHECK (t == NULL);
}

TEST (rights)
{
  CHECK (ab_suggest_rights_actions ("read") == 1u << RO);
  CHECK (ab_suggest_rights_actions ("write") == 1u << RW);
  CHECK (ab_suggest_rights_actions ("read,write") == 1u << RW);
  CHECK (ab_suggest_rights_actions ("exec") == 1u << EX);
  CHECK (ab_suggest_rights_actions ("read,exec") == ((1u << RO) | (1u << EX)));
  CHECK (ab_suggest_rights_actions ("reader") == 0);
  CHECK (ab_suggest_rights_actions ("") == 0);
  CHECK (ab_suggest_rights_actions (NULL) == 0);
}

int
main (void)
{
  RUN (one_per_distinct_sorted);
  RUN (eight_collapse_seven_do_not);
  RUN (duplicates_do_not_count_toward_collapse);
  RUN (root_never_collapses);
  RUN (directory_covers_what_is_beneath);
  RUN (header_dir_and_escapes);
  RUN (empty);
  RUN (bad_items);
  RUN (rights);
  return unit_done ();
}
