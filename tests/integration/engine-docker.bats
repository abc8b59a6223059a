#!/usr/bin/env bats
# dockerd 20.10 with agentbox-runc as a named runtime (contrib/docker/
# daemon.json): `docker run --runtime=agentbox` goes dockerd -> containerd
# -> runc shim -> agentbox-runc -> runc.  Each test starts its own dockerd
# with everything in a temp dir (engine-docker.bash); nothing reaches a
# registry or the host's docker, containerd, firewall or bridge.

load helpers
load net-helpers
load net-guard
load engine-docker

bats_require_minimum_version 1.5.0

setup_file() {
	export DK_IMAGE_TAR=$BATS_FILE_TMPDIR/image/image.tar
	dk_image "$BATS_FILE_TMPDIR/image"
}

setup() {
	command -v "$DOCKERD" >/dev/null || skip "no $DOCKERD (apt-get install --no-install-recommends docker.io)"
	[ -x "$DOCKER" ] || skip "no $DOCKER (Debian's docker.io client)"
	dk_setup
}

teardown() {
	dk_teardown
}

# Options under which docker alone would grant CAP_SYS_ADMIN, NET_ADMIN,
# SYS_PTRACE and SYS_MODULE, no seccomp filter and no no_new_privs: what
# remains is agentbox's doing.  (Not --cap-add ALL: root here lacks
# CAP_SYS_RESOURCE, and plain runc then fails to apply the set.)
LOOSE=(--cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SYS_PTRACE --cap-add SYS_MODULE
	--security-opt seccomp=unconfined --security-opt apparmor=unconfined)

# hardened STATUS-TEXT: CapEff lacks CAP_SYS_ADMIN, CAP_NET_ADMIN,
# CAP_SYS_PTRACE and CAP_SYS_MODULE; NoNewPrivs is 1; Seccomp is 2 (filter).
hardened() {
	local eff bit
	eff=$(awk '$1 == "CapEff:" { print $2 }' <<<"$1")
	[ -n "$eff" ] || { echo "no CapEff in: $1"; return 1; }
	for bit in 21 12 19 16; do
		if has_cap "$eff" "$bit"; then
			echo "CapEff $eff has bit $bit"
			return 1
		fi
	done
	grep -qx 'NoNewPrivs:[[:space:]]*1' <<<"$1" || { echo "NoNewPrivs not 1: $1"; return 1; }
	grep -qx 'Seccomp:[[:space:]]*2' <<<"$1" || { echo "Seccomp not 2: $1"; return 1; }
}

@test "docker: docker info lists the agentbox runtime at build/agentbox-runc" {
	run dk info --format '{{json .Runtimes}}'
	[ "$status" -eq 0 ]
	jq -e --arg p "$AGENTBOX_RUNC" '.agentbox.path == $p' <<<"$output"
	run dk info
	[[ "$output" == *"Runtimes:"*agentbox* ]]
}

@test "docker: run --runtime=agentbox runs the command, hardened, and --rm leaves nothing" {
	run dk run --rm --runtime=agentbox --network none "${LOOSE[@]}" "$DK_IMAGE" \
		sh -c 'echo hello from docker; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "hello from docker" ]
	hardened "$output"
	# Without agentbox the same options keep every capability and no filter.
	run dk run --rm --network none "${LOOSE[@]}" "$DK_IMAGE" grep -E '^(CapEff|Seccomp):' /proc/self/status
	[ "$status" -eq 0 ]
	has_cap "$(awk '$1 == "CapEff:" { print $2 }' <<<"$output")" 21
	[[ "$output" == *"Seccomp:"*0* ]]
	[ -z "$(dk ps -aq)" ]
	[ -z "$(ab_state_ids)" ]
}

@test "docker: agentbox keeps state for the container's full id; exec'd processes are hardened too; update works" {
	CID=$(dk run -d --runtime=agentbox --network none "${LOOSE[@]}" "$DK_IMAGE" sleep 600)
	[ ${#CID} -eq 64 ]
	[ "$(ab_state_ids)" = "$CID" ]
	jq -e --arg id "$CID" '.id == $id' "$STATE/containers/$CID/state.json"
	# runc (under agentbox's --root from the shim) runs it.
	runc --root "$ROOT" state "$CID" | jq -e '.status == "running"'
	run dk exec "$CID" grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/1/status
	[ "$status" -eq 0 ]
	hardened "$output"
	run dk exec "$CID" grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status
	[ "$status" -eq 0 ]
	hardened "$output"
	# --privileged on exec asks for every capability: agentbox still drops.
	run dk exec --privileged "$CID" grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status
	[ "$status" -eq 0 ]
	hardened "$output"
	run dk exec "$CID" sh -c 'echo exec $((6 * 7))'
	[ "$output" = "exec 42" ]
	# docker update reaches runc through agentbox (update --resources -).
	dk update --pids-limit 77 "$CID" >/dev/null
	pid=$(runc --root "$ROOT" state "$CID" | jq -r .pid)
	cg=$(awk -F: '$2 == "pids" {print $3}' /proc/$pid/cgroup)
	if [ -n "$cg" ]; then max=/sys/fs/cgroup/pids$cg/pids.max; else
		max=/sys/fs/cgroup$(awk -F: '$1 == 0 {print $3}' /proc/$pid/cgroup)/pids.max; fi
	[ "$(cat "$max")" = 77 ]
}

@test "docker: kill and stop reach the container (numeric signals); rm removes it everywhere" {
	CID=$(dk run -d --runtime=agentbox --network none "$DK_IMAGE" \
		sh -c 'trap "echo usr1 >>/tmp/got" USR1; trap "exit 42" TERM; while :; do sleep 0.1; done')
	[ "$(ab_state_ids)" = "$CID" ]
	dk kill -s USR1 "$CID"
	for _ in $(seq 50); do
		[ "$(dk exec "$CID" cat /tmp/got 2>/dev/null)" = usr1 ] && break
		sleep 0.1
	done
	[ "$(dk exec "$CID" cat /tmp/got)" = usr1 ]
	# SIGTERM, not the SIGKILL after the timeout: the trap's 42, in time.
	start=$SECONDS
	dk stop -t 20 "$CID"
	[ $((SECONDS - start)) -lt 15 ]
	[ "$(dk inspect -f '{{.State.ExitCode}}' "$CID")" = 42 ]
	[ "$(dk inspect -f '{{.State.Status}}' "$CID")" = exited ]
	dk rm "$CID"
	[ -z "$(dk ps -aq)" ]
	[ -z "$(ab_state_ids)" ]
	run runc --root "$ROOT" list -q
	[ -z "$output" ]
}

@test "docker: with the network layer on, the container is in agentbox's namespace" {
	inet_setup
	# Dual stack: docker's prestart hook sets disable_ipv6=1 in the
	# container's namespace (agentbox's); the hook turns it back on.
	net_config
	dk_run_agent
	[ "$(ab_state_ids)" = "$CID" ]
	guardian_pid
	# Its only link is agentbox's veth, addressed from the container range.
	run dk exec "$CID" ip -4 -o addr show scope global
	[ "$status" -eq 0 ]
	[[ "$output" == *" inet 100.96."* ]]
	[ "${#lines[@]}" -eq 1 ]
	# The address and veth agentbox allocated for this id (net.json), the
	# peer end in the guardian's namespace.
	net=$STATE/containers/$CID/net.json
	ct4=$(jq -r .ct4 "$net")
	[[ "$output" == *" inet $ct4/31 "* ]]
	run proxy_ns ip -4 -o addr show dev "$(jq -r .peer_if "$net")"
	[ "$status" -eq 0 ]
	[[ "$output" == *" inet $(jq -r .peer4 "$net")/31 "* ]]
	run dk exec "$CID" ip -6 -o addr show scope global
	[ "$status" -eq 0 ]
	[[ "$output" == *" inet6 $(jq -r .ct6 "$net")/127 "* ]]
	# DNS goes to the guardian: denied names fail, allowed ones are synthetic.
	run dk exec "$CID" nslookup www.denied.example
	[ "$status" -ne 0 ]
	run dk exec "$CID" nslookup www.allowed.example
	[ "$status" -eq 0 ]
	[[ "$output" == *198.1[89].* ]]
	[[ "$output" != *203.0.113.10* ]]
	grep -q '"resource":"www.denied.example"' "$T/audit.jsonl"
	refute grep -q denied "$INET_QUERY_LOG"
	dk rm -f "$CID"
	[ -z "$(ab_state_ids)" ]
}

@test "docker: a policy that does not compile fails docker run with agentbox's error and leaves nothing" {
	ab_broken_policy
	run --separate-stderr dk run --rm --runtime=agentbox --network none "$DK_IMAGE" echo never
	[ "$status" -ne 0 ]
	[[ "$output" != *never* ]]
	[[ "$stderr" == *"load policy: $T/broken.cedar:"* ]]
	[ -z "$(dk ps -aq)" ]
	[ -z "$(ab_state_ids)" ]
	# Without --rm: docker keeps its record of the container, but no
	# runtime container and no agentbox state exist.
	CID=$(dk create --runtime=agentbox --network none "$DK_IMAGE" echo never)
	run --separate-stderr dk start "$CID"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"load policy: $T/broken.cedar:"* ]]
	[ "$(dk inspect -f '{{.State.Running}}' "$CID")" = false ]
	[ -z "$(ab_state_ids)" ]
	run runc --root "$ROOT" list -q
	[ -z "$output" ]
	dk rm "$CID"
	[ -z "$(dk ps -aq)" ]
}
