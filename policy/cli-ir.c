/* agentbox: `agentbox policy ir FILE... [--mode M]` — compile the policy
 * (Cedar files, and YAML project files by their .yaml/.yml suffix) and
 * print the IR.  Exit 0, 1 when a file does not load or compile, 2 on
 * usage. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/ir.h"
#include "policy/model.h"
#include "policy/yaml.h"

static bool
is_yaml (const char *f)
{
  size_t n = strlen (f);
  return (n > 5 && strcmp (f + n - 5, ".yaml") == 0)
         || (n > 4 && strcmp (f + n - 4, ".yml") == 0);
}

static int
load_yaml (const char *file, struct ab_projconf **merged, ab_error_t *err)
{
  cleanup_projconf struct ab_projconf *c = NULL;

  if (ab_projconf_load (file, AB_YAML_LAYER_PROJECT, &c, err) < 0)
    return -1;
  if (*merged == NULL)
    {
      *merged = steal_pointer (&c);
      return 0;
    }
  return ab_projconf_merge (*merged, c, err);
}

static int
build (int n, char **files, enum ab_ir_mode mode, bool mode_set,
       struct ab_ir **out, ab_error_t *err)
{
  cleanup_cedar_set struct ab_cedar_set *set = ab_cedar_set_new ();
  cleanup_projconf struct ab_projconf *yaml = NULL;
  cleanup_hostexec struct ab_hostexec *hx = NULL;

  if (set == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  for (int i = 0; i < n; i++)
    if (is_yaml (files[i]) ? load_yaml (files[i], &yaml, err)
                           : ab_cedar_parse_file (set, files[i], err))
      return -1;
  ab_model_normalize (set);
  if (yaml && ab_projconf_hostexec (yaml, &hx, err) < 0)
    return -1;
  if (yaml && !mode_set)
    {
      enum ab_yaml_mode m = ab_projconf_mode (yaml);
      mode = m == AB_YAML_MODE_RECORD   ? AB_IR_MODE_RECORD
             : m == AB_YAML_MODE_SHADOW ? AB_IR_MODE_SHADOW
                                        : AB_IR_MODE_ENFORCE;
    }
  struct ab_ir_source src = { .cedar = steal_pointer (&set),
                              .yaml = yaml,
                              .hostexec = steal_pointer (&hx),
                              .mode = mode };
  return ab_ir_compile (&src, out, err);
}

int
ab_ir_load_files (char **files, int n, struct ab_ir **out, ab_error_t *err)
{
  return build (n, files, AB_IR_MODE_ENFORCE, false, out, err);
}

int
ab_policy_cmd_ir (int argc, char **argv)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_ir struct ab_ir *ir = NULL;
  enum ab_ir_mode mode = AB_IR_MODE_ENFORCE;
  bool mode_set = false;
  int n = 0;

  /* argv[0] is "ir"; files and --mode in any order. */
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--mode") == 0 && i + 1 < argc)
        {
          if (ab_ir_mode_parse (argv[++i], &mode) < 0)
            {
              fprintf (stderr,
                       "agentbox policy ir: --mode: `%s`: expected "
                       "enforce, shadow or record\n",
                       argv[i]);
              return 2;
            }
          mode_set = true;
        }
      else if (argv[i][0] == '-')
        break;
      else
        argv[n++] = argv[i];
    }
  if (n == 0 || n + (mode_set ? 3 : 1) != argc)
    {
      fprintf (stderr, "usage: agentbox policy ir FILE... [--mode "
                       "enforce|shadow|record]\n");
      return 2;
    }
  if (build (n, argv, mode, mode_set, &ir, &err) < 0
      || ab_ir_dump (ir, stdout, &err) < 0)
    {
      fprintf (stderr, "agentbox policy ir: %s\n", err->msg);
      return 1;
    }
  return 0;
}
