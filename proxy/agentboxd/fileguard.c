/* agentboxd: following the file guards' event ring buffers
 * (proxy/agentboxd/fileguard.h).
 *
 * One libbpf ring_buffer holds every followed container's `events` map;
 * its epoll fd is one entry of the loop and ring_buffer__consume reads
 * them all.  libbpf 1.1 can add a map to a ring_buffer but not remove
 * one, so letting a container go rebuilds the ring_buffer from the maps
 * that remain: rare, and cheap (an mmap per map). */
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hooks/lib/file-guard.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "proxy/agentboxd/fileguard.h"
#include "proxy/agentboxd/guardian.h"
#include "shim/lib/filelayer.h"
#include "shim/lib/state.h"
#include "spec/json.h"

#define PIN_ROOT "/sys/fs/bpf/agentbox"
#define CHECK_PINS_MS 5000

struct follow
{
  char id[128];
  char project[128];
  char policy[72];  /* annotation io.agentbox.policy: narrows */
  char *events_pin; /* checked for existence: gone means deleted */
  int fd;           /* the `events` map */
  uint64_t seen;
  struct follow *next;
};

static struct follow *follows;
static struct ring_buffer *rb;
static struct ev rb_ev = { .fd = -1 };

/* The container's project and narrowing policy, from its state.json
 * annotations (the network layer may not have registered it, so
 * control.c may have no record). */
static void
read_project (struct follow *f)
{
  cleanup_free char *dir = NULL;
  cleanup_error ab_error_t err = NULL;

  if (ab_state_dir (g_cfg, f->id, &dir, &err) < 0)
    return;
  ab_state_annotation (dir, "io.agentbox.project", f->project,
                       sizeof f->project);
  ab_state_annotation (dir, AB_ANN_POLICY, f->policy, sizeof f->policy);
}

/* F's narrowing policy, or NULL (none, or it does not load: logged). */
static struct ab_ir *
narrow_of (const struct follow *f)
{
  cleanup_error ab_error_t err = NULL;
  struct ab_ir *nir;

  if (f->policy[0] == '\0')
    return NULL;
  nir = policy_narrow (f->policy, &err);
  if (nir == NULL)
    ab_log_warning ("container %s: %s", f->id, err->msg);
  return nir;
}

/* CLOCK_MONOTONIC nanoseconds (the programs' clock) to wall time. */
static struct timespec
wall_time (uint64_t mono_ns)
{
  struct timespec real, mono;
  uint64_t now_ns, back;
  struct timespec t;

  clock_gettime (CLOCK_REALTIME, &real);
  clock_gettime (CLOCK_MONOTONIC, &mono);
  now_ns = (uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec;
  back = mono_ns && mono_ns < now_ns ? now_ns - mono_ns : 0;
  now_ns = (uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec;
  now_ns -= back;
  t.tv_sec = (time_t)(now_ns / 1000000000u);
  t.tv_nsec = (long)(now_ns % 1000000000u);
  return t;
}

static void
write_line (struct follow *f, const struct ab_fg_event *ev)
{
  cleanup_ir struct ab_ir *ir = policy_get ();
  cleanup_ir struct ab_ir *nir = narrow_of (f);
  const struct ab_ir_rule *r = NULL;
  size_t n = ir ? ab_ir_n_rules (ir) : 0;
  const struct container *c = container_by_id (f->id);
  const char *project = c && c->project[0] ? c->project : f->project;
  struct ab_buf b = AB_BUF_INIT;
  struct timespec when = wall_time (ev->ts_ns);

  /* The narrowing policy's rules are numbered after the policy's. */
  if (ir && ev->rule && ev->rule - 1 < n)
    r = ab_ir_rule_at (ir, ev->rule - 1);
  else if (nir && ev->rule > n && ev->rule - 1 - n < ab_ir_n_rules (nir))
    r = ab_ir_rule_at (nir, ev->rule - 1 - n);
  if (fg_audit_line (&b, &when, f->id, project[0] ? project : NULL, ev, r) == 0)
    audit_write (b.data, b.len);
  ab_buf_free (&b);
}

static int
on_event (void *ctx, void *data, size_t size)
{
  struct ab_fg_event ev = { 0 };

  /* A record too short to hold a path is not one of ours: skip it. */
  if (size < offsetof (struct ab_fg_event, path))
    return 0;
  memcpy (&ev, data, size < sizeof ev ? size : sizeof ev);
  if (size < sizeof ev
      && ev.path_len > size - offsetof (struct ab_fg_event, path))
    ev.path_len = (uint32_t)(size - offsetof (struct ab_fg_event, path));
  ((struct follow *)ctx)->seen++;
  write_line (ctx, &ev);
  return 0;
}

static void
on_ready (struct ev *e, uint32_t events)
{
  int r = rb ? ring_buffer__consume (rb) : 0;

  if (r < 0)
    ab_log_warning ("file guard events: %s", strerror (-r));
}

static void
rb_free (void)
{
  if (rb == NULL)
    return;
  loop_del (&rb_ev);
  ring_buffer__free (rb);
  rb = NULL;
  rb_ev.fd = -1;
}

/* Add F's map, creating the ring_buffer (and its loop entry) first. */
static int
rb_add (struct follow *f, ab_error_t *err)
{
  int r;

  if (rb)
    {
      r = ring_buffer__add (rb, f->fd, on_event, f);
      return r < 0 ? ab_error_set (err, -r, "ring buffer: add %s: %s", f->id,
                                   strerror (-r))
                   : 0;
    }
  rb = ring_buffer__new (f->fd, on_event, f, NULL);
  if (rb == NULL)
    return ab_error_errno (err, "ring buffer of %s", f->id);
  rb_ev.fd = ring_buffer__epoll_fd (rb);
  rb_ev.fn = on_ready;
  if (loop_add (&rb_ev, EPOLLIN, err) < 0)
    {
      ring_buffer__free (rb);
      rb = NULL;
      return -1;
    }
  return 0;
}

/* Build the ring_buffer again from the containers still followed; one
 * that cannot be added is let go (logged). */
static void
rb_rebuild (void)
{
  rb_free ();
  for (struct follow **p = &follows; *p;)
    {
      cleanup_error ab_error_t err = NULL;
      struct follow *f = *p;
      if (rb_add (f, &err) == 0)
        {
          p = &f->next;
          continue;
        }
      ab_log_warning ("container %s: file guard events: %s", f->id, err->msg);
      *p = f->next;
      close (f->fd);
      free (f->events_pin);
      free (f);
    }
}

static struct follow *
find (const char *id)
{
  for (struct follow *f = follows; f; f = f->next)
    if (strcmp (f->id, id) == 0)
      return f;
  return NULL;
}

static struct follow *
follow_new (const char *id, ab_error_t *err)
{
  cleanup_free char *dir = NULL;
  struct follow *f;

  if (!ab_fg_attached (id))
    {
      ab_error_set (err, ENOENT, "container %s has no file guard", id);
      return NULL;
    }
  f = calloc (1, sizeof *f);
  if (f == NULL || ab_fg_pin_dir (id, &dir, err) < 0
      || asprintf (&f->events_pin, "%s/events", dir) < 0)
    {
      if (f && *err == NULL)
        ab_error_set (err, ENOMEM, "out of memory");
      free (f);
      return NULL;
    }
  snprintf (f->id, sizeof f->id, "%s", id);
  f->fd = ab_fg_events_fd (id, err);
  if (f->fd < 0)
    {
      free (f->events_pin);
      free (f);
      return NULL;
    }
  read_project (f);
  return f;
}

int
fg_follow (const char *id, ab_error_t *err)
{
  struct follow *f;

  if (find (id))
    return 0;
  f = follow_new (id, err);
  if (f == NULL)
    return -1;
  if (rb_add (f, err) < 0)
    {
      close (f->fd);
      free (f->events_pin);
      free (f);
      return -1;
    }
  f->next = follows;
  follows = f;
  ab_log_info ("container %s: following its file guard", id);
  return 0;
}

void
fg_unfollow (const char *id)
{
  for (struct follow **p = &follows; *p; p = &(*p)->next)
    if (strcmp ((*p)->id, id) == 0)
      {
        struct follow *f = *p;
        /* What the programs wrote before the container went is still
         * worth a line. */
        if (rb)
          ring_buffer__consume (rb);
        ab_log_info ("container %s: file guard no longer followed", f->id);
        *p = f->next;
        close (f->fd);
        free (f->events_pin);
        free (f);
        rb_rebuild ();
        return;
      }
}

void
fg_readopt (void)
{
  DIR *d = opendir (PIN_ROOT);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)))
    {
      cleanup_error ab_error_t err = NULL;
      if (de->d_name[0] == '.' || !ab_container_id_valid (de->d_name)
          || !ab_fg_attached (de->d_name))
        continue;
      if (fg_follow (de->d_name, &err) < 0)
        ab_log_warning ("container %s: file guard: %s", de->d_name, err->msg);
    }
  closedir (d);
}

void
fg_tick (uint64_t now)
{
  static uint64_t last;
  struct follow *f = follows;

  if (now - last < CHECK_PINS_MS)
    return;
  last = now;
  /* Letting one go rebuilds the list: start over from its head. */
  while (f)
    if (access (f->events_pin, F_OK) < 0 && errno == ENOENT)
      {
        char id[sizeof f->id];
        memcpy (id, f->id, sizeof id);
        fg_unfollow (id);
        f = follows;
      }
    else
      f = f->next;
}

static const char *
mode_name (uint32_t m)
{
  const char *s = ab_fg_mode_name ((enum ab_fg_mode)m);
  return s ? s : "unknown";
}

void
fg_status (struct ab_buf *out)
{
  const char *sep = "";

  ab_buf_puts (out, ", \"file_guard\": [");
  for (struct follow *f = follows; f; f = f->next)
    {
      cleanup_error ab_error_t err = NULL;
      struct ab_fg_config cfg = { 0 };
      uint64_t drops = 0;

      ab_buf_printf (out, "%s{\"id\": \"", sep);
      ab_json_escape (out, f->id);
      if (ab_fg_status (f->id, &cfg, &drops, &err) < 0)
        {
          ab_buf_puts (out, "\", \"error\": \"");
          ab_json_escape (out, err->msg);
          ab_buf_printf (out, "\", \"events\": %llu}",
                         (unsigned long long)f->seen);
        }
      else
        ab_buf_printf (out,
                       "\", \"mode\": \"%s\", \"generation\": %llu, "
                       "\"drops\": %llu, \"events\": %llu}",
                       mode_name (cfg.mode), (unsigned long long)cfg.generation,
                       (unsigned long long)drops, (unsigned long long)f->seen);
      sep = ", ";
    }
  ab_buf_puts (out, "]");
}

void
fg_update_all (struct ab_ir *ir)
{
  for (struct follow *f = follows; f; f = f->next)
    {
      cleanup_error ab_error_t err = NULL;
      cleanup_ir struct ab_ir *nir = narrow_of (f);
      struct ab_ir_principal p
          = { .container = f->id,
              .project = f->project[0] ? f->project : NULL };

      /* A container whose new rules do not write keeps its old ones; so
       * does one whose narrowing policy is not loaded (policy_load
       * loads them all or changes nothing, so that is rare). */
      if (f->policy[0] && nir == NULL)
        ab_log_warning ("container %s: old file rules kept", f->id);
      else if (ab_fg_update (f->id, ir, nir, &p, ab_ir_generation (ir), &err)
               < 0)
        ab_log_warning ("container %s: %s", f->id, err->msg);
      else
        ab_log_info ("container %s: file guard policy %llu in force", f->id,
                     (unsigned long long)ab_ir_generation (ir));
    }
}
