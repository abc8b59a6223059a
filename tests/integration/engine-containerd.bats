#!/usr/bin/env bats
# containerd 1.6 drives agentbox-runc: `ctr run --runc-binary` through
# containerd's runc v2 shim, the way Docker and Kubernetes reach it.  Each
# test starts its own containerd (all state in its temp dir) on a
# busybox-static image built here and imported with `ctr image import`.
#
# CRI (RunPodSandbox with the "agentbox" handler) is not driven here: no
# Debian 12 package ships k8s.io/cri-api's api.proto and there is no crictl;
# the pod semantics are tested through runc in net.bats.

load helpers
load net-helpers
load net-guard
load engine-containerd

setup() {
	command -v containerd >/dev/null && command -v ctr >/dev/null ||
		skip "containerd is not installed (apt-get install containerd)"
	ctd_setup
}

teardown() {
	ctd_teardown
	net_teardown
}

# in_ctd CMD: CMD under sh -c as a new process in the running task $ID.
in_ctd() {
	AB_EXEC_SEQ=$((${AB_EXEC_SEQ:-0} + 1))
	ctr_ task exec --exec-id "x$AB_EXEC_SEQ" "$ID" /bin/sh -c "$1"
}

@test "containerd: ctr run goes through agentbox-runc and its first process is hardened" {
	# Control: the same run with plain runc keeps CAP_NET_RAW, no seccomp.
	ctd_new_id
	run ctr_ run --rm --runc-root "$CTD/runc" "$CTD_IMAGE" "$ID" cat /proc/self/status
	[ "$status" -eq 0 ]
	refute check_hardening <<<"$output"
	ctd_new_id
	run ctd_run --rm "$CTD_IMAGE" "$ID" cat /proc/self/status
	[ "$status" -eq 0 ]
	check_hardening <<<"$output"
	# containerd's calls, as ENGINES.md lists them, all reached agentbox.
	grep -q "^--root $CTD/runc/$CTD_NS --log .*/log.json --log-format json create --bundle .* --pid-file .*/init.pid $ID\$" "$CTD/argv.log"
	grep -q " start $ID\$" "$CTD/argv.log"
	grep -q " delete $ID\$" "$CTD/argv.log"
	# --rm left nothing: not in containerd, runc or agentbox's state.
	[ -z "$(ctr_ container ls -q)" ]
	[ -z "$(ls -A "$ROOT")" ]
	[ -z "$(ls -A "$STATE/containers")" ]
}

@test "containerd: task exec, ps, pause/resume, kill, kill --all and delete" {
	ctd_start_agent
	# agentbox recorded the container and hardened its bundle.
	[ -d "$STATE/containers/$ID" ]
	# ctr gives no seccomp profile: agentbox-init installs agentbox's.
	jq -e '.process.noNewPrivileges == true and .linux.seccomp == null and .process.args[1] == "--seccomp"' \
		"$CTD/state/io.containerd.runtime.v2.task/$CTD_NS/$ID/config.json"
	pid=$(ctr_ task ls | awk -v id="$ID" '$1 == id { print $2 }')
	check_hardening </proc/"$pid"/status
	# An exec'd process is hardened too.
	run in_ctd "cat /proc/self/status"
	[ "$status" -eq 0 ]
	check_hardening <<<"$output"
	grep -q " exec --process .* --detach --pid-file .* $ID\$" "$CTD/argv.log"
	# ps (runc's `ps --format json`) lists the first and an exec'd process.
	ctr_ task exec -d --exec-id bg "$ID" sleep 500 </dev/null >/dev/null 2>&1
	for _ in $(seq 50); do
		[ "$(ctr_ task ps "$ID" | awk 'NR > 1' | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	run ctr_ task ps "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$pid"* ]]
	[ "$(awk 'NR > 1' <<<"$output" | wc -l)" -eq 2 ]
	grep -q " ps --format json $ID\$" "$CTD/argv.log"
	bgpid=$(awk -v p="$pid" 'NR > 1 && $1 != p { print $1 }' <<<"$output")
	grep -q '^NoNewPrivs:[[:space:]]*1' /proc/"$bgpid"/status
	# pause and resume.
	ctr_ task pause "$ID"
	ctd_wait_status "$ID" PAUSED
	[ "$(abr state "$ID" | jq -r .status)" = paused ]
	ctr_ task resume "$ID"
	ctd_wait_status "$ID" RUNNING
	run in_ctd "echo alive"
	[ "$output" = alive ]
	grep -q " pause $ID\$" "$CTD/argv.log"
	grep -q " resume $ID\$" "$CTD/argv.log"
	# kill --all: every process of the task, the exec'd one too.
	ctr_ task kill --all -s SIGKILL "$ID"
	ctd_wait_status "$ID" STOPPED
	grep -q " kill --all $ID 9\$" "$CTD/argv.log"
	refute kill -0 "$bgpid" 2>/dev/null
	# delete: containerd, runc and agentbox forget it.
	ctr_ task rm "$ID"
	ctr_ container rm "$ID"
	grep -q " delete $ID\$" "$CTD/argv.log"
	[ ! -e "$STATE/containers/$ID" ]
	[ ! -e "$ROOT/$ID" ]
	# A plain kill signals the first process.
	ctd_start_agent
	ctr_ task kill -s SIGKILL "$ID"
	ctd_wait_status "$ID" STOPPED
	grep -q " kill $ID 9\$" "$CTD/argv.log"
	ctr_ task rm "$ID"
	ctr_ container rm "$ID"
	[ -z "$(ctr_ container ls -q)" ]
	[ -z "$(ctr_ task ls -q)" ]
	[ -z "$(ls -A "$ROOT")" ]
	[ -z "$(ls -A "$STATE/containers")" ]
}

@test "containerd: with the network layer on, the task and its execs are in agentbox's namespace" {
	inet_setup
	net_config
	ctd_start_agent
	[ -e "$STATE/containers/$ID/net.json" ]
	addr=$(jq -r .ct4 "$STATE/containers/$ID/net.json")
	peer=$(jq -r .peer4 "$STATE/containers/$ID/net.json")
	[[ "$addr" == 100.96.* ]]
	# The first process: agentbox's namespace, not containerd's.
	pid=$(ctr_ task ls | awk -v id="$ID" '$1 == id { print $2 }')
	[ "$(readlink /proc/"$pid"/ns/net)" != "$(readlink /proc/1/ns/net)" ]
	run nsenter --net=/proc/"$pid"/ns/net ip -4 -o addr show
	[[ "$output" == *" $addr/31 "* ]]
	# An exec'd process: the same namespace, the guardian's DNS.
	run in_ctd "ip -4 -o addr show; cat /etc/resolv.conf"
	[ "$status" -eq 0 ]
	[[ "$output" == *" $addr/31 "* ]]
	[[ "$output" == *"nameserver $peer"* ]]
	run in_ctd "nslookup www.allowed.example"
	[ "$status" -eq 0 ]
	[[ "$output" == *198.18.* || "$output" == *198.19.* ]]
	run in_ctd "nslookup www.denied.example"
	[ "$status" -ne 0 ]
	refute grep -q denied "$INET_QUERY_LOG"
	grep -q '"resource":"www.denied.example"' "$T/audit.jsonl"
	# Deleting the task through containerd releases agentbox's network.
	ctr_ task kill -s SIGKILL "$ID"
	ctd_wait_status "$ID" STOPPED
	ctr_ task rm "$ID"
	[ ! -e "$STATE/containers/$ID" ]
	run proxy_ns ip -4 -o addr show
	[ "$status" -eq 0 ]
	[[ "$output" != *" $peer/"* ]]
}

@test "containerd: a policy that does not compile fails ctr run with agentbox's error, leaving nothing" {
	ab_broken_policy
	ctd_new_id
	run ctd_run --rm "$CTD_IMAGE" "$ID" echo never
	[ "$status" -ne 0 ]
	[[ "$output" != *never* ]]
	[[ "$output" == *"OCI runtime create failed"*"load policy: $T/broken.cedar:"[0-9]* ]]
	grep -q " create --bundle .* $ID\$" "$CTD/argv.log"
	[ -z "$(ctr_ container ls -q)" ]
	[ -z "$(ctr_ task ls -q)" ]
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
	[ -z "$(ls -A "$STATE/containers" 2>/dev/null)" ]
	[ ! -e "$CTD/state/io.containerd.runtime.v2.task/$CTD_NS/$ID" ]
	# Without --rm ctr keeps its container record (its metadata only):
	# no task, no runtime container, no agentbox state.
	run ctd_run "$CTD_IMAGE" "$ID" echo never
	[ "$status" -ne 0 ]
	[[ "$output" == *"load policy: $T/broken.cedar:"[0-9]* ]]
	[ -z "$(ctr_ task ls -q)" ]
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
	[ -z "$(ls -A "$STATE/containers" 2>/dev/null)" ]
	ctr_ container rm "$ID"
	[ -z "$(ctr_ container ls -q)" ]
}

@test "containerd: with the network layer on, a policy that does not compile fails ctr run at once, naming file and line, leaving nothing" {
	ab_broken_policy
	cat >"$T/config.yaml" <<-YAML
	runtime: runc
	state_dir: $STATE
	network:
	  policy: [$T/broken.cedar]
	YAML
	ctd_new_id
	run ctd_run --rm "$CTD_IMAGE" "$ID" echo never
	[ "$status" -ne 0 ]
	[[ "$output" != *never* ]]
	# The policy is compiled before any guardian is started.
	[[ "$output" == *"OCI runtime create failed"*"load policy: $T/broken.cedar:"* ]]
	[ ! -e "$STATE/agentboxd.log" ]
	[ -z "$(ctr_ container ls -q)" ]
	[ -z "$(ctr_ task ls -q)" ]
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
	[ -z "$(ls -A "$STATE/containers" 2>/dev/null)" ]
	refute guardian_pid
}
