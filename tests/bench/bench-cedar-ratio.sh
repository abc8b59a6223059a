#!/usr/bin/env bash
# agentbox bench: full Cedar evaluation, agentbox (C, in-process loop) vs
# the official engine @cedar-policy/cedar-wasm (node, in-process loop), on
# the same policy set, entities and requests (tests/policy/gen.js --bench).
# Startup, parsing and loading are outside both timed loops.  Prints one
# row per request and the ratio; goal: agentbox >= 20x faster.
#
#   tests/bench/bench-cedar-ratio.sh [AB_ITERS [CEDAR_ITERS]]
#
# Exits non-zero if a side cannot run or the two engines decide a request
# differently (the timing would then compare different work).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=${AB_TOP:-$(cd "$here/../.." && pwd)}
B=${B:-build}
case $B in /*) ;; *) B=$top/$B ;; esac
ab_iters=${1:-100000}
cedar_iters=${2:-3000}
driver=$B/tests/test-cedar-diff
pol=$top/tests/policy

[ -x "$driver" ] || { echo "cedar-ratio: $driver not built (make unit-tests)" >&2; exit 1; }
command -v node >/dev/null || { echo "cedar-ratio: node not found" >&2; exit 1; }
[ -d "$pol/node_modules/@cedar-policy/cedar-wasm" ] ||
	{ echo "cedar-ratio: run \`npm ci\` in tests/policy" >&2; exit 1; }

(cd "$pol" && node gen.js --bench --out corpus)
cases=$pol/corpus/bench.jsonl
ab=$(mktemp) cw=$(mktemp)
trap 'rm -f "$ab" "$cw"' EXIT
"$driver" --bench "$cases" "$ab_iters" >"$ab"
(cd "$pol" && node bench.js "$cases" "$cedar_iters") >"$cw"

echo "Cedar full evaluation: agentbox vs cedar-wasm $(cd "$pol" && node -p 'require("@cedar-policy/cedar-wasm/nodejs").getCedarVersion()')"
echo "(agentbox: $ab_iters iterations per request; cedar-wasm: $cedar_iters, preparsed policy set, statefulIsAuthorized)"
awk '
	NR == FNR { abns[$1] = $2; abdec[$1] = $3; next }
	FNR == 1 {
		printf "%-52s %-6s %14s %14s %9s\n", "request", "dec", "agentbox ns", "cedar-wasm ns", "ratio"
	}
	{
		id = $1; cwns = $2; cwdec = $3; a = abns[id]; ad = abdec[id]
		desc = ""; for (i = 4; i <= NF; i++) desc = desc (i > 4 ? " " : "") $i
		if (a == "" || a <= 0) { print "no agentbox timing for case " id; bad++; next }
		if (ad != cwdec) { bad++; mark = " DIFFERENT: agentbox " ad } else mark = ""
		printf "%-52s %-6s %14.1f %14.1f %8.0fx%s\n", substr(desc, 1, 52), cwdec, a, cwns, cwns / a, mark
		sab += a; scw += cwns; slog += log(cwns / a); n++
	}
	END {
		if (n == 0) { print "no cases"; exit 1 }
		printf "%-52s %-6s %14.1f %14.1f %8.0fx\n", "mean", "", sab / n, scw / n, scw / sab
		g = exp(slog / n)
		printf "geometric mean ratio: %.0fx (goal >= 20x: %s)\n", g, (g >= 20 ? "met" : "NOT met")
		if (bad) { printf "%d request(s) decided differently: timing invalid\n", bad; exit 1 }
	}' "$ab" "$cw"
