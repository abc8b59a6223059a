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
/* Add agentbox's denials to S's own seccomp profile; none, nothing. */
int ab_harden_seccomp (struct ab_spec *s, const struct ab_config *cfg,
                       struct ab_harden_report *rep, ab_error_t *err);
/* agentbox's allowlist profile, for a bundle that has none. */
struct ab_json *ab_seccomp_default_profile (const struct ab_config *cfg);
/* Set it as S's linux.seccomp, for the runtime to compile. */
int ab_harden_seccomp_default (struct ab_spec *s, const struct ab_config *cfg,
                               struct ab_harden_report *rep, ab_error_t *err);

#endif
