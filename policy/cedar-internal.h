/* agentbox: Cedar internals shared by the parser and the evaluator. */
#ifndef AB_CEDAR_INTERNAL_H
#define AB_CEDAR_INTERNAL_H

#include "policy/arena.h"
#include "policy/cedar.h"

enum ab_cedar_ek
{
  EK_LIT,
  EK_VAR,
  EK_NOT,
  EK_NEG,
  EK_AND,
  EK_OR,
  EK_EQ,
  EK_NE,
  EK_LT,
  EK_LE,
  EK_GT,
  EK_GE,
  EK_IN,
  EK_ADD,
  EK_SUB,
  EK_MUL,
  EK_HAS,
  EK_LIKE,
  EK_IS,
  EK_ATTR,
  EK_IF,
  EK_SET,
  EK_RECORD,
  EK_METHOD,
  EK_IP,
};

enum ab_cedar_var
{
  VAR_PRINCIPAL,
  VAR_ACTION,
  VAR_RESOURCE,
  VAR_CONTEXT,
};

enum ab_cedar_method
{
  M_CONTAINS,
  M_CONTAINS_ALL,
  M_CONTAINS_ANY,
  M_IS_IPV4,
  M_IS_IPV6,
  M_IS_LOOPBACK,
  M_IS_MULTICAST,
  M_IS_IN_RANGE,
};

/* A like pattern: bytes, with AB_LIKE_STAR for an unescaped '*'. */
#define AB_LIKE_STAR (-1)

struct ab_cedar_expr
{
  enum ab_cedar_ek kind;
  struct ab_cedar_loc loc;
  struct ab_cedar_expr *a, *b, *c;
  const char *name;             /* ATTR, HAS: attribute; IS: type */
  struct ab_cv *lit;            /* LIT */
  int var;                      /* VAR */
  int method;                   /* METHOD */
  struct ab_cedar_expr **items; /* SET, RECORD values, METHOD args */
  const char **keys;            /* RECORD */
  size_t n;
  int *pattern; /* LIKE */
  size_t plen;
};

/* Cedar equality (structural; sets unordered; different types differ). */
bool ab_cv_equal (const struct ab_cv *a, const struct ab_cv *b);
bool ab_cedar_uid_equal (const struct ab_cedar_uid *a,
                         const struct ab_cedar_uid *b);
/* Is A `in` B through the entity store (A == B, or B an ancestor)? */
bool ab_cedar_entity_in (const struct ab_cedar_entities *e,
                         const struct ab_cedar_uid *a,
                         const struct ab_cedar_uid *b);
/* The attributes of UID, or NULL when the store does not hold it. */
const struct ab_cv *ab_cedar_entity_attrs (const struct ab_cedar_entities *e,
                                           const struct ab_cedar_uid *uid);
struct ab_arena *ab_cedar_entities_arena (struct ab_cedar_entities *e);
/* Convert a Cedar JSON value into a value in arena A. */
int ab_cv_from_json (struct ab_arena *a, const struct ab_json *j,
                     struct ab_cv **out, ab_error_t *err);

#endif
