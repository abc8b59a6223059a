#!/usr/bin/env bash
# `agentbox-runc run` vs `runc run` for a `true` container: median wall
# time, side by side in one run, the rows taking turns.  Each run starts from the
# engine's original config.json (restored in --prepare, not timed), so
# agentbox's rewrite is paid every time, as under a real engine.
set -eu
B=${B:-build}
case $B in /*) ;; *) B=$AB_TOP/$B ;; esac
RUNS=${BENCH_RUNS:-80}
command -v hyperfine >/dev/null || { echo "bench-runtime: hyperfine is not installed (apt-get install hyperfine)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-runtime: needs root"; exit 1; }

T=$(mktemp -d /tmp/ab-bench.XXXXXX)
# Everything (bundle, runc's root, agentbox's state) in a tmpfs, as on a
# real host: engines keep bundles and runtime state under /run (podman's
# userdata, containerd's task dirs, /run/runc, /run/agentbox), and /run is
# a tmpfs there.  On this machine /run is the root disk's ext4, where each
# file made and removed costs ~0.1 ms more.
cleanup() {
	local id pid
	for id in bench-runc bench-ab bench-net; do
		runc --root "$T/root" delete -f $id >/dev/null 2>&1
	done
	pid=$(head -1 "$T/netstate/agentboxd.lock" 2>/dev/null) && [ -n "$pid" ] && kill "$pid" 2>/dev/null && sleep 0.2
	mountpoint -q "$T/netstate/netns/proxy" 2>/dev/null && umount "$T/netstate/netns/proxy"
	mountpoint -q "$T" && umount "$T"
	rm -rf "$T"
}
trap cleanup EXIT
mount -t tmpfs -o size=256m,mode=0700 ab-bench "$T"
mkdir -p "$T/bundle/rootfs/bin" "$T/state"
cp /bin/busybox "$T/bundle/rootfs/bin/"
ln -s busybox "$T/bundle/rootfs/bin/true"
(cd "$T/bundle" && runc spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$T/bundle/config.json" >"$T/orig.json"
# The foundation's rows run with the network layer off; one row adds it
# (veth, connect guard, registration with an already running guardian).
printf 'runtime: runc\nstate_dir: %s/state\nnetwork: {enabled: false}\n' "$T" >"$T/config.yaml"
printf 'runtime: runc\nstate_dir: %s/netstate\nnetwork: {resolver: 127.0.0.1, audit_log: %s/audit.jsonl}\n' "$T" "$T" >"$T/net.yaml"
# agentbox alone: the whole create, with /bin/true for the runtime.
printf 'runtime: /bin/true\nstate_dir: %s/truestate\nnetwork: {enabled: false}\n' "$T" >"$T/true.yaml"
export AGENTBOX_CONFIG=$T/config.yaml

# The hardened bundle, for the like-for-like row: runc given the bundle
# agentbox hands it (agentbox-init and its seccomp filter, the mounts).
# Its /run/agentbox comes from a copy of the container's state, which
# goes with the container.
cp "$T/orig.json" "$T/bundle/config.json"
"$B/agentbox-runc" --root "$T/root" create -b "$T/bundle" bench-ab >/dev/null
cp -a "$T/state/containers/bench-ab/run" "$T/hardened-run"
jq --arg run "$T/hardened-run" \
	'.mounts |= map(if .destination == "/run/agentbox" then .source = $run else . end)' \
	"$T/bundle/config.json" >"$T/hardened.json"
"$B/agentbox-runc" --root "$T/root" delete -f bench-ab

# Like for like: runc given the same seccomp profile as agentbox's, which
# runc then compiles itself.  (runc spec's bundle has no seccomp at all.)
jq --slurpfile p <("$B/bench/tool-seccomp-profile") '.linux.seccomp = $p[0]' \
	"$T/orig.json" >"$T/seccomp.json"

# Warm the guardian once so its row measures a create, not its start.
AGENTBOX_CONFIG=$T/net.yaml "$B/agentbox-runc" --root "$T/root" run -b "$T/bundle" bench-net >/dev/null
# The rows take turns run by run (hyperfine times each run), their order
# reversed every other turn: this VM's drift moves a row's median by a
# few percent within a minute, more than agentbox's share, and it lands
# on every row alike this way.  Each row's config is in hyperfine's
# environment: `env` in front of a row would add its own exec (~2.5 ms
# here) to it.
row_names=(runc agentbox-runc "runc (bundle already hardened)"
	"runc, given agentbox's seccomp profile" "agentbox-runc, network layer on"
	"agentbox-runc, runtime: /bin/true" /bin/true)
row_config=("$T/config.yaml" "$T/config.yaml" "$T/config.yaml" "$T/config.yaml" "$T/net.yaml"
	"$T/true.yaml" "$T/config.yaml")
row_bundle=(orig orig hardened seccomp orig orig orig)
row_cmd=("runc --root $T/root run -b $T/bundle bench-runc"
	"$B/agentbox-runc --root $T/root run -b $T/bundle bench-ab"
	"runc --root $T/root run -b $T/bundle bench-runc"
	"runc --root $T/root run -b $T/bundle bench-runc"
	"$B/agentbox-runc --root $T/root run -b $T/bundle bench-net"
	"$B/agentbox-runc --root $T/root run -b $T/bundle bench-alone"
	/bin/true)
one() {
	AGENTBOX_CONFIG=${row_config[$1]} hyperfine -N --style none --runs 1 \
		--prepare "cp $T/${row_bundle[$1]}.json $T/bundle/config.json" \
		--export-json "$T/t-$1-$2.json" -n "${row_names[$1]}" "${row_cmd[$1]}" >/dev/null
}
for w in 1 2; do for i in "${!row_names[@]}"; do one "$i" warm$w; done; done
rm -f "$T"/t-*-warm*.json
for run in $(seq "$RUNS"); do
	if [ $((run % 2)) -eq 1 ]; then order=$(seq 0 $((${#row_names[@]} - 1)))
	else order=$(seq $((${#row_names[@]} - 1)) -1 0); fi
	for i in $order; do one "$i" "$run"; done
done
# Every row's times, and their median.
for i in "${!row_names[@]}"; do
	jq -s '{command: .[0].results[0].command, times: (map(.results[0].times[0]) | sort)}
		| .median = .times[(.times | length) / 2 | floor]' "$T"/t-"$i"-*.json
done | jq -s '{results: .}' >"$T/r.json"

jq -r '
  (.results | map({(.command): .median}) | add) as $m |
  "## container start: agentbox-runc run vs runc run (`true`, \(.results[0].times | length) runs each, taking turns)",
  "",
  "| runtime | median ms | ratio |",
  "|---|---|---|",
  (.results[:5][] | "| \(.command) | \(.median * 1000 | . * 100 | round / 100) | \((.median / $m["runc"]) * 1000 | round / 1000)x |"),
  "",
  "agentbox-runc alone: \(($m["agentbox-runc, runtime: /bin/true"] - $m["/bin/true"]) * 1000 | . * 100 | round / 100) ms",
  "(agentbox-runc run with runtime: /bin/true, \($m["agentbox-runc, runtime: /bin/true"] * 1000 | . * 100 | round / 100) ms,",
  "minus /bin/true alone, \($m["/bin/true"] * 1000 | . * 100 | round / 100) ms).",
  "",
  "target for the foundation: <= 1.05x. The row \"runc (bundle already hardened)\" is runc",
  "given the bundle agentbox writes (agentbox-init in front, installing agentbox seccomp filter);",
  "agentbox-runc minus that row is agentbox-runc in place, alone plus what runc leaves it",
  "(cold caches, a busy second core). runc spec'"'"'s bundle has no seccomp filter; the row",
  "\"runc, given agentbox'"'"'s seccomp profile\" is the same protection with runc compiling it.",
  "The network row adds the createRuntime and poststop hooks (veth pair, connect guard,",
  "registration) against a running guardian."' "$T/r.json"
