#!/usr/bin/env bash
# Bench: the file guard's cost inside a container, in the VM (BPF LSM
# runs only there on these machines): open/close of a shallow and a deep
# file and fork+exec, with policies of 10, 1,000 and 10,000 file rules
# against a container with no programs attached, all in one VM run.
# The VM is TCG-emulated: absolute figures are slow, ratios are what count.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${AB_TOP:-$(cd "$here/../.." && pwd)}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "## file guard (BPF LSM, in the VM): cost vs no programs attached"
AB_VM_SUITE=bench AB_VM_TIMEOUT=${AB_VM_TIMEOUT:-900} \
	AB_VM_APPEND="SCRIPT_TIMEOUT=800" "$top/tests/vm/run.sh" >"$log" 2>&1
rc=$?
if ! grep -Eq '^# bench 0 [0-9]+ [0-9]+ [0-9]+$' "$log" ||
	[ "$(grep -Ec '^# bench [0-9]+ [0-9]+ [0-9]+ [0-9]+$' "$log")" -ne 4 ]; then
	echo "the VM bench did not finish (tests/vm/run.sh exited $rc):"
	tail -20 "$log"
	exit 1
fi
awk '
/^# bench / { rules[++n] = $3; open[$3] = $4; deep[$3] = $5; exec_[$3] = $6 }
END {
	printf "| rules | open+close /etc/hostname | ratio | open+close 7-deep | ratio | fork+exec | ratio |\n"
	printf "|---:|---:|---:|---:|---:|---:|---:|\n"
	for (i = 1; i <= n; i++) {
		r = rules[i]
		printf "| %s | %d ns | %.2fx | %d ns | %.2fx | %d us | %.2fx |\n", \
			r == 0 ? "none (no programs)" : r == "floor" ? "empty lsm_cgroup program (the floor)" : r, \
			open[r], open[r] / open[0], \
			deep[r], deep[r] / deep[0], exec_[r], exec_[r] / exec_[0]
	}
}' "$log"
echo
echo "## file guard in global mode (every hook through the host-wide dispatcher)"
echo
awk '
/^# bench 0 / { base_open = $4; base_deep = $5; base_exec = $6 }
/^# bench-global / { open[$3] = $4; deep[$3] = $5; exec_[$3] = $6 }
END {
	if (!("g1000" in open)) { print "(the global-mode run did not finish)"; exit }
	printf "| container | open+close /etc/hostname | ratio | open+close 7-deep | ratio | fork+exec | ratio |\n"
	printf "|---|---:|---:|---:|---:|---:|---:|\n"
	printf "| no guard, dispatcher on file_open (vs no dispatcher above) | %d ns | %.2fx | %d ns | %.2fx | %d us | %.2fx |\n", \
		open[0], open[0] / base_open, deep[0], deep[0] / base_deep, exec_[0], exec_[0] / base_exec
	printf "| 1,000 rules, global mode (vs no guard, same phase) | %d ns | %.2fx | %d ns | %.2fx | %d us | %.2fx |\n", \
		open["g1000"], open["g1000"] / open[0], deep["g1000"], deep["g1000"] / deep[0], \
		exec_["g1000"], exec_["g1000"] / exec_[0]
}' "$log"
grep '^not ok' "$log" && exit 1
exit 0
