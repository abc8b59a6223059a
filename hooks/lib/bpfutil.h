/* agentbox: what the BPF loaders (connect guard, file guard) share: the
 * libbpf boundary (its messages become debug lines, its errors ab_errors)
 * and pin directories on a bpffs. */
#ifndef AB_HOOKS_BPFUTIL_H
#define AB_HOOKS_BPFUTIL_H

#include <stdbool.h>

#include "lib/error.h"

#define BPFFS_ROOT "/sys/fs/bpf"

/* Route libbpf's messages (the verifier log among them) to debug lines. */
void ab_bpf_libbpf_init (void);

/* Convert libbpf's negative errno RC into *ERR with the context FMT. */
int ab_bpf_error (ab_error_t *err, int rc, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* mkdir -p PIN_DIR (0700) on a bpffs, mounting one at /sys/fs/bpf if
 * none is; *CREATED says whether PIN_DIR itself was made. */
int ab_bpf_make_pin_dir (const char *pin_dir, bool *created, ab_error_t *err);

/* PIN_DIR/NAME into BUF (PATH_MAX bytes). */
int ab_bpf_pin_path (char *buf, const char *pin_dir, const char *name,
                     ab_error_t *err);

/* Detach the link pinned at PATH now (unpinning alone frees it later). */
void ab_bpf_detach_pinned (const char *path);

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
void ab_unescape_octal (char *s);

#endif
