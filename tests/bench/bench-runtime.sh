#!/usr/bin/env bash
# `agentbox-runc run` vs `runc run` for a `true` container: median wall
# time, side by side in one run, the rows taking turns.  Each run starts from the
# engine's original config.json (restored in --prepare, not timed), so
# agentbox's rewrite is paid every time, as under a real engine.
set -eu
B=${B:-build}
case $B in /*) ;; *) B=$AB_TOP/$B ;; esac
# 80 runs a row, 4 at a time in 20 rounds: this VM's drift moves a row's
# median by a few percent over a minute, more than agentbox's share.
RUNS=${BENCH_RUNS:-80}
ROUNDS=${BENCH_ROUNDS:-20}
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

# Warm the guardian once so its row measures a create, not its start.
AGENTBOX_CONFIG=$T/net.yaml "$B/agentbox-runc" --root "$T/root" run -b "$T/bundle" bench-net >/dev/null
# The rows take turns, ROUNDS times, so that the machine's drift over a
# run (this VM's neighbours) lands on every row alike.  Each config is
# its own hyperfine, with AGENTBOX_CONFIG in its environment: `env` in
# front of a row would add its own exec (~2.5 ms here) to it.
per_round=$((RUNS / ROUNDS))
hf() { hyperfine -N --style none --warmup 2 --runs "$per_round" "$@" >/dev/null; }
for round in $(seq "$ROUNDS"); do
	hf --export-json "$T/base$round.json" \
		--prepare "cp $T/orig.json $T/bundle/config.json" \
		-n runc "runc --root $T/root run -b $T/bundle bench-runc" \
		--prepare "cp $T/orig.json $T/bundle/config.json" \
		-n agentbox-runc "$B/agentbox-runc --root $T/root run -b $T/bundle bench-ab" \
		--prepare "cp $T/hardened.json $T/bundle/config.json" \
		-n "runc (bundle already hardened)" "runc --root $T/root run -b $T/bundle bench-runc"
	AGENTBOX_CONFIG=$T/net.yaml hf --export-json "$T/net$round.json" \
		--prepare "cp $T/orig.json $T/bundle/config.json" \
		-n "agentbox-runc, network layer on" "$B/agentbox-runc --root $T/root run -b $T/bundle bench-net"
	AGENTBOX_CONFIG=$T/true.yaml hf --export-json "$T/alone$round.json" \
		--prepare "cp $T/orig.json $T/bundle/config.json" \
		-n "agentbox-runc, runtime: /bin/true" "$B/agentbox-runc --root $T/root run -b $T/bundle bench-alone" \
		-n /bin/true /bin/true
	jq -s '{results: (map(.results) | add)}' "$T/base$round.json" "$T/net$round.json" \
		"$T/alone$round.json" >"$T/round$round.json"
done
# Every round's times, per row, and their median.
jq -s '{results: (map(.results) | transpose | map({command: .[0].command,
	times: (map(.times) | add | sort)}) | map(.median = .times[(.times | length) / 2 | floor]))}' \
	"$T"/round*.json >"$T/r.json"

jq -r '
  (.results | map({(.command): .median}) | add) as $m |
  "## container start: agentbox-runc run vs runc run (`true`, \(.results[0].times | length) runs each)",
  "",
  "| runtime | median ms | ratio |",
  "|---|---|---|",
  (.results[:4][] | "| \(.command) | \(.median * 1000 | . * 100 | round / 100) | \((.median / $m["runc"]) * 1000 | round / 1000)x |"),
  "",
  "agentbox-runc alone: \(($m["agentbox-runc, runtime: /bin/true"] - $m["/bin/true"]) * 1000 | . * 100 | round / 100) ms",
  "(agentbox-runc run with runtime: /bin/true, \($m["agentbox-runc, runtime: /bin/true"] * 1000 | . * 100 | round / 100) ms,",
  "minus /bin/true alone, \($m["/bin/true"] * 1000 | . * 100 | round / 100) ms).",
  "",
  "target for the foundation: <= 1.05x. The row \"runc (bundle already hardened)\" is runc",
  "given the bundle agentbox writes (agentbox-init in front, installing agentbox seccomp filter);",
  "agentbox-runc minus that row is agentbox-runc in place, alone plus what runc leaves it",
  "(cold caches, a busy second core).",
  "The network row adds the createRuntime and poststop hooks (veth pair, connect guard,",
  "registration) against a running guardian."' "$T/r.json"
