/* agentbox: the IR's private layout, shared by ir.c (compiler),
 * ir-lookup.c, ir-dump.c and reload.c. */
#ifndef AB_POLICY_IR_INTERNAL_H
#define AB_POLICY_IR_INTERNAL_H

#include "policy/cidrtab.h"
#include "policy/hosttab.h"
#include "policy/ir.h"
#include "policy/pathtab.h"
#include "policy/tabvec.h"

/* The resource type a table entry requires of the request (0: any). */
enum ir_rtype
{
  RT_ANY = 0,
  RT_FILE,
  RT_DIR,
  RT_HOST,
  RT_MCP_TOOL,
  RT_MCP_SERVER,
  RT_COMMAND,
  RT_OTHER, /* a type no request of the model has */
};

/* One placement of a rule in a table; tables hold entry indices. */
struct ir_entry
{
  uint32_t rule;
  uint8_t rtype;
};

/* A string -> values map (MCP servers, tools, commands). */
struct ir_strmap
{
  struct ir_strmap_slot
  {
    char *key;
    struct ab_tabvec v;
  } * slots;
  size_t n, cap;
};

struct ab_ir
{
  atomic_uint refs;
  uint64_t generation;
  enum ab_ir_mode mode;
  struct ab_cedar_set *cedar;
  struct ab_hostexec *hostexec;

  struct ab_ir_rule *rules;
  size_t n_rules, cap_rules;
  struct ir_entry *entries;
  size_t n_entries, cap_entries;

  struct ab_pathtab *paths;
  struct ab_hosttab *hosts;
  struct ab_cidrtab *cidrs;
  struct ir_strmap tools, servers, commands;
  struct ab_tabvec any;        /* entries of rules with no resource key */
  struct ab_tabvec cidr_rules; /* rule indices of kind CIDR */
};

enum ir_rtype ab_ir_rtype (const char *type);
const char *ab_ir_rtype_name (enum ir_rtype t);
const struct ab_tabvec *ab_ir_strmap_get (const struct ir_strmap *m,
                                          const char *key);
/* Is ID (a Host entity id) canonical: lower-case name, no trailing dot,
 * valid labels, optional ":PORT" 1..65535 without leading zeros?  Splits
 * it as the model does (the last ":digits" outside brackets). */
bool ab_ir_host_id (const char *id, size_t *name_len, int *port);

#endif
