/* agentbox: the YAML project config (see yaml.h, docs/policy-yaml.md).
 *
 * Parsing is strict on purpose: a typo in a deny list that was silently
 * ignored would open what the user meant to close, so every unknown key,
 * duplicate key, wrong type or bad value fails the whole file (closed). */
#include "policy/yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lib/cleanup.h"
#include "lib/yaml.h"
#include "policy/yaml-internal.h"

struct ctx
{
  const char *file;
  yaml_document_t *doc;
  enum ab_yaml_layer layer;
  struct ab_projconf *c;
  struct ab_hostexec *check; /* compiles patterns to validate them */
  ab_error_t *err;
};

/* ---- small helpers ---------------------------------------------------- */

static int
oom (struct ctx *x)
{
  return ab_error_set (x->err, ENOMEM, "%s: out of memory", x->file);
}

static yaml_node_t *
node_at (struct ctx *x, yaml_node_item_t i)
{
  return yaml_document_get_node (x->doc, i);
}

static int
set_loc (struct ctx *x, struct ab_yaml_loc *loc, const yaml_node_t *n)
{
  loc->file = strdup (x->file);
  loc->line = (unsigned)n->start_mark.line + 1;
  loc->col = (unsigned)n->start_mark.column + 1;
  return loc->file ? 0 : oom (x);
}

/* `key:` with nothing after it, `~` or `null`: an empty section. */
static bool
is_null (const yaml_node_t *n)
{
  return n == NULL || ab_yaml_is_null (n);
}

/* A non-empty string scalar; errors read "FILE:L:C: WHAT: expected ...". */
static int
get_str (struct ctx *x, yaml_node_t *n, const char *what, const char **out)
{
  *out = ab_yaml_scalar (n);
  if (*out == NULL)
    return ab_yaml_error (x->err, x->file, n, "%s: expected a string, got %s",
                          what, ab_yaml_type_name (n));
  if (**out == '\0')
    return ab_yaml_error (x->err, x->file, n, "%s: expected a non-empty string",
                          what);
  return 0;
}

static int
expect_list (struct ctx *x, yaml_node_t *n, const char *what)
{
  if (n == NULL || n->type != YAML_SEQUENCE_NODE)
    return ab_yaml_error (x->err, x->file, n, "%s: expected a list, got %s",
                          what, ab_yaml_type_name (n));
  return 0;
}

#define FOR_ITEMS(x, seq, item)                                                \
  for (yaml_node_item_t *it_ = (seq)->data.sequence.items.start;               \
       it_ < (seq)->data.sequence.items.top                                    \
       && ((item) = node_at ((x), *it_), 1);                                   \
       it_++)

/* ---- mappings: fields, unknown and duplicate keys --------------------- */

typedef int (*field_fn) (struct ctx *x, yaml_node_t *val, void *out);

struct field
{
  const char *name;
  field_fn fn;
  size_t offset; /* into the OUT of walk_map */
};

static int
check_duplicate (struct ctx *x, yaml_node_t *map, yaml_node_pair_t *upto,
                 const char *key, yaml_node_t *keynode)
{
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < upto; p++)
    {
      const char *k = ab_yaml_scalar (node_at (x, p->key));

      if (k && strcmp (k, key) == 0)
        return ab_yaml_error (x->err, x->file, keynode,
                              "duplicate key `%s` (first at line %zu)", key,
                              node_at (x, p->key)->start_mark.line + 1);
    }
  return 0;
}

static int
unknown_key (struct ctx *x, yaml_node_t *k, const char *key, const char *what,
             const struct field *fields)
{
  char list[256] = "";

  for (const struct field *f = fields; f->name; f++)
    {
      if (f != fields)
        strncat (list, ", ", sizeof list - strlen (list) - 1);
      strncat (list, f->name, sizeof list - strlen (list) - 1);
    }
  return ab_yaml_error (x->err, x->file, k,
                        "unknown key `%s` in %s (known: %s)", key, what, list);
}

static int
walk_map (struct ctx *x, yaml_node_t *map, const char *what,
          const struct field *fields, void *out)
{
  if (map == NULL || map->type != YAML_MAPPING_NODE)
    return ab_yaml_error (x->err, x->file, map,
                          "%s: expected a mapping, got %s", what,
                          ab_yaml_type_name (map));
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
       p < map->data.mapping.pairs.top; p++)
    {
      yaml_node_t *k = node_at (x, p->key), *v = node_at (x, p->value);
      const char *key = ab_yaml_scalar (k);
      const struct field *f;

      if (key == NULL)
        return ab_yaml_error (x->err, x->file, k,
                              "%s: a key must be a string, got %s", what,
                              ab_yaml_type_name (k));
      if (check_duplicate (x, map, p, key, k) < 0)
        return -1;
      for (f = fields; f->name && strcmp (f->name, key) != 0; f++)
        ;
      if (f->name == NULL)
        return unknown_key (x, k, key, what, fields);
      if (f->fn (x, v, out ? (char *)out + f->offset : NULL) < 0)
        return -1;
    }
  return 0;
}

/* ---- values ----------------------------------------------------------- */

/* Lower-case, drop one trailing dot, check labels: [a-z0-9_-]{1,63}. */
static int
normalize_host (struct ctx *x, yaml_node_t *n, const char *s, char **out)
{
  cleanup_free char *h = strdup (s);
  size_t len, label = 0;

  if (h == NULL)
    return oom (x);
  len = strlen (h);
  if (len > 0 && h[len - 1] == '.')
    h[--len] = '\0';
  if (len == 0 || len > 253)
    return ab_yaml_error (x->err, x->file, n, "bad host name `%s`: %s", s,
                          len ? "longer than 253 characters" : "empty");
  for (size_t i = 0; i <= len; i++)
    {
      unsigned char c = (unsigned char)h[i];

      if (c == '.' || c == '\0')
        {
          if (label == 0 || label > 63)
            return ab_yaml_error (
                x->err, x->file, n,
                "bad host name `%s`: empty or over-long label", s);
          label = 0;
          continue;
        }
      if (!isalnum (c) && c != '-' && c != '_')
        return ab_yaml_error (
            x->err, x->file, n,
            "bad host name `%s`: character `%c` not allowed%s", s,
            isprint (c) ? c : '?',
            c == '*' ? " (use `pattern: \"*.zone\"`)" : "");
      h[i] = (char)tolower (c);
      label++;
    }
  *out = steal_pointer (&h);
  return 0;
}

static int
parse_ports (struct ctx *x, yaml_node_t *n, struct ab_proxy_rule *r)
{
  yaml_node_t *item;
  size_t count;

  if (expect_list (x, n, "ports") < 0)
    return -1;
  count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
  if (count == 0)
    return ab_yaml_error (
        x->err, x->file, n,
        "ports: empty list (leave `ports` out to allow any port)");
  r->ports = calloc (count, sizeof *r->ports);
  if (r->ports == NULL)
    return oom (x);
  FOR_ITEMS (x, n, item)
  {
    long v;

    if (ab_yaml_get_long (x->file, item, &v, x->err) < 0)
      return -1;
    if (v < 1 || v > 65535)
      return ab_yaml_error (x->err, x->file, item,
                            "ports: %ld is not a port (1-65535)", v);
    r->ports[r->n_ports++] = (unsigned short)v;
  }
  return 0;
}

struct proxy_entry
{
  yaml_node_t *domain, *pattern, *ports;
};

static int
take_node (struct ctx *x, yaml_node_t *val, void *out)
{
  *(yaml_node_t **)out = val;
  return 0;
}

static const struct field proxy_entry_fields[] = {
  { "domain", take_node, offsetof (struct proxy_entry, domain) },
  { "pattern", take_node, offsetof (struct proxy_entry, pattern) },
  { "ports", take_node, offsetof (struct proxy_entry, ports) },
  { NULL, NULL, 0 },
};

static int
parse_proxy_entry (struct ctx *x, yaml_node_t *n, struct ab_proxy_rule *r)
{
  struct proxy_entry e = { 0 };
  const char *s;

  if (walk_map (x, n, "proxy entry", proxy_entry_fields, &e) < 0)
    return -1;
  if ((e.domain == NULL) == (e.pattern == NULL))
    return ab_yaml_error (
        x->err, x->file, n,
        "proxy entry: give exactly one of `domain` or `pattern`");
  if (set_loc (x, &r->loc, n) < 0)
    return -1;
  if (e.ports && parse_ports (x, e.ports, r) < 0)
    return -1;
  if (e.domain)
    {
      r->match = AB_PROXY_DOMAIN;
      return get_str (x, e.domain, "domain", &s) < 0
                 ? -1
                 : normalize_host (x, e.domain, s, &r->host);
    }
  r->match = AB_PROXY_PATTERN;
  if (get_str (x, e.pattern, "pattern", &s) < 0)
    return -1;
  /* Only "*.zone": anything richer belongs in Cedar (Host::"*.zone"). */
  if (strncmp (s, "*.", 2) != 0)
    return ab_yaml_error (
        x->err, x->file, e.pattern,
        "pattern `%s`: must be \"*.zone\" (for one host use `domain`)", s);
  return normalize_host (x, e.pattern, s + 2, &r->host);
}

static int
parse_proxy_list (struct ctx *x, yaml_node_t *n, void *out)
{
  struct ab_proxy_rules *rules = out;
  yaml_node_t *item;

  if (is_null (n))
    return 0;
  if (expect_list (x, n, "proxy list") < 0)
    return -1;
  FOR_ITEMS (x, n, item)
  {
    struct ab_proxy_rule *r = VEC_PUSH (rules);

    if (r == NULL)
      return oom (x);
    if (parse_proxy_entry (x, item, r) < 0)
      return -1;
  }
  return 0;
}

static const struct field proxy_fields[] = {
  { "allow", parse_proxy_list, offsetof (struct ab_projconf, proxy_allow) },
  { "deny", parse_proxy_list, offsetof (struct ab_projconf, proxy_deny) },
  { NULL, NULL, 0 },
};

static int
parse_proxy (struct ctx *x, yaml_node_t *n, void *out)
{
  return is_null (n) ? 0 : walk_map (x, n, "proxy", proxy_fields, x->c);
}

/* ---- hostexec ---------------------------------------------------------- */

static const struct field hostexec_entry_fields[] = {
  { "pattern", take_node, 0 },
  { NULL, NULL, 0 },
};

static int
parse_hostexec_entry (struct ctx *x, yaml_node_t *n, enum ab_hostexec_list l)
{
  struct ab_hostexec_pattern *p;
  yaml_node_t *pat = n;
  const char *s;

  /* A plain string is the pattern; `{pattern: ...}` is the same thing,
   * for symmetry with the proxy lists. */
  if (n && n->type == YAML_MAPPING_NODE)
    {
      pat = NULL;
      if (walk_map (x, n, "hostexec entry", hostexec_entry_fields, &pat) < 0)
        return -1;
      if (pat == NULL)
        return ab_yaml_error (x->err, x->file, n,
                              "hostexec entry: `pattern` is missing");
    }
  if (get_str (x, pat, ab_hostexec_list_name (l), &s) < 0)
    return -1;
  /* Compile now so a bad regex is reported where it was written. */
  if (ab_hostexec_add (x->check, l, s, x->file,
                       (unsigned)pat->start_mark.line + 1,
                       (unsigned)pat->start_mark.column + 1, x->err)
      < 0)
    return -1;
  p = VEC_PUSH (&x->c->hostexec[l]);
  if (p == NULL || (p->pattern = strdup (s)) == NULL)
    return oom (x);
  return set_loc (x, &p->loc, pat);
}

static int
parse_hostexec_list (struct ctx *x, yaml_node_t *n, enum ab_hostexec_list l)
{
  yaml_node_t *item;

  if (is_null (n))
    return 0;
  if (expect_list (x, n, ab_hostexec_list_name (l)) < 0)
    return -1;
  FOR_ITEMS (x, n, item)
  if (parse_hostexec_entry (x, item, l) < 0)
    return -1;
  return 0;
}

static int
parse_he_deny (struct ctx *x, yaml_node_t *n, void *out)
{
  return parse_hostexec_list (x, n, AB_HOSTEXEC_DENY);
}

static int
parse_he_auto (struct ctx *x, yaml_node_t *n, void *out)
{
  return parse_hostexec_list (x, n, AB_HOSTEXEC_AUTO_APPROVE);
}

static int
parse_he_manual (struct ctx *x, yaml_node_t *n, void *out)
{
  return parse_hostexec_list (x, n, AB_HOSTEXEC_MANUAL_APPROVE);
}

static const struct field hostexec_fields[] = {
  { "auto_approve", parse_he_auto, 0 },
  { "manual_approve", parse_he_manual, 0 },
  { "deny", parse_he_deny, 0 },
  { NULL, NULL, 0 },
};

static int
parse_hostexec (struct ctx *x, yaml_node_t *n, void *out)
{
  return is_null (n) ? 0 : walk_map (x, n, "hostexec", hostexec_fields, NULL);
}

/* ---- refs, env, mode --------------------------------------------------- */

/* Absolute, and no `..` component: a ref names one place, and the
 * container side must not climb out of where it is put. */
static int
check_path (struct ctx *x, yaml_node_t *n, const char *what, const char *s)
{
  const char *p = s;

  if (s[0] != '/')
    return ab_yaml_error (x->err, x->file, n,
                          "%s `%s`: must be an absolute path%s", what, s,
                          s[0] == '~' ? " (`~` is not expanded)" : "");
  while ((p = strstr (p, "..")) != NULL)
    {
      if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
        return ab_yaml_error (x->err, x->file, n,
                              "%s `%s`: `..` is not allowed", what, s);
      p += 2;
    }
  return 0;
}

struct ref_entry
{
  yaml_node_t *path, *target;
};

static const struct field ref_fields[] = {
  { "path", take_node, offsetof (struct ref_entry, path) },
  { "target", take_node, offsetof (struct ref_entry, target) },
  { NULL, NULL, 0 },
};

static int
parse_ref (struct ctx *x, yaml_node_t *n)
{
  struct ref_entry e = { 0 };
  struct ab_ref *r;
  const char *path, *target;

  if (walk_map (x, n, "ref", ref_fields, &e) < 0)
    return -1;
  if (e.path == NULL)
    return ab_yaml_error (x->err, x->file, n, "ref: `path` is missing");
  if (get_str (x, e.path, "ref path", &path) < 0
      || check_path (x, e.path, "ref path", path) < 0)
    return -1;
  target = path;
  if (e.target
      && (get_str (x, e.target, "ref target", &target) < 0
          || check_path (x, e.target, "ref target", target) < 0))
    return -1;
  r = VEC_PUSH (&x->c->refs);
  if (r == NULL || (r->path = strdup (path)) == NULL
      || (r->target = strdup (target)) == NULL)
    return oom (x);
  return set_loc (x, &r->loc, n);
}

static int
parse_refs (struct ctx *x, yaml_node_t *n, void *out)
{
  yaml_node_t *item;

  if (is_null (n))
    return 0;
  if (expect_list (x, n, "refs") < 0)
    return -1;
  FOR_ITEMS (x, n, item)
  if (parse_ref (x, item) < 0)
    return -1;
  return 0;
}

static bool
env_name_ok (const char *s)
{
  if (!(isalpha ((unsigned char)s[0]) || s[0] == '_'))
    return false;
  for (; *s; s++)
    if (!(isalnum ((unsigned char)*s) || *s == '_'))
      return false;
  return true;
}

static int
get_env_name (struct ctx *x, yaml_node_t *n, const char *what, const char **s)
{
  if (get_str (x, n, what, s) < 0)
    return -1;
  if (!env_name_ok (*s))
    return ab_yaml_error (x->err, x->file, n,
                          "%s: `%s` is not an environment variable name", what,
                          *s);
  return 0;
}

static int
parse_env (struct ctx *x, yaml_node_t *n, void *out)
{
  yaml_node_t *item;

  if (is_null (n))
    return 0;
  if (expect_list (x, n, "env") < 0)
    return -1;
  FOR_ITEMS (x, n, item)
  {
    struct ab_env_name *e;
    const char *s;

    if (get_env_name (x, item, "env", &s) < 0)
      return -1;
    e = VEC_PUSH (&x->c->env);
    if (e == NULL || (e->name = strdup (s)) == NULL)
      return oom (x);
    if (set_loc (x, &e->loc, item) < 0)
      return -1;
  }
  return 0;
}

static int
parse_mode (struct ctx *x, yaml_node_t *n, void *out)
{
  static const char *const names[] = { "record", "shadow", "enforce" };
  const char *s;

  if (get_str (x, n, "mode", &s) < 0)
    return -1;
  for (int i = 0; i < 3; i++)
    if (strcmp (s, names[i]) == 0)
      {
        x->c->mode = (enum ab_yaml_mode) (AB_YAML_MODE_RECORD + i);
        return set_loc (x, &x->c->mode_loc, n);
      }
  return ab_yaml_error (x->err, x->file, n,
                        "mode `%s`: expected enforce, shadow or record", s);
}

/* ---- secrets ----------------------------------------------------------- */

struct secret_entry
{
  yaml_node_t *env, *file, *header, *hosts;
};

static const struct field secret_fields[] = {
  { "env", take_node, offsetof (struct secret_entry, env) },
  { "file", take_node, offsetof (struct secret_entry, file) },
  { "header", take_node, offsetof (struct secret_entry, header) },
  { "hosts", take_node, offsetof (struct secret_entry, hosts) },
  { NULL, NULL, 0 },
};

/* "Name: value" with ${secret} somewhere in the value. */
static int
check_header (struct ctx *x, yaml_node_t *n, const char *s)
{
  const char *colon = strchr (s, ':');

  if (colon == NULL || colon == s)
    return ab_yaml_error (x->err, x->file, n,
                          "header `%s`: expected \"Name: value\"", s);
  for (const char *p = s; p < colon; p++)
    if (!isalnum ((unsigned char)*p) && !strchr ("!#$%&'*+-.^_`|~", *p))
      return ab_yaml_error (x->err, x->file, n, "header `%s`: bad header name",
                            s);
  if (strstr (colon, "${secret}") == NULL)
    return ab_yaml_error (x->err, x->file, n,
                          "header `%s`: the value must contain ${secret}", s);
  if (strpbrk (s, "\r\n"))
    return ab_yaml_error (x->err, x->file, n,
                          "header: line breaks are not allowed");
  return 0;
}

static int
parse_secret_hosts (struct ctx *x, yaml_node_t *n, struct ab_secret *sec)
{
  yaml_node_t *item;
  size_t count, i = 0;

  if (expect_list (x, n, "secret hosts") < 0)
    return -1;
  count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
  sec->hosts = calloc (count + 1, sizeof *sec->hosts);
  if (sec->hosts == NULL)
    return oom (x);
  FOR_ITEMS (x, n, item)
  {
    const char *s;

    if (get_str (x, item, "secret hosts", &s) < 0)
      return -1;
    if (normalize_host (x, item, s, &sec->hosts[i++]) < 0)
      return -1;
  }
  return 0;
}

static int
parse_secret (struct ctx *x, yaml_node_t *k, yaml_node_t *n,
              struct ab_secret *sec)
{
  struct secret_entry e = { 0 };
  const char *from, *header;

  if (walk_map (x, n, "secret", secret_fields, &e) < 0)
    return -1;
  if ((e.env == NULL) == (e.file == NULL))
    return ab_yaml_error (x->err, x->file, n,
                          "secret: give exactly one of `env` or `file`");
  sec->source = e.env ? AB_SECRET_ENV : AB_SECRET_FILE;
  if (e.env ? get_env_name (x, e.env, "secret env", &from) < 0
            : (get_str (x, e.file, "secret file", &from) < 0
               || check_path (x, e.file, "secret file", from) < 0))
    return -1;
  if ((sec->from = strdup (from)) == NULL)
    return oom (x);
  /* A header without hosts would go to every host: refused. */
  if ((e.header == NULL) != (e.hosts == NULL))
    return ab_yaml_error (
        x->err, x->file, n,
        "secret: `header` and `hosts` go together (a secret is "
        "only injected for the hosts it names)");
  if (e.header == NULL)
    return 0;
  if (get_str (x, e.header, "secret header", &header) < 0
      || check_header (x, e.header, header) < 0)
    return -1;
  if ((sec->header = strdup (header)) == NULL)
    return oom (x);
  return parse_secret_hosts (x, e.hosts, sec);
}

static int
parse_secrets (struct ctx *x, yaml_node_t *n, void *out)
{
  if (is_null (n))
    return 0;
  if (n->type != YAML_MAPPING_NODE)
    return ab_yaml_error (x->err, x->file, n,
                          "secrets: expected a mapping, got %s",
                          ab_yaml_type_name (n));
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
       p < n->data.mapping.pairs.top; p++)
    {
      yaml_node_t *k = node_at (x, p->key);
      struct ab_secret *sec;
      const char *name;

      if (get_env_name (x, k, "secret name", &name) < 0
          || check_duplicate (x, n, p, name, k) < 0)
        return -1;
      sec = VEC_PUSH (&x->c->secrets);
      if (sec == NULL || (sec->name = strdup (name)) == NULL)
        return oom (x);
      if (set_loc (x, &sec->loc, k) < 0
          || parse_secret (x, k, node_at (x, p->value), sec) < 0)
        return -1;
    }
  return 0;
}

/* ---- top level --------------------------------------------------------- */

static const struct field top_fields[] = {
  { "mode", parse_mode, 0 },
  { "proxy", parse_proxy, 0 },
  { "hostexec", parse_hostexec, 0 },
  { "refs", parse_refs, 0 },
  { "env", parse_env, 0 },
  { "secrets", parse_secrets, 0 },
  { NULL, NULL, 0 },
};

/* A decision file is written by the approval flow: it may widen or narrow
 * what the proxy and hostexec allow, never mounts, env, secrets or mode. */
static const struct field decision_fields[] = {
  { "proxy", parse_proxy, 0 },
  { "hostexec", parse_hostexec, 0 },
  { NULL, NULL, 0 },
};

static int
parse_doc (struct ctx *x)
{
  yaml_node_t *root = yaml_document_get_root_node (x->doc);

  if (root == NULL || is_null (root))
    return 0; /* an empty file is an empty layer */
  if (x->layer == AB_YAML_LAYER_DECISIONS)
    return walk_map (x, root, "approval decisions", decision_fields, NULL);
  return walk_map (x, root, "config", top_fields, NULL);
}

static int
load_doc (const char *name, yaml_document_t *doc, enum ab_yaml_layer layer,
          struct ab_projconf **out, ab_error_t *err)
{
  cleanup_projconf struct ab_projconf *c = ab_projconf_new ();
  cleanup_hostexec struct ab_hostexec *check = ab_hostexec_new ();
  struct ctx x = { .file = name, .doc = doc, .layer = layer, .err = err };

  if (c == NULL || check == NULL)
    return ab_error_set (err, ENOMEM, "%s: out of memory", name);
  x.c = c;
  x.check = check;
  if (parse_doc (&x) < 0)
    return -1;
  *out = steal_pointer (&c);
  return 0;
}

int
ab_projconf_load_string (const char *name, const char *data, size_t len,
                         enum ab_yaml_layer layer, struct ab_projconf **out,
                         ab_error_t *err)
{
  cleanup_yaml_doc yaml_document_t doc;

  if (ab_yaml_load_string (name, data, len, &doc, err) < 0)
    return -1;
  return load_doc (name, &doc, layer, out, err);
}

int
ab_projconf_load (const char *path, enum ab_yaml_layer layer,
                  struct ab_projconf **out, ab_error_t *err)
{
  cleanup_yaml_doc yaml_document_t doc;

  if (ab_yaml_load (path, &doc, err) < 0)
    return -1;
  return load_doc (path, &doc, layer, out, err);
}
