/* agentbox-init: confine the agent's files and execs with Landlock,
 * install agentbox's seccomp filter, then exec it (docs/landlock.md,
 * docs/hardening.md).  Static, needing nothing from the image: it runs
 * first in any image, before the agent, where BPF LSM is unavailable.
 *
 * Built without libc on x86_64 (lib/nolibc.h: its exec is ~1 ms cheaper),
 * against libc elsewhere; the sources include this header, not libc's. */
#ifndef AB_INIT_H
#define AB_INIT_H

#ifdef AB_NOLIBC
#include "lib/nolibc.h"
#else
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "lib/cleanup.h"
#include "lib/error.h"

struct sock_filter;

/* What a rule allows beneath PATH (or on PATH alone when it is a file). */
enum ab_init_access
{
  AB_INIT_RO, /* read files, list directories */
  AB_INIT_RW, /* ro + write, create, remove, rename, truncate, ioctl */
  AB_INIT_X,  /* ro + execute */
};

struct ab_init_rule
{
  enum ab_init_access access;
  char *path; /* absolute */
  unsigned line;
  unsigned layer; /* the ruleset it belongs to, from 0 */
};

struct ab_init_rules
{
  char *file; /* where the rules came from, for messages */
  struct ab_init_rule *v;
  size_t n;
  unsigned n_layers; /* rulesets, stacked in order (at least 1) */
};

/* Most rulesets a file may stack (Landlock allows 16 per process). */
#define AB_INIT_MAX_LAYERS 8

/* Read the rules in FILE into *RULES (empty on entry).  A line `layer`
 * starts a new ruleset stacked on the ones before it: Landlock allows
 * an access only when every layer does (a narrowing policy,
 * docs/narrowing.md).  A line that is not a rule, `layer`, a comment or
 * blank is an error naming FILE:LINE. */
int ab_init_rules_load (const char *file, struct ab_init_rules *rules,
                        ab_error_t *err);
/* The same from TEXT, LEN bytes and room for a NUL after them, named
 * NAME in messages.  TEXT is changed (each line's end becomes a NUL);
 * the rules keep no pointer into it. */
int ab_init_rules_parse (char *text, size_t len, const char *name,
                         struct ab_init_rules *rules, ab_error_t *err);

void ab_init_rules_free (struct ab_init_rules *rules);

/* The best Landlock ABI of the running kernel (>= 1), or -1 with ERR
 * saying why Landlock cannot be used. */
int ab_init_landlock_abi (ab_error_t *err);

/* The filesystem rights ABI knows, all of which the ruleset handles. */
uint64_t ab_init_landlock_handled (int abi);

/* The Landlock rights ACCESS grants, on a directory or on a file. */
uint64_t ab_init_landlock_rights (enum ab_init_access access, int dir);

/* Restrict this process, for good, to RULES under ABI: set no_new_privs
 * and enforce, per layer, a ruleset that handles every right ABI knows.  On
 * failure the process may already have no_new_privs but is not yet confined. */
int ab_init_landlock_apply (const struct ab_init_rules *rules, int abi,
                            ab_error_t *err);

/* A classic BPF seccomp program, as the shim wrote it
 * (shim/lib/seccomp-bpf.h). */
struct ab_init_filter
{
  const char *file;
  struct sock_filter *insns;
  size_t n;
};

/* Read the filter in FILE: 1 to BPF_MAXINSNS instructions. */
int ab_init_seccomp_load (const char *file, struct ab_init_filter *f,
                          ab_error_t *err);

/* Install F on this process, for good (no_new_privs first). */
int ab_init_seccomp_apply (const struct ab_init_filter *f, ab_error_t *err);

#endif
