/* agentbox: what the hardening rules share (not installed). */
#ifndef AB_HARDEN_INTERNAL_H
#define AB_HARDEN_INTERNAL_H

#include "shim/lib/harden.h"

int ab_harden_report_add (struct ab_harden_report *rep, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

int ab_harden_mounts (struct ab_spec *s, const struct ab_config *cfg,
                      struct ab_harden_report *rep, ab_error_t *err);
int ab_harden_namespaces (struct ab_spec *s, const struct ab_config *cfg,
                          struct ab_harden_report *rep, ab_error_t *err);
/* Is the namespace file PATH one of a container agentbox confined?
 * Errors count as no (closed). */
bool ab_harden_ns_confined (const struct ab_config *cfg, const char *path);
int ab_harden_seccomp (struct ab_spec *s, const struct ab_config *cfg,
                       struct ab_harden_report *rep, ab_error_t *err);

#endif
