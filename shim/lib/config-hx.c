/* agentbox: the `hostexec:` section of config.yaml (docs/hostexec.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "shim/lib/config.h"

int
ab_config_hx_defaults (struct ab_hxconf *h)
{
  static const char *const env[]
      = { "TERM", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "NO_COLOR", "CI", NULL };
  size_t n = sizeof env / sizeof env[0];

  memset (h, 0, sizeof *h);
  h->enabled = true;
  h->command_timeout = 600;
  h->approval_timeout = 300;
  h->output_limit = 64LL << 20;
  h->limit_nofile = 1024;
  h->path = strdup ("/usr/local/bin:/usr/bin:/bin");
  h->pass_env = calloc (n, sizeof (char *));
  for (size_t i = 0; h->pass_env && env[i]; i++)
    if (!(h->pass_env[i] = strdup (env[i])))
      return -1;
  return h->path && h->pass_env ? 0 : -1;
}

void
ab_config_hx_free (struct ab_hxconf *h)
{
  ab_strvfree (h->pass_env);
  free (h->path);
  free (h->client);
}

static int
get_seconds (const char *file, yaml_node_t *v, unsigned *out, ab_error_t *err)
{
  long l;

  if (ab_yaml_get_long (file, v, &l, err) < 0)
    return -1;
  if (l < 1 || l > 7 * 24 * 3600)
    return ab_yaml_error (err, file, v, "%ld: expected 1 to 604800 seconds", l);
  *out = (unsigned)l;
  return 0;
}

static bool
env_name_ok (const char *s)
{
  if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
    return false;
  for (s++; *s; s++)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')
          || (*s >= '0' && *s <= '9') || *s == '_'))
      return false;
  return true;
}

static int
limit_key (const char *file, yaml_document_t *doc, const char *key,
           yaml_node_t *k, yaml_node_t *v, void *data, ab_error_t *err)
{
  struct ab_hxconf *h = data;
  long long *dst = strcmp (key, "nofile") == 0          ? &h->limit_nofile
                   : strcmp (key, "nproc") == 0         ? &h->limit_nproc
                   : strcmp (key, "address_space") == 0 ? &h->limit_as
                   : strcmp (key, "cpu") == 0           ? &h->limit_cpu
                                                        : NULL;
  long l;

  if (dst == NULL)
    return ab_yaml_error (err, file, k, "unknown key `hostexec.limits.%s`",
                          key);
  if (ab_yaml_get_long (file, v, &l, err) < 0)
    return -1;
  if (l < 0)
    return ab_yaml_error (err, file, v, "%s: must be 0 (none) or more", key);
  *dst = l;
  return 0;
}

int
ab_config_hx_key (const char *file, yaml_document_t *doc, const char *key,
                  yaml_node_t *k, yaml_node_t *v, void *data, ab_error_t *err)
{
  struct ab_hxconf *h = data;

  if (strcmp (key, "limits") == 0)
    return ab_yaml_mapping_each (file, doc, v, limit_key, h, err);
  if (strcmp (key, "enabled") == 0)
    return ab_yaml_get_bool (file, v, &h->enabled, err);
  if (strcmp (key, "command_timeout") == 0)
    return get_seconds (file, v, &h->command_timeout, err);
  if (strcmp (key, "approval_timeout") == 0)
    return get_seconds (file, v, &h->approval_timeout, err);
  if (strcmp (key, "output_limit") == 0)
    {
      long l;
      if (ab_yaml_get_long (file, v, &l, err) < 0)
        return -1;
      if (l < 1)
        return ab_yaml_error (err, file, v, "output_limit must be positive");
      h->output_limit = l;
      return 0;
    }
  if (strcmp (key, "vsock_port") == 0)
    {
      long l;
      if (ab_yaml_get_long (file, v, &l, err) < 0)
        return -1;
      if (l < 0 || l > 0xfffffffeL)
        return ab_yaml_error (err, file, v, "vsock_port %ld out of range", l);
      h->vsock_port = (unsigned)l;
      return 0;
    }
  if (strcmp (key, "path") == 0)
    return ab_config_get_string (file, v, &h->path, false, err);
  if (strcmp (key, "client") == 0)
    return ab_config_get_string (file, v, &h->client, true, err);
  if (strcmp (key, "pass_env") == 0)
    {
      char **list = NULL;
      if (ab_yaml_get_strv (file, doc, v, &list, err) < 0)
        return -1;
      for (char **e = list; *e; e++)
        if (!env_name_ok (*e) || strcmp (*e, "PATH") == 0)
          {
            ab_strvfree (list);
            return ab_yaml_error (err, file, v,
                                  "pass_env: `%s` is not a variable name the "
                                  "client may send",
                                  *e);
          }
      ab_strvfree (h->pass_env);
      h->pass_env = list;
      return 0;
    }
  return ab_yaml_error (err, file, k, "unknown key `hostexec.%s`", key);
}
