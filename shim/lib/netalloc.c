/* agentbox: container address slots (netalloc.h). */
#include "shim/lib/netalloc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "shim/lib/state.h"
#include "spec/json.h"

static unsigned
n_slots (const struct ab_netconf *net)
{
  unsigned b4 = 32 - net->ct4_len - 1, b6 = 128 - net->ct6_len - 1;
  unsigned bits = b4;

  if (net->ipv6 && b6 < bits)
    bits = b6;
  if (bits > 20) /* a million containers is plenty; keeps scans short */
    bits = 20;
  return 1u << bits;
}

int
ab_netaddr_of_slot (const struct ab_netconf *net, unsigned slot,
                    struct ab_netaddr *out, ab_error_t *err)
{
  uint32_t base = ntohl (net->ct4.s_addr);

  if (slot >= n_slots (net))
    return ab_error_set (err, ERANGE, "address slot %u outside the ranges",
                         slot);
  memset (out, 0, sizeof *out);
  out->slot = slot;
  snprintf (out->peer_if, sizeof out->peer_if, "abp%u", slot);
  out->ct4.s_addr = htonl (base + 2 * slot);
  out->peer4.s_addr = htonl (base + 2 * slot + 1);
  out->ipv6 = net->ipv6;
  out->ct6 = net->ct6;
  /* Slots fit in 21 bits: add 2N to the low 32 bits of the range. */
  uint32_t lo;
  memcpy (&lo, &out->ct6.s6_addr[12], 4);
  lo = htonl (ntohl (lo) + 2 * slot);
  memcpy (&out->ct6.s6_addr[12], &lo, 4);
  out->peer6 = out->ct6;
  out->peer6.s6_addr[15] |= 1;
  return 0;
}

static int
open_dirs (const struct ab_config *cfg, int *lock_fd, int *slots_fd,
           ab_error_t *err)
{
  cleanup_free char *net = NULL, *lock = NULL, *slots = NULL;

  if (asprintf (&net, "%s/net", cfg->state_dir) < 0
      || asprintf (&lock, "%s/lock", net) < 0
      || asprintf (&slots, "%s/slots", net) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if ((mkdir (cfg->state_dir, 0700) < 0 && errno != EEXIST)
      || (mkdir (net, 0700) < 0 && errno != EEXIST)
      || (mkdir (slots, 0700) < 0 && errno != EEXIST))
    return ab_error_errno (err, "mkdir %s", slots);
  *lock_fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (*lock_fd < 0)
    return ab_error_errno (err, "open %s", lock);
  if (flock (*lock_fd, LOCK_EX) < 0)
    return ab_error_errno (err, "lock %s", lock);
  *slots_fd = open (slots, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*slots_fd < 0)
    return ab_error_errno (err, "open %s", slots);
  return 0;
}

/* Who holds slot NAME ("" if unreadable). */
static void
holder (int dfd, const char *name, char *id, size_t cap)
{
  cleanup_close int fd = openat (dfd, name, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, id, cap - 1);

  id[n > 0 ? n : 0] = '\0';
}

/* A slot whose holder has no state directory was left by a create that
 * died before recording: taking it back is safe under the lock, because
 * a live create records its state directory before it takes a slot. */
static bool
stale (const struct ab_config *cfg, int dfd, const char *name)
{
  cleanup_error ab_error_t e = NULL;
  cleanup_free char *dir = NULL;
  char id[256];
  struct stat st;

  holder (dfd, name, id, sizeof id);
  if (!ab_container_id_valid (id) || ab_state_dir (cfg, id, &dir, &e) < 0)
    return true;
  return stat (dir, &st) < 0 && errno == ENOENT;
}

static int
write_slot (int dfd, const char *name, const char *id, bool replace,
            ab_error_t *err)
{
  cleanup_close int fd = -1;
  size_t len = strlen (id);

  if (replace)
    unlinkat (dfd, name, 0);
  fd = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return errno == EEXIST ? 1 : ab_error_errno (err, "slot %s", name);
  if (write (fd, id, len) != (ssize_t)len)
    {
      unlinkat (dfd, name, 0);
      return ab_error_errno (err, "write slot %s", name);
    }
  return 0;
}

int
ab_netalloc_take (const struct ab_config *cfg, const char *id,
                  struct ab_netaddr *out, ab_error_t *err)
{
  cleanup_close int lock_fd = -1, dfd = -1;
  unsigned max = n_slots (&cfg->net);

  if (open_dirs (cfg, &lock_fd, &dfd, err) < 0)
    return ab_error_wrap (err, "allocate addresses");
  for (unsigned slot = 0; slot < max; slot++)
    {
      char name[16];
      int r;

      snprintf (name, sizeof name, "%u", slot);
      r = write_slot (dfd, name, id, false, err);
      if (r == 1 && stale (cfg, dfd, name))
        r = write_slot (dfd, name, id, true, err);
      if (r < 0)
        return ab_error_wrap (err, "allocate addresses");
      if (r == 0)
        return ab_netaddr_of_slot (&cfg->net, slot, out, err);
    }
  return ab_error_set (err, ENOSPC,
                       "allocate addresses: all %u slots of the container "
                       "ranges are in use",
                       max);
}

int
ab_netalloc_release (const struct ab_config *cfg, unsigned slot, const char *id,
                     ab_error_t *err)
{
  cleanup_close int lock_fd = -1, dfd = -1;
  char name[16], who[256];

  if (open_dirs (cfg, &lock_fd, &dfd, err) < 0)
    return ab_error_wrap (err, "release addresses");
  snprintf (name, sizeof name, "%u", slot);
  holder (dfd, name, who, sizeof who);
  if (strcmp (who, id) != 0)
    return 0;
  if (unlinkat (dfd, name, 0) < 0 && errno != ENOENT)
    return ab_error_errno (err, "release slot %u", slot);
  return 0;
}

int
ab_netaddr_write (const char *dir, const struct ab_netaddr *a, ab_error_t *err)
{
  cleanup_free char *path = NULL, *tmp = NULL;
  char c4[AB_ADDRSTRLEN], p4[AB_ADDRSTRLEN], c6[AB_ADDRSTRLEN],
      p6[AB_ADDRSTRLEN];
  cleanup_file FILE *f = NULL;

  inet_ntop (AF_INET, &a->ct4, c4, sizeof c4);
  inet_ntop (AF_INET, &a->peer4, p4, sizeof p4);
  inet_ntop (AF_INET6, &a->ct6, c6, sizeof c6);
  inet_ntop (AF_INET6, &a->peer6, p6, sizeof p6);
  if (asprintf (&path, "%s/net.json", dir) < 0
      || asprintf (&tmp, "%s/.net.json.tmp", dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  f = fopen (tmp, "we");
  if (f == NULL)
    return ab_error_errno (err, "write %s", tmp);
  fprintf (f,
           "{\"slot\": %u, \"peer_if\": \"%s\", \"ct4\": \"%s\", "
           "\"peer4\": \"%s\", \"ipv6\": %s, \"ct6\": \"%s\", "
           "\"peer6\": \"%s\"}\n",
           a->slot, a->peer_if, c4, p4, a->ipv6 ? "true" : "false", c6, p6);
  if (fflush (f) != 0 || ferror (f))
    return ab_error_errno (err, "write %s", tmp);
  if (rename (tmp, path) < 0)
    return ab_error_errno (err, "rename %s", path);
  return 0;
}

static int
get_addr (const struct ab_json *j, const char *key, int af, void *dst,
          const char *path, ab_error_t *err)
{
  const char *s = ab_json_get_string (j, key);

  if (s == NULL || inet_pton (af, s, dst) != 1)
    return ab_error_set (err, EINVAL, "%s: `%s`: expected an address", path,
                         key);
  return 0;
}

int
ab_netaddr_read (const char *dir, struct ab_netaddr *out, ab_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_json struct ab_json *j = NULL;
  const struct ab_json *js, *j6;
  const char *pif;
  char *end = NULL;
  long slot = -1;

  if (asprintf (&path, "%s/net.json", dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (ab_json_parse_file (path, &j, err) < 0)
    return -1;
  memset (out, 0, sizeof *out);
  pif = ab_json_get_string (j, "peer_if");
  js = ab_json_get (j, "slot");
  if (ab_json_is (js, AB_JSON_NUMBER))
    slot = strtol (js->u.number, &end, 10);
  if (slot < 0 || end == NULL || *end || pif == NULL
      || strlen (pif) >= sizeof out->peer_if)
    return ab_error_set (err, EINVAL, "%s: bad `slot` or `peer_if`", path);
  out->slot = (unsigned)slot;
  strcpy (out->peer_if, pif);
  j6 = ab_json_get (j, "ipv6");
  out->ipv6 = ab_json_is (j6, AB_JSON_BOOL) && j6->u.boolean;
  if (get_addr (j, "ct4", AF_INET, &out->ct4, path, err) < 0
      || get_addr (j, "peer4", AF_INET, &out->peer4, path, err) < 0
      || get_addr (j, "ct6", AF_INET6, &out->ct6, path, err) < 0
      || get_addr (j, "peer6", AF_INET6, &out->peer6, path, err) < 0)
    return -1;
  return 0;
}
