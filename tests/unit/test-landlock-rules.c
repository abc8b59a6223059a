/* The policy's file and exec rules as Landlock rules (policy/landlock.c). */
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/landlock.h"
#include "tests/unit/compile-text.h"
#include "tests/unit/unit.h"

/* Translate SRC for container c1 of project p: the rules, or "ERR: msg",
 * or "NONE". */
static char *
rules (const char *src)
{
  cleanup_ir struct ab_ir *ir = compile_text (src);
  cleanup_error ab_error_t err = NULL;
  struct ab_ir_principal p = { .container = "c1", .project = "p" };
  char *text = NULL, *out = NULL;
  int r;

  if (ir == NULL)
    return strdup ("COMPILE");
  r = ab_ir_landlock_rules (ir, &p, &text, &err);
  if (r < 0 && asprintf (&out, "ERR: %s", err->msg) < 0)
    out = NULL;
  if (r == 1)
    out = strdup ("NONE");
  if (r == 0)
    out = text;
  return out;
}

TEST (plain_scopes)
{
  cleanup_free char *a = rules (
      "permit (principal, action == Action::\"FileOpenReadOnly\", resource "
      "in Dir::\"/usr/\");\n"
      "permit (principal, action == Action::\"FileOpenReadWrite\", resource "
      "in Dir::\"/work/\");\n"
      "permit (principal, action == Action::\"ProcessExec\", resource in "
      "Dir::\"/bin/\");\n"
      "permit (principal, action == Action::\"FileOpenReadOnly\", resource "
      "== File::\"/etc/passwd\");\n");

  CHECK_STR (a, "ro /usr\nrw /work\nx /bin\nro /etc/passwd\n");
}

TEST (no_file_rules_no_layer)
{
  cleanup_free char *a = rules (
      "permit (principal, action == Action::\"NetworkConnect\", resource in "
      "Host::\"example.com\");\n");

  CHECK_STR (a, "NONE");
}

TEST (forbid_inside_permit_cannot_be_said)
{
  cleanup_free char *a = rules (
      "permit (principal, action == Action::\"FileOpenReadWrite\", resource "
      "in Dir::\"/work/\");\n"
      "forbid (principal, action == Action::\"FileOpenReadWrite\", resource "
      "== File::\"/work/.env\");\n");

  CHECK_CONTAINS (a, "ERR: t.cedar:2 forbids /work/.env inside /work");
}

TEST (permit_inside_forbid_is_void)
{
  cleanup_free char *a = rules (
      "forbid (principal, action == Action::\"FileOpenReadOnly\", resource "
      "in Dir::\"/secret/\");\n"
      "permit (principal, action == Action::\"FileOpenReadOnly\", resource "
      "== File::\"/secret/key\");\n"
      "permit (principal, action == Action::\"FileOpenReadOnly\", resource "
      "in Dir::\"/secretx/\");\n");

  /* /secretx is not inside /secret: component boundaries. */
  CHECK_STR (a, "ro /secretx\n");
}

TEST (principals_and_conditions)
{
  cleanup_free char *a = rules (
      "permit (principal == Container::\"c1\", action == "
      "Action::\"FileOpenReadOnly\", resource in Dir::\"/mine/\");\n"
      "permit (principal == Container::\"c2\", action == "
      "Action::\"FileOpenReadOnly\", resource in Dir::\"/theirs/\");\n"
      "permit (principal in Project::\"p\", action == "
      "Action::\"FileOpenReadOnly\", resource in Dir::\"/project/\");\n"
      "permit (principal, action == Action::\"FileOpenReadOnly\", resource "
      "in Dir::\"/cond/\") when { context has x };\n");

  CHECK_STR (a, "ro /mine\nro /project\n");
}

int
main (void)
{
  RUN (plain_scopes);
  RUN (no_file_rules_no_layer);
  RUN (forbid_inside_permit_cannot_be_said);
  RUN (permit_inside_forbid_is_void);
  RUN (principals_and_conditions);
  return unit_done ();
}
