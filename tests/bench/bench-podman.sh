#!/usr/bin/env bash
# `podman run --rm --network none IMAGE true` through agentbox-runc vs
# through runc: median wall time, same image, same podman storage and
# config.  Each runtime is named in containers.conf by a wrapper of the same
# shape (it sets AGENTBOX_CONFIG and runc's --root), so the difference is
# agentbox's.  The commands are interleaved: ROUNDS hyperfine runs of a few
# runs each, so load from other work on the host falls on every row alike.
# A third row turns agentbox's network layer on (veth, connect guard,
# registration with an already running guardian; nothing leaves the host).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
AB_TOP=${AB_TOP:-$(cd "$here/../.." && pwd)}
B=${B:-build}
RUNS=${BENCH_RUNS:-30}
PER_ROUND=${BENCH_PER_ROUND:-2}
command -v hyperfine >/dev/null || { echo "bench-podman: hyperfine is not installed (apt-get install hyperfine)"; exit 1; }
command -v podman >/dev/null || { echo "bench-podman: podman is not installed"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-podman: needs root"; exit 1; }

BATS_TEST_DIRNAME=$AB_TOP/tests/integration
# shellcheck source=../integration/helpers.bash
. "$AB_TOP/tests/integration/helpers.bash"
# shellcheck source=../integration/engine-podman.bash
. "$AB_TOP/tests/integration/engine-podman.bash"

pm_base
pm_setup
NETSTATE=$(mktemp -d /tmp/abpXXXXX)
cleanup() {
	set +e
	# The network row's guardian first: it sits in conmon's cgroup.
	pm_guardian_stop "$NETSTATE"
	pm_teardown
	if mountpoint -q "$NETSTATE/netns/proxy" 2>/dev/null; then umount "$NETSTATE/netns/proxy" || true; fi
	rm -rf "$NETSTATE"
	rm -rf "$T"
}
trap cleanup EXIT

# runc, and agentbox with the network layer on, as two more named runtimes.
cat >"$T/runc-wrapper" <<-SH
#!/bin/sh
AGENTBOX_CONFIG=$T/config.yaml exec runc --root $ROOT "\$@"
SH
chmod 755 "$T/runc-wrapper"
printf 'runtime: runc\nstate_dir: %s\nhostexec: {enabled: false}\nnetwork: {resolver: 127.0.0.1, audit_log: %s/audit.jsonl}\n' \
	"$NETSTATE" "$T" >"$T/net.yaml"
cat >"$T/agentbox-net" <<-SH
#!/bin/sh
AGENTBOX_CONFIG=$T/net.yaml exec $AGENTBOX_RUNC --root $ROOT "\$@"
SH
chmod 755 "$T/agentbox-net"
sed -i -e "s|^\(runtime_supports_json = .*\)\"agentbox\"\]|\1\"agentbox\", \"plainrunc\", \"agentboxnet\"]|" \
	-e "/^\[engine.runtimes\]\$/a\\
plainrunc = [\"$T/runc-wrapper\"]\\
agentboxnet = [\"$T/agentbox-net\"]" "$T/containers.conf"
pm_import >/dev/null 2>&1

export CONTAINERS_CONF=$T/containers.conf TMPDIR=$PM/tmp
podman=(podman --root "$PM/root" --runroot "$PM/runroot" --tmpdir "$PM/tmp" --storage-driver vfs)
cmd() {
	echo "${podman[*]} run --rm --network none --cgroup-parent $PM_CGROUP --runtime $1 $PM_IMAGE true"
}
# Warm up each (the network row's first create starts the guardian).
for r in plainrunc agentbox agentboxnet; do
	$(cmd $r) >/dev/null
done

rounds=$(((RUNS + PER_ROUND - 1) / PER_ROUND))
for i in $(seq "$rounds"); do
	hyperfine -N --style none --runs "$PER_ROUND" --export-json "$T/round-$i.json" \
		-n runc "$(cmd plainrunc)" \
		-n agentbox-runc "$(cmd agentbox)" \
		-n "agentbox-runc, network layer on" "$(cmd agentboxnet)" >/dev/null
done
[ -z "$("${podman[@]}" ps -aq)" ] || { echo "bench-podman: containers left behind"; exit 1; }

jq -s -r '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  [.[].results[]] | group_by(.command)
  | map({command: .[0].command, times: (map(.times) | add)})
  | map(.median = (.times | median)) as $rows
  | ($rows | map({(.command): .median}) | add) as $m
  | "## podman run --rm --network none IMAGE true: agentbox-runc vs runc (\($rows[0].times | length) runs each, interleaved)",
    "",
    "| runtime | median ms | ratio |",
    "|---|---|---|",
    ($rows | sort_by(.median)[] |
      "| \(.command) | \(.median * 1000 | . * 10 | round / 10) | \((.median / $m["runc"]) * 1000 | round / 1000)x |"),
    "",
    "podman 4.3, vfs storage, cgroupfs; both runtimes behind the same wrapper script.",
    "The network row adds the createRuntime and poststop hooks (veth pair, connect guard,",
    "registration) against a running guardian."' "$T"/round-*.json
