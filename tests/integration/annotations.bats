#!/usr/bin/env bats
# The annotations that pick a container's policy and mode.
#
# Narrowing (docs/narrowing.md): a container that names a policy with
# io.agentbox.policy gets only what both the policy in force and the
# named one allow, in the guardian's layers (DNS, proxy, hostexec); a
# neighbour without the annotation keeps the policy.  The file layers'
# cases are in landlock.bats, test-file-guard and the VM.
#
# io.agentbox.mode: only the modes network.annotation_modes lists.

load helpers
load net-helpers
load net-guard

setup() {
	ab_setup
	inet_setup
	net_config "  policy_dir: $T/policies"
	mkdir -p "$T/policies"
	cat >"$T/policies/api-only.cedar" <<-CEDAR
	permit (principal, action == Action::"NetworkConnect",
	        resource in Host::"api.allowed.example");
	forbid (principal, action == Action::"NetworkConnect",
	        resource in Host::"www.allowed.example");
	permit (principal, action == Action::"HostExec",
	        resource == Command::"echo narrowed");
	CEDAR
	cat >"$T/project.yaml" <<-YAML
	hostexec:
	  auto_approve:
	    - "^echo( .*)?$"
	YAML
	sed -i "s|policy: \\[$T/policy.cedar\\]|policy: [$T/policy.cedar, $T/project.yaml]|" "$T/config.yaml"
	net_bundle
	mkdir -p "$T/project"
	add_bind "$T/project" /work
	edit_config "$BUNDLE" '.process.cwd = "/work"'
}

teardown() {
	net_teardown
}

# start_pair: $NARROWED names api-only, $PLAIN names nothing; each has
# its own bundle, as under an engine.
start_pair() {
	cp -a "$BUNDLE" "$T/plain"
	edit_config "$BUNDLE" '.annotations["io.agentbox.policy"] = "api-only"'
	start_agent || return 1
	NARROWED=$ID
	BUNDLE=$T/plain
	start_agent || return 1
	PLAIN=$ID
}

# as ID CMD: CMD in container ID.
as() {
	abr exec "$1" /bin/sh -c "$2"
}

@test "narrowing: the named policy narrows DNS and the proxy; the neighbour keeps the policy" {
	start_pair
	run as "$NARROWED" "nslookup api.allowed.example"
	[ "$status" -eq 0 ]
	run as "$NARROWED" "nslookup www.allowed.example"
	[ "$status" -ne 0 ]
	run as "$NARROWED" "nslookup loopback.allowed.example"
	[ "$status" -ne 0 ]
	run as "$NARROWED" "curl -sS -i --max-time 5 http://www.allowed.example/"
	[[ "$output" == *"403 Forbidden"* ]]
	run as "$NARROWED" "curl -sS --max-time 5 http://api.allowed.example/"
	[ "$output" = "hello api.allowed.example" ]
	# The audit names the narrowing policy's forbid.
	grep "\"container\":\"$NARROWED\"" "$T/audit.jsonl" |
		grep '"decision":"deny"' | grep -q "policies/api-only.cedar:3"
	run as "$PLAIN" "curl -sS --max-time 5 http://www.allowed.example/"
	[ "$output" = "hello www.allowed.example" ]
	# Narrowing never widens: the policy does not allow this name.
	echo 'permit (principal, action == Action::"NetworkConnect", resource in Host::"www.denied.example");' \
		>>"$T/policies/api-only.cedar"
	"$B/agentbox" guardian reload
	run as "$NARROWED" "nslookup www.denied.example"
	[ "$status" -ne 0 ]
}

@test "narrowing: hostexec runs only what both policies allow" {
	start_pair
	run as "$NARROWED" "hostexec echo narrowed"
	[ "$status" -eq 0 ]
	[ "$output" = narrowed ]
	run as "$NARROWED" "hostexec echo other"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no rule allows it"* ]]
	run as "$PLAIN" "hostexec echo other"
	[ "$status" -eq 0 ]
	[ "$output" = other ]
}

@test "narrowing: reload recompiles the named policy; one that does not compile changes nothing" {
	start_pair
	run as "$NARROWED" "nslookup www.allowed.example"
	[ "$status" -ne 0 ]
	cat >"$T/policies/api-only.cedar" <<-CEDAR
	permit (principal, action == Action::"NetworkConnect",
	        resource in Host::"www.allowed.example");
	CEDAR
	run "$B/agentbox" guardian reload
	[ "$status" -eq 0 ]
	run as "$NARROWED" "nslookup www.allowed.example"
	[ "$status" -eq 0 ]
	run as "$NARROWED" "nslookup api.allowed.example"
	[ "$status" -ne 0 ]
	echo 'permit (principal, action ==' >>"$T/policies/api-only.cedar"
	run "$B/agentbox" guardian reload
	[ "$status" -eq 1 ]
	[[ "$output" == *"api-only.cedar:"* ]]
	run as "$NARROWED" "nslookup www.allowed.example"
	[ "$status" -eq 0 ]
	run as "$NARROWED" "nslookup api.allowed.example"
	[ "$status" -ne 0 ]
}

@test "narrowing: a restarted guardian narrows again; a policy gone since denies everything" {
	start_pair
	pid=$(guardian_pid)
	kill -9 "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	mv "$T/policies/api-only.cedar" "$T/api-only.cedar.away"
	"$B/agentboxd" --config "$T/config.yaml" </dev/null >/dev/null 2>&1 3>&- &
	for i in $(seq 50); do guardian_pid >/dev/null && break; sleep 0.1; done
	sleep 0.3
	# Closed: the container names a policy the guardian cannot load.
	run as "$NARROWED" "nslookup api.allowed.example"
	[ "$status" -ne 0 ]
	run as "$NARROWED" "hostexec echo narrowed"
	[ "$status" -ne 0 ]
	run as "$PLAIN" "nslookup www.allowed.example"
	[ "$status" -eq 0 ]
	mv "$T/api-only.cedar.away" "$T/policies/api-only.cedar"
	run as "$NARROWED" "nslookup api.allowed.example"
	[ "$status" -eq 0 ]
	run as "$NARROWED" "nslookup www.allowed.example"
	[ "$status" -ne 0 ]
}

@test "narrowing: a name that does not load refuses the container, and nothing is left" {
	edit_config "$BUNDLE" '.annotations["io.agentbox.policy"] = "nope"'
	cp "$BUNDLE/config.json" "$T/before.json"
	new_id
	run abr create -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"annotation io.agentbox.policy: no policy 'nope'"* ]]
	cmp "$BUNDLE/config.json" "$T/before.json"
	[ ! -e "$STATE/containers/$ID" ]
	[ -z "$(ls "$STATE/net/slots" 2>/dev/null)" ]
}

@test "mode: io.agentbox.mode shadow lets a denied name through as would-deny, where the config allows it" {
	echo "  annotation_modes: [enforce, shadow]" >>"$T/config.yaml"
	cp -a "$BUNDLE" "$T/plain"
	edit_config "$BUNDLE" '.annotations["io.agentbox.mode"] = "shadow"'
	start_agent
	SHADOW=$ID
	BUNDLE=$T/plain
	start_agent
	run as "$SHADOW" "nslookup www.denied.example"
	[ "$status" -eq 0 ]
	grep "\"container\":\"$SHADOW\"" "$T/audit.jsonl" | grep '"resource":"www.denied.example"' |
		grep '"decision":"would-deny"' | grep -q '"mode":"shadow"'
	# Its neighbour is enforced.
	run as "$ID" "nslookup www.denied.example"
	[ "$status" -ne 0 ]
	grep "\"container\":\"$ID\"" "$T/audit.jsonl" | grep '"resource":"www.denied.example"' |
		grep '"decision":"deny"' | grep -q '"mode":"enforce"'
}

@test "mode: a mode the config does not list, or one that does not exist, refuses the container" {
	for mode in shadow record bogus; do
		cp "$BUNDLE/config.json" "$T/pristine.json"
		edit_config "$BUNDLE" ".annotations[\"io.agentbox.mode\"] = \"$mode\""
		cp "$BUNDLE/config.json" "$T/before.json"
		new_id
		run abr create -b "$BUNDLE" "$ID"
		echo "$mode: $output"
		[ "$status" -ne 0 ]
		if [ $mode = bogus ]; then
			[[ "$output" == *"annotation io.agentbox.mode: 'bogus' is not a mode"* ]]
		else
			[[ "$output" == *"annotation io.agentbox.mode: '$mode' is not allowed here (network.annotation_modes in $T/config.yaml)"* ]]
		fi
		cmp "$BUNDLE/config.json" "$T/before.json"
		[ ! -e "$STATE/containers/$ID" ]
		cp "$T/pristine.json" "$BUNDLE/config.json"
	done
	# enforce is always allowed.
	edit_config "$BUNDLE" '.annotations["io.agentbox.mode"] = "enforce"'
	start_agent
	# A config naming a mode that does not exist is an error naming it.
	cp "$T/config.yaml" "$T/config.good"
	echo "  annotation_modes: [enforce, lax]" >>"$T/config.yaml"
	new_id
	run abr create -b "$BUNDLE" "$ID"
	# The teardown's delete needs a config that loads.
	cp "$T/config.good" "$T/config.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"config.yaml:"*"\`lax\`: not a mode (enforce, shadow, record)"* ]]
}

@test "narrowing: in a pod, the sandbox's named policy narrows the app containers' network" {
	cp "$BUNDLE/config.json" "$T/orig.json"
	# CRI gives every container of the pod the pod's annotations.
	edit_config "$BUNDLE" '.annotations = {"io.kubernetes.cri.container-type": "sandbox", "io.agentbox.policy": "api-only"}'
	start_agent
	start_app "$T/app" "$ID" '{"io.kubernetes.cri.container-type": "container", "io.agentbox.policy": "api-only"}'
	run as "$ID" "nslookup api.allowed.example"
	[ "$status" -eq 0 ]
	run as "$ID" "nslookup www.allowed.example"
	[ "$status" -ne 0 ]
	run as "$ID" "curl -sS -i --max-time 5 http://www.allowed.example/"
	[[ "$output" == *"403 Forbidden"* ]]
}
