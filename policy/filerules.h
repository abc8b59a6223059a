/* agentbox: what the file layers (Landlock, the BPF file guard) share
 * about a policy's file and exec rules. */
#ifndef AB_POLICY_FILERULES_H
#define AB_POLICY_FILERULES_H

#include <stdbool.h>

#include "policy/ir.h"

#define AB_FR_READ 1u
#define AB_FR_WRITE 2u
#define AB_FR_EXEC 4u

/* The file rights a rule's actions speak of (AB_FR_*): FileOpen is both
 * read and write, ProcessExec is exec. */
unsigned ab_ir_file_rights (uint32_t actions);

/* Does R's principal scope take in P?  A scope the layers cannot decide
 * statically (a condition on the principal) does not. */
bool ab_ir_rule_applies (const struct ab_ir_rule *r,
                         const struct ab_ir_principal *p);

#endif
