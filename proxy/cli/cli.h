/* agentbox: subcommands that live in the CLI itself. */
#ifndef AB_PROXY_CLI_H
#define AB_PROXY_CLI_H

int ab_guardian_cli (int argc, char **argv);
int ab_approvals_cli (int argc, char **argv);
int ab_decide_cli (int argc, char **argv);
int ab_doctor_cli (int argc, char **argv);
int ab_mode_cli (int argc, char **argv);
/* `agentbox policy`: ab_policy_cli, plus `suggest` (suggest.c). */
int ab_policy_main (int argc, char **argv);
int ab_suggest_cli (int argc, char **argv);

#endif
