/* agentbox: the file layer where BPF LSM is not available — Landlock,
 * applied by agentbox-init in front of the container's process
 * (docs/landlock.md).
 *
 * On create the shim compiles the policy; when it has file or exec rules
 * for the container, their Landlock form is written to
 * STATE/containers/ID/run/landlock.rules (seen in the container at
 * /run/agentbox/landlock.rules), agentbox-init is bound read-only at
 * AB_INIT_PATH and put in front of process.args (and of exec'd
 * processes).  A policy Landlock cannot express, or a kernel without
 * Landlock, fails the create: no container runs without the file layer
 * its policy asks for. */
#ifndef AB_SHIM_FILELAYER_H
#define AB_SHIM_FILELAYER_H

#include <stdbool.h>

#include "lib/error.h"
#include "policy/ir.h"
#include "shim/lib/config.h"
#include "shim/lib/harden.h"
#include "shim/lib/initwrap.h"
#include "spec/spec.h"

/* The rules agentbox-init applies, in STATE/run and in the container. */
#define AB_RULES_FILE "landlock.rules"
#define AB_RULES_PATH "/run/agentbox/" AB_RULES_FILE
/* In the container's state dir: the file guard was chosen (create) and
 * what the hook needs to attach it. */
#define AB_FILEGUARD_FILE "fileguard"

/* Compile the policy named in network.policy (the built-in default may
 * be absent: then it is empty). */
int ab_config_load_policy (const struct ab_config *cfg, struct ab_ir **out,
                           ab_error_t *err);

/* The annotation that names a narrowing policy (docs/narrowing.md). */
#define AB_ANN_POLICY "io.agentbox.policy"

/* The annotation that picks a container's mode. */
#define AB_ANN_MODE "io.agentbox.mode"

/* The mode VALUE (annotation io.agentbox.mode) names, if
 * network.annotation_modes allows it; else an error naming both. */
int ab_config_annotation_mode (const struct ab_config *cfg, const char *value,
                               enum ab_ir_mode *mode, ab_error_t *err);

/* The mode of a container created with io.agentbox.mode VALUE (NULL:
 * none, then DFLT).  create checked VALUE; one the config no longer
 * allows gives enforce (closed). */
enum ab_ir_mode ab_config_container_mode (const struct ab_config *cfg,
                                          const char *value,
                                          enum ab_ir_mode dflt);

/* Compile the narrowing policy NAME: NAME.cedar and/or NAME.yaml in
 * network.policy_dir.  NAME must be a plain name (letters, digits, '.',
 * '_', '-'; not starting with '.'), and at least one file must exist.
 * Errors name the annotation and the file:line at fault. */
int ab_config_load_narrow (const struct ab_config *cfg, const char *name,
                           struct ab_ir **out, ab_error_t *err);

/* Write IR's rules for container ID (PROJECT may be NULL) into
 * STATE_DIR, and NARROW's (may be NULL) as a second layer.  1: the
 * container runs under agentbox-init; 0: neither policy has file rules;
 * -1: error (the create fails).  initwrap.h puts agentbox-init in front. */
int ab_filelayer_prepare (const struct ab_ir *ir, const struct ab_ir *narrow,
                          const char *id, const char *project,
                          const char *state_dir, ab_error_t *err);

#endif
