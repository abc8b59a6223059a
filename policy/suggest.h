/* agentbox: `agentbox policy suggest` — a Cedar policy that permits the
 * file accesses a container was seen making (the file guard's audit
 * lines: record, would-deny, deny).
 *
 * One `permit (principal, action == Action::"A", resource == File::"/p");`
 * per distinct (action, path), sorted; when 8 or more distinct paths of
 * one action sit directly in one directory (other than "/"), they become
 * one `resource in Dir::"/d/"`, which also covers the other paths of that
 * action beneath it.  The text is for a human to review, not to apply
 * blindly: a directory permit allows more than what was seen. */
#ifndef AB_POLICY_SUGGEST_H
#define AB_POLICY_SUGGEST_H

#include <stddef.h>

#include "lib/error.h"
#include "policy/ir.h"

/* Distinct paths of one action in one directory from which the
 * directory is permitted instead. */
#define AB_SUGGEST_COLLAPSE 8

struct ab_suggest_item
{
  enum ab_ir_action action; /* AB_IR_FILE_OPEN_RO, _RW, AB_IR_PROCESS_EXEC */
  const char *path;         /* absolute; a trailing '/' names a Dir */
};

/* The policy text for ITEMS (N of them) into *OUT (the caller frees it).
 * HEADER (may be NULL or hold several lines) opens it as `//` comments.
 * Items with another action or a path that is not absolute are EINVAL. */
int ab_suggest_policy (const struct ab_suggest_item *items, size_t n,
                       const char *header, char **out, ab_error_t *err);

/* The actions that an audit line's "rights" ("read", "write", "exec",
 * comma-separated) stand for, as a bit mask of 1u << enum ab_ir_action:
 * write is FileOpenReadWrite, read alone FileOpenReadOnly, exec
 * ProcessExec.  0 when none is known. */
unsigned ab_suggest_rights_actions (const char *rights);

#endif
