#!/usr/bin/env bash
# Tier: C unit tests (build/tests/test-*), each a TAP stream.
set -u
B=${B:-build}
rc=0
shopt -s nullglob
for t in "$B"/tests/test-*; do
	echo "# unit: $(basename "$t")"
	# Renumbering is not needed: run.sh only counts ok / not ok lines.
	"$t" || rc=1
done
exit $rc
