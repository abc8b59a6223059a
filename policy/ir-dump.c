/* agentbox: the IR as text, for `agentbox policy ir`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/ir-internal.h"

static const char *const kind_names[] = { "table", "cidr", "residual", "dead" };

static void
put_scope (FILE *out, const char *var, const struct ab_cedar_scope *sc)
{
  switch (sc ? sc->op : AB_SCOPE_ANY)
    {
    case AB_SCOPE_ANY:
      fprintf (out, "%s", var);
      return;
    case AB_SCOPE_EQ:
      fprintf (out, "%s == %s::\"%s\"", var, sc->entities[0].type,
               sc->entities[0].id);
      return;
    case AB_SCOPE_IS:
      fprintf (out, "%s is %s", var, sc->is_type);
      return;
    case AB_SCOPE_IS_IN:
      fprintf (out, "%s is %s in ", var, sc->is_type);
      break;
    case AB_SCOPE_IN:
      fprintf (out, "%s in ", var);
      break;
    }
  fputs (sc->n_entities != 1 || sc->action_list ? "[" : "", out);
  for (size_t i = 0; i < sc->n_entities; i++)
    fprintf (out, "%s%s::\"%s\"", i ? ", " : "", sc->entities[i].type,
             sc->entities[i].id);
  fputs (sc->n_entities != 1 || sc->action_list ? "]" : "", out);
}

static void
put_actions (FILE *out, uint32_t bits)
{
  bool first = true;

  if (bits == (1u << AB_IR_N_ACTIONS) - 1)
    {
      fputs ("*", out);
      return;
    }
  for (int a = 0; a < AB_IR_N_ACTIONS; a++)
    if (bits & (1u << a))
      {
        fprintf (out, "%s%s", first ? "" : ",", ab_ir_action_name (a));
        first = false;
      }
  if (first)
    fputs ("-", out);
}

static void
put_rule (FILE *out, const struct ab_ir *ir, const struct ab_ir_rule *r)
{
  fprintf (out, "rule %-4u %-6s %-9s %s:%u:%u  %s\n", r->index,
           r->permit ? "permit" : "forbid", kind_names[r->kind],
           r->loc.file ? r->loc.file : "-", r->loc.line, r->loc.col, r->id);
  fputs ("    actions ", out);
  put_actions (out, r->actions);
  if (r->origin == AB_IR_ORIGIN_YAML)
    {
      fprintf (out, "\n    %s\n", r->desc ? r->desc : "");
      return;
    }
  const struct ab_cedar_policy *p = &ir->cedar->policies[r->policy];
  fputs ("\n    ", out);
  put_scope (out, "principal", &p->principal);
  fputs (", ", out);
  put_scope (out, "resource", r->resource ? r->resource : &p->resource);
  fputs (r->folded ? "   (from `when`)\n" : "\n", out);
  for (size_t i = 0; i < r->n_ranges; i++)
    {
      char buf[80];
      ab_cidr_format (&r->ranges[i], buf, sizeof buf);
      fprintf (out, "    context.addr in %s\n", buf);
    }
  if (r->kind == AB_IR_KIND_RESIDUAL)
    fprintf (out,
             "    %zu condition(s) evaluated by Cedar when the scope "
             "matches\n",
             p->n_conds);
  if (r->kind == AB_IR_KIND_DEAD)
    fprintf (out, "    never applies: %s\n", r->dead_why);
}

int
ab_ir_dump (const struct ab_ir *ir, FILE *out, ab_error_t *err)
{
  size_t kinds[4] = { 0 };

  for (size_t i = 0; i < ir->n_rules; i++)
    kinds[ir->rules[i].kind]++;
  fprintf (out, "# agentbox policy IR (generation %llu)\n",
           (unsigned long long)ir->generation);
  fprintf (out, "mode      %s\n", ab_ir_mode_name (ir->mode));
  fprintf (out, "rules     %zu: %zu table, %zu cidr, %zu residual, %zu dead\n",
           ir->n_rules, kinds[0], kinds[1], kinds[2], kinds[3]);
  fprintf (out, "paths     %zu nodes, %zu entries\n",
           ab_pathtab_nodes (ir->paths), ab_pathtab_values (ir->paths));
  fprintf (out, "hosts     %zu nodes, %zu entries\n",
           ab_hosttab_nodes (ir->hosts), ab_hosttab_values (ir->hosts));
  fprintf (out, "cidrs     %zu prefixes\n", ab_cidrtab_prefixes (ir->cidrs));
  fprintf (out, "mcp       %zu servers, %zu tools\n", ir->servers.n,
           ir->tools.n);
  fprintf (out, "commands  %zu\n", ir->commands.n);
  fprintf (out, "unkeyed   %u entries (checked on every request)\n", ir->any.n);
  for (int l = 0; ir->hostexec && l < AB_HOSTEXEC_N_LISTS; l++)
    fprintf (out, "hostexec  %s: %zu patterns\n",
             ab_hostexec_list_name ((enum ab_hostexec_list)l),
             ab_hostexec_count (ir->hostexec, (enum ab_hostexec_list)l));
  for (size_t i = 0; i < ir->n_rules; i++)
    put_rule (out, ir, &ir->rules[i]);
  for (int l = 0; ir->hostexec && l < AB_HOSTEXEC_N_LISTS; l++)
    for (size_t i = 0; i < ab_hostexec_count (ir->hostexec, l); i++)
      {
        const struct ab_hostexec_rule *h
            = ab_hostexec_rule_at (ir->hostexec, l, i);
        fprintf (out, "hostexec %-14s %s:%u:%u  %s\n",
                 ab_hostexec_list_name ((enum ab_hostexec_list)l),
                 h->file ? h->file : "-", h->line, h->col, h->pattern);
      }
  if (fflush (out) != 0 || ferror (out))
    return ab_error_errno (err, "write IR dump");
  return 0;
}
