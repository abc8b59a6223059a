/* agentbox: file rules shared by the file layers (filerules.h). */
#include "policy/filerules.h"

#include <string.h>

unsigned
ab_ir_file_rights (uint32_t actions)
{
  unsigned r = 0;

  if (actions & (1u << AB_IR_FILE_OPEN))
    r |= AB_FR_READ | AB_FR_WRITE;
  if (actions & (1u << AB_IR_FILE_OPEN_RO))
    r |= AB_FR_READ;
  if (actions & (1u << AB_IR_FILE_OPEN_RW))
    r |= AB_FR_WRITE;
  if (actions & (1u << AB_IR_PROCESS_EXEC))
    r |= AB_FR_EXEC;
  return r;
}

/* Does the rule's principal scope take in P? */
bool
ab_ir_rule_applies (const struct ab_ir_rule *r, const struct ab_ir_principal *p)
{
  const struct ab_cedar_scope *s = r->principal;
  const struct ab_cedar_uid *e;

  if (s == NULL || s->op == AB_SCOPE_ANY)
    return true;
  if ((s->op != AB_SCOPE_EQ && s->op != AB_SCOPE_IN) || s->n_entities != 1)
    return false;
  e = &s->entities[0];
  if (strcmp (e->type, "Container") == 0)
    return p->container && strcmp (e->id, p->container) == 0;
  if (strcmp (e->type, "Project") == 0 && s->op == AB_SCOPE_IN)
    return p->project && strcmp (e->id, p->project) == 0;
  return false;
}
