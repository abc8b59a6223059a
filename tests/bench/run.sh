#!/usr/bin/env bash
# agentbox: `make bench`.  Each benchmark prints its own table; peers are
# measured side by side in the same run, and results are ratios.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export AB_TOP=$(cd "$here/../.." && pwd)
export B=${B:-build}
rc=0
for b in "$here"/bench-*.sh; do
	[ -x "$b" ] || continue
	echo
	"$b" || { echo "bench $(basename "$b") failed"; rc=1; }
done
shopt -s nullglob
for b in "$B"/bench/bench-*; do
	[ -x "$b" ] || continue
	echo
	"$b" || { echo "bench $(basename "$b") failed"; rc=1; }
done
exit $rc
