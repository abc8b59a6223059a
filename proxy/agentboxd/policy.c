/* agentboxd: the policy in force and the network checks.
 *
 * The IR sits in a reload slot: a reload compiles the files into a fresh
 * IR and swaps it in only when whole; a connection holds its reference
 * while it decides.  Any error while deciding denies (closed). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "proxy/agentboxd/guardian.h"
#include "shim/lib/filelayer.h"

static struct ab_ir_slot slot;
static bool slot_ready;

/* Narrowing policies (annotation io.agentbox.policy), compiled on first
 * use and shared by the containers that name them; a reload recompiles
 * them with the policy. */
struct narrow
{
  char *name;
  struct ab_ir *ir;
  struct narrow *next;
};
static struct narrow *narrows;

int
policy_load (const struct ab_config *cfg, ab_error_t *err)
{
  struct ab_ir *ir = NULL;
  size_t n = 0, i = 0;
  struct ab_ir **fresh;

  if (ab_config_load_policy (cfg, &ir, err) < 0)
    return -1;
  /* All or nothing: a narrowing policy that no longer compiles keeps
   * the old ones, and the old policy, in force. */
  for (struct narrow *w = narrows; w; w = w->next)
    n++;
  fresh = calloc (n + 1, sizeof *fresh);
  if (fresh == NULL)
    {
      ab_ir_unref (ir);
      return ab_error_set (err, ENOMEM, "out of memory");
    }
  for (struct narrow *w = narrows; w; w = w->next, i++)
    if (ab_config_load_narrow (cfg, w->name, &fresh[i], err) < 0)
      break;
  if (i < n)
    {
      while (i > 0)
        ab_ir_unref (fresh[--i]);
      free (fresh);
      ab_ir_unref (ir);
      return -1;
    }
  i = 0;
  for (struct narrow *w = narrows; w; w = w->next, i++)
    {
      ab_ir_unref (w->ir);
      w->ir = fresh[i];
    }
  free (fresh);
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

struct ab_ir *
policy_narrow (const char *name, ab_error_t *err)
{
  struct narrow *w;

  for (w = narrows; w; w = w->next)
    if (strcmp (w->name, name) == 0)
      return ab_ir_ref (w->ir);
  w = calloc (1, sizeof *w);
  if (w == NULL || (w->name = strdup (name)) == NULL)
    {
      free (w);
      ab_error_set (err, ENOMEM, "out of memory");
      return NULL;
    }
  if (ab_config_load_narrow (g_cfg, name, &w->ir, err) < 0)
    {
      free (w->name);
      free (w);
      return NULL;
    }
  w->next = narrows;
  narrows = w;
  return ab_ir_ref (w->ir);
}

/* C's mode: its io.agentbox.mode, else the policy's. */
static enum ab_ir_mode
mode_of (const struct ab_ir *ir, const struct container *c)
{
  return c && c->mode >= 0 ? (enum ab_ir_mode)c->mode : ab_ir_mode (ir);
}

static void
fill (struct ab_ir *ir, const struct container *c,
      const struct ab_ir_result *res, bool ok, struct verdict *v)
{
  enum ab_ir_mode mode = mode_of (ir, c);
  /* An error denies in every mode. */
  bool permits = ok && ab_ir_mode_permits (mode, res);

  v->mode = ab_ir_mode_name (mode);
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

/* The answer of IR, narrowed by C's policy when it names one: a policy
 * named and not loaded denies (closed). */
static int
narrowed (struct ab_ir *ir, const struct container *c,
          int (*check) (const struct ab_ir *, const struct ab_ir_principal *,
                        const void *, unsigned, struct ab_ir_result *,
                        ab_error_t *),
          const void *what, unsigned port, struct ab_ir_result *res)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_ir_principal p = principal (c);
  struct ab_ir_result nres = { 0 };
  cleanup_ir struct ab_ir *nir = NULL;

  if (check (ir, &p, what, port, res, &err) < 0)
    return -1;
  if (c == NULL || c->policy[0] == '\0')
    return 0;
  nir = policy_narrow (c->policy, &err);
  if (nir == NULL)
    {
      ab_log_warning ("container %s: %s", c->id, err->msg);
      return -1;
    }
  if (check (nir, &p, what, port, &nres, &err) < 0)
    return -1;
  ab_ir_result_narrow (res, &nres);
  return 0;
}

static int
check_host (const struct ab_ir *ir, const struct ab_ir_principal *p,
            const void *name, unsigned port, struct ab_ir_result *res,
            ab_error_t *err)
{
  return ab_ir_check_host (ir, p, name, port, res, err);
}

static int
check_ip (const struct ab_ir *ir, const struct ab_ir_principal *p,
          const void *addr, unsigned port, struct ab_ir_result *res,
          ab_error_t *err)
{
  return ab_ir_check_ip (ir, p, addr, port, res, err);
}

static bool
check_one (struct ab_ir *ir, const struct container *c, const char *name,
           unsigned port, struct verdict *v)
{
  struct ab_ir_result res = { 0 };
  int r = narrowed (ir, c, check_host, name, port, &res);

  fill (ir, c, &res, r >= 0, v);
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
  struct ab_ir_result res = { 0 };
  struct ab_cidr a = { 0 };
  int r;

  memset (v, 0, sizeof *v);
  v->mode = ir ? ab_ir_mode_name (mode_of (ir, c)) : "enforce";
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
  r = narrowed (ir, c, check_ip, &a, port, &res);
  /* Only an explicit permit of that address lets it through. */
  if (r >= 0 && res.decision == AB_IR_ALLOW)
    fill (ir, c, &res, true, v);
}
