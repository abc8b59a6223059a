/* agentbox: the YAML project config — lifetime, merging of layers and
 * the reference proxy/hostexec queries (see yaml.h, docs/policy-yaml.md). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/cleanup.h"
#include "policy/ir.h"
#include "policy/yaml-internal.h"
#include "policy/yaml.h"

/* ---- lifetime ---------------------------------------------------------- */

struct ab_projconf *
ab_projconf_new (void)
{
  return calloc (1, sizeof (struct ab_projconf));
}

static void
free_proxy_rule (struct ab_proxy_rule *r)
{
  free (r->host);
  free (r->ports);
  free (r->loc.file);
}

static void
free_ref (struct ab_ref *r)
{
  free (r->path);
  free (r->target);
  free (r->loc.file);
}

static void
free_secret (struct ab_secret *s)
{
  free (s->name);
  free (s->from);
  free (s->header);
  ab_strvfree (s->hosts);
  free (s->loc.file);
}

void
ab_projconf_free (struct ab_projconf *c)
{
  if (c == NULL)
    return;
  for (size_t i = 0; i < c->proxy_allow.len; i++)
    free_proxy_rule (&c->proxy_allow.v[i]);
  for (size_t i = 0; i < c->proxy_deny.len; i++)
    free_proxy_rule (&c->proxy_deny.v[i]);
  free (c->proxy_allow.v);
  free (c->proxy_deny.v);
  for (int l = 0; l < AB_HOSTEXEC_N_LISTS; l++)
    {
      for (size_t i = 0; i < c->hostexec[l].len; i++)
        {
          free (c->hostexec[l].v[i].pattern);
          free (c->hostexec[l].v[i].loc.file);
        }
      free (c->hostexec[l].v);
    }
  for (size_t i = 0; i < c->refs.len; i++)
    free_ref (&c->refs.v[i]);
  free (c->refs.v);
  for (size_t i = 0; i < c->env.len; i++)
    {
      free (c->env.v[i].name);
      free (c->env.v[i].loc.file);
    }
  free (c->env.v);
  for (size_t i = 0; i < c->secrets.len; i++)
    free_secret (&c->secrets.v[i]);
  free (c->secrets.v);
  free (c->mode_loc.file);
  free (c);
}

/* ---- merge ------------------------------------------------------------- */

/* strdup that keeps NULL as NULL; *OK goes false on allocation failure. */
static char *
dup_or_null (const char *s, bool *ok)
{
  char *d;

  if (s == NULL)
    return NULL;
  d = strdup (s);
  if (d == NULL)
    *ok = false;
  return d;
}

static bool
copy_loc (struct ab_yaml_loc *d, const struct ab_yaml_loc *s)
{
  bool ok = true;

  *d = *s;
  d->file = dup_or_null (s->file, &ok);
  return ok;
}

static bool
copy_proxy_rule (struct ab_proxy_rule *d, const struct ab_proxy_rule *s)
{
  bool ok = copy_loc (&d->loc, &s->loc);

  d->match = s->match;
  d->host = dup_or_null (s->host, &ok);
  if (s->n_ports)
    {
      d->ports = calloc (s->n_ports, sizeof *d->ports);
      if (d->ports == NULL)
        return false;
      memcpy (d->ports, s->ports, s->n_ports * sizeof *d->ports);
      d->n_ports = s->n_ports;
    }
  return ok;
}

static bool
copy_secret (struct ab_secret *d, const struct ab_secret *s)
{
  bool ok = copy_loc (&d->loc, &s->loc);
  size_t n = 0;

  d->name = dup_or_null (s->name, &ok);
  d->source = s->source;
  d->from = dup_or_null (s->from, &ok);
  d->header = dup_or_null (s->header, &ok);
  if (s->hosts == NULL)
    return ok;
  while (s->hosts[n])
    n++;
  d->hosts = calloc (n + 1, sizeof *d->hosts);
  if (d->hosts == NULL)
    return false;
  for (size_t i = 0; i < n; i++)
    d->hosts[i] = dup_or_null (s->hosts[i], &ok);
  return ok;
}

static int
merge_proxy (struct ab_proxy_rules *d, const struct ab_proxy_rules *s)
{
  for (size_t i = 0; i < s->len; i++)
    {
      struct ab_proxy_rule *r = VEC_PUSH (d);

      if (r == NULL || !copy_proxy_rule (r, &s->v[i]))
        return -1;
    }
  return 0;
}

static int
merge_hostexec (struct ab_hostexec_patterns *d,
                const struct ab_hostexec_patterns *s)
{
  for (size_t i = 0; i < s->len; i++)
    {
      struct ab_hostexec_pattern *p = VEC_PUSH (d);
      bool ok = true;

      if (p == NULL)
        return -1;
      p->pattern = dup_or_null (s->v[i].pattern, &ok);
      if (!copy_loc (&p->loc, &s->v[i].loc) || !ok)
        return -1;
    }
  return 0;
}

/* A later layer's ref for the same target replaces the earlier one. */
static int
merge_refs (struct ab_refs *d, const struct ab_refs *s)
{
  for (size_t i = 0; i < s->len; i++)
    {
      struct ab_ref *r = NULL;
      bool ok = true;

      for (size_t j = 0; j < d->len && r == NULL; j++)
        if (strcmp (d->v[j].target, s->v[i].target) == 0)
          {
            r = &d->v[j];
            free_ref (r);
            memset (r, 0, sizeof *r);
          }
      if (r == NULL && (r = VEC_PUSH (d)) == NULL)
        return -1;
      r->path = dup_or_null (s->v[i].path, &ok);
      r->target = dup_or_null (s->v[i].target, &ok);
      if (!copy_loc (&r->loc, &s->v[i].loc) || !ok)
        return -1;
    }
  return 0;
}

static int
merge_env (struct ab_env_names *d, const struct ab_env_names *s)
{
  for (size_t i = 0; i < s->len; i++)
    {
      struct ab_env_name *e;
      bool dup = false, ok = true;

      for (size_t j = 0; j < d->len && !dup; j++)
        dup = strcmp (d->v[j].name, s->v[i].name) == 0;
      if (dup)
        continue;
      if ((e = VEC_PUSH (d)) == NULL)
        return -1;
      e->name = dup_or_null (s->v[i].name, &ok);
      if (!copy_loc (&e->loc, &s->v[i].loc) || !ok)
        return -1;
    }
  return 0;
}

/* A later layer's secret of the same name replaces the earlier one. */
static int
merge_secrets (struct ab_secrets *d, const struct ab_secrets *s)
{
  for (size_t i = 0; i < s->len; i++)
    {
      struct ab_secret *sec = NULL;

      for (size_t j = 0; j < d->len && sec == NULL; j++)
        if (strcmp (d->v[j].name, s->v[i].name) == 0)
          {
            sec = &d->v[j];
            free_secret (sec);
            memset (sec, 0, sizeof *sec);
          }
      if (sec == NULL && (sec = VEC_PUSH (d)) == NULL)
        return -1;
      if (!copy_secret (sec, &s->v[i]))
        return -1;
    }
  return 0;
}

int
ab_projconf_merge (struct ab_projconf *dst, const struct ab_projconf *src,
                   ab_error_t *err)
{
  /* Fail closed on the mode: a later layer can tighten it, not loosen it
   * (record < shadow < enforce). */
  if (src->mode > dst->mode)
    {
      dst->mode = src->mode;
      free (dst->mode_loc.file);
      memset (&dst->mode_loc, 0, sizeof dst->mode_loc);
      if (!copy_loc (&dst->mode_loc, &src->mode_loc))
        goto nomem;
    }
  if (merge_proxy (&dst->proxy_allow, &src->proxy_allow) < 0
      || merge_proxy (&dst->proxy_deny, &src->proxy_deny) < 0
      || merge_refs (&dst->refs, &src->refs) < 0
      || merge_env (&dst->env, &src->env) < 0
      || merge_secrets (&dst->secrets, &src->secrets) < 0)
    goto nomem;
  for (int l = 0; l < AB_HOSTEXEC_N_LISTS; l++)
    if (merge_hostexec (&dst->hostexec[l], &src->hostexec[l]) < 0)
      goto nomem;
  return 0;
nomem:
  /* DST may now hold part of SRC: callers drop it (a merge is part of
   * building a new config, which is not swapped in on failure). */
  return ab_error_set (err, ENOMEM, "merge config: out of memory");
}

enum ab_yaml_mode
ab_projconf_mode (const struct ab_projconf *c)
{
  /* No layer said: enforce (default closed). */
  return c->mode == AB_YAML_MODE_UNSET ? AB_YAML_MODE_ENFORCE : c->mode;
}

const char *
ab_yaml_mode_name (enum ab_yaml_mode m)
{
  switch (m)
    {
    case AB_YAML_MODE_RECORD:
      return "record";
    case AB_YAML_MODE_SHADOW:
      return "shadow";
    case AB_YAML_MODE_ENFORCE:
      return "enforce";
    default:
      return "unset";
    }
}

/* ---- proxy reference semantics ---------------------------------------- */

static bool
host_matches (const struct ab_proxy_rule *r, const char *host, size_t len)
{
  size_t zl = strlen (r->host);

  if (r->match == AB_PROXY_DOMAIN)
    return len == zl && strncasecmp (host, r->host, len) == 0;
  /* "*.zone": at least one label below zone, at a label boundary. */
  return len > zl + 1 && host[len - zl - 1] == '.'
         && strncasecmp (host + len - zl, r->host, zl) == 0;
}

static bool
port_matches (const struct ab_proxy_rule *r, unsigned port)
{
  if (r->n_ports == 0)
    return true;
  for (size_t i = 0; i < r->n_ports; i++)
    if (r->ports[i] == port)
      return true;
  return false;
}

static const struct ab_proxy_rule *
first_match (const struct ab_proxy_rules *rules, const char *host, size_t len,
             unsigned port)
{
  for (size_t i = 0; i < rules->len; i++)
    if (host_matches (&rules->v[i], host, len)
        && port_matches (&rules->v[i], port))
      return &rules->v[i];
  return NULL;
}

bool
ab_projconf_proxy_allows (const struct ab_projconf *c, const char *host,
                          unsigned port, const struct ab_proxy_rule **rule)
{
  size_t len = strlen (host);
  const struct ab_proxy_rule *r;

  if (rule)
    *rule = NULL;
  if (len > 0 && host[len - 1] == '.')
    len--;
  if (len == 0)
    return false;
  /* Deny beats allow, whichever layer each came from. */
  if ((r = first_match (&c->proxy_deny, host, len, port)) != NULL)
    {
      if (rule)
        *rule = r;
      return false;
    }
  r = first_match (&c->proxy_allow, host, len, port);
  if (rule)
    *rule = r;
  return r != NULL; /* nothing matched: default deny */
}

/* ---- hostexec ---------------------------------------------------------- */

int
ab_projconf_hostexec (const struct ab_projconf *c, struct ab_hostexec **out,
                      ab_error_t *err)
{
  cleanup_hostexec struct ab_hostexec *h = ab_hostexec_new ();

  if (h == NULL)
    return ab_error_set (err, ENOMEM, "hostexec: out of memory");
  for (int l = 0; l < AB_HOSTEXEC_N_LISTS; l++)
    for (size_t i = 0; i < c->hostexec[l].len; i++)
      {
        const struct ab_hostexec_pattern *p = &c->hostexec[l].v[i];

        if (ab_hostexec_add (h, (enum ab_hostexec_list)l, p->pattern,
                             p->loc.file, p->loc.line, p->loc.col, err)
            < 0)
          return -1;
      }
  *out = steal_pointer (&h);
  return 0;
}

int
ab_projconf_ir_source (const struct ab_projconf *c, struct ab_ir_source *src,
                       ab_error_t *err)
{
  struct ab_hostexec *h = NULL;

  if (ab_projconf_hostexec (c, &h, err) < 0)
    return -1;
  ab_hostexec_free (src->hostexec);
  src->hostexec = h;
  src->yaml = c;
  switch (ab_projconf_mode (c))
    {
    case AB_YAML_MODE_RECORD:
      src->mode = AB_IR_MODE_RECORD;
      break;
    case AB_YAML_MODE_SHADOW:
      src->mode = AB_IR_MODE_SHADOW;
      break;
    default:
      src->mode = AB_IR_MODE_ENFORCE; /* unset: closed */
      break;
    }
  return 0;
}
