# agentbox: containerd 1.6 for the engine scenarios.  Each test starts its
# own containerd whose root, state, gRPC and ttrpc sockets and runc --root
# are under the scenario's temp dir, imports a busybox-static image built
# here (no registry), and drives it with `ctr` in a namespace of its own.
# Source after helpers.bash (and net-helpers.bash/net-guard.bash for the
# network scenarios).
#
#   CTD          $T/ctd: config.toml, containerd's log, the runtime wrapper
#   CTD_SOCK     containerd's gRPC socket
#   CTD_NS       the containerd namespace (also the runc root's subdirectory
#                and the cgroup parent containerd gives its containers)
#   ROOT         the runc --root the shim passes ($CTD/runc/$CTD_NS), so
#                helpers.bash's abr and wait_status see containerd's
#                containers
#
# containerd, its shim and runc pass their environment on, so
# AGENTBOX_CONFIG exported when containerd starts reaches agentbox-runc;
# the config file is read at every call, so a test may rewrite it.

CTD_IMAGE=localhost/agentbox-busybox:latest

# ctd_image_tar DIR: DIR/image.tar, a docker-archive ("docker save"
# format: manifest.json, the image config, one layer.tar) of a
# busybox-static rootfs.
ctd_image_tar() {
	local dir=$1 rootfs=$1/rootfs a diff cfg
	mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" \
		"$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
	cp /bin/busybox "$rootfs/bin/busybox"
	# One process for the ~270 applet links (a fork each is slow on a busy
	# machine).
	/bin/busybox --list | python3 -c '
import os, sys
for a in sys.stdin.read().split():
    if a != "busybox":
        os.symlink("busybox", os.path.join(sys.argv[1], a))' "$rootfs/bin" || return 1
	tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf "$dir/layer.tar" . || return 1
	diff=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
	jq -n --arg d "sha256:$diff" '{architecture: "amd64", os: "linux",
	  config: {Env: ["PATH=/bin"], Cmd: ["/bin/sh"]},
	  rootfs: {type: "layers", diff_ids: [$d]}}' >"$dir/config.json" || return 1
	cfg=$(sha256sum "$dir/config.json" | cut -d' ' -f1).json
	mv "$dir/config.json" "$dir/$cfg"
	jq -n --arg c "$cfg" --arg t "$CTD_IMAGE" \
		'[{Config: $c, RepoTags: [$t], Layers: ["layer.tar"]}]' >"$dir/manifest.json"
	tar -C "$dir" -cf "$dir/image.tar" manifest.json "$cfg" layer.tar
}

# ctd_setup: helpers.bash's ab_setup without its runc bundle (containerd
# makes the bundles): $T, $STATE, $T/config.yaml (network off) exported as
# AGENTBOX_CONFIG; then containerd for this scenario, the image imported,
# ROOT pointed at its runc root.  Teardown: ctd_teardown, then
# net_teardown (or ab_teardown).
ctd_setup() {
	T=$(mktemp -d /tmp/ab-bats.XXXXXX)
	STATE=$T/state
	mkdir -p "$STATE"
	ab_config
	CONTAINERS=()
	CTD=$T/ctd
	CTD_SOCK=$CTD/containerd.sock
	CTD_NS=abt-$$-$RANDOM
	CTD_IDS=()
	ROOT=$CTD/runc/$CTD_NS
	mkdir -p "$CTD/runc"
	ctd_wrapper
	ctd_config >"$CTD/config.toml"
	ctd_start || return 1
	[ -s "$BATS_FILE_TMPDIR/image/image.tar" ] ||
		ctd_image_tar "$BATS_FILE_TMPDIR/image" || return 1
	ctr_ image import "$BATS_FILE_TMPDIR/image/image.tar" >"$CTD/import.log" 2>&1 ||
		{ cat "$CTD/import.log"; return 1; }
}

# ctd_wrapper: $CTD/agentbox-runc logs its argv (one call a line) and execs
# the real one: the tests read which verbs containerd sent.
ctd_wrapper() {
	cat >"$CTD/agentbox-runc" <<-SH
	#!/bin/sh
	printf '%s\n' "\$*" >>"$CTD/argv.log"
	exec "$AGENTBOX_RUNC" "\$@"
	SH
	chmod +x "$CTD/agentbox-runc"
}

# ctd_config: config.toml with every path in $CTD and only the plugins ctr
# needs (no CRI, no /opt plugin, no snapshotters that probe the host).
ctd_config() {
	cat <<-TOML
	version = 2
	root = "$CTD/root"
	state = "$CTD/state"
	disabled_plugins = [
	  "io.containerd.grpc.v1.cri",
	  "io.containerd.internal.v1.opt",
	  "io.containerd.snapshotter.v1.aufs",
	  "io.containerd.snapshotter.v1.btrfs",
	  "io.containerd.snapshotter.v1.devmapper",
	  "io.containerd.snapshotter.v1.zfs",
	  "io.containerd.tracing.processor.v1.otlp",
	  "io.containerd.internal.v1.tracing",
	]
	[grpc]
	  address = "$CTD_SOCK"
	[ttrpc]
	  address = "$CTD/containerd.ttrpc.sock"
	[debug]
	  address = ""
	[metrics]
	  address = ""
	TOML
}

# ctd_start: containerd in the background, waited for (10 s at most).
ctd_start() {
	# fd 3 closed: bats waits for every holder of it before ending a test.
	containerd --config "$CTD/config.toml" </dev/null >"$CTD/containerd.log" 2>&1 3>&- &
	CTD_PID=$!
	for _ in $(seq 200); do
		ctr --address "$CTD_SOCK" version >/dev/null 2>&1 && return 0
		kill -0 "$CTD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "containerd did not start:" >&2
	cat "$CTD/containerd.log" >&2
	return 1
}

# ctr_ ARGS...: ctr against this scenario's containerd and namespace.
ctr_() {
	ctr --address "$CTD_SOCK" --namespace "$CTD_NS" "$@"
}

# ctd_run [RUN-FLAGS...] IMAGE ID [CMD...]: `ctr run` through agentbox-runc.
ctd_run() {
	ctr_ run --runc-binary "$CTD/agentbox-runc" --runc-root "$CTD/runc" "$@"
}

# ctd_new_id: a container id unique to this run, remembered for teardown.
ctd_new_id() {
	AB_ID_SEQ=$((${AB_ID_SEQ:-0} + 1))
	ID=abc-$$-$AB_ID_SEQ-$RANDOM
	CTD_IDS+=("$ID")
}

# ctd_start_agent: a detached container running `sleep 600`, as $ID.
ctd_start_agent() {
	ctd_new_id
	ctd_run -d "$CTD_IMAGE" "$ID" sleep 600 </dev/null >"$T/start.out" 2>&1 ||
		{ cat "$T/start.out"; return 1; }
}

# ctd_status ID: RUNNING, PAUSED, STOPPED... as `ctr task ls` says.
ctd_status() {
	ctr_ task ls | awk -v id="$1" '$1 == id { print $3 }'
}

# ctd_wait_status ID STATUS (5 s at most).
ctd_wait_status() {
	for _ in $(seq 50); do
		[ "$(ctd_status "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "task $1 is $(ctd_status "$1"), never $2" >&2
	return 1
}

# check_hardening <STATUS-TEXT: the CapEff, NoNewPrivs and Seccomp lines of
# a /proc/PID/status on stdin are agentbox's: no CAP_SYS_ADMIN nor
# CAP_NET_RAW (containerd's default set keeps the latter), no_new_privs, a
# seccomp filter (ctr adds none by default).
check_hardening() {
	local status cap
	status=$(cat)
	cap=$(awk '$1 == "CapEff:" { print $2 }' <<<"$status")
	[ -n "$cap" ] || { echo "no CapEff in: $status"; return 1; }
	refute has_cap "$cap" "$(cap_bit cap_sys_admin)" || { echo "CAP_SYS_ADMIN in $cap"; return 1; }
	refute has_cap "$cap" "$(cap_bit cap_net_raw)" || { echo "CAP_NET_RAW in $cap"; return 1; }
	grep -qx 'NoNewPrivs:[[:space:]]*1' <<<"$status" || { echo "no NoNewPrivs: $status"; return 1; }
	grep -qx 'Seccomp:[[:space:]]*2' <<<"$status" || { echo "no seccomp filter: $status"; return 1; }
}

# ctd_teardown: every task and container through containerd (so the shims
# exit), containerd by its PID, any shim or mount left behind, the
# namespace's cgroups; then the caller's teardown (ab_teardown or
# net_teardown) for agentbox's side and the temp dir.
ctd_teardown() {
	local id pid m d
	[ -n "${CTD:-}" ] || return 0
	if [ -n "${CTD_PID:-}" ] && kill -0 "$CTD_PID" 2>/dev/null; then
		for id in "${CTD_IDS[@]}"; do
			ctr_ task rm -f "$id" >/dev/null 2>&1 || true
			ctr_ container rm "$id" >/dev/null 2>&1 || true
		done
		ctd_stop
	fi
	# A shim outlives containerd: stop any left, by the pid it recorded.
	for pid in "$CTD"/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
		[ -e "$pid" ] || continue
		pid=$(cat "$pid")
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	done
	# Containers through agentbox-runc (CONTAINERS: helpers' teardown).
	for id in "${CTD_IDS[@]}"; do
		CONTAINERS+=("$id")
	done
	# Mounts under the temp dir (rootfs overlays), deepest first.
	awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	# The cgroups runc made: /NAMESPACE/ID in every hierarchy.
	for d in /sys/fs/cgroup/*/"$CTD_NS" /sys/fs/cgroup/"$CTD_NS"; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
	return 0
}

ctd_stop() {
	local i
	kill "$CTD_PID" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$CTD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$CTD_PID" 2>/dev/null || true
	wait "$CTD_PID" 2>/dev/null || true
	CTD_PID=
}
