/* agentbox: the `network:` section of config.yaml (docs/network.md).
 * Ranges are validated here, once, so that every layer (shim, hook,
 * guardian) reads the same parsed values. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "policy/ir.h"
#include "shim/lib/config.h"

#define DEFAULT_POLICY AB_SYSCONFDIR "/agentbox/policy.cedar"

/* "ADDR/LEN" of family AF into ADDR and LEN.  The host bits must be zero:
 * a range written with them set is a typo more often than not. */
static int
parse_cidr (int af, const char *s, void *addr, unsigned *len)
{
  unsigned max = af == AF_INET ? 32 : 128;
  char buf[64], *slash, *end;
  unsigned long l;
  const unsigned char *b = addr;

  if (strlen (s) >= sizeof buf)
    return -1;
  strcpy (buf, s);
  slash = strchr (buf, '/');
  if (slash == NULL)
    return -1;
  *slash = '\0';
  errno = 0;
  l = strtoul (slash + 1, &end, 10);
  if (errno || *end || end == slash + 1 || l > max)
    return -1;
  if (inet_pton (af, buf, addr) != 1)
    return -1;
  for (unsigned bit = (unsigned)l; bit < max; bit++)
    if (b[bit / 8] & (0x80 >> (bit % 8)))
      return -1;
  *len = (unsigned)l;
  return 0;
}

int
ab_config_net_defaults (struct ab_netconf *n)
{
  static const char *const policy[] = { DEFAULT_POLICY, NULL };

  memset (n, 0, sizeof *n);
  n->enabled = n->ipv6 = true;
  parse_cidr (AF_INET, "100.96.0.0/16", &n->ct4, &n->ct4_len);
  parse_cidr (AF_INET6, "fd61:6762:6f78:1::/64", &n->ct6, &n->ct6_len);
  parse_cidr (AF_INET, "198.18.0.0/15", &n->syn4, &n->syn4_len);
  parse_cidr (AF_INET6, "fd61:6762:6f78:5::/96", &n->syn6, &n->syn6_len);
  n->ports[0] = 80;
  n->ports[1] = 443;
  n->n_ports = 2;
  n->proxy_port = 3128;
  n->audit_log = strdup ("/var/log/agentbox/audit.jsonl");
  n->policy_dir = strdup (AB_SYSCONFDIR "/agentbox/policies");
  n->annotation_modes = 1u << AB_IR_MODE_ENFORCE;
  n->policy = calloc (2, sizeof (char *));
  if (n->policy)
    n->policy[0] = strdup (policy[0]);
  return n->audit_log && n->policy_dir && n->policy && n->policy[0] ? 0 : -1;
}

void
ab_config_net_free (struct ab_netconf *n)
{
  free (n->upstream_netns);
  free (n->resolver);
  free (n->audit_log);
  free (n->guardian);
  free (n->hook);
  free (n->policy_dir);
  ab_strvfree (n->policy);
}

static int
get_cidr (const char *file, yaml_node_t *v, int af, unsigned min_host_bits,
          void *addr, unsigned *len, ab_error_t *err)
{
  const char *s;
  unsigned max = af == AF_INET ? 32 : 128;

  if (ab_yaml_get_string (file, v, &s, err) < 0)
    return -1;
  if (parse_cidr (af, s, addr, len) < 0)
    return ab_yaml_error (err, file, v,
                          "`%s`: expected an IPv%d range ADDR/LEN with the "
                          "host bits zero",
                          s, af == AF_INET ? 4 : 6);
  if (max - *len < min_host_bits)
    return ab_yaml_error (err, file, v, "`%s`: range too small", s);
  return 0;
}

static int
get_port (const char *file, yaml_node_t *v, unsigned *port, ab_error_t *err)
{
  long l;

  if (ab_yaml_get_long (file, v, &l, err) < 0)
    return -1;
  if (l < 1 || l > 65535)
    return ab_yaml_error (err, file, v, "port %ld out of range 1-65535", l);
  *port = (unsigned)l;
  return 0;
}

static int
get_ports (const char *file, yaml_document_t *doc, yaml_node_t *v,
           struct ab_netconf *n, ab_error_t *err)
{
  if (v->type != YAML_SEQUENCE_NODE)
    return ab_yaml_error (err, file, v, "`network.ports`: expected a list");
  n->n_ports = 0;
  for (yaml_node_item_t *i = v->data.sequence.items.start;
       i < v->data.sequence.items.top; i++)
    {
      yaml_node_t *item = yaml_document_get_node (doc, *i);
      if (n->n_ports == sizeof n->ports / sizeof n->ports[0])
        return ab_yaml_error (err, file, item, "more than %zu ports",
                              sizeof n->ports / sizeof n->ports[0]);
      if (get_port (file, item, &n->ports[n->n_ports++], err) < 0)
        return -1;
    }
  return 0;
}

static int
get_resolver (const char *file, yaml_node_t *v, char **dst, ab_error_t *err)
{
  const char *s;
  char host[64];
  unsigned port = 53;
  unsigned char a[16];

  if (ab_yaml_get_string (file, v, &s, err) < 0)
    return -1;
  /* "IP", "IPv4:PORT" or "[IPv6]:PORT". */
  if (s[0] == '[' ? sscanf (s, "[%63[0-9a-fA-F:.]]:%u", host, &port) != 2
                  : (sscanf (s, "%63[0-9.]:%u", host, &port) < 1
                     && sscanf (s, "%63[0-9a-fA-F:]", host) != 1))
    goto bad;
  if (strchr (s, ':') && s[0] != '[' && strchr (s, '.') == NULL)
    snprintf (host, sizeof host, "%s", s), port = 53; /* bare IPv6 */
  if ((inet_pton (AF_INET, host, a) != 1 && inet_pton (AF_INET6, host, a) != 1)
      || port < 1 || port > 65535)
    goto bad;
  free (*dst);
  return (*dst = strdup (s)) ? 0 : ab_error_set (err, ENOMEM, "oom");
bad:
  return ab_yaml_error (err, file, v,
                        "`%s`: expected IP, IPv4:PORT or [IPv6]:PORT", s);
}

/* `annotation_modes`: the modes io.agentbox.mode may ask for. */
static int
get_modes (const char *file, yaml_document_t *doc, yaml_node_t *v,
           unsigned *modes, ab_error_t *err)
{
  char **list = NULL;
  unsigned m = 0;
  int r = 0;

  if (ab_yaml_get_strv (file, doc, v, &list, err) < 0)
    return -1;
  for (char **s = list; *s && r == 0; s++)
    {
      enum ab_ir_mode mode;

      if (ab_ir_mode_parse (*s, &mode) < 0)
        r = ab_yaml_error (err, file, v,
                           "`%s`: not a mode (enforce, shadow, record)", *s);
      else
        m |= 1u << mode;
    }
  ab_strvfree (list);
  if (r == 0)
    *modes = m;
  return r;
}

int
ab_config_net_key (const char *file, yaml_document_t *doc, const char *key,
                   yaml_node_t *k, yaml_node_t *v, void *data, ab_error_t *err)
{
  struct ab_netconf *n = data;

  if (strcmp (key, "enabled") == 0)
    return ab_yaml_get_bool (file, v, &n->enabled, err);
  if (strcmp (key, "ipv6") == 0)
    return ab_yaml_get_bool (file, v, &n->ipv6, err);
  /* A /31 per container, so at least two host bits; likewise /127. */
  if (strcmp (key, "container_range4") == 0)
    return get_cidr (file, v, AF_INET, 2, &n->ct4, &n->ct4_len, err);
  if (strcmp (key, "container_range6") == 0)
    return get_cidr (file, v, AF_INET6, 2, &n->ct6, &n->ct6_len, err);
  if (strcmp (key, "synthetic_range4") == 0)
    return get_cidr (file, v, AF_INET, 4, &n->syn4, &n->syn4_len, err);
  if (strcmp (key, "synthetic_range6") == 0)
    return get_cidr (file, v, AF_INET6, 4, &n->syn6, &n->syn6_len, err);
  if (strcmp (key, "ports") == 0)
    return get_ports (file, doc, v, n, err);
  if (strcmp (key, "proxy_port") == 0)
    return get_port (file, v, &n->proxy_port, err);
  if (strcmp (key, "upstream_netns") == 0)
    return ab_config_get_string (file, v, &n->upstream_netns, true, err);
  if (strcmp (key, "resolver") == 0)
    return get_resolver (file, v, &n->resolver, err);
  if (strcmp (key, "audit_log") == 0)
    return ab_config_get_string (file, v, &n->audit_log, true, err);
  if (strcmp (key, "guardian") == 0)
    return ab_config_get_string (file, v, &n->guardian, true, err);
  if (strcmp (key, "hook") == 0)
    return ab_config_get_string (file, v, &n->hook, true, err);
  if (strcmp (key, "annotation_modes") == 0)
    return get_modes (file, doc, v, &n->annotation_modes, err);
  if (strcmp (key, "policy_dir") == 0)
    return ab_config_get_string (file, v, &n->policy_dir, true, err);
  if (strcmp (key, "policy") == 0)
    {
      char **list = NULL;
      if (ab_yaml_get_strv (file, doc, v, &list, err) < 0)
        return -1;
      ab_strvfree (n->policy);
      n->policy = list;
      n->policy_set = true;
      return 0;
    }
  return ab_yaml_error (err, file, k, "unknown key `network.%s`", key);
}
