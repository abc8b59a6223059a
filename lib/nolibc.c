/* agentbox: libc's few functions agentbox-init needs, on raw system
 * calls (nolibc.h).  x86_64; compiled with -ffreestanding -nostdlib.
 *
 * The program must have no dynamic relocations: nothing here relocates
 * it, so a pointer in initialised data would point into the void.  The
 * Makefile checks the linked file (readelf -r). */
#include "lib/nolibc.h"

#include <asm/prctl.h>
#include <linux/auxvec.h>
#include <linux/mman.h>

int errno;
char **environ;

#define AB_STR2(x) #x
#define AB_STR(x) AB_STR2 (x)

/* ---- system calls ---- */

static long
sys6 (long n, long a, long b, long c, long d, long e, long f)
{
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;

  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

/* The kernel returns -errno in [-4095, -1]. */
static long
check (long ret)
{
  if (ret < 0 && ret >= -4095)
    {
      errno = (int)-ret;
      return -1;
    }
  return ret;
}

/* N arguments of a variadic system call, all taken as longs (what the
 * kernel reads from the registers anyway).  Like glibc's syscall() and
 * prctl(), this reads all N whether the caller passed them or not; the
 * kernel ignores the ones a call does not take. */
static void
take_longs (va_list ap, long *a, int n)
{
  for (int i = 0; i < n; i++)
    a[i] = va_arg (ap, long);
}

long
syscall (long number, ...)
{
  long a[6];
  va_list ap;

  va_start (ap, number);
  take_longs (ap, a, 6);
  va_end (ap);
  return check (sys6 (number, a[0], a[1], a[2], a[3], a[4], a[5]));
}

int
open (const char *path, int flags, ...)
{
  unsigned mode = 0;
  va_list ap;

  va_start (ap, flags);
  if (flags & (O_CREAT | __O_TMPFILE))
    mode = va_arg (ap, unsigned);
  va_end (ap);
  return (int)check (
      sys6 (__NR_openat, AT_FDCWD, (long)path, flags, mode, 0, 0));
}

ssize_t
read (int fd, void *buf, size_t n)
{
  return check (sys6 (__NR_read, fd, (long)buf, (long)n, 0, 0, 0));
}

ssize_t
write (int fd, const void *buf, size_t n)
{
  return check (sys6 (__NR_write, fd, (long)buf, (long)n, 0, 0, 0));
}

int
close (int fd)
{
  return (int)check (sys6 (__NR_close, fd, 0, 0, 0, 0, 0));
}

int
statx (int dirfd, const char *path, int flags, unsigned int mask,
       struct statx *buf)
{
  return (int)check (
      sys6 (__NR_statx, dirfd, (long)path, flags, mask, (long)buf, 0));
}

int
prctl (int option, ...)
{
  long a[4];
  va_list ap;

  va_start (ap, option);
  take_longs (ap, a, 4);
  va_end (ap);
  return (int)check (sys6 (__NR_prctl, option, a[0], a[1], a[2], a[3], 0));
}

int
execve (const char *path, char *const argv[], char *const envp[])
{
  return (int)check (
      sys6 (__NR_execve, (long)path, (long)argv, (long)envp, 0, 0, 0));
}

/* vfork returns twice on one stack: the return address is kept in a
 * register across the system call, so that the child's return does not
 * leave the parent a stack without it (glibc's way). */
__asm__(".text\n"
        ".global vfork\n"
        ".type vfork, @function\n"
        "vfork:\n"
        "  pop %rdi\n"
        "  mov $" AB_STR (__NR_vfork) ", %eax\n"
                                      "  syscall\n"
                                      "  push %rdi\n"
                                      "  cmp $-4095, %rax\n"
                                      "  jae 1f\n"
                                      "  ret\n"
                                      "1:\n"
                                      "  neg %eax\n"
                                      "  mov %eax, errno(%rip)\n"
                                      "  mov $-1, %eax\n"
                                      "  ret\n"
                                      ".size vfork, .-vfork\n");

void
exit (int status)
{
  for (;;)
    sys6 (__NR_exit_group, status, 0, 0, 0, 0, 0);
}

char *
getenv (const char *name)
{
  size_t n = strlen (name);

  for (char **e = environ; e && *e; e++)
    if (strncmp (*e, name, n) == 0 && (*e)[n] == '=')
      return *e + n + 1;
  return NULL;
}

/* Run FILE, which the kernel would not, as a shell script: glibc's
 * fallback for a script without "#!". */
static void
exec_script (const char *file, char *const argv[])
{
  size_t argc = 0;
  char **sh_argv;

  while (argv[argc])
    argc++;
  /* "/bin/sh", FILE, then argv[1] on, and the NULL. */
  sh_argv = malloc ((argc > 1 ? argc + 2 : 3) * sizeof *sh_argv);
  if (sh_argv == NULL)
    return;
  sh_argv[0] = (char *)"/bin/sh";
  sh_argv[1] = (char *)file;
  for (size_t i = 1; i < argc; i++)
    sh_argv[i + 1] = argv[i];
  sh_argv[argc > 1 ? argc + 1 : 2] = NULL;
  execve ("/bin/sh", sh_argv, environ);
  errno = ENOEXEC;
}

static int
exec_one (const char *file, char *const argv[])
{
  execve (file, argv, environ);
  if (errno == ENOEXEC)
    exec_script (file, argv);
  return -1;
}

int
execvp (const char *file, char *const argv[])
{
  const char *path = getenv ("PATH"), *p, *end;
  size_t len = strlen (file);
  bool eacces = false;
  char buf[PATH_MAX];

  if (len == 0)
    {
      errno = ENOENT;
      return -1;
    }
  if (strchr (file, '/'))
    return exec_one (file, argv);
  if (len > NAME_MAX)
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  if (path == NULL)
    path = "/bin:/usr/bin";
  for (p = path;; p = end + 1)
    {
      size_t dir;

      end = strchr (p, ':');
      if (end == NULL)
        end = p + strlen (p);
      dir = (size_t)(end - p);
      /* An entry too long to hold FILE is skipped, as glibc does. */
      if (dir + 1 + len < sizeof buf)
        {
          memcpy (buf, p, dir);
          buf[dir] = '/';
          /* An empty entry is the current directory. */
          memcpy (buf + dir + (dir > 0), file, len + 1);
          exec_one (buf, argv);
          switch (errno)
            {
            case EACCES:
              eacces = true;
              break;
            case ENOENT:
            case ESTALE:
            case ENOTDIR:
            case ENODEV:
            case EHOSTDOWN:
            case ETIMEDOUT:
              break;
            default:
              return -1;
            }
        }
      if (*end == '\0')
        break;
    }
  if (eacces)
    errno = EACCES;
  return -1;
}

/* ---- memory ---- */

/* Each block starts with its size.  Blocks come from a static arena, or
 * from mmap once it is used up; free() gives nothing back (the program
 * execs or exits within a millisecond). */
struct block
{
  size_t size;
  size_t pad; /* keeps the data 16-byte aligned */
};

static unsigned char arena[64 * 1024] __attribute__ ((aligned (16)));
static size_t arena_used;

void *
malloc (size_t n)
{
  size_t need;
  struct block *b;

  if (n > SIZE_MAX / 2)
    {
      errno = ENOMEM;
      return NULL;
    }
  need = (sizeof *b + n + 15) & ~(size_t)15;
  if (need <= sizeof arena - arena_used)
    {
      b = (struct block *)(arena + arena_used);
      arena_used += need;
    }
  else
    {
      long p = sys6 (__NR_mmap, 0, (long)need, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

      if (check (p) == -1)
        return NULL;
      b = (struct block *)p;
    }
  b->size = n;
  return b + 1;
}

void *
calloc (size_t n, size_t size)
{
  if (size && n > SIZE_MAX / size)
    {
      errno = ENOMEM;
      return NULL;
    }
  /* The arena and fresh mappings are zero and never reused. */
  return malloc (n * size);
}

void *
realloc (void *p, size_t n)
{
  struct block *b = p ? (struct block *)p - 1 : NULL;
  void *q;

  if (b && n <= b->size)
    return p;
  q = malloc (n);
  if (q && b)
    memcpy (q, p, b->size);
  return q;
}

void
free (void *p)
{
  (void)p;
}

/* ---- strings ---- */

void *
memcpy (void *dst, const void *src, size_t n)
{
  void *d = dst;

  __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dst;
}

void *
memset (void *dst, int c, size_t n)
{
  void *d = dst;

  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return dst;
}

void *
memchr (const void *s, int c, size_t n)
{
  const unsigned char *p = s;

  for (; n; n--, p++)
    if (*p == (unsigned char)c)
      return (void *)p;
  return NULL;
}

int
memcmp (const void *a, const void *b, size_t n)
{
  const unsigned char *x = a, *y = b;

  for (; n; n--, x++, y++)
    if (*x != *y)
      return *x - *y;
  return 0;
}

size_t
strlen (const char *s)
{
  const char *p = s;

  while (*p)
    p++;
  return (size_t)(p - s);
}

int
strcmp (const char *a, const char *b)
{
  for (; *a && *a == *b; a++, b++)
    ;
  return (unsigned char)*a - (unsigned char)*b;
}

int
strncmp (const char *a, const char *b, size_t n)
{
  for (; n && *a && *a == *b; n--, a++, b++)
    ;
  return n ? (unsigned char)*a - (unsigned char)*b : 0;
}

char *
strchr (const char *s, int c)
{
  for (;; s++)
    {
      if (*s == (char)c)
        return (char *)s;
      if (*s == '\0')
        return NULL;
    }
}

char *
strdup (const char *s)
{
  size_t n = strlen (s) + 1;
  char *d = malloc (n);

  return d ? memcpy (d, s, n) : NULL;
}

char *
strerror (int errnum)
{
  static char unknown[32];

  switch (errnum)
    {
#define AB_ERRNO(name, text)                                                   \
  case name:                                                                   \
    return (char *)text;
#include "lib/nolibc-errnos.h"
#undef AB_ERRNO
    }
  snprintf (unknown, sizeof unknown, "Unknown error %d", errnum);
  return unknown;
}

/* ---- formatting ---- */

struct out
{
  char *buf;
  size_t size, len; /* len counts what would have been written */
};

static void
put (struct out *o, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++, o->len++)
    if (o->len + 1 < o->size)
      o->buf[o->len] = s[i];
}

static void
put_number (struct out *o, unsigned long long v, bool negative, unsigned base)
{
  char digits[24];
  size_t n = sizeof digits;

  do
    {
      digits[--n] = "0123456789abcdef"[v % base];
      v /= base;
    }
  while (v);
  if (negative)
    digits[--n] = '-';
  put (o, digits + n, sizeof digits - n);
}

int
vsnprintf (char *buf, size_t size, const char *fmt, va_list ap)
{
  struct out o = { buf, size, 0 };

  for (const char *f = fmt; *f; f++)
    {
      const char *start = f;
      int precision = -1, longs = 0;
      bool size_t_arg = false;

      if (*f != '%')
        {
          put (&o, f, 1);
          continue;
        }
      f++;
      if (f[0] == '.' && f[1] == '*')
        {
          precision = va_arg (ap, int);
          f += 2;
        }
      for (; *f == 'l'; f++)
        longs++;
      if (*f == 'z')
        {
          size_t_arg = true;
          f++;
        }
      switch (*f)
        {
        case '%':
          put (&o, "%", 1);
          break;
        case 'c':
          {
            char c = (char)va_arg (ap, int);
            put (&o, &c, 1);
          }
          break;
        case 's':
          {
            const char *s = va_arg (ap, const char *);
            size_t n;

            if (s == NULL)
              s = "(null)";
            n = strlen (s);
            if (precision >= 0 && (size_t)precision < n)
              n = (size_t)precision;
            put (&o, s, n);
          }
          break;
        case 'd':
          {
            long long v = size_t_arg   ? (long long)va_arg (ap, ssize_t)
                          : longs >= 2 ? va_arg (ap, long long)
                          : longs == 1 ? va_arg (ap, long)
                                       : va_arg (ap, int);
            put_number (&o,
                        v < 0 ? -(unsigned long long)v : (unsigned long long)v,
                        v < 0, 10);
          }
          break;
        case 'u':
        case 'x':
          {
            unsigned long long v = size_t_arg ? va_arg (ap, size_t)
                                   : longs >= 2
                                       ? va_arg (ap, unsigned long long)
                                   : longs == 1 ? va_arg (ap, unsigned long)
                                                : va_arg (ap, unsigned);
            put_number (&o, v, false, *f == 'x' ? 16 : 10);
          }
          break;
        default:
          /* Not a conversion this file knows: written as it stands. */
          if (*f == '\0')
            f--;
          put (&o, start, (size_t)(f - start + 1));
        }
    }
  if (size)
    o.buf[o.len < size ? o.len : size - 1] = '\0';
  return o.len > INT32_MAX ? -1 : (int)o.len;
}

int
snprintf (char *buf, size_t size, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (buf, size, fmt, ap);
  va_end (ap);
  return n;
}

int
vasprintf (char **out, const char *fmt, va_list ap)
{
  va_list again;
  int n;

  va_copy (again, ap);
  n = vsnprintf (NULL, 0, fmt, ap);
  *out = n < 0 ? NULL : malloc ((size_t)n + 1);
  if (*out)
    vsnprintf (*out, (size_t)n + 1, fmt, again);
  va_end (again);
  return *out ? n : -1;
}

int
asprintf (char **out, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vasprintf (out, fmt, ap);
  va_end (ap);
  return n;
}

int
dprintf (int fd, const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vasprintf (&s, fmt, ap);
  va_end (ap);
  for (int done = 0; n >= 0 && done < n;)
    {
      ssize_t w = write (fd, s + done, (size_t)(n - done));

      if (w < 0 && errno != EINTR)
        return -1;
      if (w > 0)
        done += (int)w;
    }
  return n;
}

/* ---- start ---- */

/* x86_64's stack protector reads its canary at %fs:0x28, in the thread
 * control block glibc would have made. */
static struct
{
  void *self;
  unsigned char pad[0x20];
  uintptr_t canary;
} tcb __attribute__ ((aligned (64)));

void __stack_chk_fail (void) __attribute__ ((noreturn));

void
__stack_chk_fail (void)
{
  static const char msg[] = "agentbox: stack smashing detected\n";

  sys6 (__NR_write, 2, (long)msg, sizeof msg - 1, 0, 0, 0);
  for (;;)
    sys6 (__NR_kill, sys6 (__NR_getpid, 0, 0, 0, 0, 0, 0), 6 /* SIGABRT */, 0,
          0, 0, 0);
}

int main (int argc, char **argv);
void ab_nolibc_start (long *sp) __attribute__ ((noreturn, used));

/* Called by _start with the initial stack: argc, argv, NULL, envp,
 * NULL, auxv.  The canary is set here, so this function has none. */
__attribute__ ((no_stack_protector)) void
ab_nolibc_start (long *sp)
{
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  unsigned long *aux;

  environ = envp;
  while (*envp)
    envp++;
  tcb.self = &tcb;
  for (aux = (unsigned long *)(envp + 1); aux[0] != AT_NULL; aux += 2)
    if (aux[0] == AT_RANDOM)
      memcpy (&tcb.canary, (void *)aux[1], sizeof tcb.canary);
  /* A zero low byte stops a string overflow from copying the canary. */
  tcb.canary &= ~(uintptr_t)0xff;
  sys6 (__NR_arch_prctl, ARCH_SET_FS, (long)&tcb, 0, 0, 0, 0);
  exit (main (argc, argv));
}

__asm__(".text\n"
        ".global _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call ab_nolibc_start\n"
        "  hlt\n");
