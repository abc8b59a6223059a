/* Unit tests for policy/hostexec: canonical quoting, anchoring, order. */
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/hostexec.h"
#include "tests/unit/unit.h"

/* The canonical string of a NULL-terminated argv, or "ERR: message". */
static char *
canon (const char *const *argv)
{
  ab_error_t err = NULL;
  char *out = NULL;
  size_t n = 0;

  while (argv[n])
    n++;
  if (ab_hostexec_canonical (argv, NULL, n, &out, &err) < 0)
    {
      if (asprintf (&out, "ERR: %s", err->msg) < 0)
        out = NULL;
      ab_error_free (&err);
    }
  return out;
}

#define CANON_IS(expected, ...)                                                \
  do                                                                           \
    {                                                                          \
      const char *const argv_[] = { __VA_ARGS__, NULL };                       \
      cleanup_free char *got_ = canon (argv_);                                 \
      CHECK_STR (got_, expected);                                              \
    }                                                                          \
  while (0)

TEST (quoting_bare_and_empty)
{
  CANON_IS ("git status", "git", "status");
  CANON_IS ("a-b_c.d/e:f,g+h=i@j%k", "a-b_c.d/e:f,g+h=i@j%k");
  CANON_IS ("echo ''", "echo", "");
  CANON_IS ("''", "");
  CANON_IS ("ls -- -rf", "ls", "--", "-rf");
}

TEST (quoting_injection_looking_words)
{
  CANON_IS ("'git status; rm -rf /'", "git status; rm -rf /");
  CANON_IS ("git 'status;' rm -rf /", "git", "status;", "rm", "-rf", "/");
  CANON_IS ("echo '$(id)'", "echo", "$(id)");
  CANON_IS ("echo '`id`'", "echo", "`id`");
  CANON_IS ("echo 'a\nb'", "echo", "a\nb");
  CANON_IS ("echo 'it'\\''s'", "echo", "it's");
  CANON_IS ("echo ''\\'''", "echo", "'");
  CANON_IS ("echo '\"x\"'", "echo", "\"x\"");
  CANON_IS ("echo '*' '~' 'a b'", "echo", "*", "~", "a b");
  CANON_IS ("echo 'caf\xc3\xa9'", "echo", "caf\xc3\xa9");
  CANON_IS ("echo '|' '&&' '>' '<'", "echo", "|", "&&", ">", "<");
}

TEST (quoting_rejects_bad_words)
{
  ab_error_t err = NULL;
  char *out = NULL;
  const char *argv[] = { "echo", "a\0b" };
  size_t lens[] = { 4, 3 };

  CHECK (ab_hostexec_canonical (argv, lens, 2, &out, &err) < 0);
  CHECK (out == NULL);
  CHECK_CONTAINS (err ? err->msg : NULL, "NUL");
  ab_error_free (&err);

  CANON_IS ("ERR: hostexec: argv[1] is not valid UTF-8", "echo", "\xff");
  CANON_IS ("ERR: hostexec: argv[0] is not valid UTF-8",
            "\xc0\xaf"); /* overlong '/' */
  CANON_IS ("ERR: hostexec: argv[0] is not valid UTF-8",
            "\xed\xa0\x80"); /* surrogate */
  CANON_IS ("ERR: hostexec: argv[0] is not valid UTF-8",
            "\xe2\x82"); /* truncated */

  CHECK (ab_hostexec_canonical (argv, NULL, 0, &out, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "empty argv");
  ab_error_free (&err);
}

static struct ab_hostexec *
ruleset (const char *deny, const char *autoa, const char *manual)
{
  struct ab_hostexec *h = ab_hostexec_new ();
  ab_error_t err = NULL;

  if (h == NULL)
    abort ();
  if ((deny
       && ab_hostexec_add (h, AB_HOSTEXEC_DENY, deny, "p.yaml", 1, 3, &err) < 0)
      || (autoa
          && ab_hostexec_add (h, AB_HOSTEXEC_AUTO_APPROVE, autoa, "p.yaml", 2,
                              3, &err)
                 < 0)
      || (manual
          && ab_hostexec_add (h, AB_HOSTEXEC_MANUAL_APPROVE, manual, "p.yaml",
                              3, 3, &err)
                 < 0))
    {
      printf ("# %s\n", err->msg);
      abort ();
    }
  return h;
}

static enum ab_hostexec_verdict
decide (struct ab_hostexec *h, const char *const *argv, size_t argc,
        const struct ab_hostexec_rule **rule)
{
  struct ab_hostexec_result res;
  ab_error_t err = NULL;

  if (ab_hostexec_decide_argv (h, argv, NULL, argc, &res, NULL, &err) < 0)
    {
      ab_error_free (&err);
      return (enum ab_hostexec_verdict) - 1;
    }
  if (rule)
    *rule = res.rule;
  return res.verdict;
}

TEST (anchoring)
{
  cleanup_hostexec struct ab_hostexec *h = ruleset (NULL, "git status", NULL);
  const char *ok[] = { "git", "status" };
  const char *chained[] = { "git", "status;", "rm", "-rf", "/" };
  const char *oneword[] = { "git status; rm -rf /" };
  const char *prefix[] = { "xgit", "status" };
  const char *suffix[] = { "git", "status", "--short" };
  const char *nl[] = { "git", "status\n" };

  CHECK (decide (h, ok, 2, NULL) == AB_HOSTEXEC_VERDICT_RUN);
  CHECK (decide (h, chained, 5, NULL) == AB_HOSTEXEC_VERDICT_DENY);
  CHECK (decide (h, oneword, 1, NULL) == AB_HOSTEXEC_VERDICT_DENY);
  CHECK (decide (h, prefix, 2, NULL) == AB_HOSTEXEC_VERDICT_DENY);
  CHECK (decide (h, suffix, 3, NULL) == AB_HOSTEXEC_VERDICT_DENY);
  CHECK (decide (h, nl, 2, NULL) == AB_HOSTEXEC_VERDICT_DENY);
}

TEST (anchoring_dollar_and_alternation)
{
  /* `$` must not match before a trailing newline, and an unparenthesised
   * alternation is still anchored at both ends as a whole. */
  cleanup_hostexec struct ab_hostexec *h
      = ruleset (NULL, "^git status( .*)?$|ls", NULL);
  const char *a[] = { "git", "status", "-s" };
  const char *b[] = { "ls" };
  const char *c[] = { "ls", "/root" };
  const char *d[] = { "rm", "-rf", "/;ls" };

  CHECK (decide (h, a, 3, NULL) == AB_HOSTEXEC_VERDICT_RUN);
  CHECK (decide (h, b, 1, NULL) == AB_HOSTEXEC_VERDICT_RUN);
  CHECK (decide (h, c, 2, NULL) == AB_HOSTEXEC_VERDICT_DENY);
  CHECK (decide (h, d, 3, NULL) == AB_HOSTEXEC_VERDICT_DENY);
}

TEST (order_deny_auto_manual_default)
{
  cleanup_hostexec struct ab_hostexec *h
      = ruleset ("git push( .*)?", "git .*", "(git|make) .*");
  const struct ab_hostexec_rule *rule = NULL;
  const char *push[] = { "git", "push", "origin" };
  const char *log[] = { "git", "log" };
  const char *make[] = { "make", "check" };
  const char *rm[] = { "rm", "x" };

  CHECK (decide (h, push, 3, &rule) == AB_HOSTEXEC_VERDICT_DENY);
  CHECK (rule && rule->list == AB_HOSTEXEC_DENY && rule->line == 1);
  CHECK (decide (h, log, 2, &rule) == AB_HOSTEXEC_VERDICT_RUN);
  CHECK (rule && rule->list == AB_HOSTEXEC_AUTO_APPROVE && rule->line == 2);
  CHECK_STR (rule ? rule->file : NULL, "p.yaml");
  CHECK (decide (h, make, 2, &rule) == AB_HOSTEXEC_VERDICT_ASK);
  CHECK (rule && rule->list == AB_HOSTEXEC_MANUAL_APPROVE && rule->line == 3);
  CHECK (decide (h, rm, 2, &rule) == AB_HOSTEXEC_VERDICT_DENY);
  CHECK (rule == NULL); /* default deny names no rule */
}

TEST (first_rule_in_a_list_wins)
{
  struct ab_hostexec *h = ab_hostexec_new ();
  ab_error_t err = NULL;
  struct ab_hostexec_result res;

  CHECK (ab_hostexec_add (h, AB_HOSTEXEC_AUTO_APPROVE, "a.*", "f", 7, 1, &err)
         == 0);
  CHECK (ab_hostexec_add (h, AB_HOSTEXEC_AUTO_APPROVE, "ab", "f", 9, 1, &err)
         == 0);
  CHECK (ab_hostexec_decide (h, "ab", 2, &res, &err) == 0);
  CHECK (res.rule && res.rule->line == 7);
  CHECK (ab_hostexec_count (h, AB_HOSTEXEC_AUTO_APPROVE) == 2);
  CHECK (ab_hostexec_count (h, AB_HOSTEXEC_DENY) == 0);
  CHECK_STR (ab_hostexec_rule_at (h, AB_HOSTEXEC_AUTO_APPROVE, 1)->pattern,
             "ab");
  ab_hostexec_free (h);
}

TEST (bad_pattern_error_has_location)
{
  cleanup_hostexec struct ab_hostexec *h = ab_hostexec_new ();
  ab_error_t err = NULL;

  CHECK (ab_hostexec_add (h, AB_HOSTEXEC_DENY, "git (status", "proj.yaml", 12,
                          7, &err)
         < 0);
  CHECK_CONTAINS (err ? err->msg : NULL,
                  "proj.yaml:12:7: hostexec deny pattern `git (status`");
  CHECK_CONTAINS (err ? err->msg : NULL, "missing closing parenthesis");
  ab_error_free (&err);
  CHECK (ab_hostexec_add (h, AB_HOSTEXEC_DENY, "a\\Cb", "p", 1, 1, &err) < 0);
  ab_error_free (&err);
  CHECK (ab_hostexec_count (h, AB_HOSTEXEC_DENY) == 0);
}

TEST (runaway_pattern_fails_closed)
{
  /* Catastrophic backtracking hits the match limit: the decision is an
   * error and the verdict stays deny even though the rule is auto. */
  cleanup_hostexec struct ab_hostexec *h
      = ruleset (NULL, "(a|aa)+(a|aa)+[bc]", NULL);
  struct ab_hostexec_result res;
  ab_error_t err = NULL;
  char s[64];

  memset (s, 'a', sizeof s - 1);
  s[sizeof s - 1] = '\0';
  CHECK (ab_hostexec_decide (h, s, strlen (s), &res, &err) < 0);
  CHECK (res.verdict == AB_HOSTEXEC_VERDICT_DENY);
  CHECK_CONTAINS (err ? err->msg : NULL, "limit");
  ab_error_free (&err);
}

TEST (quoted_words_match_quoted_patterns)
{
  /* Rules see the canonical form, so a rule for a quoted argument is
   * written with the quotes. */
  cleanup_hostexec struct ab_hostexec *h
      = ruleset (NULL, "git commit -m '[^']*'", NULL);
  const char *a[] = { "git", "commit", "-m", "fix the bug" };
  const char *b[] = { "git", "commit", "-m", "x'; rm -rf / #" };
  char *c = NULL;
  struct ab_hostexec_result res;
  ab_error_t err = NULL;

  CHECK (ab_hostexec_decide_argv (h, a, NULL, 4, &res, &c, &err) == 0);
  CHECK (res.verdict == AB_HOSTEXEC_VERDICT_RUN);
  CHECK_STR (c, "git commit -m 'fix the bug'");
  free (c);
  CHECK (decide (h, b, 4, NULL) == AB_HOSTEXEC_VERDICT_DENY);
}

int
main (void)
{
  RUN (quoting_bare_and_empty);
  RUN (quoting_injection_looking_words);
  RUN (quoting_rejects_bad_words);
  RUN (anchoring);
  RUN (anchoring_dollar_and_alternation);
  RUN (order_deny_auto_manual_default);
  RUN (first_rule_in_a_list_wins);
  RUN (bad_pattern_error_has_location);
  RUN (runaway_pattern_fails_closed);
  RUN (quoted_words_match_quoted_patterns);
  return unit_done ();
}
