/* agentbox: per-container state under STATE_DIR/containers/ID (state.h). */
#include "shim/lib/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "shim/lib/spawn.h"

struct ab_state
{
  char *dir;
  char *file;     /* DIR/state.json */
  bool created;   /* ab_state_begin made DIR */
  bool written;   /* ab_state_record touched state.json */
  char *previous; /* the state.json found there, NULL if none */
  size_t previous_len;
};

/* ---- ids and paths ---- */

bool
ab_container_id_valid (const char *id)
{
  size_t len = id ? strlen (id) : 0;

  if (len == 0 || len > NAME_MAX || strcmp (id, ".") == 0
      || strcmp (id, "..") == 0)
    return false;
  for (const char *p = id; *p; p++)
    {
      char c = *p;
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == ','
                || c == '-' || c == '.';
      if (!ok)
        return false;
    }
  return true;
}

static const char *
state_root (const struct ab_config *cfg)
{
  return cfg && cfg->state_dir ? cfg->state_dir : AB_DEFAULT_STATE_DIR;
}

int
ab_state_dir (const struct ab_config *cfg, const char *id, char **out,
              ab_error_t *err)
{
  /* Fails closed: an id that could leave containers/ is never a path. */
  if (!ab_container_id_valid (id))
    return ab_error_set (err, EINVAL,
                         "invalid container id `%s`: expected letters, "
                         "digits and _+,-. only",
                         id ? id : "");
  if (asprintf (out, "%s/containers/%s", state_root (cfg), id) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  return 0;
}

int
ab_state_exists (const struct ab_config *cfg, const char *id, ab_error_t *err)
{
  cleanup_free char *dir = NULL, *file = NULL;
  struct stat st;

  if (ab_state_dir (cfg, id, &dir, err) < 0)
    return -1;
  if (asprintf (&file, "%s/state.json", dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (lstat (file, &st) == 0)
    return S_ISREG (st.st_mode) ? 1 : 0;
  if (errno == ENOENT || errno == ENOTDIR)
    return 0;
  return ab_error_errno (err, "stat %s", file);
}

/* mkdir -p for the parents of the state directory.  They exist but for
 * the first container: one mkdir then. */
static int
mkdir_parents (const char *path, mode_t mode, ab_error_t *err)
{
  cleanup_free char *copy = NULL;

  if (mkdir (path, mode) == 0 || errno == EEXIST)
    return 0;
  copy = strdup (path);
  if (copy == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  for (char *p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return ab_error_errno (err, "create %s", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return ab_error_errno (err, "create %s", copy);
  return 0;
}

/* ---- begin / record / abort ---- */

static int
read_file (const char *path, char **out, size_t *len, ab_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  cleanup_buf struct ab_buf b = AB_BUF_INIT;
  char chunk[4096];
  ssize_t n;

  if (fd < 0)
    return ab_error_errno (err, "open %s", path);
  while ((n = read (fd, chunk, sizeof chunk)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return ab_error_errno (err, "read %s", path);
      if (ab_buf_append (&b, chunk, (size_t)n) < 0)
        return ab_error_set (err, ENOMEM, "out of memory");
    }
  *len = b.len;
  if (ab_buf_append (&b, "", 0) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  *out = ab_buf_steal (&b);
  return 0;
}

/* An existing state directory: a stale record (a container deleted
 * behind agentbox's back, or a create the delegate refused).  Keep its
 * state.json so an abort can put it back. */
static int
adopt_existing (struct ab_state *st, ab_error_t *err)
{
  struct stat sb;

  if (lstat (st->dir, &sb) < 0)
    return ab_error_errno (err, "stat %s", st->dir);
  /* Fails closed: a symlink here would let a write land elsewhere. */
  if (!S_ISDIR (sb.st_mode))
    return ab_error_set (err, EEXIST, "%s exists and is not a directory",
                         st->dir);
  if (read_file (st->file, &st->previous, &st->previous_len, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      ab_error_free (err);
    }
  return 0;
}

/* ---- a foreground run's hold ---- */

static int write_replace (const char *path, const char *data, size_t len,
                          ab_error_t *err);

#define HOLD_PID "foreground.pid"

int ab_state_teardown_wait_ms = AB_STATE_TEARDOWN_WAIT_MS;

int
ab_state_hold (const struct ab_config *cfg, const char *id, pid_t pid, int *fd,
               ab_error_t *err)
{
  cleanup_free char *dir = NULL, *path = NULL;
  cleanup_close int dfd = -1;
  char line[32];
  int n;

  if (ab_state_dir (cfg, id, &dir, err) < 0)
    return -1;
  if (asprintf (&path, "%s/" HOLD_PID, dir) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return ab_error_errno (err, "state of container %s: open %s", id, dir);
  if (flock (dfd, LOCK_EX | LOCK_NB) < 0)
    return ab_error_errno (err, "state of container %s: hold %s", id, dir);
  n = snprintf (line, sizeof line, "%d\n", (int)pid);
  if (write_replace (path, line, (size_t)n, err) < 0)
    return ab_error_wrap (err, "state of container %s", id);
  *fd = steal_fd (&dfd);
  return 0;
}

/* Is the run recorded in the state directory DIR still going: has its
 * process not ended?  A zombie (ended, not yet reaped) has ended. */
static bool
hold_running (const char *dir)
{
  cleanup_error ab_error_t none = NULL;
  cleanup_free char *held = NULL, *text = NULL, *proc = NULL, *stat = NULL;
  char *p;
  size_t len;
  long pid;

  if (asprintf (&held, "%s/" HOLD_PID, dir) < 0
      || read_file (held, &text, &len, &none) < 0)
    return false;
  pid = strtol (text, &p, 10);
  if (pid <= 0 || *p != '\n' || asprintf (&proc, "/proc/%ld/stat", pid) < 0
      || read_file (proc, &stat, &len, &none) < 0)
    return false;
  /* pid (comm) S ...: comm may hold anything, the state follows the
   * last ')'. */
  p = strrchr (stat, ')');
  return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* DIR exists.  Held by a foreground run that has ended, wait for its
 * teardown.  1: DIR went meanwhile (make it again); 0: DIR is there to
 * take over; -1: still held after ab_state_teardown_wait_ms. */
static int
wait_teardown (const char *dir, ab_error_t *err)
{
  cleanup_close int dfd
      = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct timespec step = { 0, 100 * 1000 };
  long waited_ns = 0;
  struct stat sb;

  if (dfd < 0)
    return errno == ENOENT ? 1 : 0; /* not a directory: adopt says so */
  while (flock (dfd, LOCK_SH | LOCK_NB) < 0)
    {
      if (errno == EINTR)
        continue;
      /* Still running: the delegate refuses the id, and an abort puts
       * the record back, as for any container that exists. */
      if (errno != EWOULDBLOCK || hold_running (dir))
        return 0;
      if (waited_ns >= ab_state_teardown_wait_ms * 1000000L)
        return ab_error_set (err, EBUSY,
                             "%s: still held by the teardown of an ended "
                             "foreground run after %d ms",
                             dir, ab_state_teardown_wait_ms);
      nanosleep (&step, NULL);
      waited_ns += step.tv_nsec;
      if (step.tv_nsec < 10 * 1000 * 1000)
        step.tv_nsec *= 2;
    }
  return fstat (dfd, &sb) == 0 && sb.st_nlink == 0;
}

int
ab_state_begin (const struct ab_config *cfg, const char *id,
                struct ab_state **out, ab_error_t *err)
{
  cleanup_free char *containers = NULL;
  struct ab_state *st = calloc (1, sizeof (*st));

  if (st == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  *out = st;
  if (ab_state_dir (cfg, id, &st->dir, err) < 0)
    return -1;
  if (asprintf (&st->file, "%s/state.json", st->dir) < 0
      || asprintf (&containers, "%s/containers", state_root (cfg)) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (mkdir_parents (containers, 0711, err) < 0)
    return ab_error_wrap (err, "state of container %s", id);
  for (int r = 1; r == 1;)
    {
      if (mkdir (st->dir, 0700) == 0)
        {
          st->created = true;
          return 0;
        }
      if (errno != EEXIST)
        return ab_error_errno (err, "state of container %s: create %s", id,
                               st->dir);
      r = wait_teardown (st->dir, err);
      if (r < 0)
        return ab_error_wrap (err, "state of container %s", id);
    }
  if (adopt_existing (st, err) < 0)
    return ab_error_wrap (err, "state of container %s", id);
  return 0;
}

/* UTC, by hand: strftime() calls tzset(), which reads /etc/localtime
 * on every create (six system calls) for a zone this never prints. */
static void
now_rfc3339 (char *out, size_t len)
{
  time_t t = time (NULL);
  struct tm tm;

  gmtime_r (&t, &tm);
  snprintf (out, len, "%04u-%02u-%02uT%02u:%02u:%02uZ",
            (unsigned)(tm.tm_year + 1900) % 10000u,
            (unsigned)tm.tm_mon % 12u + 1, (unsigned)tm.tm_mday % 32u,
            (unsigned)tm.tm_hour % 24u, (unsigned)tm.tm_min % 60u,
            (unsigned)tm.tm_sec % 61u);
}

static int
set_str (struct ab_json *obj, const char *key, const char *value)
{
  struct ab_json *v = value ? ab_json_new_string (value) : ab_json_new_null ();

  if (v == NULL)
    return -1;
  return ab_json_set (obj, key, v);
}

/* io.agentbox.* annotations: the later layers read them from here. */
static struct ab_json *
agentbox_annotations (const struct ab_spec *s)
{
  struct ab_json *out = ab_json_new_object ();
  const struct ab_json *ann = s ? ab_json_get (s->root, "annotations") : NULL;

  if (out == NULL || !ab_json_is (ann, AB_JSON_OBJECT))
    return out;
  for (size_t i = 0; i < ann->u.object.len; i++)
    {
      const char *v = ab_json_string (ann->u.object.values[i]);
      if (v && strncmp (ann->u.object.keys[i], "io.agentbox.", 12) == 0
          && set_str (out, ann->u.object.keys[i], v) < 0)
        {
          ab_json_free (out);
          return NULL;
        }
    }
  return out;
}

void
ab_state_annotation (const char *dir, const char *key, char *buf, size_t n)
{
  cleanup_free char *path = NULL;
  cleanup_json struct ab_json *st = NULL;
  cleanup_error ab_error_t err = NULL;
  const char *v = NULL;

  if (asprintf (&path, "%s/state.json", dir) >= 0
      && ab_json_parse_file (path, &st, &err) == 0)
    v = ab_json_get_string (ab_json_get (st, "annotations"), key);
  snprintf (buf, n, "%s", v ? v : "");
}

static struct ab_json *
changes_array (const char *const *changes)
{
  struct ab_json *arr = ab_json_new_array ();

  for (size_t i = 0; arr && changes && changes[i]; i++)
    if (ab_json_append (arr, ab_json_new_string (changes[i])) < 0)
      {
        ab_json_free (arr);
        return NULL;
      }
  return arr;
}

static struct ab_json *
state_json (const struct ab_state_info *info)
{
  cleanup_json struct ab_json *o = ab_json_new_object ();
  char when[32];
  int r = 0;

  if (o == NULL)
    return NULL;
  now_rfc3339 (when, sizeof when);
  r |= set_str (o, "id", info->id);
  r |= set_str (o, "bundle", info->bundle);
  r |= set_str (o, "rootfs", info->rootfs);
  r |= set_str (o, "root", info->root);
  r |= set_str (o, "pid_file", info->pid_file);
  r |= set_str (o, "delegate", info->delegate);
  r |= set_str (o, "created", when);
  r |= set_str (o, "agentbox_version", AB_VERSION);
  struct ab_json *ann = agentbox_annotations (info->spec);
  r |= ann ? ab_json_set (o, "annotations", ann) : -1;
  struct ab_json *changes = changes_array (info->changes);
  r |= changes ? ab_json_set (o, "changes", changes) : -1;
  return r < 0 ? NULL : steal_pointer (&o);
}

/* Write DATA to PATH atomically: a temporary file in the same directory,
 * then rename.  No fsync: the state describes live containers, which do
 * not survive a reboot either, and readers only need the rename's
 * atomicity.  (An fsync here cost more than the 5% budget of `run` on a
 * disk-backed /run.) */
static int
write_replace (const char *path, const char *data, size_t len, ab_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  size_t off = 0;

  if (asprintf (&tmp, "%s.XXXXXX", path) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    return ab_error_errno (err, "create a temporary file for %s", path);
  while (off < len)
    {
      ssize_t n = write (fd, data + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      off += (size_t)n;
    }
  if (close (steal_fd (&fd)) < 0 || rename (tmp, path) < 0)
    goto fail;
  return 0;
fail:
  ab_error_errno (err, "write %s", path);
  unlink (tmp);
  return -1;
}

static int
write_json (const char *path, const struct ab_json *j, ab_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len = 0;

  if (ab_json_serialize (j, true, &data, &len, err) < 0)
    return ab_error_wrap (err, "write %s", path);
  return write_replace (path, data, len, err);
}

int
ab_state_record (struct ab_state *st, const struct ab_state_info *info,
                 ab_error_t *err)
{
  cleanup_json struct ab_json *doc = state_json (info);

  if (doc == NULL)
    return ab_error_set (err, ENOMEM, "state of container %s: out of memory",
                         info->id);
  st->written = true;
  if (write_json (st->file, doc, err) < 0)
    return ab_error_wrap (err, "state of container %s", info->id);
  return 0;
}

const char *
ab_state_path (const struct ab_state *st)
{
  return st->dir;
}

static int remove_tree_at (int dirfd, const char *name, ab_error_t *err);

void
ab_state_abort (struct ab_state *st)
{
  cleanup_error ab_error_t err = NULL;

  if (st == NULL || st->dir == NULL)
    return;
  if (st->created)
    {
      remove_tree_at (AT_FDCWD, st->dir, &err);
      return;
    }
  if (!st->written)
    return; /* a record we never touched stays as it was */
  if (st->previous == NULL)
    {
      unlink (st->file);
      return;
    }
  write_replace (st->file, st->previous, st->previous_len, &err);
}

void
ab_state_free (struct ab_state *st)
{
  if (st == NULL)
    return;
  free (st->dir);
  free (st->file);
  free (st->previous);
  free (st);
}

/* ---- remove ---- */

/* rm -rf NAME under AT, never following a symlink. */
static int
remove_tree_at (int at, const char *name, ab_error_t *err)
{
  cleanup_close int fd = -1;
  DIR *d;
  struct dirent *de;
  int r = 0;

  if (unlinkat (at, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return ab_error_errno (err, "remove %s", name);
  fd = openat (at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return ab_error_errno (err, "open %s", name);
  d = fdopendir (fd);
  if (d == NULL)
    return ab_error_errno (err, "open %s", name);
  fd = -1; /* owned by d now */
  while (r == 0 && (de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      r = remove_tree_at (dirfd (d), de->d_name, err);
  closedir (d);
  if (r < 0)
    return -1;
  if (unlinkat (at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return ab_error_errno (err, "remove %s", name);
  return 0;
}

int
ab_state_remove (const struct ab_config *cfg, const char *id, ab_error_t *err)
{
  cleanup_free char *dir = NULL;

  if (ab_state_dir (cfg, id, &dir, err) < 0)
    return -1;
  if (remove_tree_at (AT_FDCWD, dir, err) < 0)
    return ab_error_wrap (err, "remove state of container %s", id);
  return 0;
}

/* ---- namespaces of confined containers ---- */

static const char *const ns_types[] = {
  "pid", "ipc", "uts", "net", "mnt", "user", "cgroup", "time",
};

/* The OCI namespace type ("network") as /proc's file name ("net"). */
static const char *
proc_ns_name (const char *type)
{
  if (strcmp (type, "network") == 0)
    return "net";
  if (strcmp (type, "mount") == 0)
    return "mnt";
  return type;
}

static bool
same_file (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Does process PID have the namespace NS (of TYPE, or of any type when
 * TYPE is NULL)? */
static bool
pid_has_ns (long pid, const char *type, const struct stat *ns)
{
  for (size_t i = 0; i < sizeof ns_types / sizeof ns_types[0]; i++)
    {
      char p[64];
      struct stat st;

      if (type && strcmp (proc_ns_name (type), ns_types[i]))
        continue;
      if (pid > 0)
        snprintf (p, sizeof p, "/proc/%ld/ns/%s", pid, ns_types[i]);
      else
        snprintf (p, sizeof p, "/proc/self/ns/%s", ns_types[i]);
      if (stat (p, &st) == 0 && same_file (&st, ns))
        return true;
    }
  return false;
}

/* "/proc/PID/ns/TYPE" -> PID and TYPE; 0 for any other shape. */
static long
parse_proc_ns (const char *path, const char **type)
{
  char *end;
  long pid;

  if (strncmp (path, "/proc/", 6) != 0)
    return 0;
  pid = strtol (path + 6, &end, 10);
  if (pid <= 0 || strncmp (end, "/ns/", 4) != 0 || strchr (end + 4, '/'))
    return 0;
  *type = end + 4;
  return pid;
}

static long
read_pid_file (const char *path)
{
  cleanup_file FILE *f = path ? fopen (path, "re") : NULL;
  long pid = 0;

  if (f == NULL || fscanf (f, "%ld", &pid) != 1)
    return 0;
  return pid;
}

/* The init pid of container ID as its runtime reports it, 0 if it is not
 * alive.  The runtime, not a pid file, is the authority: it checks that
 * the pid still is the container's (runc compares start times). */
static long
runtime_pid (const struct ab_json *state, const char *id)
{
  const char *delegate = ab_json_get_string (state, "delegate");
  const char *root = ab_json_get_string (state, "root");
  cleanup_free char *out = NULL;
  cleanup_error ab_error_t err = NULL;
  cleanup_json struct ab_json *j = NULL;
  char *argv[7];
  int n = 0, status = 0;
  const char *st;
  const struct ab_json *pid;

  if (delegate == NULL)
    return 0;
  argv[n++] = (char *)delegate;
  if (root)
    {
      argv[n++] = (char *)"--root";
      argv[n++] = (char *)root;
    }
  argv[n++] = (char *)"state";
  argv[n++] = (char *)id;
  argv[n] = NULL;
  if (ab_spawn_capture (argv, true, &out, &status, &err) < 0 || status != 0
      || ab_json_parse (out, strlen (out), "state", &j, &err) < 0)
    return 0;
  st = ab_json_get_string (j, "status");
  pid = ab_json_get (j, "pid");
  if (st == NULL || strcmp (st, "stopped") == 0
      || !ab_json_is (pid, AB_JSON_NUMBER))
    return 0;
  return strtol (pid->u.number, NULL, 10);
}

/* Is NS (of TYPE, or any when NULL) a namespace of the recorded container
 * whose state is STATE?  CANDIDATE is the pid the path named, if any. */
static bool
container_has_ns (const struct ab_json *state, const char *id, long candidate,
                  const char *type, const struct stat *ns)
{
  long hint = read_pid_file (ab_json_get_string (state, "pid_file"));
  long pid;

  /* Cheap filter first: skip the runtime query when neither the pid file
   * nor the path's pid shows this namespace. */
  if (!(hint > 0 && pid_has_ns (hint, type, ns))
      && !(candidate > 0 && pid_has_ns (candidate, type, ns)))
    return false;
  pid = runtime_pid (state, id);
  return pid > 0 && pid_has_ns (pid, type, ns);
}

static int
scan_containers (const struct ab_config *cfg, long candidate, const char *type,
                 const struct stat *ns, char **owner, ab_error_t *err)
{
  cleanup_free char *dir = NULL;
  DIR *d;
  struct dirent *de;
  int found = 0;

  if (asprintf (&dir, "%s/containers", state_root (cfg)) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  d = opendir (dir);
  if (d == NULL)
    return 0; /* nothing recorded: nothing confined */
  while (!found && (de = readdir (d)) != NULL)
    {
      cleanup_free char *file = NULL;
      cleanup_json struct ab_json *state = NULL;
      cleanup_error ab_error_t e = NULL;

      if (!ab_container_id_valid (de->d_name))
        continue;
      if (asprintf (&file, "%s/%s/state.json", dir, de->d_name) < 0)
        break;
      if (ab_json_parse_file (file, &state, &e) < 0)
        continue;
      found = container_has_ns (state, de->d_name, candidate, type, ns);
      if (found && owner && !(*owner = strdup (de->d_name)))
        found = 0;
    }
  closedir (d);
  return found;
}

int
ab_state_is_confined_ns (const struct ab_config *cfg, const char *path,
                         ab_error_t *err)
{
  return ab_state_confined_owner (cfg, path, NULL, err);
}

int
ab_state_confined_owner (const struct ab_config *cfg, const char *path,
                         char **owner, ab_error_t *err)
{
  const char *type = NULL;
  long candidate;
  struct stat ns;

  /* Fails closed throughout: a path we cannot identify is not confined,
   * and the caller gives the container a namespace of its own. */
  if (path == NULL || stat (path, &ns) < 0)
    return 0;
  candidate = parse_proc_ns (path, &type);
  /* The host's own namespaces are never a confined container's. */
  if (pid_has_ns (0, NULL, &ns))
    return 0;
  return scan_containers (cfg, candidate, type, &ns, owner, err);
}
