/* agentbox: the few libc functions agentbox-init uses, for a build
 * without libc (AB_NOLIBC; lib/nolibc.c, docs/start-time.md).
 *
 * agentbox-init runs in front of every container's process.  Linked
 * against glibc, its exec costs ~1.1 ms more here than the same program
 * without: glibc's start asks `cpuid` for the cache sizes (a trap to the
 * hypervisor in a VM) and touches pages for TLS, stdio and its ifuncs.
 * This header declares, under their usual names and prototypes, what
 * agentbox-init calls; lib/nolibc.c implements them with raw system
 * calls for x86_64.  Other architectures build agentbox-init against
 * libc, from the same sources.
 *
 * Single-threaded, no stdio, no locale, no atexit: exit() is exit_group.
 * malloc() never gives memory back before the exec that ends the
 * program.  Constants and structures come from the kernel's headers. */
#ifndef AB_NOLIBC_H
#define AB_NOLIBC_H

#if !defined(__x86_64__)
#error "lib/nolibc.c supports x86_64 only; build without AB_NOLIBC"
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/limits.h>
#include <linux/prctl.h>
#include <linux/stat.h>

/* Everything here is the program's own: direct calls, no GOT. */
#pragma GCC visibility push(hidden)

typedef long ssize_t;
typedef struct ab_nolibc_file FILE; /* declared for lib/cleanup.h, never made */

extern int errno;
extern char **environ;

long syscall (long number, ...);
int open (const char *path, int flags, ...);
ssize_t read (int fd, void *buf, size_t n);
ssize_t write (int fd, const void *buf, size_t n);
int close (int fd);
int statx (int dirfd, const char *path, int flags, unsigned int mask,
           struct statx *buf);
int prctl (int option, ...);
int execve (const char *path, char *const argv[], char *const envp[]);
/* The child shares our memory and runs until it execs or exits, while
 * we wait: no copy of the page tables (posix_spawn's way). */
int vfork (void) __attribute__ ((returns_twice));
/* PATH search as glibc's: PATH unset is "/bin:/usr/bin", EACCES on one
 * entry is remembered while the others are tried, and a file the kernel
 * will not exec (ENOEXEC) is run by /bin/sh. */
int execvp (const char *file, char *const argv[]);
void exit (int status) __attribute__ ((noreturn));
char *getenv (const char *name);

void *malloc (size_t n);
void *calloc (size_t n, size_t size);
void *realloc (void *p, size_t n);
void free (void *p);
int fclose (FILE *f);

void *memcpy (void *dst, const void *src, size_t n);
void *memset (void *dst, int c, size_t n);
void *memchr (const void *s, int c, size_t n);
int memcmp (const void *a, const void *b, size_t n);
size_t strlen (const char *s);
int strcmp (const char *a, const char *b);
int strncmp (const char *a, const char *b, size_t n);
char *strchr (const char *s, int c);
char *strdup (const char *s);
/* glibc's wording for the errnos a start can meet; "Unknown error N"
 * for the rest. */
char *strerror (int errnum);

/* Conversions: %%, %c, %s and %.*s, and d, u, x with the length
 * modifiers l, ll and z.  Anything else is written as it stands. */
int vsnprintf (char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));
int snprintf (char *buf, size_t size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int vasprintf (char **out, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 2, 0)));
int asprintf (char **out, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
int dprintf (int fd, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#pragma GCC visibility pop

#endif
