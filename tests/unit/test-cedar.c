/* Unit tests for policy/cedar*.c and policy/model.c: the grammar, Cedar's
 * semantics operator by operator, errors with file:line:col and a caret,
 * agentbox's entity model, and Leash's example policies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/cedar.h"
#include "policy/model.h"
#include "spec/json.h"
#include "tests/unit/unit.h"

static const char *entities_json
    = "[{\"uid\":{\"type\":\"User\",\"id\":\"alice\"},\"attrs\":{\"age\":30,"
      "\"tags\":[\"a\",\"b\"],\"addr\":{\"__extn\":{\"fn\":\"ip\",\"arg\":"
      "\"10.1.2.3\"}},\"boss\":{\"__entity\":{\"type\":\"User\",\"id\":\"bob\"}"
      "}},"
      "\"parents\":[{\"type\":\"Group\",\"id\":\"dev\"}]},"
      "{\"uid\":{\"type\":\"Group\",\"id\":\"dev\"},\"attrs\":{},\"parents\":"
      "[{\"type\":\"Group\",\"id\":\"all\"}]},"
      "{\"uid\":{\"type\":\"Group\",\"id\":\"all\"},\"attrs\":{},\"parents\":"
      "[{\"type\":\"Group\",\"id\":\"dev\"}]}]";

/* "allow", "deny", "error" (the policy was skipped), or the parse error. */
static const char *
decide (const char *policies)
{
  static char out[2048];
  cleanup_cedar_set struct ab_cedar_set *s = ab_cedar_set_new ();
  struct ab_cedar_entities *e = ab_cedar_entities_new ();
  cleanup_json struct ab_json *ej = NULL, *rj = NULL;
  cleanup_error ab_error_t err = NULL;
  struct ab_cedar_request req;
  struct ab_cedar_response resp;
  const char *rq = "{\"principal\":{\"type\":\"User\",\"id\":\"alice\"},"
                   "\"action\":{\"type\":\"Action\",\"id\":\"view\"},"
                   "\"resource\":{\"type\":\"Doc\",\"id\":\"d1\"},\"context\":"
                   "{\"n\":5,\"s\":\"hello\",\"flag\":true}}";

  if (ab_cedar_parse (s, "t.cedar", policies, strlen (policies), &err) < 0)
    {
      snprintf (out, sizeof out, "%s", err->msg);
      ab_cedar_entities_free (e);
      return out;
    }
  if (ab_json_parse (entities_json, strlen (entities_json), "e", &ej, &err) < 0
      || ab_cedar_entities_from_json (e, ej, &err) < 0
      || ab_json_parse (rq, strlen (rq), "r", &rj, &err) < 0
      || ab_cedar_request_from_json (e, rj, &req, &err) < 0
      || ab_cedar_authorize (s, e, &req, &resp, &err) < 0)
    {
      snprintf (out, sizeof out, "setup: %s", err->msg);
      ab_cedar_entities_free (e);
      return out;
    }
  snprintf (out, sizeof out, "%s",
            resp.n_errors ? "error"
            : resp.allow  ? "allow"
                          : "deny");
  ab_cedar_response_free (&resp);
  ab_cedar_entities_free (e);
  return out;
}

/* Evaluate EXPR as the condition of one permit. */
static const char *
cond (const char *expr)
{
  static char p[1024];
  snprintf (p, sizeof p, "permit (principal, action, resource) when { %s };",
            expr);
  return decide (p);
}

#define T(expr, want) CHECK_STR (cond (expr), want)

TEST (literals_and_equality)
{
  T ("true", "allow");
  T ("false", "deny");
  T ("1 == 1", "allow");
  T ("1 == \"1\"", "deny"); /* different types: false, not an error */
  T ("[1, 1, 2] == [2, 1]", "allow");
  T ("{a: 1, \"b\": [true]} == {b: [true], a: 1}", "allow");
  T ("User::\"alice\" == principal", "allow");
  T ("\"a\\tb\\u{e9}\" == \"a\tb\xc3\xa9\"", "allow");
  T ("-9223372036854775808 < 0", "allow");
  T ("1 != 2", "allow");
}

TEST (arithmetic_and_comparison)
{
  T ("1 + 2 * 3 == 7", "allow");
  T ("10 - 3 - 2 == 5", "allow");
  T ("context.n >= 5 && context.n <= 5 && context.n > 4 && context.n < 6",
     "allow");
  T ("9223372036854775807 + 1 == 0", "error"); /* overflow */
  T ("-(-9223372036854775807 - 1) == 0", "error");
  T ("1 < \"2\"", "error");
  T ("!1", "error");
}

TEST (boolean_short_circuit)
{
  T ("false && (1 < \"x\")", "deny"); /* right side never evaluated */
  T ("true || (1 < \"x\")", "allow");
  T ("true && 1", "error");
  T ("1 && true", "error");
  T ("if context.flag then 1 == 1 else 1 < \"x\"", "allow");
  T ("if 1 then true else false", "error");
  T ("!!false == false", "allow");
}

TEST (in_has_attributes)
{
  T ("principal in Group::\"all\"", "allow"); /* transitive, cycle-safe */
  T ("principal in [Group::\"x\", Group::\"dev\"]", "allow");
  T ("principal in Group::\"nope\"", "deny");
  T ("resource in resource", "allow");
  T ("1 in [1]", "error");
  T ("principal in [1]", "error");
  T ("principal has age && principal.age == 30", "allow");
  T ("principal has nope", "deny");
  T ("resource has x", "deny"); /* not in the store: false, no error */
  T ("resource.x == 1", "error");
  T ("principal.nope == 1", "error");
  T ("principal[\"age\"] == 30", "allow");
  T ("principal.boss == User::\"bob\"", "allow");
  T ("context.s == \"hello\" && context has s", "allow");
  T ("1 has a", "error");
  T ("principal is User && !(resource is User)", "allow");
  T ("principal is User in Group::\"dev\"", "allow");
}

TEST (like_and_sets)
{
  T ("context.s like \"h*o\"", "allow");
  T ("context.s like \"*\"", "allow");
  T ("context.s like \"h\\*o\"", "deny");
  T ("\"h*o\" like \"h\\*o\"", "allow");
  T ("context.s like \"hel\"", "deny");
  T ("\"\" like \"*\"", "allow");
  T ("principal.tags.contains(\"a\")", "allow");
  T ("principal.tags.containsAll([\"a\", \"b\"])", "allow");
  T ("principal.tags.containsAll([\"a\", \"c\"])", "deny");
  T ("principal.tags.containsAny([\"c\", \"b\"])", "allow");
  T ("[].containsAny([])", "deny");
  T ("1.contains(1)", "error");
}

TEST (ip_extension)
{
  T ("principal.addr.isInRange(ip(\"10.0.0.0/8\"))", "allow");
  T ("principal.addr.isInRange(ip(\"10.2.0.0/16\"))", "deny");
  T ("ip(\"10.1.2.3/8\") == ip(\"10.0.0.0/8\")", "deny");
  T ("ip(\"10.0.0.1\") == ip(\"10.0.0.1/32\")", "allow");
  T ("ip(\"127.0.0.1\").isLoopback() && ip(\"::1\").isLoopback()", "allow");
  T ("ip(\"127.1.2.3/4\").isLoopback()", "deny");
  T ("ip(\"::1\").isIpv6() && ip(\"1.2.3.4\").isIpv4()", "allow");
  T ("ip(\"fe80::1\").isInRange(ip(\"fe80::/10\"))", "allow");
  T ("ip(\"224.0.0.1\").isMulticast()", "allow");
  T ("ip(\"01.2.3.4\").isIpv4()", "error");
  T ("ip(\"::ffff:1.2.3.4\").isIpv4()", "error");
  T ("ip(\"10.0.0.0/33\").isIpv4()", "error");
}

TEST (scope_and_decision)
{
  CHECK_STR (decide ("permit (principal == User::\"alice\", action == "
                     "Action::\"view\", resource == Doc::\"d1\");"),
             "allow");
  CHECK_STR (decide ("permit (principal in Group::\"dev\", action in "
                     "[Action::\"edit\", Action::\"view\"], resource is Doc);"),
             "allow");
  CHECK_STR (decide ("permit (principal, action, resource is User);"), "deny");
  CHECK_STR (
      decide ("permit (principal, action, resource is Doc in Doc::\"d1\");"),
      "allow");
  /* forbid wins; unless; default deny */
  CHECK_STR (decide ("permit (principal, action, resource);\n"
                     "forbid (principal, action, resource) unless { false };"),
             "deny");
  CHECK_STR (decide ("permit (principal, action, resource) unless { true };"),
             "deny");
  CHECK_STR (decide (""), "deny");
  /* An erroring forbid is skipped (Cedar): the permit still applies. */
  CHECK_STR (
      decide ("permit (principal, action, resource);\n"
              "forbid (principal, action, resource) when { 1 < \"x\" };"),
      "error");
}

TEST (parse_errors_name_the_place)
{
  CHECK_CONTAINS (decide ("permit (principal, action, resource)"),
                  "t.cedar:1:37: expected `;` at the end of the policy");
  CHECK_CONTAINS (
      decide ("permit (principal,\n  action, resource) when { 1 < 2 < 3 };"),
      "t.cedar:2:34: comparisons do not chain");
  CHECK_CONTAINS (
      decide (
          "permit (principal, action, resource) when { decimal(\"1.0\") };"),
      "unsupported function `decimal`");
  CHECK_CONTAINS (
      decide ("permit (principal, action, resource) when { [].isEmpty() };"),
      "unsupported method `isEmpty`");
  CHECK_CONTAINS (
      decide ("permit (principal == ?principal, action, resource);"),
      "templates");
  CHECK_CONTAINS (decide ("permit (principal, action, resource) when { "
                          "99999999999999999999 };"),
                  "does not fit in 64 bits");
  CHECK_CONTAINS (
      decide ("permit (principal, action, resource) when { !!!!!true };"),
      "more than 4 unary operators");
  CHECK_CONTAINS (decide ("allow (principal, action, resource);"),
                  "t.cedar:1:1: expected `permit` or `forbid`, got `allow`");
  CHECK_CONTAINS (
      decide ("permit (principal, action, resource) when { principal is "
              "Dir::\"x\" };"),
      "t.cedar:1:58: expected a type name after `is`, got an entity");
  /* The caret points at the column. */
  CHECK_CONTAINS (
      decide ("permit (principal, action, resource) when { 1 = 1 };"),
      "\n  permit (principal, action, resource) when { 1 = 1 };\n"
      "                                                ^");
}

static const char *
model (const char *policy, const char *action, const char *resource)
{
  cleanup_cedar_set struct ab_cedar_set *s = ab_cedar_set_new ();
  struct ab_cedar_entities *e = ab_cedar_entities_new ();
  cleanup_error ab_error_t err = NULL;
  struct ab_cedar_request req;
  struct ab_cedar_response resp;
  const char *r = "setup";

  if (ab_cedar_parse (s, "m.cedar", policy, strlen (policy), &err) == 0
      && ab_model_request (e, "Container::\"c1\"", "demo", action, resource,
                           &req, &err)
             == 0)
    {
      ab_model_normalize (s);
      if (ab_cedar_authorize (s, e, &req, &resp, &err) == 0)
        {
          r = resp.allow ? "allow" : "deny";
          ab_cedar_response_free (&resp);
        }
    }
  if (err)
    printf ("# %s\n", err->msg);
  ab_cedar_entities_free (e);
  return r;
}

TEST (model_paths_at_component_boundaries)
{
  const char *p = "permit (principal, action in Action::\"FileOpen\", resource "
                  "in Dir::\"/work/\");";
  CHECK_STR (model (p, "FileOpenReadOnly", "File::\"/work/a/b.txt\""), "allow");
  CHECK_STR (model (p, "FileOpenReadWrite", "File::\"/work/x\""), "allow");
  CHECK_STR (model (p, "FileOpenReadOnly", "File::\"/workx/a\""), "deny");
  CHECK_STR (model (p, "FileOpenReadOnly", "File::\"/work\""), "deny");
  CHECK_STR (model (p, "FileOpenReadOnly", "Dir::\"/work/sub/\""), "allow");
  CHECK_STR (model (p, "ProcessExec", "File::\"/work/a\""), "deny");
}

TEST (model_hosts_at_label_boundaries)
{
  const char *p = "permit (principal, action == Action::\"NetworkConnect\", "
                  "resource in Host::\"*.Example.COM.\");";
  CHECK_STR (model (p, "NetworkConnect", "Host::\"api.example.com\""), "allow");
  CHECK_STR (model (p, "NetworkConnect", "Host::\"A.B.EXAMPLE.com.:443\""),
             "allow");
  CHECK_STR (model (p, "NetworkConnect", "Host::\"example.com\""), "deny");
  CHECK_STR (model (p, "NetworkConnect", "Host::\"badexample.com\""), "deny");
  CHECK_STR (model (p, "NetworkConnect", "Host::\"*\""), "deny");
  CHECK_STR (model ("permit (principal, action, resource == Host::\"x.org\");",
                    "NetworkConnect", "Host::\"x.org:443\""),
             "deny");
  CHECK_STR (model ("permit (principal, action, resource in Host::\"x.org\");",
                    "NetworkConnect", "Host::\"x.org:443\""),
             "allow");
}

TEST (model_principals_matchable)
{
  CHECK_STR (
      model ("permit (principal in Project::\"demo\", action, resource);",
             "FileOpen", "File::\"/a\""),
      "allow");
  CHECK_STR (
      model ("permit (principal == Container::\"other\", action, resource);",
             "FileOpen", "File::\"/a\""),
      "deny");
}

TEST (leash_policies_load_unchanged)
{
  static const char *const files[]
      = { "leash-comparison.cedar", "leash-research.cedar", NULL };
  const char *top = getenv ("AB_TOP");

  for (const char *const *f = files; *f; f++)
    {
      cleanup_cedar_set struct ab_cedar_set *s = ab_cedar_set_new ();
      cleanup_error ab_error_t err = NULL;
      char path[512];

      snprintf (path, sizeof path, "%s/tests/fixtures/policy/%s",
                top ? top : ".", *f);
      CHECK (ab_cedar_parse_file (s, path, &err) == 0);
      if (err)
        printf ("# %s\n", err->msg);
      CHECK (s->len >= 4);
    }
}

int
main (void)
{
  RUN (literals_and_equality);
  RUN (arithmetic_and_comparison);
  RUN (boolean_short_circuit);
  RUN (in_has_attributes);
  RUN (like_and_sets);
  RUN (ip_extension);
  RUN (scope_and_decision);
  RUN (parse_errors_name_the_place);
  RUN (model_paths_at_component_boundaries);
  RUN (model_hosts_at_label_boundaries);
  RUN (model_principals_matchable);
  RUN (leash_policies_load_unchanged);
  return unit_done ();
}
