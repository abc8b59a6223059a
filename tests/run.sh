#!/usr/bin/env bash
# agentbox: run test tiers and count their TAP lines.
#
#   tests/run.sh [TIER...]      tiers are tests/tiers/TIER.sh (default: all)
#
# Each tier prints TAP.  "ok ... # SKIP why" counts as skipped, "not ok" as
# failed; a tier that exits non-zero without a "not ok" line counts as one
# failure of its own.  The last line is "N passed, N failed, N skipped".
set -u
here=$(cd "$(dirname "$0")" && pwd)
export B=${B:-build}
export AB_TOP=$(cd "$here/.." && pwd)

tiers=("$@")
if [ ${#tiers[@]} -eq 0 ]; then
	for f in "$here"/tiers/*.sh; do tiers+=("$(basename "$f" .sh)"); done
fi

passed=0 failed=0 skipped=0
failures=()
for tier in "${tiers[@]}"; do
	script=$here/tiers/$tier.sh
	echo "# ---- tier: $tier"
	if [ ! -x "$script" ]; then
		echo "not ok - tier $tier: no $script"
		failed=$((failed + 1)); failures+=("tier $tier missing")
		continue
	fi
	out=$(mktemp)
	start=$SECONDS
	"$script" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -E '^ok ' "$out" | grep -viEc '# skip') || true
	s=$(grep -E '^ok ' "$out" | grep -iEc '# skip') || true
	f=$(grep -Ec '^not ok ' "$out") || true
	while IFS= read -r line; do failures+=("$tier: $line"); done < <(grep -E '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1; failures+=("$tier: tier exited $rc with no failing test")
	fi
	rm -f "$out"
	echo "# tier $tier: $p passed, $f failed, $s skipped ($((SECONDS - start)) s)"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
