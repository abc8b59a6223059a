#!/usr/bin/env bats
# agentbox-runc against real runc on a busybox-static bundle: the runc verbs
# pass through, and every bundle is hardened before runc sees it.

load helpers

setup() { ab_setup; }
teardown() { ab_teardown; }

status_field() { # status_field NAME: from this scenario's captured $output
	echo "$output" | sed -n "s/^$1:[[:space:]]*//p" | head -1
}

@test "run: dangerous capabilities are dropped from the container's sets" {
	edit_config "$BUNDLE" '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN","CAP_NET_RAW","CAP_SYS_PTRACE","CAP_CHOWN"])'
	set_cmd 'grep -E "^Cap(Eff|Bnd|Prm|Inh|Amb):" /proc/self/status'
	new_id
	run abr run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	for set in CapEff CapBnd CapPrm; do
		mask=$(status_field $set)
		[ -n "$mask" ]
		refute has_cap "$mask" "$(cap_bit cap_sys_admin)"
		refute has_cap "$mask" "$(cap_bit cap_net_raw)"
		refute has_cap "$mask" "$(cap_bit cap_sys_ptrace)"
		has_cap "$mask" "$(cap_bit cap_chown)" # harmless ones stay
	done
}

@test "run: noNewPrivileges is forced on" {
	edit_config "$BUNDLE" '.process.noNewPrivileges = false'
	set_cmd 'grep -E "^NoNewPrivs:" /proc/self/status'
	new_id
	run abr run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 1 ]
}

@test "run: a bundle without seccomp gets agentbox's filter, and it denies unshare" {
	[ "$(jq -r '.linux.seccomp // "none"' "$BUNDLE/config.json")" = none ]
	set_cmd 'grep -E "^Seccomp:" /proc/self/status; unshare -U true && echo UNSHARE-OK || echo UNSHARE-DENIED; echo hi'
	new_id
	run abr run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	[[ "$output" == *UNSHARE-DENIED* ]]
	[[ "$output" == *hi* ]] # ordinary syscalls still work
	# agentbox compiled it once: agentbox-init installs it, not runc.
	jq -e '.linux.seccomp == null' "$BUNDLE/config.json"
	jq -e '.process.args[:4] == ["/run/agentbox/agentbox-init", "--seccomp", "/run/agentbox/seccomp.bpf", "--"]' "$BUNDLE/config.json"
}

@test "run: agentbox-init runs from /run/agentbox, one read-only mount, linked to one copy per binary" {
	# agentbox-shim beside its own agentbox-init (no server: a worker's
	# sibling would be the build's).
	mkdir "$T/bin"
	cp "$B/agentbox-shim" "$B/agentbox-runc" "$B/agentbox-init" "$T/bin/"
	export AGENTBOX_SHIM_SOCKET=
	set_cmd 'sleep 60'
	new_id
	"$T/bin/agentbox-runc" --root "$ROOT" run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	# No mount of its own: the run directory's, read-only.
	jq -e '[.mounts[] | select(.destination | startswith("/run/agentbox"))] | length == 1' "$BUNDLE/config.json"
	jq -e '.mounts[] | select(.destination == "/run/agentbox") | .options | index("ro")' "$BUNDLE/config.json"
	run abr exec "$ID" /bin/sh -c 'touch /run/agentbox/x || echo RO'
	[[ "$output" == *RO* ]]
	# A hard link to the one copy of this binary in the state.
	copies=("$STATE"/init/agentbox-init.*)
	[ "${#copies[@]}" -eq 1 ]
	[ "$(stat -c %i "${copies[0]}")" = "$(stat -c %i "$STATE/containers/$ID/run/agentbox-init")" ]
	cmp "${copies[0]}" "$B/agentbox-init"
	abr kill "$ID" KILL
	wait_status "$ID" stopped
	abr delete "$ID"
	# Another binary (an upgrade): its own copy, and the old one goes.
	cp "$B/agentbox-init" "$T/bin/agentbox-init.new"
	mv "$T/bin/agentbox-init.new" "$T/bin/agentbox-init"
	set_cmd 'grep -E "^Seccomp:" /proc/self/status'
	new_id
	run "$T/bin/agentbox-runc" --root "$ROOT" run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	after=("$STATE"/init/agentbox-init.*)
	[ "${#after[@]}" -eq 1 ]
	[ "${after[0]}" != "${copies[0]}" ]
}

@test "exec: processes exec'd into a container get agentbox's filter too" {
	set_cmd 'sleep 60'
	new_id
	abr run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	run abr exec "$ID" /bin/sh -c 'grep -E "^Seccomp:" /proc/self/status; unshare -U true && echo UNSHARE-OK || echo UNSHARE-DENIED'
	[ "$status" -eq 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	[[ "$output" == *UNSHARE-DENIED* ]]
	# Flags before the id, as engines pass them.
	run abr exec --cwd / --env A=1 "$ID" /bin/sh -c 'echo "A=$A"; grep -E "^Seccomp:" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	[[ "$output" == *A=1* ]]
	jq -n '{terminal: false, cwd: "/", user: {uid: 0, gid: 0}, env: ["PATH=/bin"],
		args: ["/bin/sh", "-c", "grep -E \"^Seccomp:\" /proc/self/status; unshare -U true && echo UNSHARE-OK || echo UNSHARE-DENIED"]}' >"$T/process.json"
	run abr exec --process "$T/process.json" "$ID"
	[ "$status" -eq 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	[[ "$output" == *UNSHARE-DENIED* ]]
	abr kill "$ID" KILL
	wait_status "$ID" stopped
	abr delete "$ID"
}

@test "start: with its filter file gone, the container's process never runs" {
	mkdir -p "$T/out"
	add_bind "$T/out" /out
	set_cmd 'echo ran >/out/marker'
	new_id
	abr create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	rm "$STATE/containers/$ID/run/seccomp.bpf"
	abr start "$ID" || true
	wait_status "$ID" stopped
	[ ! -e "$T/out/marker" ]
	abr delete "$ID"
	# The control: the same container with its filter runs.
	new_id
	abr run -b "$BUNDLE" "$ID"
	[ -e "$T/out/marker" ]
}

@test "run: a bundle that starts its args with agentbox-init still runs under agentbox's" {
	# Its own options would skip the filter; ours go in front of them.
	set_cmd 'grep -E "^Seccomp:" /proc/self/status; unshare -U true && echo UNSHARE-OK || echo UNSHARE-DENIED'
	printf 'rw /\nx /\n' >"$BUNDLE/rootfs/all.rules"
	edit_config "$BUNDLE" '.process.args = ["/run/agentbox/agentbox-init", "--rules", "/all.rules", "--allow-without-landlock", "--"] + .process.args'
	new_id
	run abr run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	[[ "$output" == *UNSHARE-DENIED* ]]
	jq -e '.process.args[:5] == ["/run/agentbox/agentbox-init", "--seccomp", "/run/agentbox/seccomp.bpf", "--", "/run/agentbox/agentbox-init"]' "$BUNDLE/config.json"
}

@test "run: a permissive seccomp profile gets agentbox's denials added" {
	edit_config "$BUNDLE" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["unshare", "mount"], "action": "SCMP_ACT_ALLOW"}]}'
	set_cmd 'unshare -U true && echo UNSHARE-OK || echo UNSHARE-DENIED'
	new_id
	run abr run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *UNSHARE-DENIED* ]]
}

@test "run: a bind-mounted ~/.ssh is removed, through a symlink too" {
	home=$T/home/user
	mkdir -p "$home/.ssh"
	echo SECRET-KEY >"$home/.ssh/id_ed25519"
	ln -s "$home/.ssh" "$T/innocent-link"
	add_bind "$home/.ssh" /root/.ssh
	add_bind "$T/innocent-link" /mnt/keys
	set_cmd 'cat /root/.ssh/id_ed25519 /mnt/keys/id_ed25519 2>&1; echo done'
	new_id
	HOME=$home run abr run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *done* ]]
	[[ "$output" != *SECRET-KEY* ]]
	refute jq -e '.mounts[] | select(.destination == "/root/.ssh" or .destination == "/mnt/keys")' "$BUNDLE/config.json"
}

@test "run: a fake docker.sock reached through a symlink is removed" {
	[ ! -e /run/docker.sock ] || skip "host has a real /run/docker.sock"
	# A real socket at the engine path, made by this test and removed after.
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind("/run/docker.sock")'
	ln -s /var/run/docker.sock "$T/sock-link"
	add_bind "$T/sock-link" /var/run/docker.sock
	set_cmd 'test -S /var/run/docker.sock && echo SOCKET-VISIBLE || echo SOCKET-ABSENT'
	new_id
	run abr run -b "$BUNDLE" "$ID"
	rm -f /run/docker.sock
	[ "$status" -eq 0 ]
	[[ "$output" == *SOCKET-ABSENT* ]]
}

@test "run: a mounted \$HOME keeps working with its secrets masked" {
	home=$T/home/user
	mkdir -p "$home/project" "$home/.ssh" "$home/.aws"
	echo hello-project >"$home/project/README"
	echo SECRET-KEY >"$home/.ssh/id_rsa"
	echo SECRET-AWS >"$home/.aws/credentials"
	echo "machine x login y password SECRET-NETRC" >"$home/.netrc"
	add_bind "$home" /home/agent
	set_cmd 'cat /home/agent/project/README; echo "ssh:[$(ls -A /home/agent/.ssh)]"; echo "aws:[$(ls -A /home/agent/.aws)]"; echo "netrc:[$(cat /home/agent/.netrc)]"; touch /home/agent/.ssh/x 2>/dev/null && echo SSH-WRITABLE; echo work >/home/agent/project/new && echo project-writable'
	new_id
	HOME=$home run abr run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *hello-project* ]]
	[[ "$output" == *"ssh:[]"* ]]
	[[ "$output" == *"aws:[]"* ]]
	[[ "$output" == *"netrc:[]"* ]]
	[[ "$output" != *SECRET* ]]
	[[ "$output" != *SSH-WRITABLE* ]]
	[[ "$output" == *project-writable* ]]
	[ "$(cat "$home/project/new")" = work ]
	[ ! -e "$home/.ssh/x" ]
}

@test "run: host pid/ipc/uts namespaces are replaced by new ones" {
	edit_config "$BUNDLE" '.linux.namespaces |= map(select(.type != "pid" and .type != "uts" and .type != "ipc"))'
	set_cmd 'echo "pid1:$(cat /proc/1/comm)"; readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc'
	new_id
	run abr run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" != *"$(readlink /proc/self/ns/uts)"* ]]
	[[ "$output" != *"$(readlink /proc/self/ns/ipc)"* ]]
	[[ "$output" == *"pid1:sh"* ]]
}

@test "create/start/state/kill/delete through agentbox-runc, state recorded and removed" {
	edit_config "$BUNDLE" '.annotations = {"io.agentbox.project": "demo", "io.agentbox.mode": "shadow", "io.agentbox.policy": "strict"}'
	# The mode and the named policy must be ones the config allows.
	mkdir -p "$T/policies"
	echo 'permit (principal, action == Action::"NetworkConnect", resource in Host::"example.com");' >"$T/policies/strict.cedar"
	ab_config "policy_dir: $T/policies" "annotation_modes: [enforce, shadow]"
	set_cmd 'sleep 60'
	new_id
	# runc init holds stdout open until start: do not capture it.
	abr create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(abr state "$ID" | jq -r .status)" = created ]
	[ -f "$STATE/containers/$ID/state.json" ]
	[ "$(jq -r '.annotations["io.agentbox.project"]' "$STATE/containers/$ID/state.json")" = demo ]
	[ "$(jq -r '.annotations["io.agentbox.mode"]' "$STATE/containers/$ID/state.json")" = shadow ]
	abr start "$ID"
	[ "$(abr state "$ID" | jq -r .status)" = running ]
	run abr ps "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *sleep* ]]
	abr kill "$ID" 9
	wait_status "$ID" stopped
	abr delete "$ID"
	refute runc --root "$ROOT" state "$ID" 2>/dev/null
	[ ! -e "$STATE/containers/$ID" ]
}

# cg_value ID CONTROLLER FILE: FILE of the container's cgroup (v1
# controller, as on these hybrid hosts, or the unified tree).
cg_value() {
	local pid path
	pid=$(abr state "$1" | jq -r .pid)
	path=$(awk -F: -v c="$2" '$2 == c {print $3}' /proc/$pid/cgroup)
	if [ -n "$path" ]; then
		cat "/sys/fs/cgroup/$2$path/$3"
	else
		path=$(awk -F: '$1 == 0 {print $3}' /proc/$pid/cgroup)
		cat "/sys/fs/cgroup$path/$3" 2>/dev/null || cat "/sys/fs/cgroup/unified$path/$3"
	fi
}

pids_max() {
	cg_value "$1" pids pids.max
}

@test "pause/resume/update pass through to runc; update's limits reach the cgroup" {
	set_cmd 'sleep 60'
	new_id
	abr run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	abr pause "$ID"
	[ "$(abr state "$ID" | jq -r .status)" = paused ]
	abr resume "$ID"
	[ "$(abr state "$ID" | jq -r .status)" = running ]
	run abr update --pids-limit 42 "$ID"
	[ "$status" -eq 0 ]
	[ "$(pids_max "$ID")" = 42 ]
	# --resources FILE, as engines send it, and from stdin.
	echo '{"pids": {"limit": 43}, "memory": {"limit": 67108864}}' >"$T/res.json"
	run abr update --resources "$T/res.json" "$ID"
	[ "$status" -eq 0 ]
	[ "$(pids_max "$ID")" = 43 ]
	mem=$(cg_value "$ID" memory memory.limit_in_bytes 2>/dev/null || cg_value "$ID" memory memory.max)
	[ "$mem" = 67108864 ]
	echo '{"pids": {"limit": 44}}' | abr update -r - "$ID"
	[ "$(pids_max "$ID")" = 44 ]
	run abr ps --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -ge 1 ]
	abr kill "$ID" KILL
	wait_status "$ID" stopped
	abr delete "$ID"
}

@test "exec: a --process asking for SYS_ADMIN and new privileges is hardened" {
	set_cmd 'sleep 60'
	new_id
	abr run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_status "$ID" running
	jq -n '{terminal: false, cwd: "/", user: {uid: 0, gid: 0}, args: ["/bin/grep", "-E", "^(CapEff|NoNewPrivs):", "/proc/self/status"], env: ["PATH=/bin"], noNewPrivileges: false,
		capabilities: {bounding: ["CAP_SYS_ADMIN","CAP_CHOWN"], effective: ["CAP_SYS_ADMIN","CAP_CHOWN"], permitted: ["CAP_SYS_ADMIN","CAP_CHOWN"]}}' >"$T/process.json"
	cp "$T/process.json" "$T/process.orig.json"
	run abr exec --process "$T/process.json" "$ID"
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 1 ]
	mask=$(status_field CapEff)
	refute has_cap "$mask" "$(cap_bit cap_sys_admin)"
	has_cap "$mask" "$(cap_bit cap_chown)"
	cmp "$T/process.json" "$T/process.orig.json" # the engine's file is left alone
	run abr exec "$ID" /bin/grep -E '^NoNewPrivs:' /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 1 ]
	abr kill "$ID" KILL
	wait_status "$ID" stopped
	abr delete "$ID"
}

@test "exit status and stdout are runc's own" {
	# (and a foreground run leaves no agentbox state behind)
	set_cmd 'echo out; echo err >&2; exit 7'
	new_id
	run abr run -b "$BUNDLE" "$ID"
	[ "$status" -eq 7 ]
	[[ "$output" == *out* ]]
	[ ! -e "$STATE/containers/$ID" ]
}

@test "the rewrite is idempotent" {
	edit_config "$BUNDLE" '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.noNewPrivileges = false'
	new_id
	abr run -b "$BUNDLE" "$ID"
	abr delete "$ID" 2>/dev/null || true
	cp "$BUNDLE/config.json" "$T/first.json"
	# The same container again (an engine's restart, a retried create).
	abr run -b "$BUNDLE" "$ID"
	cmp "$BUNDLE/config.json" "$T/first.json"
	# Another container from the same bundle: only /run/agentbox, the
	# container's own state, is bound from elsewhere.
	new_id
	abr run -b "$BUNDLE" "$ID"
	src=$(jq -r '.mounts[] | select(.destination == "/run/agentbox") | .source' "$BUNDLE/config.json")
	[ "$src" = "$STATE/containers/$ID/run" ]
	no_run='.mounts |= map(select(.destination != "/run/agentbox"))'
	cmp <(jq "$no_run" "$BUNDLE/config.json") <(jq "$no_run" "$T/first.json")
}

@test "unknown config.json fields survive the rewrite" {
	# Written by hand: jq would normalise 2.50 before agentbox saw it.
	edit_config "$BUNDLE" '.linux["x-extra"] = "kept"'
	sed -i 's/^{/{"x-vendor": {"keep": [1, 2.50, 1e3, true, null]},/' "$BUNDLE/config.json"
	new_id
	abr run -b "$BUNDLE" "$ID"
	grep -q '2\.50' "$BUNDLE/config.json"
	grep -q '1e3' "$BUNDLE/config.json"
	[ "$(jq -r '.linux["x-extra"]' "$BUNDLE/config.json")" = kept ]
}

@test "delete of a container agentbox never saw behaves as runc" {
	run runc --root "$ROOT" delete no-such-container
	want=$status
	run abr delete no-such-container
	[ "$status" -eq "$want" ]
	[ "$status" -ne 0 ]
}

@test "--version prints agentbox's line and runc's" {
	run "$AGENTBOX_RUNC" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "agentbox-runc version "* ]]
	[[ "$output" == *"runc version"* ]]
	[[ "$output" == *"spec: 1."* ]]
}

@test "the start-path programs are static-pie: agentbox-runc without libc, agentbox-shim and agentbox-hook with libnl's name lookups stubbed out" {
	# make's defaults (STATIC_DEPS=1, NOLIBC on x86_64); docs/start-time.md.
	grep -q '^STATIC_DEPS ?= 1' "$AB_TOP/Makefile"
	local p
	run file -L "$AGENTBOX_RUNC"
	[[ "$output" == *"static-pie linked"* ]]
	if [ "$(uname -m)" = x86_64 ]; then
		run nm "$AGENTBOX_RUNC"
		grep -qE ' [Tt] ab_nolibc_start$' <<<"$output" # lib/nolibc.c's
		refute grep -q '__libc_start_main' <<<"$output"
	fi
	for p in "$B/agentbox-shim" "$B/agentbox-hook"; do
		run file -L "$p"
		[[ "$output" == *"static-pie linked"* ]]
		# libnl's lookups go to lib/no-nss.c: glibc's are not linked in.
		run nm "$p"
		[[ "$output" == *" T __wrap_getaddrinfo"* ]]
		refute grep -qwE 'getaddrinfo|getnameinfo|getprotobyname|getprotobynumber' <<<"$output"
	done
	# and it still runs a container
	new_id
	abr run -b "$BUNDLE" "$ID"
}

@test "--help lists the verbs" {
	run "$AGENTBOX_RUNC" --help
	[ "$status" -eq 0 ]
	for v in create run start state kill delete exec ps list events pause resume update checkpoint restore spec features; do
		[[ "$output" == *"$v"* ]]
	done
}

@test "global flags work in both --flag=v and --flag v forms" {
	new_id
	"$AGENTBOX_RUNC" --root="$ROOT" --log="$T/a.log" --log-format=json run -b "$BUNDLE" "$ID"
	new_id
	"$AGENTBOX_RUNC" --root "$ROOT" --log "$T/b.log" --log-format json --debug run -b "$BUNDLE" "$ID"
	# --debug wrote agentbox's record of what it changed to the JSON log.
	jq -e 'select(.level == "debug")' "$T/b.log" >/dev/null
}

@test "foreground run: signals reach the container, and no state is left" {
	set_cmd 'trap "echo GOT-TERM; exit 3" TERM; echo ready; while true; do sleep 0.1; done'
	new_id
	# Not through abr: $! must be agentbox-runc itself, not a subshell.
	"$AGENTBOX_RUNC" --root "$ROOT" run -b "$BUNDLE" "$ID" >"$T/out" 2>&1 &
	pid=$!
	for i in $(seq 100); do grep -q ready "$T/out" && break; sleep 0.1; done
	[ -e "$STATE/containers/$ID/state.json" ]
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 3 ]
	grep -q GOT-TERM "$T/out"
	[ ! -e "$STATE/containers/$ID" ]
	refute runc --root "$ROOT" state "$ID" >/dev/null 2>&1
}
