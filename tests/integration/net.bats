#!/usr/bin/env bats
# Network confinement, end to end: containers made through agentbox-runc
# with real runc get a veth into the guardian's namespace; the guardian
# answers DNS and proxies to a test "internet" (a namespace with servers
# this file starts).  Nothing here reaches a real outside address.

load helpers
load net-helpers
load net-guard

setup() {
	ab_setup
	inet_setup
	net_config
	net_bundle
}

teardown() {
	net_teardown
}

# curl in the agent, straight (no proxy: the transparent path).
direct() {
	in_agent "curl -sS --noproxy '*' --max-time 5 --cacert /etc/ssl/test-ca.pem $*"
}

@test "net: an allowed name over HTTP and HTTPS, transparently (v4 and v6)" {
	start_agent
	run direct http://www.allowed.example/
	[ "$status" -eq 0 ]
	[ "$output" = "hello www.allowed.example" ]
	run direct https://www.allowed.example/
	[ "$status" -eq 0 ]
	[ "$output" = "hello www.allowed.example sni=www.allowed.example" ]
	run direct -6 https://api.allowed.example/
	[ "$status" -eq 0 ]
	[ "$output" = "hello api.allowed.example sni=api.allowed.example" ]
	# The container resolved synthetic addresses, not the real ones (the
	# v6 one is what curl -6 used above).  The A query alone: busybox
	# nslookup's A+AAAA run sometimes printed only the AAAA answer.
	run in_agent "nslookup -type=a www.allowed.example"
	echo "$output"
	[[ "$output" == *198.18.* || "$output" == *198.19.* ]]
	[[ "$output" != *203.0.113.10* ]]
	grep -q '"decision":"allow"' "$T/audit.jsonl"
	grep -q '"resource":"www.allowed.example:443"' "$T/audit.jsonl"
}

@test "net: HTTPS_PROXY and HTTP_PROXY are set and work" {
	start_agent
	run in_agent 'echo $HTTPS_PROXY $NO_PROXY'
	[[ "$output" == http://100.96.*:3128\ localhost,127.0.0.1,::1 ]]
	run in_agent "curl -sS --max-time 5 --cacert /etc/ssl/test-ca.pem https://www.allowed.example/"
	[ "$status" -eq 0 ]
	[ "$output" = "hello www.allowed.example sni=www.allowed.example" ]
	run in_agent "curl -sS --max-time 5 http://api.allowed.example/"
	[ "$status" -eq 0 ]
	[ "$output" = "hello api.allowed.example" ]
}

@test "net: a denied name gets NXDOMAIN and a 403 that says why" {
	start_agent
	run in_agent "nslookup www.denied.example"
	[ "$status" -ne 0 ]
	[[ "$output" == *NXDOMAIN* || "$output" == *"can't resolve"* ]]
	run in_agent "curl -sS -i --max-time 5 http://www.denied.example/"
	[[ "$output" == *"403 Forbidden"* ]]
	[[ "$output" == *"X-Agentbox-Denied: policy denies this host"* ]]
	run in_agent "curl -sS --max-time 5 --cacert /etc/ssl/test-ca.pem https://www.denied.example/"
	[ "$status" -ne 0 ]
	[[ "$output" == *403* ]]
	grep -q '"resource":"www.denied.example"' "$T/audit.jsonl"
	grep -q '"decision":"deny"' "$T/audit.jsonl"
}

@test "net: a denied zone's random subdomain never reaches the upstream DNS" {
	start_agent
	name=x$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n').denied.example
	run in_agent "nslookup $name"
	[ "$status" -ne 0 ]
	run in_agent "nslookup -type=A www.denied.example"
	[ "$status" -ne 0 ]
	refute grep -q denied "$INET_QUERY_LOG"
	refute grep -q "$name" "$INET_QUERY_LOG"
}

@test "net: raw addresses, UDP and ICMP to the outside fail (v4 and v6)" {
	start_agent
	run direct http://203.0.113.10/
	[ "$status" -ne 0 ]
	run direct "http://[2001:db8::10]/"
	[ "$status" -ne 0 ]
	# Connected and unconnected UDP, both families: the connect guard.
	for how in connect sendto; do
		for to in 203.0.113.53 2001:db8::53 ::ffff:203.0.113.53; do
			run in_agent "udp-probe $how $to 53"
			[ "$status" -eq 1 ]
			[[ "$output" == *"Operation not permitted"* ]]
		done
	done
	# ... while the peer (the guardian's DNS) stays reachable.
	peer=$(jq -r .peer4 "$STATE"/containers/"$ID"/net.json)
	run in_agent "udp-probe sendto $peer 53"
	[ "$output" = sent ]
	run in_agent "ping -c1 -W1 203.0.113.10"
	[ "$status" -ne 0 ]
	run in_agent "ping -c1 -W1 2001:db8::10"
	[ "$status" -ne 0 ]
	# The connect guard, not only the routes, refuses.
	run in_agent "echo x | nc -w1 203.0.113.10 80"
	[[ "$output" == *"not permitted"* ]]
}

@test "net: SNI and Host that differ from the name connected to are refused" {
	start_agent
	run direct --connect-to api.allowed.example:443:www.allowed.example:443 \
		https://api.allowed.example/
	[ "$status" -ne 0 ]
	run direct -i -H "'Host: api.allowed.example'" http://www.allowed.example/
	[[ "$output" == *"403 Forbidden"* ]]
	[[ "$output" == *"Host header is not the name connected to"* ]]
	grep -q 'SNI api.allowed.example is not the name connected to' "$T/audit.jsonl"
}

@test "net: an allowed name that resolves to 127.0.0.1 upstream is refused" {
	start_agent
	run in_agent "curl -sS -i --max-time 5 http://loopback.allowed.example/"
	[[ "$output" == *"403 Forbidden"* ]]
	[[ "$output" == *"special-purpose address"* ]]
	run direct http://loopback.allowed.example/
	[ "$status" -ne 0 ]
}

@test "net: guardian killed, no egress; restarted, egress back" {
	start_agent
	run direct http://www.allowed.example/
	[ "$status" -eq 0 ]
	pid=$(guardian_pid)
	kill -9 "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	run direct http://www.allowed.example/
	[ "$status" -ne 0 ]
	run in_agent "curl -sS --max-time 3 http://www.allowed.example/"
	[ "$status" -ne 0 ]
	run in_agent "nslookup www.allowed.example"
	[ "$status" -ne 0 ]
	run direct http://203.0.113.10/
	[ "$status" -ne 0 ]
	"$B/agentboxd" --config "$T/config.yaml" </dev/null >/dev/null 2>&1 3>&- &
	for i in $(seq 50); do guardian_pid >/dev/null && break; sleep 0.1; done
	sleep 0.3
	run direct http://www.allowed.example/
	[ "$status" -eq 0 ]
	[ "$output" = "hello www.allowed.example" ]
}

@test "net: 20 parallel creates get distinct addresses" {
	set_cmd "sleep 600"
	local pids=() ids=() i
	for i in $(seq 20); do
		new_id
		ids+=("$ID")
		abr create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$T/create-$i.err" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { cat "$T/create-$((i + 1)).err"; false; }
	done
	run sh -c "cat $STATE/containers/*/net.json | jq -r .ct4 | sort | uniq | wc -l"
	[ "$output" -eq 20 ]
	run sh -c "proxy_links=\$(nsenter --net=$STATE/netns/proxy ip -o link | grep -c ' abp'); echo \$proxy_links"
	[ "$output" -eq 20 ]
}

@test "net: 200 create/delete cycles, some hooks killed, leave nothing behind" {
	set_cmd "true"
	# A hook that is SIGKILLed part way, one time in four, 0 to 29 ms
	# after it starts (the hook takes ~14 ms).  Builtins only between
	# its start and the kill: read -t on a FIFO nobody writes is the
	# sleep.
	mkfifo "$T/never"
	cat >"$T/killer-hook" <<-SH
	#!/bin/bash
	# Through fd 3: a background job's stdin would be /dev/null.
	exec 3<&0 4<>"$T/never"
	"$B/agentbox-hook" "\$@" <&3 &
	pid=\$!
	if ((RANDOM % 4 == 0)); then
		printf -v t '0.0%02d' \$((RANDOM % 30))
		read -r -u 4 -t "\$t" || true
		kill -9 \$pid
	fi
	wait \$pid
	SH
	chmod +x "$T/killer-hook"
	net_config "  hook: $T/killer-hook"
	local i failed=0
	for i in $(seq 200); do
		new_id
		abr create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 || failed=$((failed + 1))
		abr delete --force "$ID" >/dev/null 2>&1
	done
	CONTAINERS=()
	echo "# $failed of 200 creates failed (killed hooks)" >&3
	[ "$failed" -gt 0 ]
	[ "$failed" -lt 200 ]
	run proxy_ns ip -o link
	[[ "$output" != *abp* ]]
	[ -z "$(ls "$STATE/net/slots")" ]
	[ -z "$(ls "$STATE/containers")" ]
	[ -z "$(ls /sys/fs/bpf/agentbox/ 2>/dev/null | grep "^ab-$$-")" ]
	run ip -o link
	[[ "$output" != *abtmp* ]]
}

@test "net: reload swaps the policy in; one that does not compile changes nothing" {
	start_agent
	run in_agent "nslookup www.denied.example"
	[ "$status" -ne 0 ]
	cat >>"$T/policy.cedar" <<-CEDAR
	permit (principal, action == Action::"NetworkConnect",
	        resource in Host::"www.denied.example");
	CEDAR
	run "$B/agentbox" guardian reload
	[ "$status" -eq 0 ]
	run in_agent "nslookup www.denied.example"
	[ "$status" -eq 0 ]
	echo 'permit (principal, action ==' >>"$T/policy.cedar"
	run "$B/agentbox" guardian reload
	[ "$status" -eq 1 ]
	[[ "$output" == *"policy.cedar:"* ]]
	run in_agent "nslookup www.denied.example"
	[ "$status" -eq 0 ]
	run "$B/agentbox" guardian status
	[[ "$output" == *'"containers": 1'* ]]
}

@test "net: DNS over TCP answers; garbage packets do not crash the guardian" {
	start_agent
	pid=$(jq -r .pid <(abr state "$ID"))
	peer=$(jq -r .peer4 "$STATE/containers/$ID/net.json")
	run nsenter --net=/proc/$pid/ns/net python3 "$AB_TOP/tests/net/dns-probe.py" tcp "$peer" www.allowed.example
	[ "$status" -eq 0 ]
	[[ "$output" == 198.1[89].* ]]
	run nsenter --net=/proc/$pid/ns/net python3 "$AB_TOP/tests/net/dns-probe.py" tcp "$peer" www.denied.example
	[ "$output" = "rcode 3" ]
	guardian=$(guardian_pid)
	run nsenter --net=/proc/$pid/ns/net python3 "$AB_TOP/tests/net/dns-probe.py" garbage "$peer" 3000
	[ "$output" = "sent 3000" ]
	[ "$(guardian_pid)" = "$guardian" ]
	run in_agent "nslookup www.allowed.example"
	[ "$status" -eq 0 ]
	grep -q '"layer":"dns"' "$T/audit.jsonl"
}

@test "net: a pod's app containers join the sandbox's confined network, each with its own guard" {
	cp "$BUNDLE/config.json" "$T/orig.json"
	edit_config "$BUNDLE" '.annotations = {"io.kubernetes.cri.container-type": "sandbox"}'
	start_agent
	sandbox=$ID
	spid=$(abr state "$sandbox" | jq -r .pid)
	speer=$(jq -r .peer4 "$STATE/containers/$sandbox/net.json")
	# The app container's bundle, as CRI writes it: the sandbox's network
	# namespace by path.
	app=$T/app
	start_app "$app" "$sandbox" '{"io.kubernetes.cri.container-type": "container"}'
	# Same namespace, no address of its own, the sandbox's DNS and proxy.
	[ "$(readlink /proc/$(abr state "$ID" | jq -r .pid)/ns/net)" = "$(readlink /proc/$spid/ns/net)" ]
	[ ! -e "$STATE/containers/$ID/net.json" ]
	run in_agent "cat /etc/resolv.conf; echo \$HTTPS_PROXY"
	[[ "$output" == *"nameserver $speer"* ]]
	[[ "$output" == *"http://$speer:3128"* ]]
	run direct http://www.allowed.example/
	[ "$status" -eq 0 ]
	[ "$output" = "hello www.allowed.example" ]
	# Its own connect guard, on its own cgroup.
	[ -d "/sys/fs/bpf/agentbox/$ID" ]
	run in_agent "udp-probe sendto 203.0.113.53 53"
	[[ "$output" == *"Operation not permitted"* ]]
	# Deleting it takes its guard, not the sandbox's network.
	app_id=$ID
	abr delete --force "$app_id"
	[ ! -e "/sys/fs/bpf/agentbox/$app_id" ]
	ID=$sandbox
	run direct http://www.allowed.example/
	[ "$status" -eq 0 ]
	# Joining the host's network namespace instead gets a confined one.
	jq '.linux.namespaces = [.linux.namespaces[] | select(.type != "network")] + [{type: "network", path: "/proc/1/ns/net"}]' \
		"$app/config.json" >"$app/c.json" && mv "$app/c.json" "$app/config.json"
	new_id
	abr run -d -b "$app" "$ID" </dev/null >/dev/null 2>&1
	[ -e "$STATE/containers/$ID/net.json" ]
	[ "$(readlink /proc/$(abr state "$ID" | jq -r .pid)/ns/net)" != "$(readlink /proc/1/ns/net)" ]
}

@test "net: an app container deleted after its pod's sandbox still leaves nothing" {
	cp "$BUNDLE/config.json" "$T/orig.json"
	edit_config "$BUNDLE" '.annotations = {"io.kubernetes.cri.container-type": "sandbox"}'
	start_agent
	sandbox=$ID
	start_app "$T/app" "$sandbox" '{"io.kubernetes.cri.container-type": "container"}'
	[ -d "/sys/fs/bpf/agentbox/$ID" ]
	# Out of CRI's order: the sandbox first, its state with it.
	abr delete --force "$sandbox"
	[ ! -e "$STATE/containers/$sandbox" ]
	abr delete --force "$ID"
	[ ! -e "$STATE/containers/$ID" ]
	[ ! -e "/sys/fs/bpf/agentbox/$ID" ]
	[ -z "$(runc --root "$ROOT" list -q)" ]
}

@test "net: a pod of a sandbox and two app containers; deleting the pod leaves nothing" {
	cp "$BUNDLE/config.json" "$T/orig.json"
	edit_config "$BUNDLE" '.annotations = {"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-id": "pod1"}'
	start_agent
	sandbox=$ID
	spid=$(abr state "$sandbox" | jq -r .pid)
	peer_if=$(jq -r .peer_if "$STATE/containers/$sandbox/net.json")
	apps=()
	for n in 1 2; do
		start_app "$T/app$n" "$sandbox" "{\"io.kubernetes.cri.container-type\": \"container\",
			\"io.kubernetes.cri.sandbox-id\": \"pod1\", \"io.kubernetes.cri.container-name\": \"app$n\"}"
		apps+=("$ID")
		# In the sandbox's namespace, with a guard of its own.
		[ "$(readlink /proc/$(abr state "$ID" | jq -r .pid)/ns/net)" = "$(readlink /proc/$spid/ns/net)" ]
		[ -d "/sys/fs/bpf/agentbox/$ID" ]
	done
	# Both reach the allowed name through the sandbox's peer.
	for id in "${apps[@]}"; do
		ID=$id
		run direct http://www.allowed.example/
		[ "$status" -eq 0 ]
		[ "$output" = "hello www.allowed.example" ]
	done
	# The pod goes as CRI takes it down: app containers, then the sandbox.
	for id in "${apps[@]}" "$sandbox"; do
		abr kill "$id" KILL >/dev/null 2>&1 || true
		abr delete --force "$id"
	done
	for id in "${apps[@]}" "$sandbox"; do
		[ ! -e "$STATE/containers/$id" ]
		[ ! -e "/sys/fs/bpf/agentbox/$id" ]
	done
	run proxy_ns ip -o link show dev "$peer_if"
	[ "$status" -ne 0 ]
	[ -z "$(ls "$STATE/net/slots")" ]
	[ -z "$(runc --root "$ROOT" list -q)" ]
	# The guardian forgot them.
	run "$B/agentbox" guardian status
	[[ "$output" == *'"containers": 0'* ]]
}
