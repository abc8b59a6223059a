/* agentbox: the file guard's user-space twin (file-guard.h,
 * bpf/file-guard.bpf.c, docs/file-guard.md). */
#include "hooks/lib/file-guard.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "file-guard.skel.h"
#include "hooks/lib/bpfutil.h"
#include "hooks/lib/fg-dispatch.h"
#include "hooks/lib/probe.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "policy/filerules.h"
#include "policy/ktrie.h"
#include "shim/lib/state.h"

#define FG_PIN_ROOT BPFFS_ROOT "/agentbox"
/* Node ids: 1 and 2 are the roots; generation G's others carry bit 31
 * set to G, so the two generations never share an id. */
#define FG_GEN_BIT 31
#define FG_FIRST_ID 3u
/* Headroom for policy updates in the node map (entries are allocated on
 * insert: BPF_F_NO_PREALLOC). */
#define FG_MAP_SLACK 65536u

/* ---- compiling a plan ---------------------------------------------------- */

void
ab_fg_plan_free (struct ab_fg_plan *p)
{
  free (p->keys);
  free (p->nodes);
  memset (p, 0, sizeof *p);
}

/* The trie's nodes as the plan grows; index i is ktrie node i. */
static int
plan_grow (struct ab_fg_plan *p, size_t n, ab_error_t *err)
{
  size_t cap = p->cap ? p->cap : 64;
  void *k, *v;

  if (n <= p->cap)
    return 0;
  while (cap < n)
    cap *= 2;
  k = realloc (p->keys, cap * sizeof *p->keys);
  if (k)
    p->keys = k;
  v = k ? realloc (p->nodes, cap * sizeof *p->nodes) : NULL;
  if (v == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  p->nodes = v;
  memset (p->keys + p->cap, 0, (cap - p->cap) * sizeof *p->keys);
  memset (p->nodes + p->cap, 0, (cap - p->cap) * sizeof *p->nodes);
  p->cap = cap;
  return 0;
}

/* The ktrie node for PATH ("/a/b", no trailing slash; "/" is the root),
 * created with its ancestors. */
static int
plan_node (struct ab_ktrie *t, struct ab_fg_plan *p, const char *path,
           uint32_t *out, ab_error_t *err)
{
  uint32_t node = 0;

  for (const char *c = path; *c;)
    {
      size_t len;
      bool created;

      while (*c == '/')
        c++;
      len = strcspn (c, "/");
      if (len == 0)
        break;
      if (len >= AB_FG_NAME_MAX)
        return ab_error_set (err, ENAMETOOLONG,
                             "%s: a component is longer than NAME_MAX", path);
      node = ab_ktrie_child_add (t, node, c, len, &created);
      if (node == 0 || plan_grow (p, t->n_nodes, err) < 0)
        return ab_error_set (err, ENOMEM, "out of memory");
      c += len;
    }
  *out = node;
  return 0;
}

static void
plan_mark (struct ab_fg_node *nd, enum ab_fg_slot slot, bool permit,
           unsigned rights, uint32_t rule)
{
  if (permit)
    {
      nd->permit[slot] |= rights;
      if (!nd->permit_rule[slot])
        nd->permit_rule[slot] = rule;
    }
  else
    {
      nd->forbid[slot] |= rights;
      if (!nd->forbid_rule[slot])
        nd->forbid_rule[slot] = rule;
    }
}

/* One resource entity of R into the trie. */
static int
plan_entity (struct ab_ktrie *t, struct ab_fg_plan *p,
             const struct ab_ir_rule *r, uint32_t rule,
             enum ab_cedar_scope_op op, const struct ab_cedar_uid *e,
             unsigned rights, ab_error_t *err)
{
  bool dir = strcmp (e->type, "Dir") == 0;
  uint32_t node = 0;

  if ((!dir && strcmp (e->type, "File") != 0) || e->id[0] != '/')
    return 0;
  if (plan_node (t, p, e->id, &node, err) < 0)
    return -1;
  if (!dir)
    plan_mark (&p->nodes[node], AB_FG_SLOT_FILE, r->permit, rights, rule);
  else
    {
      plan_mark (&p->nodes[node], AB_FG_SLOT_DIR, r->permit, rights, rule);
      if (op != AB_SCOPE_EQ)
        plan_mark (&p->nodes[node], AB_FG_SLOT_UNDER, r->permit, rights, rule);
    }
  p->rights |= rights;
  return 0;
}

/* R into the trie; events name it RULE (its index + 1, after the base
 * policy's rules when R is a narrowing policy's). */
static int
plan_rule (struct ab_ktrie *t, struct ab_fg_plan *p, const struct ab_ir_rule *r,
           uint32_t rule, unsigned rights, ab_error_t *err)
{
  const struct ab_cedar_scope *s = r->resource;

  if (s == NULL || s->op == AB_SCOPE_ANY || s->op == AB_SCOPE_IS)
    {
      plan_mark (&p->nodes[0], AB_FG_SLOT_DIR, r->permit, rights, rule);
      plan_mark (&p->nodes[0], AB_FG_SLOT_UNDER, r->permit, rights, rule);
      p->rights |= rights;
      return 0;
    }
  for (size_t i = 0; i < s->n_entities; i++)
    if (plan_entity (t, p, r, rule, s->op, &s->entities[i], rights, err) < 0)
      return -1;
  return 0;
}

/* agentbox's own files in the container: the policy's file rules must
 * not cut the container off its DNS configuration and hostexec.  Permits
 * only (a forbid still wins), and only of rights the policy rules on.
 * (The hostexec socket needs none: it is bound outside the container's
 * tree, and the guard leaves such sockets to the mount hardening.) */
static const struct
{
  const char *path;
  unsigned rights;
} own_files[] = {
  { "/etc/resolv.conf", AB_FG_READ },
  { "/usr/local/bin/hostexec", AB_FG_READ | AB_FG_EXEC },
};

static int
plan_own_files (struct ab_ktrie *t, struct ab_fg_plan *p, ab_error_t *err)
{
  for (size_t i = 0; i < sizeof own_files / sizeof *own_files; i++)
    {
      uint32_t node;

      if (plan_node (t, p, own_files[i].path, &node, err) < 0)
        return -1;
      plan_mark (&p->nodes[node], AB_FG_SLOT_FILE, true,
                 own_files[i].rights & p->rights, 0);
    }
  return 0;
}

/* Keys and ids from the trie's shape; `below` on every ancestor of a
 * node that holds a rule; `kids_forbid` on every parent: what a file or
 * directory right beneath it may forbid (a directory memo skips the
 * lookup of a name that could not forbid the right asked for). */
static void
plan_finish (const struct ab_ktrie *t, struct ab_fg_plan *p, uint32_t gen)
{
  uint32_t hi = gen << FG_GEN_BIT;

  p->n = t->n_nodes;
  p->keys[0].parent = 0;
  p->keys[0].len = gen;
  p->nodes[0].id = AB_FG_ROOT (gen);
  for (uint32_t i = 1; i < t->n_nodes; i++)
    {
      const struct ab_ktrie_node *kn = &t->nodes[i];

      p->nodes[i].id = hi | (FG_FIRST_ID + i);
      p->keys[i].parent = kn->parent == 0 ? AB_FG_ROOT (gen)
                                          : (hi | (FG_FIRST_ID + kn->parent));
      p->keys[i].len = kn->len;
      memcpy (p->keys[i].name, kn->key, kn->len);
    }
  for (uint32_t i = t->n_nodes; i-- > 1;)
    {
      const struct ab_fg_node *nd = &p->nodes[i];
      bool ruled = nd->below;

      for (int s = 0; s < AB_FG_N_SLOTS; s++)
        ruled = ruled || nd->permit[s] || nd->forbid[s];
      /* Children have higher ids than their parents in a ktrie. */
      if (ruled)
        p->nodes[t->nodes[i].parent].below = 1;
      p->nodes[t->nodes[i].parent].kids_forbid
          |= nd->forbid[AB_FG_SLOT_FILE] | nd->forbid[AB_FG_SLOT_DIR];
    }
}

/* IR's rules for PR into P, on trie T. */
static int
plan_policy (struct ab_ktrie *t, struct ab_fg_plan *p, const struct ab_ir *ir,
             const struct ab_ir_principal *pr, uint32_t rule_base,
             ab_error_t *err)
{
  for (size_t i = 0; i < ab_ir_n_rules (ir); i++)
    {
      const struct ab_ir_rule *rule = ab_ir_rule_at (ir, i);
      unsigned rights = ab_ir_file_rights (rule->actions);

      if (rule->kind == AB_IR_KIND_DEAD || rights == 0
          || !ab_ir_rule_applies (rule, pr))
        continue;
      /* A conditional permit is left out and a conditional forbid holds
       * always: stricter, never looser. */
      if (rule->permit && rule->kind != AB_IR_KIND_TABLE)
        continue;
      if (plan_rule (t, p, rule, rule_base + rule->index + 1, rights, err) < 0)
        return -1;
    }
  return plan_grow (p, t->n_nodes, err);
}

static void
pick_rule (uint32_t *dst, uint8_t mask, uint32_t p_rule, uint8_t p_mask,
           uint32_t q_rule)
{
  *dst = mask == 0 ? 0 : (p_mask & mask) ? p_rule : q_rule;
}

/* P := P narrowed by Q, both planned on trie T (node i is one path in
 * both), so that the walk allows a right exactly where both would
 * (docs/narrowing.md has the argument).  Forbids add up.  A permit's
 * reach is its slot on the node and UNDER on a strict ancestor: at each
 * node, FILE and DIR keep the rights both reach there, and UNDER keeps
 * the rights one side permits beneath it that the other side reaches
 * too.  A right a policy does not rule on is free (allowed) under it. */
static int
plan_intersect (const struct ab_ktrie *t, struct ab_fg_plan *p,
                const struct ab_fg_plan *q, ab_error_t *err)
{
  cleanup_free uint8_t *cov = calloc (2 * (size_t)t->n_nodes, 1);
  uint8_t all = AB_FG_READ | AB_FG_WRITE | AB_FG_EXEC;

  if (cov == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  /* Children have higher ids than their parents in a ktrie. */
  for (uint32_t i = 0; i < t->n_nodes; i++)
    {
      struct ab_fg_node *a = &p->nodes[i];
      const struct ab_fg_node *b = &q->nodes[i];
      uint32_t up = t->nodes[i].parent;
      /* The rights each side's UNDER permits reach here from above. */
      uint8_t sa = i ? cov[2 * up] : (uint8_t)(~p->rights & all);
      uint8_t sb = i ? cov[2 * up + 1] : (uint8_t)(~q->rights & all);
      uint8_t under;

      cov[2 * i] = sa | a->permit[AB_FG_SLOT_UNDER];
      cov[2 * i + 1] = sb | b->permit[AB_FG_SLOT_UNDER];
      under = (a->permit[AB_FG_SLOT_UNDER] & cov[2 * i + 1])
              | (b->permit[AB_FG_SLOT_UNDER] & cov[2 * i]);
      for (int s = 0; s < AB_FG_N_SLOTS; s++)
        {
          /* A slot neither side sets adds nothing: UNDER above covers
           * what both reach from above. */
          uint8_t m = s == AB_FG_SLOT_UNDER
                          ? under
                          : (a->permit[s] | sa) & (b->permit[s] | sb)
                                & (a->permit[s] | b->permit[s]);

          pick_rule (&a->permit_rule[s], m, a->permit_rule[s], a->permit[s],
                     b->permit_rule[s]);
          a->permit[s] = m;
          if (!(a->forbid[s]) && b->forbid[s])
            a->forbid_rule[s] = b->forbid_rule[s];
          a->forbid[s] |= b->forbid[s];
        }
    }
  p->rights |= q->rights;
  return 0;
}

int
ab_fg_plan_build (const struct ab_ir *ir, const struct ab_ir *narrow,
                  const struct ab_ir_principal *pr, uint32_t gen,
                  struct ab_fg_plan *p, ab_error_t *err)
{
  struct ab_fg_plan q = { 0 };
  struct ab_ktrie t;
  int r;

  memset (p, 0, sizeof *p);
  if (ab_ktrie_init (&t, false) < 0 || plan_grow (p, 1, err) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  r = plan_policy (&t, p, ir, pr, 0, err);
  if (r == 0 && narrow)
    r = plan_grow (&q, 1, err) < 0
                || plan_policy (&t, &q, narrow, pr, ab_ir_n_rules (ir), err) < 0
                || plan_grow (p, t.n_nodes, err) < 0
                || plan_intersect (&t, p, &q, err) < 0
            ? -1
            : 0;
  if (r == 0 && p->rights != 0)
    r = plan_own_files (&t, p, err);
  if (r == 0)
    plan_finish (&t, p, gen);
  ab_fg_plan_free (&q);
  ab_ktrie_destroy (&t);
  if (r < 0)
    {
      ab_fg_plan_free (p);
      return -1;
    }
  return p->rights == 0 ? 1 : 0;
}

/* ---- the host ------------------------------------------------------------ */

/* The running kernel's version as MAJOR * 1000 + MINOR, or 0. */
static int
kernel_version (char *release, size_t n)
{
  struct utsname u;
  int major = 0, minor = 0;

  if (uname (&u) < 0 || sscanf (u.release, "%d.%d", &major, &minor) != 2)
    return 0;
  snprintf (release, n, "%s", u.release);
  return major * 1000 + minor;
}

bool
ab_fg_supported (char *why, size_t n)
{
  struct ab_probe p;
  char release[65] = "";

  ab_probe_lsm (&p);
  if (!ab_probe_bpf_lsm_usable (&p))
    {
      snprintf (why, n, "BPF LSM is %s",
                p.bpf_in_lsm ? "locked down" : "not an active LSM");
      return false;
    }
  /* The walks are bpf_loop callbacks. */
  if (kernel_version (release, sizeof release) < 5017)
    {
      snprintf (why, n, "kernel %s has no bpf_loop (5.17+)", release);
      return false;
    }
  ab_probe_cgroup2 (&p);
  if (p.cgroup2[0] == '\0')
    {
      snprintf (why, n, "no cgroup2 mount");
      return false;
    }
  return true;
}

bool
ab_fg_cgroup_attach (void)
{
  char release[65];

  return kernel_version (release, sizeof release) >= 6000;
}

/* Do the programs' directory memos work here?  They need the kernel's
 * rename_lock and mount_lock, which libbpf finds in /proc/kallsyms (with
 * CONFIG_KALLSYMS_ALL, and addresses shown to root).  Without them every
 * check walks its whole path. */
bool
ab_fg_memos_supported (void)
{
  cleanup_file FILE *f = fopen ("/proc/kallsyms", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  int found = 0;

  while (f && found != 3 && getline (&line, &cap, f) > 0)
    {
      unsigned long long addr;
      char type, name[64];

      if (sscanf (line, "%llx %c %63s", &addr, &type, name) != 3 || !addr)
        continue;
      if (strcmp (name, "rename_lock") == 0)
        found |= 1;
      else if (strcmp (name, "mount_lock") == 0)
        found |= 2;
    }
  return found == 3;
}

int
ab_fg_pin_dir (const char *id, char **out, ab_error_t *err)
{
  if (!ab_container_id_valid (id))
    return ab_error_set (err, EINVAL, "invalid container id `%s`", id);
  if (asprintf (out, "%s/%s/fg", FG_PIN_ROOT, id) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  return 0;
}

/* The mount id of ROOTFS as PID's mount namespace has it now: the last
 * (topmost) mount on that path, which pivot_root turns into "/". */
int
ab_fg_root_mount (pid_t pid, const char *rootfs, uint32_t *out, ab_error_t *err)
{
  char name[64];
  cleanup_file FILE *f = NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;
  bool found = false;

  snprintf (name, sizeof name, "/proc/%d/mountinfo", (int)pid);
  f = fopen (name, "re");
  if (f == NULL)
    return ab_error_errno (err, "open %s", name);
  while (getline (&line, &cap, f) > 0)
    {
      cleanup_free char *point = NULL;
      unsigned id;

      if (sscanf (line, "%u %*s %*s %*s %ms", &id, &point) != 2)
        continue;
      ab_unescape_octal (point);
      if (strcmp (point, rootfs) == 0)
        {
          *out = id;
          found = true;
        }
    }
  if (!found)
    return ab_error_set (err, ENOENT, "%s: no mount on %s", name, rootfs);
  return 0;
}

/* ---- load, attach, pin --------------------------------------------------- */

static void
fg_skel_destroyp (struct file_guard **skel)
{
  file_guard__destroy (*skel);
}
#define cleanup_fg_skel __attribute__ ((cleanup (fg_skel_destroyp)))

static void
munmapp (struct ab_fg_config **c)
{
  if (*c && *c != MAP_FAILED)
    munmap (*c, sizeof **c);
}
#define cleanup_fgconf __attribute__ ((cleanup (munmapp)))

static struct ab_fg_config *
config_map (int fd, ab_error_t *err)
{
  void *p = mmap (NULL, sizeof (struct ab_fg_config), PROT_READ | PROT_WRITE,
                  MAP_SHARED, fd, 0);

  if (p == MAP_FAILED)
    {
      ab_error_errno (err, "mmap the file guard's config");
      return NULL;
    }
  return p;
}

/* Node I of P into the short map SFD or the long one LFD, by the length
 * of its component. */
static int
write_node (int sfd, int lfd, const struct ab_fg_plan *p, size_t i)
{
  const struct ab_fg_key *k = &p->keys[i];
  struct ab_fg_skey sk = { .parent = k->parent, .len = k->len };

  if (k->len >= AB_FG_SHORT_MAX)
    return bpf_map_update_elem (lfd, k, &p->nodes[i], BPF_ANY);
  memcpy (sk.name, k->name, k->len);
  return bpf_map_update_elem (sfd, &sk, &p->nodes[i], BPF_ANY);
}

static int
write_nodes (int sfd, int lfd, const struct ab_fg_plan *p, ab_error_t *err)
{
  for (size_t i = 0; i < p->n; i++)
    if (write_node (sfd, lfd, p, i) < 0)
      return ab_error_errno (err, "file guard: write %zu of %zu policy nodes",
                             i, p->n);
  return 0;
}

/* Which programs a guard loads: on the cgroup, the lsm_cgroup ones;
 * GLOBAL, their ab_fg_g_* twins for the dispatcher; the ab_fg_x_* ones
 * always. */
static void
fg_choose (struct file_guard *skel, bool global)
{
  struct bpf_program *prog;

  bpf_object__for_each_program (prog, skel->obj)
  {
    const char *name = bpf_program__name (prog);
    bool on_cgroup
        = bpf_program__expected_attach_type (prog) == BPF_LSM_CGROUP;

    if (on_cgroup)
      bpf_program__set_autoload (prog, !global);
    else if (strncmp (name, "ab_fg_g_", 8) == 0)
      bpf_program__set_autoload (prog, global);
  }
}

static int
fg_load (const struct ab_fg_plan *plan, bool global, struct file_guard **out,
         ab_error_t *err)
{
  struct file_guard *skel;
  int rc;

  ab_bpf_libbpf_init ();
  skel = file_guard__open ();
  if (skel == NULL)
    return ab_bpf_error (err, -errno, "open the file guard");
  *out = skel;
  fg_choose (skel, global);
  rc = bpf_map__set_max_entries (skel->maps.nodes,
                                 (uint32_t)(2 * plan->n + FG_MAP_SLACK));
  if (rc == 0)
    rc = bpf_map__set_max_entries (skel->maps.lnodes,
                                   (uint32_t)(2 * plan->n + FG_MAP_SLACK));
  if (rc == 0)
    rc = file_guard__load (skel);
  if (rc < 0)
    return ab_bpf_error (err, rc, "load the file guard");
  return write_nodes (bpf_map__fd (skel->maps.nodes),
                      bpf_map__fd (skel->maps.lnodes), plan, err);
}

static void
fg_unpin_all (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  char path[PATH_MAX];

  while (d && (e = readdir (d)))
    {
      if (e->d_name[0] == '.')
        continue;
      snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
      if (strncmp (e->d_name, "link-", 5) == 0)
        ab_bpf_detach_pinned (path);
      unlink (path);
    }
  if (d)
    closedir (d);
  rmdir (dir);
}

static int
fg_pin (struct file_guard *skel, int cg_fd, const char *dir, ab_error_t *err)
{
  const struct
  {
    struct bpf_map *map;
    const char *name;
  } maps[] = {
    { skel->maps.nodes, "nodes" },   { skel->maps.lnodes, "lnodes" },
    { skel->maps.config, "config" }, { skel->maps.events, "events" },
    { skel->maps.drops, "drops" },   { skel->maps.memos, "memos" },
  };
  struct bpf_program *prog;
  char path[PATH_MAX];
  int rc;

  for (size_t i = 0; i < sizeof maps / sizeof *maps; i++)
    {
      if (ab_bpf_pin_path (path, dir, maps[i].name, err) < 0)
        return -1;
      rc = bpf_map__pin (maps[i].map, path);
      if (rc < 0)
        return ab_bpf_error (err, rc, "pin %s", path);
    }
  bpf_object__for_each_program (prog, skel->obj)
  {
    struct bpf_link *link;
    char name[128];

    /* The plain LSM ones are the dispatcher's to call. */
    if (bpf_program__expected_attach_type (prog) != BPF_LSM_CGROUP
        || !bpf_program__autoload (prog))
      continue;
    link = bpf_program__attach_cgroup (prog, cg_fd);
    if (link == NULL)
      return ab_bpf_error (err, -errno, "attach %s", bpf_program__name (prog));
    snprintf (name, sizeof name, "link-%s", bpf_program__name (prog));
    rc = ab_bpf_pin_path (path, dir, name, err) < 0
             ? -ENAMETOOLONG
             : bpf_link__pin (link, path);
    bpf_link__destroy (link); /* the pin holds it, or nothing does */
    if (rc < 0)
      return ab_bpf_error (err, rc, "pin %s", path);
  }
  return 0;
}

/* The programs the dispatcher calls for this guard (the four past the
 * ten lsm_cgroup hooks; all fourteen when GLOBAL), registered under the
 * cgroup of CG_FD (its inode number is its id). */
static int
fg_dispatch (struct file_guard *skel, int cg_fd, bool global,
             struct ab_fg_config *c, ab_error_t *err)
{
  struct ab_fgd_progs progs;
  struct stat st;
  uint32_t slot;

  for (int h = 0; h < AB_FGD_N_HOOKS; h++)
    {
      char name[64];
      struct bpf_program *prog;

      progs.fd[h] = -1;
      if (h < AB_FGD_RMDIR && !global)
        continue;
      snprintf (name, sizeof name, "ab_fg_%s_%s", h < AB_FGD_RMDIR ? "g" : "x",
                ab_fgd_hook_name (h));
      prog = bpf_object__find_program_by_name (skel->obj, name);
      if (prog == NULL || (progs.fd[h] = bpf_program__fd (prog)) < 0)
        return ab_error_set (err, ENOENT, "file guard: no program %s", name);
    }
  if (fstat (cg_fd, &st) < 0)
    return ab_error_errno (err, "stat the cgroup");
  if (ab_fgd_add (&progs, st.st_ino, &slot, err) < 0)
    return -1;
  c->cgroup_id = st.st_ino;
  c->fgd_slot = slot + 1;
  return 0;
}

/* Take ID's programs out of the dispatcher, if it is in. */
static void
fg_undispatch (const char *dir)
{
  cleanup_error ab_error_t err = NULL;
  cleanup_fgconf struct ab_fg_config *c = NULL;
  cleanup_close int fd = -1;
  char path[PATH_MAX];

  snprintf (path, sizeof path, "%s/config", dir);
  fd = bpf_obj_get (path);
  if (fd < 0 || (c = config_map (fd, &err)) == NULL || c->fgd_slot == 0)
    return;
  if (ab_fgd_remove (c->cgroup_id, c->fgd_slot - 1, &err) < 0)
    ab_log_warning ("%s", err->msg);
}

int
ab_fg_attach (const char *id, const char *cgroup, const struct ab_fg_plan *plan,
              enum ab_fg_mode mode, bool global, uint32_t root_mnt,
              uint64_t generation, ab_error_t *err)
{
  cleanup_fg_skel struct file_guard *skel = NULL;
  cleanup_fgconf struct ab_fg_config *c = NULL;
  cleanup_close int cg_fd = -1;
  cleanup_free char *dir = NULL;
  bool created;

  if (fg_load (plan, global, &skel, err) < 0)
    return ab_error_wrap (err, "file guard");
  c = config_map (bpf_map__fd (skel->maps.config), err);
  if (c == NULL)
    return -1;
  c->mode = mode;
  c->gen = 0;
  c->rights = plan->rights;
  c->root_mnt = root_mnt;
  c->generation = generation;
  cg_fd = open (cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg_fd < 0)
    return ab_error_errno (err, "file guard: open cgroup %s", cgroup);
  if (ab_fg_pin_dir (id, &dir, err) < 0
      || ab_bpf_make_pin_dir (dir, &created, err) < 0)
    return ab_error_wrap (err, "file guard");
  if (fg_pin (skel, cg_fd, dir, err) < 0
      || fg_dispatch (skel, cg_fd, global, c, err) < 0)
    {
      /* All or nothing: a half-attached guard is not a guard. */
      fg_unpin_all (dir);
      return ab_error_wrap (err, "file guard on %s", cgroup);
    }
  return 0;
}

int
ab_fg_detach (const char *id, ab_error_t *err)
{
  cleanup_free char *dir = NULL, *parent = NULL;

  if (ab_fg_pin_dir (id, &dir, err) < 0)
    return -1;
  /* No pins, no guard (the usual container): libbpf is not needed. */
  if (access (dir, F_OK) < 0 && errno == ENOENT)
    goto parent;
  ab_bpf_libbpf_init ();
  fg_undispatch (dir);
  fg_unpin_all (dir);
  if (access (dir, F_OK) == 0)
    return ab_error_set (err, EBUSY, "file guard: %s is still there", dir);
parent:
  /* The container's pin directory goes when its last guard does. */
  if (asprintf (&parent, "%s/%s", FG_PIN_ROOT, id) >= 0)
    rmdir (parent);
  return 0;
}

bool
ab_fg_attached (const char *id)
{
  cleanup_free char *dir = NULL;
  char path[PATH_MAX];

  if (ab_fg_pin_dir (id, &dir, NULL) < 0)
    return false;
  snprintf (path, sizeof path, "%s/config", dir);
  return access (path, F_OK) == 0;
}

/* ---- live changes -------------------------------------------------------- */

static int
fg_open_pin (const char *id, const char *name, ab_error_t *err)
{
  cleanup_free char *dir = NULL;
  char path[PATH_MAX];
  int fd;

  if (ab_fg_pin_dir (id, &dir, err) < 0
      || ab_bpf_pin_path (path, dir, name, err) < 0)
    return -1;
  fd = bpf_obj_get (path);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return ab_error_set (err, ENOENT, "container %s has no file guard", id);
      return ab_error_errno (err, "open %s", path);
    }
  return fd;
}

int
ab_fg_events_fd (const char *id, ab_error_t *err)
{
  return fg_open_pin (id, "events", err);
}

int
ab_fg_set_mode (const char *id, enum ab_fg_mode mode, ab_error_t *err)
{
  cleanup_close int fd = fg_open_pin (id, "config", err);
  cleanup_fgconf struct ab_fg_config *c = NULL;

  if (fd < 0 || (c = config_map (fd, err)) == NULL)
    return -1;
  atomic_store ((_Atomic uint32_t *)&c->mode, (uint32_t)mode);
  return 0;
}

int
ab_fg_status (const char *id, struct ab_fg_config *out, uint64_t *drops,
              ab_error_t *err)
{
  cleanup_close int fd = fg_open_pin (id, "config", err);
  cleanup_close int dfd = -1;
  cleanup_fgconf struct ab_fg_config *c = NULL;
  uint32_t zero = 0;

  if (fd < 0 || (c = config_map (fd, err)) == NULL)
    return -1;
  *out = *c;
  *drops = 0;
  dfd = fg_open_pin (id, "drops", err);
  if (dfd < 0 || bpf_map_lookup_elem (dfd, &zero, drops) < 0)
    return ab_error_wrap (err, "file guard drops");
  return 0;
}

/* Is a key with PARENT and LEN of generation GEN? */
static bool
of_generation (uint32_t parent, uint32_t len, uint32_t gen)
{
  if (parent == 0)
    return len == gen; /* a root */
  if (parent == AB_FG_ROOT (gen))
    return true;
  return parent >= FG_FIRST_ID && parent >> FG_GEN_BIT == gen;
}

/* Delete every node of generation GEN (not in force) from the map FD,
 * whose keys are KEY_SIZE bytes (both kinds start with parent, len). */
static int
drop_generation (int fd, size_t key_size, uint32_t gen, ab_error_t *err)
{
  struct ab_fg_key key, next;
  bool first = true;

  for (;;)
    {
      if (bpf_map_get_next_key (fd, first ? NULL : &key, &next) < 0)
        return errno == ENOENT ? 0
                               : ab_error_errno (err, "file guard: scan nodes");
      first = false;
      memcpy (&key, &next, key_size);
      /* Deleting the key we stand on restarts the scan. */
      if (of_generation (next.parent, next.len, gen)
          && bpf_map_delete_elem (fd, &next) == 0)
        first = true;
    }
}

static int
drop_both (int sfd, int lfd, uint32_t gen, ab_error_t *err)
{
  if (drop_generation (sfd, sizeof (struct ab_fg_skey), gen, err) < 0
      || drop_generation (lfd, sizeof (struct ab_fg_key), gen, err) < 0)
    return -1;
  return 0;
}

int
ab_fg_update (const char *id, const struct ab_ir *ir,
              const struct ab_ir *narrow, const struct ab_ir_principal *p,
              uint64_t generation, ab_error_t *err)
{
  cleanup_close int sfd = fg_open_pin (id, "nodes", err);
  cleanup_close int lfd = -1, cfd = -1;
  cleanup_fgconf struct ab_fg_config *c = NULL;
  struct ab_fg_plan plan;
  uint32_t next;
  int r;

  if (sfd < 0 || (lfd = fg_open_pin (id, "lnodes", err)) < 0
      || (cfd = fg_open_pin (id, "config", err)) < 0
      || (c = config_map (cfd, err)) == NULL)
    return -1;
  next = atomic_load ((_Atomic uint32_t *)&c->gen) ^ 1u;
  r = ab_fg_plan_build (ir, narrow, p, next, &plan, err);
  if (r < 0)
    return ab_error_wrap (err, "file guard of %s", id);
  /* The other generation has not been in force since the last flip:
   * clear it, fill it, then flip with one store. */
  if (drop_both (sfd, lfd, next, err) < 0
      || write_nodes (sfd, lfd, &plan, err) < 0)
    {
      drop_both (sfd, lfd, next, NULL);
      ab_fg_plan_free (&plan);
      return ab_error_wrap (err, "file guard of %s: old policy kept", id);
    }
  c->generation = generation;
  atomic_store ((_Atomic uint32_t *)&c->rights, plan.rights);
  atomic_store ((_Atomic uint32_t *)&c->gen, next);
  /* After the flip: a memo carrying the new epoch was made from the new
   * generation (the programs read the epoch first). */
  atomic_fetch_add ((_Atomic uint64_t *)&c->epoch, 1);
  ab_fg_plan_free (&plan);
  return 0;
}

/* ---- names --------------------------------------------------------------- */

const char *
ab_fg_mode_name (enum ab_fg_mode m)
{
  switch (m)
    {
    case AB_FG_ENFORCE:
      return "enforce";
    case AB_FG_SHADOW:
      return "shadow";
    case AB_FG_RECORD:
      return "record";
    }
  return "?";
}

const char *
ab_fg_op_name (enum ab_fg_op op)
{
  static const char *const names[] = {
    [AB_FG_OP_OPEN] = "open",       [AB_FG_OP_EXEC] = "exec",
    [AB_FG_OP_MMAP] = "mmap-exec",  [AB_FG_OP_CREATE] = "create",
    [AB_FG_OP_REMOVE] = "remove",   [AB_FG_OP_RENAME] = "rename",
    [AB_FG_OP_LINK] = "link",       [AB_FG_OP_TRUNCATE] = "truncate",
    [AB_FG_OP_CHMOD] = "chmod",     [AB_FG_OP_CHOWN] = "chown",
    [AB_FG_OP_CONNECT] = "connect",
  };

  if ((unsigned)op < sizeof names / sizeof *names && names[op])
    return names[op];
  return "?";
}

const char *
ab_fg_verdict_name (enum ab_fg_verdict v)
{
  switch (v)
    {
    case AB_FG_DENY:
      return "deny";
    case AB_FG_WOULD_DENY:
      return "would-deny";
    case AB_FG_ALLOW:
      return "allow";
    }
  return "?";
}
