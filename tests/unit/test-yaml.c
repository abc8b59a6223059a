/* Unit tests for policy/yaml: the Cloister-shaped project config. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "policy/ir.h"
#include "policy/yaml.h"
#include "tests/unit/unit.h"

static struct ab_projconf *
load_layer (const char *name, const char *text, enum ab_yaml_layer layer)
{
  struct ab_projconf *c = NULL;
  ab_error_t err = NULL;

  if (ab_projconf_load_string (name, text, strlen (text), layer, &c, &err) < 0)
    {
      printf ("# unexpected error: %s\n", err->msg);
      ab_error_free (&err);
      return NULL;
    }
  return c;
}

static struct ab_projconf *
load (const char *text)
{
  return load_layer ("p.yaml", text, AB_YAML_LAYER_PROJECT);
}

/* The error message of loading TEXT (heap), or NULL if it loaded. */
static char *
load_error_layer (const char *text, enum ab_yaml_layer layer)
{
  struct ab_projconf *c = NULL;
  ab_error_t err = NULL;
  char *msg;

  if (ab_projconf_load_string ("p.yaml", text, strlen (text), layer, &c, &err)
      == 0)
    {
      ab_projconf_free (c);
      return NULL;
    }
  msg = strdup (err->msg);
  ab_error_free (&err);
  return msg;
}

static char *
load_error (const char *text)
{
  return load_error_layer (text, AB_YAML_LAYER_PROJECT);
}

#define ERROR_IS(text, expected)                                               \
  do                                                                           \
    {                                                                          \
      cleanup_free char *e_ = load_error (text);                               \
      CHECK_STR (e_, expected);                                                \
    }                                                                          \
  while (0)

static const char full[] = "mode: shadow\n"
                           "proxy:\n"
                           "  allow:\n"
                           "    - domain: API.Anthropic.com.\n"
                           "    - pattern: \"*.npmjs.org\"\n"
                           "      ports: [443, 8443]\n"
                           "  deny:\n"
                           "    - domain: evil.npmjs.org\n"
                           "hostexec:\n"
                           "  auto_approve:\n"
                           "    - \"^git status( .*)?$\"\n"
                           "    - pattern: \"^git log( .*)?$\"\n"
                           "  manual_approve: [\"^git push( .*)?$\"]\n"
                           "  deny: []\n"
                           "refs:\n"
                           "  - path: /home/me/docs\n"
                           "  - path: /srv/spec\n"
                           "    target: /refs/spec\n"
                           "env: [TERM, LANG]\n"
                           "secrets:\n"
                           "  GITHUB_TOKEN:\n"
                           "    env: GH_TOKEN\n"
                           "    header: \"Authorization: Bearer ${secret}\"\n"
                           "    hosts: [api.github.com]\n"
                           "  NPM_TOKEN:\n"
                           "    file: /etc/agentbox/npm-token\n";

TEST (parses_every_section)
{
  struct ab_projconf *c = load (full);

  CHECK (c != NULL);
  if (c == NULL)
    return;
  CHECK (c->mode == AB_YAML_MODE_SHADOW);
  CHECK (c->mode_loc.line == 1 && c->mode_loc.col == 7);
  CHECK (c->proxy_allow.len == 2 && c->proxy_deny.len == 1);
  CHECK_STR (c->proxy_allow.v[0].host, "api.anthropic.com");
  CHECK (c->proxy_allow.v[0].match == AB_PROXY_DOMAIN);
  CHECK (c->proxy_allow.v[0].n_ports == 0);
  CHECK_STR (c->proxy_allow.v[1].host, "npmjs.org");
  CHECK (c->proxy_allow.v[1].match == AB_PROXY_PATTERN);
  CHECK (c->proxy_allow.v[1].n_ports == 2
         && c->proxy_allow.v[1].ports[1] == 8443);
  CHECK (c->proxy_allow.v[1].loc.line == 5 && c->proxy_allow.v[1].loc.col == 7);
  CHECK (c->hostexec[AB_HOSTEXEC_AUTO_APPROVE].len == 2);
  CHECK_STR (c->hostexec[AB_HOSTEXEC_AUTO_APPROVE].v[1].pattern,
             "^git log( .*)?$");
  CHECK (c->hostexec[AB_HOSTEXEC_AUTO_APPROVE].v[1].loc.line == 12);
  CHECK (c->hostexec[AB_HOSTEXEC_MANUAL_APPROVE].len == 1);
  CHECK (c->hostexec[AB_HOSTEXEC_DENY].len == 0);
  CHECK (c->refs.len == 2);
  CHECK_STR (c->refs.v[0].target, "/home/me/docs");
  CHECK_STR (c->refs.v[1].target, "/refs/spec");
  CHECK (c->env.len == 2);
  CHECK_STR (c->env.v[1].name, "LANG");
  CHECK (c->secrets.len == 2);
  CHECK_STR (c->secrets.v[0].name, "GITHUB_TOKEN");
  CHECK (c->secrets.v[0].source == AB_SECRET_ENV);
  CHECK_STR (c->secrets.v[0].from, "GH_TOKEN");
  CHECK_STR (c->secrets.v[0].hosts[0], "api.github.com");
  CHECK (c->secrets.v[0].hosts[1] == NULL);
  CHECK (c->secrets.v[1].source == AB_SECRET_FILE
         && c->secrets.v[1].header == NULL);
  ab_projconf_free (c);
}

TEST (empty_and_null_sections)
{
  struct ab_projconf *c = load ("");

  CHECK (c && c->proxy_allow.len == 0
         && ab_projconf_mode (c) == AB_YAML_MODE_ENFORCE);
  ab_projconf_free (c);
  c = load ("proxy:\nhostexec: ~\nrefs: null\nenv:\n");
  CHECK (c && c->refs.len == 0 && c->env.len == 0);
  ab_projconf_free (c);
}

TEST (unknown_keys_and_wrong_types)
{
  ERROR_IS ("mode: enforce\nproxi:\n  allow: []\n",
            "p.yaml:2:1: unknown key `proxi` in config (known: mode, proxy, "
            "hostexec, refs, env, secrets)");
  ERROR_IS ("proxy:\n  allow:\n    - domain: a.com\n      port: [443]\n",
            "p.yaml:4:7: unknown key `port` in proxy entry (known: domain, "
            "pattern, ports)");
  ERROR_IS ("proxy:\n  allow: a.com\n",
            "p.yaml:2:10: proxy list: expected a list, got a scalar");
  ERROR_IS ("proxy:\n  allow:\n    - a.com\n",
            "p.yaml:3:7: proxy entry: expected a mapping, got a scalar");
  ERROR_IS ("proxy:\n  allow:\n    - domain: [a.com]\n",
            "p.yaml:3:15: domain: expected a string, got a list");
  ERROR_IS ("proxy:\n  allow:\n    - domain: a.com\n      ports: [http]\n",
            "p.yaml:4:15: expected an integer, got `http`");
  ERROR_IS ("proxy:\n  allow:\n    - domain: a.com\n      ports: [0]\n",
            "p.yaml:4:15: ports: 0 is not a port (1-65535)");
  ERROR_IS ("env: TERM\n", "p.yaml:1:6: env: expected a list, got a scalar");
  ERROR_IS ("env: [\"1X\"]\n",
            "p.yaml:1:7: env: `1X` is not an environment variable name");
  ERROR_IS ("mode: strict\n",
            "p.yaml:1:7: mode `strict`: expected enforce, shadow or record");
  ERROR_IS ("- a\n", "p.yaml:1:1: config: expected a mapping, got a list");
  ERROR_IS ("hostexec:\n  auto_approve:\n    - {pattern: [x]}\n",
            "p.yaml:3:17: auto_approve: expected a string, got a list");
}

TEST (bad_values)
{
  ERROR_IS (
      "proxy:\n  allow:\n    - domain: a.com\n      pattern: \"*.b.com\"\n",
      "p.yaml:3:7: proxy entry: give exactly one of `domain` or `pattern`");
  ERROR_IS (
      "proxy:\n  allow:\n    - domain: \"*.a.com\"\n",
      "p.yaml:3:15: bad host name `*.a.com`: character `*` not allowed (use "
      "`pattern: \"*.zone\"`)");
  ERROR_IS ("proxy:\n  deny:\n    - pattern: \"a.*.com\"\n",
            "p.yaml:3:16: pattern `a.*.com`: must be \"*.zone\" (for one host "
            "use `domain`)");
  ERROR_IS ("proxy:\n  deny:\n    - domain: a..com\n",
            "p.yaml:3:15: bad host name `a..com`: empty or over-long label");
  ERROR_IS ("refs:\n  - path: ~/docs\n",
            "p.yaml:2:11: ref path `~/docs`: must be an absolute path (`~` is "
            "not expanded)");
  ERROR_IS ("refs:\n  - path: /a\n    target: /work/../etc\n",
            "p.yaml:3:13: ref target `/work/../etc`: `..` is not allowed");
  ERROR_IS ("refs:\n  - target: /a\n", "p.yaml:2:5: ref: `path` is missing");
  ERROR_IS ("secrets:\n  T:\n    env: A\n    file: /x\n",
            "p.yaml:3:5: secret: give exactly one of `env` or `file`");
  ERROR_IS (
      "secrets:\n  T:\n    env: A\n    header: \"X-Key: ${secret}\"\n",
      "p.yaml:3:5: secret: `header` and `hosts` go together (a secret is only "
      "injected for the hosts it names)");
  ERROR_IS (
      "secrets:\n  T:\n    env: A\n    header: \"X-Key: fixed\"\n    hosts: "
      "[a.com]\n",
      "p.yaml:4:13: header `X-Key: fixed`: the value must contain ${secret}");
}

TEST (duplicate_keys)
{
  ERROR_IS ("mode: shadow\nenv: []\nmode: record\n",
            "p.yaml:3:1: duplicate key `mode` (first at line 1)");
  ERROR_IS ("secrets:\n  A:\n    env: X\n  A:\n    env: Y\n",
            "p.yaml:4:3: duplicate key `A` (first at line 2)");
}

TEST (bad_regex_and_syntax_errors_have_location)
{
  cleanup_free char *e1
      = load_error ("hostexec:\n  deny:\n    - \"rm (-rf\"\n");
  cleanup_free char *e2 = load_error ("proxy:\n  allow: [\n");

  CHECK_CONTAINS (e1, "p.yaml:3:7: hostexec deny pattern `rm (-rf`");
  CHECK_CONTAINS (e1, "missing closing parenthesis");
  CHECK_CONTAINS (e2, "p.yaml:3:1: ");
}

TEST (decision_layer_is_restricted)
{
  cleanup_free char *e = load_error_layer ("proxy: {}\nrefs:\n  - path: /etc\n",
                                           AB_YAML_LAYER_DECISIONS);
  struct ab_projconf *c
      = load_layer ("d.yaml", "proxy:\n  allow:\n    - domain: x.org\n",
                    AB_YAML_LAYER_DECISIONS);

  CHECK_STR (e, "p.yaml:2:1: unknown key `refs` in approval decisions (known: "
                "proxy, hostexec)");
  CHECK (c && c->proxy_allow.len == 1);
  ab_projconf_free (c);
}

TEST (proxy_matching)
{
  struct ab_projconf *c = load (full);
  const struct ab_proxy_rule *r = NULL;

  if (c == NULL)
    {
      CHECK (c != NULL);
      return;
    }
  CHECK (ab_projconf_proxy_allows (c, "api.anthropic.com", 443, &r));
  CHECK (r && r->loc.line == 4);
  CHECK (ab_projconf_proxy_allows (c, "API.ANTHROPIC.COM.", 80, NULL));
  CHECK (!ab_projconf_proxy_allows (c, "x.api.anthropic.com", 443, NULL));
  CHECK (!ab_projconf_proxy_allows (c, "anthropic.com", 443, NULL));
  CHECK (ab_projconf_proxy_allows (c, "registry.npmjs.org", 443, NULL));
  CHECK (ab_projconf_proxy_allows (c, "a.b.npmjs.org", 8443, NULL));
  CHECK (
      !ab_projconf_proxy_allows (c, "registry.npmjs.org", 80, NULL)); /* port */
  CHECK (!ab_projconf_proxy_allows (c, "npmjs.org", 443, NULL));      /* apex */
  CHECK (!ab_projconf_proxy_allows (c, "evilnpmjs.org", 443, NULL)); /* label */
  CHECK (!ab_projconf_proxy_allows (c, "evil.npmjs.org", 443, &r));  /* deny */
  CHECK (r && r->loc.line == 8);
  CHECK (!ab_projconf_proxy_allows (c, "example.com", 443, &r));
  CHECK (r == NULL);
  ab_projconf_free (c);
}

TEST (merge_deny_wins_and_order)
{
  cleanup_projconf struct ab_projconf *g
      = load_layer ("global.yaml",
                    "mode: shadow\n"
                    "proxy:\n  allow:\n    - pattern: \"*.example.com\"\n"
                    "hostexec:\n  auto_approve: [\"git .*\"]\n"
                    "env: [TERM]\n"
                    "refs:\n  - path: /a\n    target: /refs/x\n"
                    "secrets:\n  T:\n    env: A\n",
                    AB_YAML_LAYER_GLOBAL);
  cleanup_projconf struct ab_projconf *p
      = load_layer ("project.yaml",
                    "mode: record\n"
                    "proxy:\n  deny:\n    - domain: bad.example.com\n"
                    "hostexec:\n  deny: [\"git push.*\"]\n"
                    "env: [TERM, LANG]\n"
                    "refs:\n  - path: /b\n    target: /refs/x\n"
                    "secrets:\n  T:\n    file: /run/t\n",
                    AB_YAML_LAYER_PROJECT);
  cleanup_projconf struct ab_projconf *d = load_layer (
      "decisions.yaml", "proxy:\n  allow:\n    - domain: bad.example.com\n",
      AB_YAML_LAYER_DECISIONS);
  cleanup_projconf struct ab_projconf *m = ab_projconf_new ();
  cleanup_hostexec struct ab_hostexec *h = NULL;
  const struct ab_proxy_rule *r = NULL;
  struct ab_hostexec_result res;
  ab_error_t err = NULL;
  const char *push[] = { "git", "push" }, *log[] = { "git", "log" };

  if (!g || !p || !d || !m)
    {
      CHECK (!"layers load");
      return;
    }
  CHECK (ab_projconf_merge (m, g, &err) == 0);
  CHECK (ab_projconf_merge (m, p, &err) == 0);
  CHECK (ab_projconf_merge (m, d, &err) == 0);
  /* An approval allowing a host that the project denies: deny wins. */
  CHECK (!ab_projconf_proxy_allows (m, "bad.example.com", 443, &r));
  CHECK_STR (r ? r->loc.file : NULL, "project.yaml");
  CHECK (ab_projconf_proxy_allows (m, "good.example.com", 443, &r));
  CHECK_STR (r ? r->loc.file : NULL, "global.yaml");
  /* The project cannot loosen the global mode. */
  CHECK (ab_projconf_mode (m) == AB_YAML_MODE_SHADOW);
  CHECK_STR (m->mode_loc.file, "global.yaml");
  /* hostexec: the project's deny beats the global auto_approve. */
  CHECK (ab_projconf_hostexec (m, &h, &err) == 0);
  CHECK (ab_hostexec_decide_argv (h, push, NULL, 2, &res, NULL, &err) == 0);
  CHECK (res.verdict == AB_HOSTEXEC_VERDICT_DENY && res.rule);
  CHECK_STR (res.rule ? res.rule->file : NULL, "project.yaml");
  CHECK (ab_hostexec_decide_argv (h, log, NULL, 2, &res, NULL, &err) == 0);
  CHECK (res.verdict == AB_HOSTEXEC_VERDICT_RUN);
  /* env is a set; refs and secrets: the later layer replaces. */
  CHECK (m->env.len == 2);
  CHECK (m->refs.len == 1);
  CHECK_STR (m->refs.v[0].path, "/b");
  CHECK (m->secrets.len == 1 && m->secrets.v[0].source == AB_SECRET_FILE);
  /* Merging copies: the layers are untouched. */
  CHECK (g->proxy_deny.len == 0 && g->mode == AB_YAML_MODE_SHADOW);
}

TEST (mode_tightens_only)
{
  cleanup_projconf struct ab_projconf *a = load ("mode: record\n");
  cleanup_projconf struct ab_projconf *b = load ("mode: enforce\n");
  cleanup_projconf struct ab_projconf *m = ab_projconf_new ();
  ab_error_t err = NULL;

  if (!a || !b || !m)
    return;
  CHECK (ab_projconf_merge (m, a, &err) == 0
         && ab_projconf_mode (m) == AB_YAML_MODE_RECORD);
  CHECK (ab_projconf_merge (m, b, &err) == 0
         && ab_projconf_mode (m) == AB_YAML_MODE_ENFORCE);
  CHECK (ab_projconf_merge (m, a, &err) == 0
         && ab_projconf_mode (m) == AB_YAML_MODE_ENFORCE);
}

TEST (load_from_file)
{
  char path[] = "/tmp/ab-test-yaml-XXXXXX";
  int fd = mkstemp (path);
  struct ab_projconf *c = NULL;
  ab_error_t err = NULL;
  const char text[] = "env: [TERM]\nbogus: 1\n";

  CHECK (fd >= 0);
  if (fd < 0)
    return;
  CHECK (write (fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
  close (fd);
  CHECK (ab_projconf_load (path, AB_YAML_LAYER_PROJECT, &c, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, ":2:1: unknown key `bogus`");
  CHECK_CONTAINS (err ? err->msg : NULL, path);
  ab_error_free (&err);
  unlink (path);
  CHECK (ab_projconf_load (path, AB_YAML_LAYER_PROJECT, &c, &err) < 0);
  CHECK (err && err->status == ENOENT);
  ab_error_free (&err);
}

TEST (fills_the_ir_source)
{
  cleanup_projconf struct ab_projconf *c = load (full);
  struct ab_ir_source src = { 0 };
  ab_error_t err = NULL;

  if (c == NULL)
    {
      CHECK (c != NULL);
      return;
    }
  CHECK (ab_projconf_ir_source (c, &src, &err) == 0);
  CHECK (src.yaml == c);
  CHECK (src.mode == AB_IR_MODE_SHADOW);
  CHECK (src.hostexec != NULL);
  CHECK (ab_hostexec_count (src.hostexec, AB_HOSTEXEC_AUTO_APPROVE) == 2);
  CHECK (ab_hostexec_count (src.hostexec, AB_HOSTEXEC_MANUAL_APPROVE) == 1);
  CHECK (src.cedar == NULL);
  ab_hostexec_free (src.hostexec);
}

int
main (void)
{
  RUN (parses_every_section);
  RUN (empty_and_null_sections);
  RUN (unknown_keys_and_wrong_types);
  RUN (bad_values);
  RUN (duplicate_keys);
  RUN (bad_regex_and_syntax_errors_have_location);
  RUN (decision_layer_is_restricted);
  RUN (proxy_matching);
  RUN (merge_deny_wins_and_order);
  RUN (mode_tightens_only);
  RUN (load_from_file);
  RUN (fills_the_ir_source);
  return unit_done ();
}
