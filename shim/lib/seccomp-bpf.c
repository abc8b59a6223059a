/* agentbox: agentbox's seccomp profile as a BPF program for agentbox-init
 * (seccomp-bpf.h). */
#include "shim/lib/seccomp-bpf.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "shim/lib/harden-internal.h"
#include "shim/lib/net.h"

#define X32_SYSCALL_BIT 0x40000000u
#define CACHE_MAGIC "agentbox seccomp cache 2\n"

static void
ctx_release (scmp_filter_ctx *c)
{
  if (*c)
    seccomp_release (*c);
}
#define cleanup_scmp __attribute__ ((cleanup (ctx_release)))

static int
parse_u64 (const struct ab_json *j, uint64_t *out)
{
  char *end;

  if (!ab_json_is (j, AB_JSON_NUMBER) || j->u.number[0] == '-')
    return -1;
  errno = 0;
  *out = strtoull (j->u.number, &end, 10);
  return errno || *end ? -1 : 0;
}

/* The action NAME with ERRNO_RET (a number or NULL: EPERM, as runc).
 * 1: only the runtime can do it (notify, trace); -1: not an action. */
static int
parse_action (const char *name, const struct ab_json *errno_ret, uint32_t *out)
{
  uint64_t e = EPERM;

  if (name == NULL)
    return -1;
  if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    {
      if (errno_ret && (parse_u64 (errno_ret, &e) < 0 || e > 0xffff))
        return -1;
      *out = SCMP_ACT_ERRNO ((uint32_t)e);
    }
  else if (strcmp (name, "SCMP_ACT_KILL") == 0
           || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0
           || strcmp (name, "SCMP_ACT_TRACE") == 0)
    return 1;
  else
    return -1;
  return 0;
}

static int
parse_op (const char *name, enum scmp_compare *op)
{
  static const struct
  {
    const char *name;
    enum scmp_compare op;
  } ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE },
    { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE },
    { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };

  for (size_t i = 0; name && i < sizeof ops / sizeof *ops; i++)
    if (strcmp (name, ops[i].name) == 0)
      {
        *op = ops[i].op;
        return 0;
      }
  return -1;
}

/* "SCMP_ARCH_X86_64" → libseccomp's token for "x86_64"; 0 if unknown. */
static uint32_t
parse_arch (const char *name)
{
  char lower[32];
  size_t i;

  if (name == NULL || strncmp (name, "SCMP_ARCH_", 10) != 0)
    return 0;
  name += 10;
  for (i = 0; name[i] && i + 1 < sizeof lower; i++)
    lower[i] = (char)tolower ((unsigned char)name[i]);
  lower[i] = '\0';
  return seccomp_arch_resolve_name (lower);
}

/* One rule's conditions.  Two on the same argument would mean "or" to
 * runc, which splits the rule: left to the runtime (1). */
static int
parse_args (const struct ab_json *args, struct scmp_arg_cmp *cmp, unsigned *n)
{
  unsigned seen = 0;

  *n = 0;
  if (args == NULL || ab_json_is (args, AB_JSON_NULL))
    return 0;
  if (!ab_json_is (args, AB_JSON_ARRAY) || args->u.array.len > 6)
    return -1;
  for (size_t i = 0; i < args->u.array.len; i++)
    {
      const struct ab_json *a = args->u.array.items[i];
      const struct ab_json *two = ab_json_get (a, "valueTwo");
      uint64_t index, value, value_two = 0;
      enum scmp_compare op;

      if (parse_u64 (ab_json_get (a, "index"), &index) < 0 || index > 5
          || parse_u64 (ab_json_get (a, "value"), &value) < 0
          || (two && parse_u64 (two, &value_two) < 0)
          || parse_op (ab_json_get_string (a, "op"), &op) < 0)
        return -1;
      if (seen & (1u << index))
        return 1;
      seen |= 1u << index;
      cmp[(*n)++] = (struct scmp_arg_cmp){
        .arg = (unsigned)index, .op = op, .datum_a = value, .datum_b = value_two
      };
    }
  return 0;
}

/* Add RULE to C; raise *MAX to the largest syscall number it names on
 * the native arch. */
static int
add_rule (scmp_filter_ctx c, const struct ab_json *rule, uint32_t dflt,
          int *max, ab_error_t *err)
{
  const struct ab_json *names = ab_json_get (rule, "names");
  struct scmp_arg_cmp cmp[6];
  uint32_t action;
  unsigned n;
  int r;

  if (!ab_json_is (names, AB_JSON_ARRAY))
    return ab_error_set (err, EINVAL, "seccomp: a rule without names");
  r = parse_action (ab_json_get_string (rule, "action"),
                    ab_json_get (rule, "errnoRet"), &action);
  if (r == 0)
    r = parse_args (ab_json_get (rule, "args"), cmp, &n);
  if (r != 0)
    return r < 0 ? ab_error_set (err, EINVAL,
                                 "seccomp: a rule runc would "
                                 "refuse")
                 : 1;
  for (size_t i = 0; i < names->u.array.len; i++)
    {
      const char *name = ab_json_string (names->u.array.items[i]);
      int nr = name ? seccomp_syscall_resolve_name (name) : __NR_SCMP_ERROR;

      /* As runc: unknown names are skipped, and so are rules that say
       * what the default says (libseccomp refuses them). */
      if (nr == __NR_SCMP_ERROR)
        continue;
      if (nr > *max)
        *max = nr;
      if (action == dflt)
        continue;
      r = seccomp_rule_add_array (c, action, nr, n, cmp);
      if (r < 0)
        return ab_error_set (err, -r, "seccomp: add the rule for %s", name);
    }
  return 0;
}

/* runc's ENOSYS rule, in front of libseccomp's program: on the native
 * arch, a syscall numbered above MAX (and below the x32 range) fails
 * with ENOSYS instead of the default action. */
static size_t
enosys_rule (struct sock_filter *f, uint32_t arch, int max)
{
  size_t n = 0;

  f[n++] = (struct sock_filter)BPF_STMT (BPF_LD | BPF_W | BPF_ABS,
                                         offsetof (struct seccomp_data, arch));
  f[n++] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, arch, 0,
                                         arch == SCMP_ARCH_X86_64 ? 4 : 3);
  f[n++] = (struct sock_filter)BPF_STMT (BPF_LD | BPF_W | BPF_ABS,
                                         offsetof (struct seccomp_data, nr));
  if (arch == SCMP_ARCH_X86_64)
    f[n++] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JGE | BPF_K,
                                           X32_SYSCALL_BIT, 2, 0);
  f[n++] = (struct sock_filter)BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K,
                                         (uint32_t)max, 0, 1);
  f[n++] = (struct sock_filter)BPF_STMT (BPF_RET | BPF_K,
                                         SECCOMP_RET_ERRNO | ENOSYS);
  return n;
}

/* The ENOSYS rule, then C's program. */
static int
export_program (scmp_filter_ctx c, int max, unsigned char **bpf, size_t *len,
                ab_error_t *err)
{
  cleanup_close int fd = memfd_create ("agentbox-seccomp", MFD_CLOEXEC);
  struct sock_filter enosys[8];
  size_t head
      = enosys_rule (enosys, seccomp_arch_native (), max) * sizeof *enosys;
  off_t size;
  int r;

  if (fd < 0)
    return ab_error_errno (err, "seccomp: memfd_create");
  if ((r = seccomp_export_bpf (c, fd)) < 0)
    return ab_error_set (err, -r, "seccomp: export the filter");
  size = lseek (fd, 0, SEEK_END);
  if (size <= 0 || size % sizeof (struct sock_filter) != 0
      || (head + (size_t)size) / sizeof (struct sock_filter) > BPF_MAXINSNS)
    return ab_error_set (err, E2BIG, "seccomp: the filter has %lld bytes",
                         (long long)size);
  *len = head + (size_t)size;
  *bpf = malloc (*len);
  if (*bpf == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  memcpy (*bpf, enosys, head);
  if (pread (fd, *bpf + head, (size_t)size, 0) != size)
    {
      free (*bpf);
      *bpf = NULL;
      return ab_error_errno (err, "seccomp: read the filter");
    }
  return 0;
}

int
ab_seccomp_compile (const struct ab_json *profile, unsigned char **bpf,
                    size_t *len, ab_error_t *err)
{
  const struct ab_json *arches = ab_json_get (profile, "architectures");
  const struct ab_json *rules = ab_json_get (profile, "syscalls");
  const struct ab_json *flags = ab_json_get (profile, "flags");
  cleanup_scmp scmp_filter_ctx c = NULL;
  uint32_t dflt;
  int max = -1, r;

  *bpf = NULL;
  *len = 0;
  /* A notify listener, filter flags and tracing are the runtime's. */
  if (ab_json_get (profile, "listenerPath")
      || (flags
          && !(ab_json_is (flags, AB_JSON_ARRAY) && flags->u.array.len == 0)))
    return 1;
  r = parse_action (ab_json_get_string (profile, "defaultAction"),
                    ab_json_get (profile, "defaultErrnoRet"), &dflt);
  if (r != 0)
    return r < 0 ? ab_error_set (err, EINVAL,
                                 "seccomp: defaultAction: not an action")
                 : 1;
  c = seccomp_init (dflt);
  if (c == NULL)
    return ab_error_set (err, ENOMEM, "seccomp: seccomp_init");
  /* The binary tree: O(log n) comparisons per syscall. */
  if ((r = seccomp_attr_set (c, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
    return ab_error_set (err, -r, "seccomp: optimize");
  for (size_t i = 0;
       ab_json_is (arches, AB_JSON_ARRAY) && i < arches->u.array.len; i++)
    {
      const char *name = ab_json_string (arches->u.array.items[i]);
      uint32_t arch = parse_arch (name);

      if (arch == 0)
        return ab_error_set (err, EINVAL,
                             "seccomp: architectures: unknown '%s'",
                             name ? name : "(not a string)");
      r = seccomp_arch_add (c, arch);
      if (r < 0 && r != -EEXIST)
        return ab_error_set (err, -r, "seccomp: add the arch %s", name);
    }
  for (size_t i = 0;
       ab_json_is (rules, AB_JSON_ARRAY) && i < rules->u.array.len; i++)
    if ((r = add_rule (c, rules->u.array.items[i], dflt, &max, err)) != 0)
      return r;
  return export_program (c, max, bpf, len, err);
}

/* ---- the cache: STATE/seccomp/HASH, the text naming what the program
 * was made from, NUL, the program.  A hit compares the whole text, so a
 * hash collision is a miss, never a wrong filter. */

static uint64_t
fnv1a (const char *s, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ULL;

  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
  return h;
}

static int
cache_path (const struct ab_config *cfg, const char *text, size_t n,
            char **path)
{
  return asprintf (path, "%s/seccomp/%016llx", cfg->state_dir,
                   (unsigned long long)fnv1a (text, n));
}

/* The program cached for TEXT; *BPF NULL on a miss. */
static void
cache_get (const char *path, const char *text, size_t n, unsigned char **bpf,
           size_t *len)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  size_t head = sizeof CACHE_MAGIC - 1 + n + 1;
  cleanup_free char *buf = NULL;
  struct stat st;

  *bpf = NULL;
  if (fd < 0 || fstat (fd, &st) < 0 || st.st_uid != geteuid ()
      || (size_t)st.st_size <= head
      || ((size_t)st.st_size - head) % sizeof (struct sock_filter) != 0
      || (size_t)st.st_size - head > BPF_MAXINSNS * sizeof (struct sock_filter))
    return;
  buf = malloc ((size_t)st.st_size);
  if (buf == NULL || read (fd, buf, (size_t)st.st_size) != st.st_size
      || memcmp (buf, CACHE_MAGIC, sizeof CACHE_MAGIC - 1) != 0
      || memcmp (buf + sizeof CACHE_MAGIC - 1, text, n) != 0
      || buf[head - 1] != '\0')
    return;
  /* The program moves to the front of the buffer it was read into. */
  *len = (size_t)st.st_size - head;
  memmove (buf, buf + head, *len);
  *bpf = (unsigned char *)steal_pointer (&buf);
}

/* Write the parts A, B and C (any may be empty) to FD, then close it. */
static int
write_parts (int fd, const void *a, size_t na, const void *b, size_t nb,
             const void *c, size_t nc)
{
  cleanup_close int owned = fd;
  const void *parts[] = { a, b, c };
  size_t lens[] = { na, nb, nc };

  if (fd < 0)
    return -1;
  for (size_t i = 0; i < 3; i++)
    for (size_t off = 0; off < lens[i];)
      {
        ssize_t w = write (fd, (const char *)parts[i] + off, lens[i] - off);
        if (w < 0 && errno == EINTR)
          continue;
        if (w < 0)
          return -1;
        off += (size_t)w;
      }
  return close (steal_fd (&owned));
}

/* Best effort: a cache that cannot be written costs a compile, no more. */
static void
cache_put (const struct ab_config *cfg, const char *path, const char *text,
           size_t n, const unsigned char *bpf, size_t len)
{
  cleanup_free char *dir = NULL, *tmp = NULL;

  if (asprintf (&dir, "%s/seccomp", cfg->state_dir) < 0
      || asprintf (&tmp, "%s.XXXXXX", path) < 0)
    return;
  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return;
  if (write_parts (mkostemp (tmp, O_CLOEXEC), CACHE_MAGIC,
                   sizeof CACHE_MAGIC - 1, text, n + 1, bpf, len)
          < 0
      || rename (tmp, path) < 0)
    unlink (tmp);
}

/* dl_iterate_phdr's callback: the GNU build ID of the first object, the
 * program itself, into DATA in hex ("" when it has none).  Returns 1 to
 * stop there. */
static int
build_id_of_self (struct dl_phdr_info *info, size_t size, void *data)
{
  char *out = data;

  /* The first object is the program itself. */
  for (int i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Phdr) *ph = &info->dlpi_phdr[i];
      const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
      const char *end = p + ph->p_memsz;

      if (ph->p_type != PT_NOTE)
        continue;
      while (p + sizeof (ElfW (Nhdr)) <= end)
        {
          const ElfW (Nhdr) *n = (const ElfW (Nhdr) *)p;
          const unsigned char *desc
              = (const unsigned char *)(n + 1) + ((n->n_namesz + 3) & ~3u);

          if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4
              && memcmp (n + 1, "GNU", 4) == 0 && n->n_descsz <= 64
              && (const char *)desc + n->n_descsz <= end)
            {
              for (unsigned j = 0; j < n->n_descsz; j++)
                sprintf (out + 2 * j, "%02x", desc[j]);
              return 1;
            }
          p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
        }
    }
  return 1;
}

/* What agentbox's default filter is made from: this build (the
 * allowlist, the rules' shapes, a static libseccomp), libseccomp's
 * version, the host's architecture and the configured deny list; its
 * length in *N.  NULL when this program carries no build ID: then
 * nothing is cached. */
static char *
default_inputs (const struct ab_config *cfg, size_t *n)
{
  const struct scmp_version *v = seccomp_version ();
  char id[129] = "";
  struct utsname u;
  char *text = NULL;
  FILE *f;

  dl_iterate_phdr (build_id_of_self, id);
  if (id[0] == '\0' || uname (&u) < 0 || v == NULL
      || (f = open_memstream (&text, n)) == NULL)
    return NULL;
  fprintf (f,
           "agentbox default profile\nbuild %s\nlibseccomp %u.%u.%u\n"
           "machine %s\ndeny",
           id, v->major, v->minor, v->micro, u.machine);
  for (char **d = cfg->seccomp_deny; d && *d; d++)
    fprintf (f, " %s", *d);
  fputc ('\n', f);
  if (fclose (f) != 0)
    {
      free (text);
      return NULL;
    }
  return text;
}

/* agentbox's default filter: from the cache, or built and compiled.
 * 1: the profile is one only the runtime can load. */
static int
default_filter (const struct ab_config *cfg, unsigned char **bpf, size_t *len,
                ab_error_t *err)
{
  size_t n = 0;
  cleanup_free char *text = default_inputs (cfg, &n), *path = NULL;
  cleanup_json struct ab_json *profile = NULL;
  int r;

  *bpf = NULL;
  if (text && cache_path (cfg, text, n, &path) < 0)
    return ab_error_set (err, ENOMEM, "out of memory");
  if (path)
    cache_get (path, text, n, bpf, len);
  if (*bpf)
    return 0;
  profile = ab_seccomp_default_profile (cfg);
  if (profile == NULL)
    return ab_error_set (err, ENOMEM, "out of memory");
  r = ab_seccomp_compile (profile, bpf, len, err);
  if (r == 0 && path)
    cache_put (cfg, path, text, n, *bpf, *len);
  return r;
}

int
ab_seccomp_default_to_init (struct ab_spec *s, const struct ab_config *cfg,
                            const char *state_dir, struct ab_harden_report *rep,
                            ab_error_t *err)
{
  cleanup_free unsigned char *bpf = NULL;
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  size_t len;
  int r;

  if (ab_spec_process (s) == NULL)
    return 0;
  r = default_filter (cfg, &bpf, &len, err);
  if (r != 0)
    return r;
  if (ab_net_make_run_dir (state_dir, err) < 0
      || asprintf (&path, "%s/run/" AB_SECCOMP_FILE, state_dir) < 0)
    return -1;
  unlink (path);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  /* Readable by the container's user, whatever the umask. */
  if (fd < 0 || fchmod (fd, 0644) < 0
      || write_parts (steal_fd (&fd), bpf, len, NULL, 0, NULL, 0) < 0)
    return ab_error_errno (err, "write %s", path);
  ab_harden_report_add (rep,
                        "linux.seccomp: none given; agentbox's allowlist "
                        "profile, compiled by agentbox (%zu instructions) "
                        "into %s, which agentbox-init installs",
                        len / sizeof (struct sock_filter), AB_SECCOMP_PATH);
  return 1;
}
