/* agentbox: Cedar policies — parser, entity store and evaluator.
 *
 * The grammar is Cedar's (docs.cedarpolicy.com, "Policy grammar") for the
 * constructs listed in docs/policy-cedar.md; anything else (templates,
 * `decimal`, `datetime`, `.isEmpty()`, ...) is a parse error that names
 * the construct, never dropped.  Semantics follow Cedar: a request is
 * allowed iff some permit is satisfied and no forbid is; a policy whose
 * evaluation errors is skipped (and the error reported); default deny. */
#ifndef AB_CEDAR_H
#define AB_CEDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

struct ab_json;

/* ---- values ---- */

enum ab_cv_type
{
  AB_CV_BOOL,
  AB_CV_LONG,
  AB_CV_STRING,
  AB_CV_ENTITY,
  AB_CV_SET,
  AB_CV_RECORD,
  AB_CV_IP,
};

struct ab_cedar_uid
{
  const char *type; /* "MCP::Tool" */
  const char *id;
};

struct ab_cedar_ip
{
  bool v6;
  uint8_t addr[16]; /* v4 in the first 4 bytes */
  uint8_t prefix;   /* 0..32 or 0..128 */
};

struct ab_cv;

struct ab_cv_record_entry
{
  const char *key;
  struct ab_cv *val;
};

struct ab_cv
{
  enum ab_cv_type type;
  union
  {
    bool b;
    int64_t l;
    struct
    {
      const char *ptr;
      size_t len;
    } s;
    struct ab_cedar_uid e;
    struct
    {
      struct ab_cv **items;
      size_t len;
    } set;
    struct
    {
      struct ab_cv_record_entry *entries;
      size_t len;
    } rec;
    struct ab_cedar_ip ip;
  } u;
};

/* ---- policies ---- */

struct ab_cedar_loc
{
  const char *file;
  unsigned line, col; /* 1-based */
};

struct ab_cedar_expr; /* opaque AST node */

enum ab_cedar_scope_op
{
  AB_SCOPE_ANY,  /* principal */
  AB_SCOPE_EQ,   /* principal == E */
  AB_SCOPE_IN,   /* principal in E; action in [E, ...] */
  AB_SCOPE_IS,   /* resource is T */
  AB_SCOPE_IS_IN /* resource is T in E */
};

struct ab_cedar_scope
{
  enum ab_cedar_scope_op op;
  const char *is_type;           /* IS, IS_IN */
  struct ab_cedar_uid *entities; /* EQ: 1; IN: 1, or the action list */
  size_t n_entities;
  bool action_list; /* action in [ ... ] */
};

struct ab_cedar_annotation
{
  const char *key, *value;
};

struct ab_cedar_policy
{
  char id[16]; /* "policy0", ... as Cedar numbers them, or @id("...") */
  const char *annot_id;
  bool permit;
  struct ab_cedar_scope principal, action, resource;
  struct ab_cedar_expr **conds; /* when: as is; unless: wrapped in ! */
  bool *cond_unless;
  size_t n_conds;
  struct ab_cedar_annotation *annotations;
  size_t n_annotations;
  struct ab_cedar_loc loc;
};

struct ab_cedar_set
{
  struct ab_cedar_policy *policies;
  size_t len, cap;
  struct ab_arena *arena; /* owns every string and node */
};

struct ab_cedar_set *ab_cedar_set_new (void);
void ab_cedar_set_free (struct ab_cedar_set *s);
/* Parse TEXT (LEN bytes) from FILE and add its policies to S.  On error
 * nothing is added and *err is "FILE:LINE:COL: message\n  source\n  ^". */
int ab_cedar_parse (struct ab_cedar_set *s, const char *file, const char *text,
                    size_t len, ab_error_t *err);
int ab_cedar_parse_file (struct ab_cedar_set *s, const char *path,
                         ab_error_t *err);

static inline void
ab_cedar_set_freep (struct ab_cedar_set **s)
{
  ab_cedar_set_free (*s);
}
#define cleanup_cedar_set __attribute__ ((cleanup (ab_cedar_set_freep)))

/* ---- entities and requests ---- */

struct ab_cedar_entities; /* uid -> attrs, parents */

struct ab_cedar_entities *ab_cedar_entities_new (void);
void ab_cedar_entities_free (struct ab_cedar_entities *e);
/* Add an entity (copied).  ATTRS may be NULL (a record).  Replaces an
 * entity with the same uid. */
int ab_cedar_entities_add (struct ab_cedar_entities *e,
                           const struct ab_cedar_uid *uid,
                           const struct ab_cv *attrs,
                           const struct ab_cedar_uid *parents, size_t n_parents,
                           ab_error_t *err);
/* Cedar's JSON entity format:
 * [{"uid":{"type":"T","id":"x"},"attrs":{...},"parents":[{...}]}]
 * with values in Cedar's JSON value format ({"__entity":..},
 * {"__extn":{"fn":"ip","arg":".."}}). */
int ab_cedar_entities_from_json (struct ab_cedar_entities *e,
                                 const struct ab_json *j, ab_error_t *err);

struct ab_cedar_request
{
  struct ab_cedar_uid principal, action, resource;
  const struct ab_cv *context; /* a record, or NULL for {} */
};

/* A request from Cedar's JSON shape: {"principal":{"type","id"},
 * "action":..., "resource":..., "context":{...}}.  Strings and values are
 * allocated in E (they live as long as it). */
int ab_cedar_request_from_json (struct ab_cedar_entities *e,
                                const struct ab_json *j,
                                struct ab_cedar_request *out, ab_error_t *err);

/* ---- evaluation ---- */

struct ab_cedar_response
{
  bool allow;
  /* Indices into the set's policies: the satisfied forbids when denied by
   * one, else the satisfied permits. */
  size_t *reasons;
  size_t n_reasons;
  /* Policies skipped because their evaluation failed, and why. */
  size_t *errors;
  char **error_msgs;
  size_t n_errors;
};

void ab_cedar_response_free (struct ab_cedar_response *r);

int ab_cedar_authorize (const struct ab_cedar_set *s,
                        const struct ab_cedar_entities *e,
                        const struct ab_cedar_request *req,
                        struct ab_cedar_response *out, ab_error_t *err);

/* Evaluate one policy: 1 satisfied, 0 not, -1 evaluation error (*msg set,
 * caller frees). */
int ab_cedar_policy_eval (const struct ab_cedar_policy *p,
                          const struct ab_cedar_entities *e,
                          const struct ab_cedar_request *req, char **msg);

/* Parse an IP literal as Cedar's ip() does; false if invalid. */
bool ab_cedar_parse_ip (const char *s, struct ab_cedar_ip *out);

#endif
