#!/usr/bin/env bash
# Tier: BPF LSM and the runtime in a VM (tests/vm/run.sh): Debian's kernel
# under qemu (TCG), since the host's lockdown refuses LSM programs.  The
# whole tier is bounded by VM_TIER_SECONDS (default 240).
set -u
top=${AB_TOP:-.}
secs=${VM_TIER_SECONDS:-240}
timeout -k 5 "$secs" "$top/tests/vm/run.sh"
rc=$?
case $rc in
0) ;;
77) rc=0 ;; # run.sh printed the SKIP line and why
124) echo "not ok - vm tier: killed after ${secs}s (logs in ${B:-build}/vm/)" ;;
esac
exit $rc
