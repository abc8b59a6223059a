# agentbox: the guardian side of the network scenarios: a config that
# turns the network layer on against the test internet (net-helpers.bash),
# a policy, and teardown of everything the guardian made.  Source after
# helpers.bash and net-helpers.bash.

# net_config [EXTRA-YAML]: $T/config.yaml with the network on, upstream in
# the test internet, and $T/policy.cedar.
net_config() {
	cat >"$T/policy.cedar" <<-CEDAR
	permit (principal, action == Action::"NetworkConnect",
	        resource in Host::"www.allowed.example");
	permit (principal, action == Action::"NetworkConnect",
	        resource in Host::"api.allowed.example");
	permit (principal, action == Action::"NetworkConnect",
	        resource in Host::"loopback.allowed.example");
	CEDAR
	cat >"$T/config.yaml" <<-YAML
	runtime: runc
	state_dir: $STATE
	network:
	  upstream_netns: /run/netns/$INET_NS
	  resolver: "$INET_DNS"
	  audit_log: $T/audit.jsonl
	  policy: [$T/policy.cedar]
	${1:-}
	YAML
	export AGENTBOX_CONFIG=$T/config.yaml
}

# guardian_pid: agentboxd's pid for this state dir (its lock file).
guardian_pid() {
	local pid
	pid=$(head -1 "$STATE/agentboxd.lock" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

guardian_stop() {
	local pid i
	pid=$(guardian_pid) || return 0
	kill "$pid"
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}

# proxy_ns CMD...: CMD in the guardian's namespace.
proxy_ns() {
	nsenter --net="$STATE/netns/proxy" "$@"
}

# net_teardown: containers (through agentbox-runc, so their network goes
# too), the guardian, its namespace, the internet, the temp dir.
net_teardown() {
	local id pins leaked=()
	for id in "${CONTAINERS[@]}"; do
		abr delete --force "$id" >/dev/null 2>&1 || true
		# What delete must have removed fails the test, and goes anyway.
		pins=/sys/fs/bpf/agentbox/$id
		if [ -e "$pins" ]; then
			leaked+=("$pins")
			rm -rf "$pins"
		fi
	done
	CONTAINERS=()
	guardian_stop
	if [ -n "${STATE:-}" ] && mountpoint -q "$STATE/netns/proxy" 2>/dev/null; then
		umount "$STATE/netns/proxy"
	fi
	inet_teardown
	ab_teardown
	if [ ${#leaked[@]} -gt 0 ]; then
		echo "teardown: delete left ${leaked[*]}" >&2
		return 1
	fi
}

# net_bundle: the scenario's bundle with curl in it.
net_bundle() {
	add_curl "$BUNDLE"
	cp "$B/tools/udp-probe" "$BUNDLE/rootfs/bin/udp-probe"
}

# app_bundle DIR SANDBOX ANNOTATIONS: a pod app container's bundle as CRI
# writes it, from $T/orig.json: $BUNDLE's rootfs, `sleep 600`, the
# sandbox container's network namespace by path, and ANNOTATIONS (a JSON
# object).
app_bundle() {
	local spid
	spid=$(abr state "$2" | jq -r .pid) || return 1
	mkdir -p "$1"
	jq --arg ns "/proc/$spid/ns/net" --arg root "$BUNDLE/rootfs" --argjson ann "$3" '
	  .root.path = $root
	  | .process.args = ["/bin/sh", "-c", "sleep 600"]
	  | .linux.namespaces = [.linux.namespaces[] | select(.type != "network")] + [{type: "network", path: $ns}]
	  | .annotations = $ann' "$T/orig.json" >"$1/config.json"
}

# start_app DIR SANDBOX ANNOTATIONS: app_bundle, then that bundle run
# detached as a new container ($ID).
start_app() {
	app_bundle "$@" || return 1
	new_id
	abr run -d -b "$1" "$ID" </dev/null >/dev/null 2>"$T/app.err" || { cat "$T/app.err"; return 1; }
}

# start_agent: a detached container running `sleep`, for exec.
start_agent() {
	new_id
	set_cmd "sleep 600"
	abr run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$T/start.err" || { cat "$T/start.err"; return 1; }
}

# in_agent CMD: CMD under sh -c in the running container.
in_agent() {
	abr exec "$ID" /bin/sh -c "$1"
}
