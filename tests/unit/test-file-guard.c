/* The file guard's policy trie (hooks/lib/file-guard.c): the plan's
 * nodes, walked as bpf/file-guard.bpf.c walks them, decide as the IR
 * does (ab_ir_check_file, which equals Cedar), on hand-written and on
 * generated policies; a directory memo allows nothing the walk denies;
 * and a plan narrowed by a second policy allows exactly what both
 * policies allow (docs/narrowing.md). */
#include <stdlib.h>
#include <string.h>

#include "hooks/lib/file-guard.h"
#include "lib/cleanup.h"
#include "tests/unit/compile-text.h"
#include "tests/unit/unit.h"

static const struct ab_fg_node *
find (const struct ab_fg_plan *p, uint32_t parent, const char *name, size_t len)
{
  for (size_t i = 0; i < p->n; i++)
    if (p->keys[i].parent == parent && p->keys[i].len == len
        && memcmp (p->keys[i].name, name, len) == 0)
      return &p->nodes[i];
  return NULL;
}

static void
take (const struct ab_fg_node *nd, int slot, uint8_t *permit, uint8_t *forbid)
{
  *permit |= nd->permit[slot];
  *forbid |= nd->forbid[slot];
}

/* The BPF programs' decision for PATH (no trailing slash; DIR: it is a
 * directory), with the same walk: the root's slot, then one lookup per
 * component, stopping at the first missing one. */
static bool
bpf_model (const struct ab_fg_plan *p, uint32_t gen, const char *path, bool dir,
           unsigned want)
{
  const struct ab_fg_node *nd = find (p, 0, "", 0);
  uint8_t permit = 0, forbid = 0;
  size_t n = 0;
  const char *c;

  for (c = path; *c; c++)
    if (*c == '/' && c[1])
      n++;
  (void)gen;
  if (nd)
    take (nd,
          n == 0 ? (dir ? AB_FG_SLOT_DIR : AB_FG_SLOT_FILE) : AB_FG_SLOT_UNDER,
          &permit, &forbid);
  for (c = path + 1; nd && *c && n > 0; n--)
    {
      size_t len = strcspn (c, "/");

      nd = find (p, nd->id, c, len);
      if (nd)
        take (nd,
              n == 1 ? (dir ? AB_FG_SLOT_DIR : AB_FG_SLOT_FILE)
                     : AB_FG_SLOT_UNDER,
              &permit, &forbid);
      c += len + (c[len] == '/');
    }
  /* Rights the policy does not rule on are not checked. */
  want &= p->rights;
  if (forbid & want)
    return false;
  return (permit & want) == want;
}

/* A directory memo's answer for PATH, as the programs' memo_allows
 * gives it (docs/file-guard.md, "Directory memos"): the memo is what the
 * walk found down to PATH's directory; then only PATH's own name may be
 * looked up, and only when its node could change the answer.  True: the
 * memo allows; false: it does not answer (the walk decides). */
static unsigned memo_answers, memo_lookups;

static bool
memo_model (const struct ab_fg_plan *p, const char *path, bool dir,
            unsigned want)
{
  const struct ab_fg_node *nd = find (p, 0, "", 0);
  const char *c = path + 1, *leaf = strrchr (path, '/') + 1;
  uint8_t permit = 0, forbid = 0, kids = 0;
  uint32_t id = 0;

  if (strcmp (path, "/") == 0 || (want & p->rights) == 0)
    return false; /* a mount's root has no memo; unruled: no check */
  if (nd)
    take (nd, AB_FG_SLOT_UNDER, &permit, &forbid);
  /* The components above the leaf, each taken as UNDER. */
  while (nd && c < leaf)
    {
      size_t len = strcspn (c, "/");

      nd = find (p, nd->id, c, len);
      if (nd)
        take (nd, AB_FG_SLOT_UNDER, &permit, &forbid);
      c += len + 1;
    }
  if (nd)
    {
      id = nd->id;
      kids = nd->kids_forbid;
    }
  if (forbid & want)
    return false;
  if (id && ((kids & want) || (permit & want) != want))
    {
      const struct ab_fg_node *l = find (p, id, leaf, strlen (leaf));

      memo_lookups++;
      if (l)
        take (l, dir ? AB_FG_SLOT_DIR : AB_FG_SLOT_FILE, &permit, &forbid);
    }
  if ((forbid & want) || (permit & want) != want)
    return false;
  memo_answers++;
  return true;
}

/* What IR says, as the guard applies it: a right the policy's plan (of
 * RIGHTS) does not rule on is allowed. */
static bool
ir_says (const struct ab_ir *ir, unsigned rights, const char *path, bool dir,
         unsigned want)
{
  struct ab_ir_principal pr = { .container = "c1", .project = "p" };
  enum ab_ir_action a = want == AB_FG_READ    ? AB_IR_FILE_OPEN_RO
                        : want == AB_FG_WRITE ? AB_IR_FILE_OPEN_RW
                                              : AB_IR_PROCESS_EXEC;
  cleanup_error ab_error_t err = NULL;
  struct ab_ir_result res;
  char buf[512];

  if ((want & rights) == 0)
    return true;
  snprintf (buf, sizeof buf, "%s%s", path,
            dir && strcmp (path, "/") != 0 ? "/" : "");
  if (a == AB_IR_PROCESS_EXEC)
    ab_ir_check_exec (ir, &pr, buf, &res, &err);
  else
    ab_ir_check_file (ir, &pr, buf, a, &res, &err);
  return res.decision == AB_IR_ALLOW;
}

/* Compare the model of IR narrowed by NARROW (may be NULL) with what
 * both IRs say, on every path of PATHS, both kinds and every right; the
 * first difference is printed. */
static int
same_decisions2 (const struct ab_ir *ir, const struct ab_ir *narrow,
                 const char *const *paths)
{
  struct ab_ir_principal pr = { .container = "c1", .project = "p" };
  cleanup_error ab_error_t err = NULL;
  struct ab_fg_plan plan, pa, pb = { 0 };
  int bad = 0;

  /* The rights each policy rules on, from its own plan (checked alone
   * by the tests that pass no NARROW). */
  if (ab_fg_plan_build (ir, NULL, &pr, 0, &pa, &err) < 0
      || (narrow && ab_fg_plan_build (narrow, NULL, &pr, 0, &pb, &err) < 0)
      || ab_fg_plan_build (ir, narrow, &pr, 0, &plan, &err) < 0)
    return -1;
  for (size_t i = 0; paths[i] && !bad; i++)
    /* "/" is a directory, never a file. */
    for (int dir = strcmp (paths[i], "/") == 0; dir < 2 && !bad; dir++)
      for (unsigned want = 1; want <= 4 && !bad; want <<= 1)
        {
          bool m = bpf_model (&plan, 0, paths[i], dir, want);
          bool c = ir_says (ir, pa.rights, paths[i], dir, want)
                   && (!narrow
                       || ir_says (narrow, pb.rights, paths[i], dir, want));

          if (memo_model (&plan, paths[i], dir, want) && !m)
            {
              printf ("# %s%s right %u: the memo allows, the walk denies\n",
                      paths[i], dir ? " (dir)" : "", want);
              bad = 1;
            }
          if (m != c)
            {
              printf ("# %s%s right %u: guard %s, IR%s %s\n", paths[i],
                      dir ? " (dir)" : "", want, m ? "allows" : "denies",
                      narrow ? "s" : "", c ? "allow" : "deny");
              bad = 1;
            }
        }
  ab_fg_plan_free (&plan);
  ab_fg_plan_free (&pa);
  ab_fg_plan_free (&pb);
  return bad;
}

static int
same_decisions (const char *src, const char *const *paths)
{
  cleanup_ir struct ab_ir *ir = compile_text (src);

  return ir ? same_decisions2 (ir, NULL, paths) : -1;
}

static const char *const sample_paths[] = { "/",
                                            "/etc",
                                            "/etc/passwd",
                                            "/etc/passwd-",
                                            "/work",
                                            "/workx",
                                            "/work/a",
                                            "/work/.git",
                                            "/work/.git/config",
                                            "/secret",
                                            "/secret/key",
                                            "/denied/busybox",
                                            "/cmd.sh",
                                            "/tmp/x",
                                            "/usr/bin/env",
                                            NULL };

TEST (root_permit_reaches_every_file)
{
  CHECK (same_decisions (
             "permit (principal, action in [Action::\"FileOpenReadOnly\", "
             "Action::\"ProcessExec\"], resource in Dir::\"/\");\n",
             sample_paths)
         == 0);
}

TEST (forbids_inside_permits_at_component_boundaries)
{
  CHECK (same_decisions (
             "permit (principal, action in [Action::\"FileOpenReadOnly\", "
             "Action::\"ProcessExec\"], resource in Dir::\"/\");\n"
             "permit (principal, action == Action::\"FileOpenReadWrite\", "
             "resource in Dir::\"/work/\");\n"
             "forbid (principal, action == Action::\"FileOpenReadOnly\", "
             "resource == File::\"/etc/passwd\");\n"
             "forbid (principal, action == Action::\"FileOpenReadOnly\", "
             "resource in Dir::\"/secret/\");\n"
             "forbid (principal, action == Action::\"ProcessExec\", "
             "resource in Dir::\"/denied/\");\n"
             "forbid (principal, action == Action::\"FileOpenReadWrite\", "
             "resource in Dir::\"/work/.git/\");\n",
             sample_paths)
         == 0);
}

/* A random path of 1-4 components from a small alphabet, so that rules
 * and queries collide often (and /a vs /ab boundaries come up). */
static void
random_path (char *buf, size_t n, unsigned *seed)
{
  static const char *const parts[] = { "a", "ab", "b", "a-", ".git", "x" };
  int depth = 1 + rand_r (seed) % 4;
  size_t off = 0;

  for (int i = 0; i < depth && off + 8 < n; i++)
    off += (size_t)snprintf (buf + off, n - off, "/%s",
                             parts[rand_r (seed) % 6]);
}

/* 24 random paths in PATHS, listed in LIST (NULL-terminated). */
static void
random_paths (char paths[24][64], const char *list[25], unsigned *seed)
{
  for (int i = 0; i < 24; i++)
    {
      random_path (paths[i], 64, seed);
      list[i] = paths[i];
    }
  list[24] = NULL;
}

static char *
random_policy (unsigned *seed, int n_rules)
{
  static const char *const actions[]
      = { "FileOpenReadOnly", "FileOpenReadWrite", "ProcessExec" };
  size_t cap = (size_t)n_rules * 160 + 1, off = 0;
  char *src = malloc (cap);

  for (int i = 0; i < n_rules; i++)
    {
      char path[64];
      int kind = rand_r (seed) % 3;

      random_path (path, sizeof path, seed);
      off += (size_t)snprintf (
          src + off, cap - off,
          "%s (principal, action == Action::\"%s\", resource %s "
          "%s::\"%s%s\");\n",
          rand_r (seed) % 3 == 0 ? "forbid" : "permit",
          actions[rand_r (seed) % 3],
          kind == 2 ? "in" : "==", kind == 0 ? "File" : "Dir", path,
          kind == 0 ? "" : "/");
    }
  return src;
}

TEST (generated_policies_decide_as_the_ir)
{
  unsigned seed = 4242;
  int bad = 0;

  for (int round = 0; round < 200 && !bad; round++)
    {
      cleanup_free char *src = random_policy (&seed, 1 + round % 12);
      char paths[24][64];
      const char *list[25];

      random_paths (paths, list, &seed);
      bad = same_decisions (src, list);
      if (bad)
        printf ("# policy:\n%s", src);
    }
  CHECK (bad == 0);
  /* The memo's model answered, with and without the name's lookup (else
   * its check above was vacuous). */
  printf ("# memo: %u allows, %u lookups of a name\n", memo_answers,
          memo_lookups);
  CHECK (memo_answers > 100 && memo_lookups > 100);
}

/* Narrowing: the plan of two policies allows what both allow, per
 * right, including rights only one of them rules on. */
TEST (narrowed_plans_allow_what_both_allow)
{
  unsigned seed = 99;
  int bad = 0;

  for (int round = 0; round < 300 && !bad; round++)
    {
      cleanup_free char *a = random_policy (&seed, 1 + round % 9);
      cleanup_free char *b = random_policy (&seed, 1 + (round / 3) % 7);
      cleanup_ir struct ab_ir *ia = compile_text (a);
      cleanup_ir struct ab_ir *ib = compile_text (b);
      char paths[24][64];
      const char *list[25];

      random_paths (paths, list, &seed);
      bad = ia && ib ? same_decisions2 (ia, ib, list) : -1;
      if (bad)
        printf ("# policy:\n%s# narrowed by:\n%s", a, b);
    }
  CHECK (bad == 0);
}

TEST (narrowing_a_dir_to_a_file_inside_it)
{
  cleanup_ir struct ab_ir *a = compile_text (
      "permit (principal, action in [Action::\"FileOpenReadOnly\", "
      "Action::\"FileOpenReadWrite\"], resource in Dir::\"/work/\");\n"
      "permit (principal, action == Action::\"FileOpenReadOnly\", "
      "resource in Dir::\"/\");\n");
  cleanup_ir struct ab_ir *b = compile_text (
      "permit (principal, action == Action::\"FileOpenReadOnly\", "
      "resource in Dir::\"/etc/\");\n"
      "permit (principal, action == Action::\"FileOpenReadWrite\", "
      "resource in Dir::\"/work/a/\");\n"
      "forbid (principal, action == Action::\"FileOpenReadOnly\", "
      "resource == File::\"/etc/passwd\");\n");
  struct ab_ir_principal pr = { .container = "c1", .project = "p" };
  cleanup_error ab_error_t err = NULL;
  struct ab_fg_plan plan;

  CHECK (a && b && same_decisions2 (a, b, sample_paths) == 0);
  CHECK (ab_fg_plan_build (a, b, &pr, 0, &plan, &err) == 0);
  /* Read: only /etc, not /etc/passwd; write: /work/a, not /work. */
  CHECK (bpf_model (&plan, 0, "/etc/hosts", false, AB_FG_READ));
  CHECK (!bpf_model (&plan, 0, "/etc/passwd", false, AB_FG_READ));
  CHECK (!bpf_model (&plan, 0, "/usr/bin/env", false, AB_FG_READ));
  CHECK (bpf_model (&plan, 0, "/work/a/f", false, AB_FG_WRITE));
  CHECK (!bpf_model (&plan, 0, "/work/b", false, AB_FG_WRITE));
  /* Exec: neither rules on it, so it is not checked. */
  CHECK (bpf_model (&plan, 0, "/usr/bin/env", false, AB_FG_EXEC));
  ab_fg_plan_free (&plan);
}

TEST (ten_thousand_rules)
{
  unsigned seed = 7;
  cleanup_free char *src = random_policy (&seed, 10000);
  const char *const list[]
      = { "/a/ab/x", "/b", "/a-/.git/a", "/x/x/x/x", NULL };

  CHECK (same_decisions (src, list) == 0);
}

int
main (void)
{
  RUN (root_permit_reaches_every_file);
  RUN (forbids_inside_permits_at_component_boundaries);
  RUN (generated_policies_decide_as_the_ir);
  RUN (narrowed_plans_allow_what_both_allow);
  RUN (narrowing_a_dir_to_a_file_inside_it);
  RUN (ten_thousand_rules);
  return unit_done ();
}
