/* agentbox: hostexec rules — argv to a canonical string, matched against
 * PCRE2 patterns.
 *
 * The guardian never sees a shell string: it gets an argv and rebuilds one
 * canonical string from it, word by word, with POSIX single quoting:
 *
 *   - a word made only of [A-Za-z0-9_@%+=:,./-] stays bare;
 *   - the empty word is '';
 *   - any other word is wrapped in '...', each ' inside written '\''.
 *
 * Words are joined by one space.  So `git status; rm -rf /` as one argv
 * word is `'git status; rm -rf /'`, and as three words `git 'status;' rm
 * -rf /`: neither is the string `git status`, and a pattern cannot be
 * fooled by what the agent puts inside a word.
 *
 * Patterns are PCRE2, compiled once with PCRE2_ANCHORED | PCRE2_ENDANCHORED
 * (a rule matches the whole canonical string or nothing), UTF mode, JIT
 * when the library has it.  The decision is, in order: the first matching
 * `deny` rule, else the first `auto_approve`, else the first
 * `manual_approve`, else deny by default.
 *
 * Thread safety: a ruleset reuses one PCRE2 match block, so one ruleset is
 * matched from one thread at a time (the guardian's event loop).  Building
 * is not concurrent with matching; after building, the rules are
 * read-only. */
#ifndef AB_POLICY_HOSTEXEC_H
#define AB_POLICY_HOSTEXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

enum ab_hostexec_list
{
  AB_HOSTEXEC_DENY = 0,
  AB_HOSTEXEC_AUTO_APPROVE,
  AB_HOSTEXEC_MANUAL_APPROVE,
  AB_HOSTEXEC_N_LISTS
};

enum ab_hostexec_verdict
{
  AB_HOSTEXEC_VERDICT_DENY = 0, /* a deny rule, or no rule (default) */
  AB_HOSTEXEC_VERDICT_RUN,      /* auto_approve: run at once */
  AB_HOSTEXEC_VERDICT_ASK,      /* manual_approve: wait for a human */
};

struct ab_hostexec_rule
{
  enum ab_hostexec_list list;
  char *pattern; /* the source text, as written */
  char *file;    /* where it was written, for audit */
  unsigned line, col;
};

struct ab_hostexec_result
{
  enum ab_hostexec_verdict verdict;
  /* The rule that decided, or NULL for the default deny.  Owned by the
   * ruleset; valid while it lives. */
  const struct ab_hostexec_rule *rule;
};

struct ab_hostexec;

struct ab_hostexec *ab_hostexec_new (void);
void ab_hostexec_free (struct ab_hostexec *h);

static inline void
ab_hostexec_freep (struct ab_hostexec **h)
{
  ab_hostexec_free (*h);
}
#define cleanup_hostexec __attribute__ ((cleanup (ab_hostexec_freep)))

/* Compile PATTERN and append it to LIST.  FILE/LINE/COL say where it came
 * from (FILE may be NULL); a bad pattern is an error
 * "FILE:LINE:COL: hostexec pattern `P`: PCRE2 message at offset N". */
int ab_hostexec_add (struct ab_hostexec *h, enum ab_hostexec_list list,
                     const char *pattern, const char *file, unsigned line,
                     unsigned col, ab_error_t *err);

size_t ab_hostexec_count (const struct ab_hostexec *h,
                          enum ab_hostexec_list list);
const struct ab_hostexec_rule *ab_hostexec_rule_at (const struct ab_hostexec *h,
                                                    enum ab_hostexec_list list,
                                                    size_t i);

/* The canonical string of ARGV (ARGC words; LENS[i] is the byte length of
 * ARGV[i], or LENS is NULL for NUL-terminated words).  Fails closed on an
 * empty argv, a NUL byte inside a word or invalid UTF-8: such an argv has
 * no canonical form and must be denied.  *OUT is heap, NUL-terminated. */
int ab_hostexec_canonical (const char *const *argv, const size_t *lens,
                           size_t argc, char **out, ab_error_t *err);

/* Decide a canonical string.  On a matcher failure (PCRE2 resource limit,
 * bad UTF-8) returns negative with RES set to deny: callers fail closed. */
int ab_hostexec_decide (struct ab_hostexec *h, const char *canonical,
                        size_t len, struct ab_hostexec_result *res,
                        ab_error_t *err);

/* Canonicalise ARGV and decide.  *CANONICAL (if not NULL) receives the
 * string that was matched, for the audit log and the approval prompt. */
int ab_hostexec_decide_argv (struct ab_hostexec *h, const char *const *argv,
                             const size_t *lens, size_t argc,
                             struct ab_hostexec_result *res, char **canonical,
                             ab_error_t *err);

const char *ab_hostexec_list_name (enum ab_hostexec_list list);
const char *ab_hostexec_verdict_name (enum ab_hostexec_verdict v);

#endif
