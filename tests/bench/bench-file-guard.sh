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
[ -n "${BENCH_LOG:-}" ] && cp "$log" "$BENCH_LOG"
if ! grep -Eq '^# bench 0 [0-9]+ [0-9]+ [0-9]+$' "$log" ||
	[ "$(grep -Ec '^# bench [0-9]+ [0-9]+ [0-9]+ [0-9]+$' "$log")" -ne 4 ]; then
	echo "the VM bench did not finish (tests/vm/run.sh exited $rc):"
	tail -20 "$log"
	exit 1
fi
# A row's ratio: its best figure in the container's cgroup over its best
# in a cgroup with no programs, both sides measured in turns, in the same
# container (tests/vm/bench/file-guard.sh).  The best, not the median:
# the host's noise only ever adds time, by up to 2x here.
ratio_awk='
function round_ratio(r, c) {
	return ((r, c) in bb) && bb[r, c] > 0 ? bg[r, c] / bb[r, c] : 0
}
function pair(    c) {
	for (c = 1; c <= 3; c++) {
		if (!(($5, c) in bg) || $(5 + c) < bg[$5, c])
			bg[$5, c] = $(5 + c)
		if (!(($5, c) in bb) || $(8 + c) < bb[$5, c])
			bb[$5, c] = $(8 + c)
	}
	if ($4 + 1 > rounds)
		rounds = $4 + 1
}'
awk "$ratio_awk"'
/^# pair bench / { pair() }
/^# bench / { rules[++n] = $3; open[$3] = $4; deep[$3] = $5; exec_[$3] = $6 }
END {
	printf "Best of %d rounds in the container'"'"'s cgroup; ratio: over the best of as many in a cgroup with no programs, same container, in turns.\n\n", rounds
	printf "| rules | open+close /etc/fgb.N | ratio | open+close /data/d7/s7/a/b/c/f.N | ratio | fork+exec | ratio |\n"
	printf "|---:|---:|---:|---:|---:|---:|---:|\n"
	for (i = 1; i <= n; i++) {
		r = rules[i]
		for (c = 1; c <= 3; c++)
			ratio[c] = round_ratio(r, c)
		printf "| %s | %d ns | %.2fx | %d ns | %.2fx | %d us | %.2fx |\n", \
			r == 0 ? "none (no programs: the pairs'"'"' noise)" : r == "floor" ? "empty lsm_cgroup program (the floor)" : r, \
			open[r], ratio[1], deep[r], ratio[2], exec_[r], ratio[3]
	}
}' "$log"
echo
echo "The file_open program's own time per open (the kernel's BPF statistics,"
echo "over every open of both loops in every round), against the best shallow"
echo "open without programs in the same container; the floor row's ratio"
echo "above is what the kernel's lsm_cgroup path adds around it:"
echo
awk "$ratio_awk"'
/^# pair bench / { pair() }
/^# progns bench / { ns[$4] = $5; calls[$4] = $6; order[++k] = $4 }
END {
	printf "| rules | program per open | calls | share of an open |\n|---:|---:|---:|---:|\n"
	for (i = 1; i <= k; i++) {
		r = order[i]
		printf "| %s | %d ns | %d | %.1f%% |\n", r == "floor" ? "empty program (the floor)" : r, \
			ns[r], calls[r], (bb[r, 1] > 0 ? 100 * ns[r] / bb[r, 1] : 0)
	}
}' "$log"
echo
echo "## file guard in global mode (every hook through the host-wide dispatcher)"
echo
awk "$ratio_awk"'
/^# bench 0 / { base_open = $4; base_deep = $5; base_exec = $6 }
/^# pair bench-global / { pair() }
/^# bench-global / { open[$3] = $4; deep[$3] = $5; exec_[$3] = $6 }
END {
	if (!("g1000" in open)) { print "(the global-mode run did not finish)"; exit }
	printf "| container | open+close /etc/fgb.N | ratio | open+close /data/d7/s7/a/b/c/f.N | ratio | fork+exec | ratio |\n"
	printf "|---|---:|---:|---:|---:|---:|---:|\n"
	printf "| no guard, dispatcher on file_open (vs no dispatcher above; best vs best) | %d ns | %.2fx | %d ns | %.2fx | %d us | %.2fx |\n", \
		open[0], open[0] / base_open, deep[0], deep[0] / base_deep, exec_[0], exec_[0] / base_exec
	printf "| 1,000 rules, global mode (vs no guard, same phase) | %d ns | %.2fx | %d ns | %.2fx | %d us | %.2fx |\n", \
		open["g1000"], round_ratio("g1000", 1), deep["g1000"], round_ratio("g1000", 2), \
		exec_["g1000"], round_ratio("g1000", 3)
}' "$log"
grep '^not ok' "$log" && exit 1
exit 0
