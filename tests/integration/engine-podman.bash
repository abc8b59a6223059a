# agentbox: podman 4.3 driving agentbox-runc, for engine-podman.bats and
# tests/bench/bench-podman.sh.  Source after helpers.bash; pm_base makes
# $T, $ROOT, $STATE and $T/config.yaml.
#
# Everything podman keeps is under $T/podman (--root, --runroot, --tmpdir,
# the network config dir, the file locks), its config is $T/containers.conf
# (CONTAINERS_CONF: the host's /etc/containers files are not read), and every
# container's cgroups sit under a parent of this run's own ($PM_CGROUP), so
# teardown can remove them.  podman hands the runtime a stripped environment
# and never passes --root, so the runtime podman runs is a wrapper,
# $T/agentbox-runc, that sets AGENTBOX_CONFIG and runc's --root ($ROOT).

PM_IMAGE=localhost/agentbox-busybox:test

# pm_base: $T, $ROOT (runc's --root), $STATE and $T/config.yaml with the
# network layer off, as ab_setup makes them but without its bundle (the
# image is the bundle here).  $STATE is short: agentbox puts sockets under
# STATE/containers/<podman's 64-hex id>/, and a socket path has 107 bytes
# (the default /run/agentbox is 13 characters; so is this one).
pm_base() {
	T=$(mktemp -d /tmp/ab-pm.XXXXXX)
	ROOT=$T/runc
	STATE=$T/state
	mkdir -p "$ROOT" "$STATE"
	ab_config
	CONTAINERS=()
}

# pm_setup: podman's dirs, the wrapper and containers.conf.  Call after
# pm_base (and after net_config when the network layer is on: the wrapper
# reads $T/config.yaml whatever it holds).
pm_setup() {
	PM=$T/podman
	PM_CGROUP=/agentbox-pm-$$-$RANDOM
	mkdir -p "$PM/root" "$PM/runroot" "$PM/tmp" "$PM/networks"
	pm_wrapper "$T/agentbox-runc" "$AGENTBOX_RUNC"
	pm_conf "$T/agentbox-runc" >"$T/containers.conf"
	export CONTAINERS_CONF=$T/containers.conf
}

# pm_wrapper PATH RUNTIME: a runtime for podman that runs RUNTIME with this
# scenario's config, shim server (none unless ab_server_start ran first)
# and runc --root.
pm_wrapper() {
	cat >"$1" <<-SH
	#!/bin/sh
	AGENTBOX_CONFIG=$T/config.yaml AGENTBOX_SHIM_SOCKET=$AGENTBOX_SHIM_SOCKET exec $2 --root $ROOT "\$@"
	SH
	chmod 755 "$1"
}

# pm_conf RUNTIME-PATH: contrib/podman/agentbox.conf with the runtime's
# path replaced, plus what these hosts need (ENGINES.md): cgroupfs, file
# events, the ulimits root may set, file locks (podman's default shm lock
# segment is shared by every podman on the host), and state under $PM.
pm_conf() {
	sed -e "s|\"/usr/local/bin/agentbox-runc\"|\"$1\"|" \
		-e "/^\[engine\]\$/a\\
cgroup_manager = \"cgroupfs\"\\
events_logger = \"file\"\\
events_logfile_path = \"$PM/events.log\"\\
lock_type = \"file\"\\
image_copy_tmp_dir = \"$PM/tmp\"" \
		"$AB_TOP/contrib/podman/agentbox.conf"
	cat <<-TOML

	[containers]
	default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

	[network]
	network_config_dir = "$PM/networks"
	TOML
}

# pm ARGS...: podman with this scenario's storage and config.
pm() {
	TMPDIR=$PM/tmp CONTAINERS_CONF=$T/containers.conf \
		podman --root "$PM/root" --runroot "$PM/runroot" --tmpdir "$PM/tmp" \
		--storage-driver vfs "$@"
}

# pm_run ARGS...: `podman run` through agentbox, in this run's cgroup parent.
pm_run() {
	pm run --runtime agentbox --cgroup-parent "$PM_CGROUP" "$@"
}

# pm_rootfs_tar FILE: a busybox-static rootfs as a tar, with a secret in
# /root for the file layer to hide.  (One python process: a fork per applet
# takes seconds on a loaded host.)
pm_rootfs_tar() {
	python3 - "$1" <<-'PY'
	import io, subprocess, sys, tarfile
	applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True,
	                         text=True, check=True).stdout.split()
	with tarfile.open(sys.argv[1], "w") as t:
	    for d in ["bin", "proc", "dev", "sys", "etc", "tmp", "root", "work"]:
	        i = tarfile.TarInfo(d); i.type = tarfile.DIRTYPE; i.mode = 0o755
	        t.addfile(i)
	    t.add("/bin/busybox", "bin/busybox")
	    for a in applets:
	        if a != "busybox":
	            i = tarfile.TarInfo("bin/" + a); i.type = tarfile.SYMTYPE
	            i.linkname = "busybox"; t.addfile(i)
	    data = b"TOP-SECRET-CONTENT\n"
	    i = tarfile.TarInfo("root/secret"); i.size = len(data); i.mode = 0o644
	    t.addfile(i, io.BytesIO(data))
	PY
}

# pm_import [TAR]: `podman import` of that rootfs (made when TAR is not
# given) as $PM_IMAGE.  podman 4.3 puts
# its blob info cache in /var/lib/containers/cache whatever --root says; a
# private mount namespace with a tmpfs on /var/lib keeps the host's clean.
pm_import() {
	local tar=${1:-$T/rootfs.tar}
	[ -n "${1:-}" ] || pm_rootfs_tar "$tar" || return 1
	unshare --mount --propagation private sh -c '
		mount -t tmpfs -o size=16m agentbox-pm /var/lib && exec "$@"' sh \
		env TMPDIR="$PM/tmp" CONTAINERS_CONF="$T/containers.conf" \
		podman --root "$PM/root" --runroot "$PM/runroot" --tmpdir "$PM/tmp" \
		--storage-driver vfs import "$tar" "$PM_IMAGE" >/dev/null
}

# pm_full_id NAME: podman's 64-hex id of a container.
pm_full_id() {
	pm inspect --format '{{.Id}}' "$1"
}

# pm_pid NAME: the container's first process, as the host sees it.
pm_pid() {
	pm inspect --format '{{.State.Pid}}' "$1"
}

# pm_teardown: every container podman made here, what runc and agentbox
# still hold, mounts under $T, the guardian of $STATE (started by the first
# create, it runs in conmon's cgroup), this run's cgroups.  ab_teardown (or
# net_teardown) then removes $T, $STATE with it.
pm_teardown() {
	local id m
	[ -n "${PM:-}" ] || return 0
	pm rm -af -t 0 >/dev/null 2>&1 || true
	if [ -d "$ROOT" ]; then
		for id in $(runc --root "$ROOT" list -q 2>/dev/null); do
			AGENTBOX_CONFIG=$T/config.yaml "$AGENTBOX_RUNC" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	for m in $(findmnt -rn -o TARGET | grep "^$T/" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	pm_guardian_stop "$STATE"
	pm_cgroups_teardown
	return 0
}

# pm_guardian_stop STATE-DIR: agentboxd of that state dir, by its lock's pid.
pm_guardian_stop() {
	local pid i
	pid=$(head -1 "$1/agentboxd.lock" 2>/dev/null) || return 0
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then return 0; fi
	kill "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	return 0
}

# pm_cgroups_teardown: this run's cgroups, in every hierarchy.
pm_cgroups_teardown() {
	local procs f p= i d
	[ -n "${PM_CGROUP:-}" ] || return 0
	# conmon, and its exit command (`podman container cleanup`, which can
	# take seconds on a loaded host), leave the cgroups before they go and
	# before $T does (a late cleanup would make podman's dirs again).
	# Builtins only: a fork per poll is slow on a loaded host.
	for i in $(seq 300); do
		procs=
		for f in /sys/fs/cgroup/pids/"${PM_CGROUP#/}"/*/cgroup.procs /sys/fs/cgroup/pids/"${PM_CGROUP#/}"/cgroup.procs; do
			if [ -e "$f" ]; then read -r -d '' p <"$f" || true; fi
			procs+=${p:-}
			p=
		done
		if [ -z "$procs" ]; then break; fi
		sleep 0.1
	done
	for i in $(seq 20); do
		for d in /sys/fs/cgroup/*/"${PM_CGROUP#/}"; do
			if [ -d "$d" ]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
		done
		if ! compgen -G "/sys/fs/cgroup/*/${PM_CGROUP#/}" >/dev/null; then break; fi
		sleep 0.1
	done
	if compgen -G "/sys/fs/cgroup/*/${PM_CGROUP#/}" >/dev/null; then
		echo "pm_cgroups_teardown: cgroup $PM_CGROUP still busy: $procs" >&2
	fi
	return 0
}
