#!/usr/bin/env bats
# `agentbox doctor` and `agentbox-runc features` say which layers this host
# runs, from the same probes.

load helpers
load net-helpers
load net-guard

setup() {
	ab_setup
	inet_setup
	net_config
}

teardown() {
	net_teardown
}

@test "doctor: the layers this host runs, and the guardian's state" {
	run "$B/agentbox" doctor
	[ "$status" -eq 0 ]
	[[ "$output" == *"network        on"* ]]
	[[ "$output" == *"connect guard  on       cgroup sock_addr programs load"* ]]
	[[ "$output" =~ landlock\ +on\ +ABI\ [1-9] ]]
	[[ "$output" == *"file guard     off"* ]]
	[[ "$output" == *"guardian       stopped"* ]]
	new_id
	abr create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run "$B/agentbox" doctor
	[[ "$output" == *"guardian       running  {\"ok\": true, \"containers\": 1"* ]]
	# The network layer off, in the config: doctor says so.
	sed -i 's/^network:$/network:\n  enabled: false/' "$T/config.yaml"
	run "$B/agentbox" doctor
	[[ "$output" == *"network        off      network.enabled is false"* ]]
}

@test "doctor: whether a shim server takes agentbox-runc's calls" {
	run "$B/agentbox" doctor
	[[ "$output" == *"shim server    stopped  agentbox-runc runs agentbox-shim itself"* ]]
	ab_server_start
	run "$B/agentbox" doctor
	[[ "$output" == *"shim server    running  agentbox-runc's calls go to its workers ($T/shim.sock)"* ]]
	# A look is not a call: the server says nothing of it.
	refute grep -q 'dropped' "$T/shim.log"
	ab_server_stop
}

@test "features: agentbox's layers in the delegate's features" {
	run abr features
	[ "$status" -eq 0 ]
	layers=$(echo "$output" | jq -r '.annotations["io.agentbox.layers"]')
	[[ "$layers" == *network,connect-guard,hostexec,landlock-abi-* ]]
	echo "$output" | jq -e '.annotations["io.agentbox.delegate"] | endswith("runc")'
}
