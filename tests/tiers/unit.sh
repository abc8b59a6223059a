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
# agentbox-init's tests again, on its build against libc (what other
# architectures ship; build/agentbox-init is the one without libc on x86_64).
for t in test-landlock test-seccomp-bpf; do
	echo "# unit: $t, agentbox-init built against libc"
	AB_INIT=$B/tests/agentbox-init-libc "$B/tests/$t" || rc=1
done
exit $rc
