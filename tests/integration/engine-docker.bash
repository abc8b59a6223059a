# agentbox: dockerd 20.10 for the engine scenarios.  Each test starts its
# own dockerd (Debian's /usr/sbin/dockerd, driven with Debian's
# /usr/bin/docker: /usr/local/bin/docker is a newer client) with every
# path in the scenario's temp dir; dockerd starts and supervises its own
# containerd there.  The agentbox runtime is contrib/docker/daemon.json's
# entry pointed at build/agentbox-runc; dockerd's environment reaches the
# runtime through containerd and its shim, so AGENTBOX_CONFIG is all the
# runtime needs (no wrapper, no runtimeArgs).  Teardown stops dockerd and
# containerd by PID and removes every container, mount, cgroup and file.
# Source after helpers.bash, net-helpers.bash and net-guard.bash.

DOCKERD=/usr/sbin/dockerd
DOCKER=/usr/bin/docker
DK_IMAGE=agentbox-busybox:test

# dk_setup: the temp dir, agentbox's config (network off), the daemon and
# the busybox image (dk_image's, built once per file by setup_file).
dk_setup() {
	T=$(mktemp -d /tmp/ab-dk.XXXXXX)
	# Under $T: agentboxd binds each container's hostexec socket through
	# its directory, so docker's 64-character ids fit any state dir.
	STATE=$T/state
	DK=$T/docker
	mkdir -p "$STATE" "$DK/data" "$DK/exec" "$DK/client"
	ab_config
	CONTAINERS=()
	# The runc --root docker's shim passes (ENGINES.md): net_teardown's
	# abr calls find leftovers there.
	ROOT=$DK/exec/runtime-runc/moby
	DK_CGROUP=ab-docker-$$-$RANDOM
	export DOCKER_CONFIG=$DK/client
	dk_daemon_json >"$DK/daemon.json"
	dk_start || return 1
	dk load -i "$DK_IMAGE_TAR" >/dev/null
}

# dk_daemon_json: contrib/docker/daemon.json's runtime, at build/, plus the
# paths and the switches that keep dockerd off the host's firewall, bridge,
# /etc/docker (the trust key) and /sys/fs/cgroup/*/docker (cgroup-parent).
dk_daemon_json() {
	jq --arg d "$DK" --arg runc "$AGENTBOX_RUNC" --arg cg "/$DK_CGROUP" '
		.runtimes.agentbox.path = $runc
		| . + {
			"data-root": "\($d)/data",
			"exec-root": "\($d)/exec",
			"pidfile": "\($d)/dockerd.pid",
			"hosts": ["unix://\($d)/docker.sock"],
			"deprecated-key-path": "\($d)/key.json",
			"iptables": false, "ip6tables": false, "ip-forward": false,
			"ip-masq": false, "bridge": "none",
			"storage-driver": "vfs",
			"cgroup-parent": $cg,
			"exec-opts": ["native.cgroupdriver=cgroupfs"]
		}' "$AB_TOP/contrib/docker/daemon.json"
}

# dk_start: dockerd, waited for until it answers (30 s at most).
dk_start() {
	local i
	# setsid: its own process group, away from bats; fd 3 closed, or bats
	# waits for dockerd before ending the test.
	AGENTBOX_CONFIG=$T/config.yaml setsid "$DOCKERD" --config-file "$DK/daemon.json" \
		</dev/null >"$DK/dockerd.log" 2>&1 3>&- &
	DK_PID=$!
	for i in $(seq 300); do
		if [ -S "$DK/docker.sock" ] && dk version >/dev/null 2>&1; then
			DK_CTRD_PID=$(cat "$DK/exec/containerd/containerd.pid" 2>/dev/null)
			return 0
		fi
		kill -0 "$DK_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "dockerd did not start:" >&2
	tail -20 "$DK/dockerd.log" >&2
	return 1
}

# dk ARGS...: Debian's docker client against this scenario's dockerd.
dk() {
	"$DOCKER" -H "unix://$DK/docker.sock" "$@"
}

# dk_image DIR: DIR/image.tar, a docker-archive ("docker save" format:
# manifest.json, the image config, one layer.tar) of busybox-static, its
# applets as symlinks.  One python3 process: forks are dear on a busy host.
dk_image() {
	mkdir -p "$1" && python3 - "$1" "$DK_IMAGE" <<-'PY'
	import hashlib, io, json, subprocess, sys, tarfile
	out, tag = sys.argv[1], sys.argv[2]
	applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True,
	                         text=True, check=True).stdout.split()
	def member(tar, name, kind, data=b"", mode=0o755, link=""):
	    ti = tarfile.TarInfo(name)
	    ti.type, ti.mode, ti.mtime, ti.linkname = kind, mode, 0, link
	    ti.size = len(data)
	    tar.addfile(ti, io.BytesIO(data) if data else None)
	layer = io.BytesIO()
	with tarfile.open(fileobj=layer, mode="w", format=tarfile.GNU_FORMAT) as t:
	    for d in ["bin", "proc", "sys", "dev", "etc", "tmp"]:
	        member(t, d, tarfile.DIRTYPE, mode=0o1777 if d == "tmp" else 0o755)
	    with open("/bin/busybox", "rb") as f:
	        member(t, "bin/busybox", tarfile.REGTYPE, f.read())
	    for a in applets:
	        if a != "busybox":
	            member(t, "bin/" + a, tarfile.SYMTYPE, link="busybox", mode=0o777)
	layer = layer.getvalue()
	diff = "sha256:" + hashlib.sha256(layer).hexdigest()
	config = json.dumps({"architecture": "amd64", "os": "linux",
	    "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"]},
	    "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
	cname = hashlib.sha256(config).hexdigest() + ".json"
	manifest = json.dumps([{"Config": cname, "RepoTags": [tag],
	                        "Layers": ["layer.tar"]}]).encode()
	with tarfile.open(out + "/image.tar", "w", format=tarfile.GNU_FORMAT) as t:
	    member(t, "manifest.json", tarfile.REGTYPE, manifest, 0o644)
	    member(t, cname, tarfile.REGTYPE, config, 0o644)
	    member(t, "layer.tar", tarfile.REGTYPE, layer, 0o644)
	PY
}

# dk_run_agent: a detached agentbox container running sleep; $CID is its
# full id.
dk_run_agent() {
	CID=$(dk run -d --runtime=agentbox --network none "$DK_IMAGE" sleep 600) || return 1
	[ ${#CID} -eq 64 ]
}

# dk_stop_pid PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (15).
dk_stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	for i in $(seq $((${2:-15} * 10))); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	sleep 0.2
	return 0
}

# dk_shim_pids: containerd shims serving this scenario's containerd (they
# outlive a dockerd that did not stop cleanly).  One grep over /proc.
dk_shim_pids() {
	local f pid comm
	for f in $(grep -l -a -F -- "-address $DK/exec/containerd/containerd.sock" \
		/proc/[0-9]*/cmdline 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		read -r comm <"/proc/$pid/comm" 2>/dev/null || continue
		[[ $comm == containerd-shim* ]] && echo "$pid"
	done
	return 0
}

# dk_teardown: containers, dockerd, its containerd and shims, the guardian,
# the internet, mounts and cgroups left under the temp dir, the temp dir.
dk_teardown() {
	local ids pid m d
	if [ -n "${DK_PID:-}" ] && kill -0 "$DK_PID" 2>/dev/null; then
		ids=$(dk ps -aq 2>/dev/null)
		[ -n "$ids" ] && dk rm -f $ids >/dev/null 2>&1
		dk_stop_pid "$DK_PID" 20
	fi
	dk_stop_pid "${DK_CTRD_PID:-}" 10
	for pid in $(dk_shim_pids); do
		kill -9 "$pid" 2>/dev/null || true
	done
	# Containers runc still knows (after a hard stop), through agentbox.
	if [ -d "${ROOT:-/nonexistent}" ]; then
		for d in "$ROOT"/*/; do
			[ -d "$d" ] && CONTAINERS+=("$(basename "$d")")
		done
	fi
	net_teardown
}

# net_teardown's ab_teardown removes $T: unmount what is left under it
# first (deepest first), and remove the cgroups dockerd made.
ab_teardown() {
	local m c id
	for id in "${CONTAINERS[@]}"; do
		runc --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	if [ -n "${T:-}" ]; then
		for m in $(awk -v t="$T/" -v s="$STATE/" 'index($5, t) == 1 || index($5, s) == 1 { print $5 }' \
			/proc/self/mountinfo | sort -r); do
			umount -l "$m" 2>/dev/null || true
		done
	fi
	if [ -n "${DK_CGROUP:-}" ]; then
		for c in $(find /sys/fs/cgroup/*/"$DK_CGROUP" -depth -type d 2>/dev/null); do
			rmdir "$c" 2>/dev/null || true
		done
	fi
	[ -n "${T:-}" ] && rm -rf "$T"
	return 0
}

# ab_state_ids: the containers agentbox has state for.
ab_state_ids() {
	ls "$STATE/containers" 2>/dev/null
}
