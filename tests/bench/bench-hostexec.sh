#!/usr/bin/env bash
# hostexec round trip: an auto-approved `true` asked from inside a
# container, through the guardian, vs fork+exec of `true` in the same
# place; one client at a time, then 50 at once.  Goal: <= 5 ms p50.
set -u
here=$(cd "$(dirname "$0")" && pwd)
AB_TOP=${AB_TOP:-$(cd "$here/../.." && pwd)}
B=${B:-build}
case $B in /*) ;; *) B=$AB_TOP/$B ;; esac
export AB_TOP B
N=${BENCH_HX_N:-1000}
TOOL=$B/bench/tool-hxload
[ "$(id -u)" -eq 0 ] || { echo "bench-hostexec: needs root"; exit 1; }
[ -x "$TOOL" ] || { echo "bench-hostexec: build first: make bench-programs"; exit 1; }

. "$AB_TOP/tests/integration/helpers.bash"
. "$AB_TOP/tests/integration/net-helpers.bash"
. "$AB_TOP/tests/integration/net-guard.bash"

T=
cleanup() { [ -n "$T" ] && net_teardown; }
trap cleanup EXIT

ab_setup
inet_setup >/dev/null
net_config
printf 'hostexec:\n  auto_approve: ["^true$"]\n' >"$T/project.yaml"
sed -i "s|policy: \[$T/policy.cedar\]|policy: [$T/policy.cedar, $T/project.yaml]|" "$T/config.yaml"
mkdir -p "$T/project"
add_bind "$T/project" /work
edit_config "$BUNDLE" '.process.cwd = "/work"'
start_agent || exit 1
pid=$(runc --root "$ROOT" state "$ID" | jq -r .pid)
sock=$STATE/containers/$ID/run/hostexec.sock
inside() { nsenter -t "$pid" -p -n "$@"; }

row() { # NAME MODE CONCURRENCY
	local r
	if [ "$2" = hostexec ]; then
		r=$(inside "$TOOL" hostexec "$sock" "$N" "$3") || return 1
	else
		r=$(inside "$TOOL" direct "$N" "$3") || return 1
	fi
	set -- "$1" "$3" $r
	printf '| %s | %s | %s | %s |\n' "$1" "$2" "$(awk "BEGIN{printf \"%.2f\", $3/1000}")" "$(awk "BEGIN{printf \"%.2f\", $4/1000}")"
	echo "$3" >"$T/p50.$1.$2"
}

echo "## hostexec round trip: \`true\`, $N requests per row"
echo
echo "| path | clients | p50 ms | p99 ms |"
echo "|---|---|---|---|"
row "direct fork+exec" direct 1
row "hostexec" hostexec 1
row "direct fork+exec" direct 50
row "hostexec" hostexec 50
p50=$(cat "$T/p50.hostexec.1")
echo
awk -v p="$p50" 'BEGIN { printf "goal: hostexec p50 <= 5 ms with one client: %.2f ms, %s\n", p / 1000, p <= 5000 ? "met" : "MISSED" }'
