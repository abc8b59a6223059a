/* agentbox: `agentbox policy ...` — check, explain (and later ir). */
#ifndef AB_POLICY_CLI_H
#define AB_POLICY_CLI_H

/* ARGV[0] is "policy".  Returns the exit status. */
int ab_policy_cli (int argc, char **argv);

#endif
