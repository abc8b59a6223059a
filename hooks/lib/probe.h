/* agentbox: which enforcement layers this host can run, and why not
 * (`agentbox doctor`, `agentbox-runc features`). */
#ifndef AB_HOOKS_PROBE_H
#define AB_HOOKS_PROBE_H

#include <stdbool.h>

struct ab_probe
{
  char lsm[256];      /* /sys/kernel/security/lsm */
  bool bpf_in_lsm;    /* "bpf" is in it */
  char lockdown[32];  /* the bracketed mode, "" when unknown */
  char cgroup2[300];  /* the cgroup2 mount, "" when none */
  int landlock_abi;   /* 0: none */
  bool connect_guard; /* cgroup sock_addr programs load here */
};

void ab_probe_host (struct ab_probe *p);

/* Only what two small files say: lsm and lockdown (the rest stays 0 and
 * "").  For a create's hot path, where BPF LSM is usually not active. */
void ab_probe_lsm (struct ab_probe *p);

/* The cgroup2 mount, from mountinfo (which can be long on a busy host). */
void ab_probe_cgroup2 (struct ab_probe *p);

/* BPF LSM programs could load: bpf is an active LSM and lockdown does not
 * forbid them (confidentiality does). */
bool ab_probe_bpf_lsm_usable (const struct ab_probe *p);

#endif
