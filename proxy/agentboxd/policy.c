/* agentboxd: the policy in force and the network checks.
 *
 * The IR sits in a reload slot: a reload compiles the files into a fresh
 * IR and swaps it in only when whole; a connection holds its reference
 * while it decides.  Any error while deciding denies (closed). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "proxy/agentboxd/guardian.h"
#include "shim/lib/filelayer.h"

static struct ab_ir_slot slot;
static bool slot_ready;

int
policy_load (const struct ab_config *cfg, ab_error_t *err)
{
  struct ab_ir *ir = NULL;

  if (ab_config_load_policy (cfg, &ir, err) < 0)
    return -1;
  if (!slot_ready)
    {
      ab_ir_slot_init (&slot, ir);
      slot_ready = true;
    }
  else
    ab_ir_slot_swap (&slot, ir);
  return 0;
}

struct ab_ir *
policy_get (void)
{
  return ab_ir_slot_get (&slot);
}

static void
fill (struct ab_ir *ir, const struct ab_ir_result *res, bool ok,
      struct verdict *v)
{
  bool permits = ok && ab_ir_permits (ir, res);

  v->mode = ab_ir_mode_name (ab_ir_mode (ir));
  v->allow = permits;
  v->decision = ok && res->decision == AB_IR_ALLOW ? "allow"
                : permits                          ? "would-deny"
                                                   : "deny";
  if (ok && res->rule)
    snprintf (v->rule, sizeof v->rule, "%s:%u",
              res->rule->loc.file ? res->rule->loc.file : "?",
              res->rule->loc.line);
  else
    snprintf (v->rule, sizeof v->rule, "%s", ok ? "default" : "error");
}

static struct ab_ir_principal
principal (const struct container *c)
{
  struct ab_ir_principal p = { 0 };

  if (c)
    {
      p.container = c->id;
      p.project = c->project[0] ? c->project : NULL;
    }
  return p;
}

static bool
check_one (struct ab_ir *ir, const struct container *c, const char *name,
           unsigned port, struct verdict *v)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_ir_principal p = principal (c);
  struct ab_ir_result res = { 0 };
  int r = ab_ir_check_host (ir, &p, name, port, &res, &err);

  fill (ir, &res, r >= 0, v);
  return v->allow;
}

void
policy_check_host (const struct container *c, const char *name, unsigned port,
                   struct verdict *v)
{
  cleanup_ir struct ab_ir *ir = policy_get ();

  memset (v, 0, sizeof *v);
  v->decision = "deny";
  v->mode = "enforce";
  snprintf (v->rule, sizeof v->rule, "no policy");
  if (ir == NULL)
    return;
  if (port)
    {
      check_one (ir, c, name, port, v);
      return;
    }
  /* A name is answered when it may be reached on some port: the bare
   * name, or one of the ports the guardian serves. */
  if (check_one (ir, c, name, 0, v))
    return;
  for (unsigned i = 0; i < g_cfg->net.n_ports; i++)
    if (check_one (ir, c, name, g_cfg->net.ports[i], v))
      return;
}

/* Addresses that are not "the internet": a name that resolves to one of
 * them would turn the proxy into a way into the host or its network. */
static bool
special (const struct ab_cidr *a)
{
  static const char *const ranges[] = {
    "0.0.0.0/8",      "10.0.0.0/8",    "100.64.0.0/10", "127.0.0.0/8",
    "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",  "192.168.0.0/16",
    "198.18.0.0/15",  "224.0.0.0/3",   "::/128",        "::1/128",
    "fc00::/7",       "fe80::/10",     "ff00::/8",      "64:ff9b:1::/48",
  };
  for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
    {
      struct ab_cidr r;
      cleanup_error ab_error_t err = NULL;
      unsigned bits;

      if (ab_cidr_parse (ranges[i], &r, &err) < 0 || r.v6 != a->v6)
        continue;
      bits = r.prefix;
      if (memcmp (r.addr, a->addr, bits / 8) == 0
          && (bits % 8 == 0
              || ((r.addr[bits / 8] ^ a->addr[bits / 8])
                  & (0xff << (8 - bits % 8)))
                     == 0))
        return true;
    }
  return false;
}

void
policy_check_upstream_ip (const struct container *c,
                          const struct sockaddr_storage *sa, unsigned port,
                          struct verdict *v)
{
  cleanup_ir struct ab_ir *ir = policy_get ();
  cleanup_error ab_error_t err = NULL;
  struct ab_ir_principal p = principal (c);
  struct ab_ir_result res = { 0 };
  struct ab_cidr a = { 0 };
  int r;

  memset (v, 0, sizeof *v);
  v->mode = ir ? ab_ir_mode_name (ab_ir_mode (ir)) : "enforce";
  if (sa->ss_family == AF_INET)
    {
      memcpy (a.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
      a.prefix = 32;
    }
  else
    {
      memcpy (a.addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
      a.v6 = true;
      a.prefix = 128;
    }
  if (!special (&a))
    {
      v->allow = true;
      v->decision = "allow";
      snprintf (v->rule, sizeof v->rule, "public address");
      return;
    }
  v->decision = "deny";
  snprintf (v->rule, sizeof v->rule, "special-purpose address");
  if (ir == NULL)
    return;
  r = ab_ir_check_ip (ir, &p, &a, port, &res, &err);
  /* Only an explicit permit of that address lets it through. */
  if (r >= 0 && res.decision == AB_IR_ALLOW)
    fill (ir, &res, true, v);
}
