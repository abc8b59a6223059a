/* agentbox: a container's network as steps with undo (container.h). */
#include "hooks/lib/container.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hooks/lib/connect-guard.h"
#include "hooks/lib/netns.h"
#include "lib/cleanup.h"
#include "shim/lib/net.h"
#include "shim/lib/netalloc.h"
#include "shim/lib/state.h"

struct up
{
  const struct ab_config *cfg;
  const char *id;
  pid_t pid;
  struct ab_netaddr a;
  char ct_netns[64];
  char *proxy_netns;
  char *pin_dir;
  bool joined; /* a pod's app container: only its connect guard is ours */
};

struct step
{
  const char *name;
  int (*run) (struct up *u, ab_error_t *err);
  int (*undo) (struct up *u, ab_error_t *err);
};

int
ab_proxy_netns_path (const struct ab_config *cfg, char **out, ab_error_t *err)
{
  if (asprintf (out, "%s/netns/proxy", cfg->state_dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  return 0;
}

int
ab_guard_pin_dir (const char *id, char **out, ab_error_t *err)
{
  if (!ab_container_id_valid (id))
    return ab_error_set (err, EINVAL, "invalid container id `%s`", id);
  if (asprintf (out, "/sys/fs/bpf/agentbox/%s", id) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  return 0;
}

/* Closed: without the guardian's namespace there is nothing to join,
 * and a container without its network must not start. */
static int
check_proxy_netns (struct up *u, ab_error_t *err)
{
  if (!ab_net_is_nsfs (u->proxy_netns))
    return ab_error_set (err, ENOENT,
                         "proxy netns %s: not a network namespace (is "
                         "agentboxd running?)",
                         u->proxy_netns);
  return 0;
}

static int
veth_up (struct up *u, ab_error_t *err)
{
  struct ab_netplan p = {
    .container_netns = u->ct_netns,
    .proxy_netns = u->proxy_netns,
    .ct4 = u->a.ct4,
    .peer4 = u->a.peer4,
    .ct6 = u->a.ct6,
    .peer6 = u->a.peer6,
    .ipv6 = u->a.ipv6,
  };

  if (check_proxy_netns (u, err) < 0)
    return -1;
  /* The slot is ours (taken under the allocator's lock), so a link of
   * its name is a leftover of a setup that was killed: remove it. */
  ab_net_teardown (u->proxy_netns, u->a.peer_if, err);
  ab_error_free (err);
  snprintf (p.peer_if, sizeof p.peer_if, "%s", u->a.peer_if);
  return ab_net_setup (&p, err);
}

static int
veth_down (struct up *u, ab_error_t *err)
{
  return ab_net_teardown (u->proxy_netns, u->a.peer_if, err);
}

static int
guard_up (struct up *u, ab_error_t *err)
{
  cleanup_free char *cg = NULL;
  struct ab_guard_conf gc = {
    .peer4 = u->a.peer4,
    .peer6 = u->a.peer6,
    .syn4 = u->cfg->net.syn4,
    .syn4_len = u->cfg->net.syn4_len,
    .syn6 = u->cfg->net.syn6,
    .syn6_len = u->cfg->net.syn6_len,
  };

  if (ab_cgroup2_dir_of (u->pid, &cg, err) < 0)
    return -1;
  connect_guard_detach (u->pin_dir, err); /* a killed setup's leftovers */
  ab_error_free (err);
  return connect_guard_attach (&gc, cg, u->pin_dir, err);
}

static int
guard_down (struct up *u, ab_error_t *err)
{
  return connect_guard_detach (u->pin_dir, err);
}

static int
call (struct up *u, const char *op, ab_error_t *err)
{
  cleanup_free char *req = NULL;

  if (asprintf (&req, "{\"op\": \"%s\", \"id\": \"%s\", \"pid\": %d}", op,
                u->id, (int)u->pid)
      < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  return ab_guardian_call (u->cfg, req, NULL, err);
}

static int
register_up (struct up *u, ab_error_t *err)
{
  return call (u, "register", err);
}

static int
register_down (struct up *u, ab_error_t *err)
{
  return call (u, "unregister", err);
}

static const struct step steps[] = {
  { "veth", veth_up, veth_down },
  { "connect guard", guard_up, guard_down },
  { "register with the guardian", register_up, register_down },
};
#define N_STEPS (sizeof steps / sizeof steps[0])

static void
up_free (struct up *u)
{
  free (u->proxy_netns);
  free (u->pin_dir);
}

/* A container that joined another's network: that one's addresses, for
 * a guard on this one's cgroup.  Going DOWN, the owner may be gone
 * already (a pod's sandbox deleted before its containers): undoing the
 * guard needs no address, so that is no error. */
static int
up_init_joined (struct up *u, const char *dir, bool down, ab_error_t *err)
{
  cleanup_free char *owner = NULL, *owner_dir = NULL;

  if (ab_net_join_owner (dir, &owner, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      ab_error_free (err);
      return 0; /* no network of agentbox's */
    }
  if (ab_state_dir (u->cfg, owner, &owner_dir, err) < 0)
    return -1;
  u->joined = true;
  if (ab_netaddr_read (owner_dir, &u->a, err) == 0)
    return 1;
  if (down && (*err)->status == ENOENT)
    {
      ab_error_free (err);
      return 1;
    }
  return ab_error_wrap (err, "the network of %s, which it joined", owner);
}

/* Load what both directions need.  1: the container has a network of its
 * own; 0: it has none to manage. */
static int
up_init (struct up *u, const struct ab_config *cfg, const char *id, pid_t pid,
         bool down, ab_error_t *err)
{
  cleanup_free char *dir = NULL;

  memset (u, 0, sizeof *u);
  u->cfg = cfg;
  u->id = id;
  u->pid = pid;
  snprintf (u->ct_netns, sizeof u->ct_netns, "/proc/%d/ns/net", (int)pid);
  if (ab_state_dir (cfg, id, &dir, err) < 0
      || ab_proxy_netns_path (cfg, &u->proxy_netns, err) < 0
      || ab_guard_pin_dir (id, &u->pin_dir, err) < 0)
    return -1;
  if (ab_netaddr_read (dir, &u->a, err) == 0)
    return 1;
  if ((*err)->status != ENOENT)
    return -1;
  ab_error_free (err);
  return up_init_joined (u, dir, down, err);
}

int
ab_container_net_up (const struct ab_config *cfg, const char *id, pid_t pid,
                     ab_error_t *err)
{
  struct up u;
  size_t i;
  int r = up_init (&u, cfg, id, pid, false, err);

  if (r <= 0)
    {
      up_free (&u);
      return r;
    }
  /* A joined container runs the guard step only. */
  for (i = u.joined ? 1 : 0; i < (u.joined ? 2 : N_STEPS); i++)
    if (steps[i].run (&u, err) < 0)
      break;
  if (i < (u.joined ? 2u : N_STEPS))
    {
      ab_error_wrap (err, "%s", steps[i].name);
      while (i-- > (u.joined ? 1u : 0u))
        {
          cleanup_error ab_error_t e2 = NULL;
          steps[i].undo (&u, &e2);
        }
      up_free (&u);
      return -1;
    }
  up_free (&u);
  return 0;
}

int
ab_container_net_down (const struct ab_config *cfg, const char *id,
                       ab_error_t *err)
{
  cleanup_error ab_error_t first = NULL;
  struct up u;
  int r = up_init (&u, cfg, id, 0, true, err);

  if (r <= 0)
    {
      up_free (&u);
      return r;
    }
  for (size_t i = N_STEPS; i-- > 0;)
    {
      cleanup_error ab_error_t e = NULL;
      if (u.joined && steps[i].undo != guard_down)
        continue; /* the owner's veth, slot and registration */
      /* The guardian may be down: the container is gone either way, and
       * it forgets containers whose state is gone when it re-adopts. */
      if (steps[i].undo (&u, &e) < 0 && steps[i].undo != register_down
          && first == NULL)
        {
          ab_error_wrap (&e, "%s", steps[i].name);
          first = steal_pointer (&e);
        }
    }
  if (first == NULL && !u.joined)
    ab_netalloc_release (cfg, u.a.slot, id, &first);
  up_free (&u);
  if (first)
    {
      *err = steal_pointer (&first);
      return -1;
    }
  return 0;
}
