# agentbox: helpers for the bats scenarios.  Every scenario gets its own
# temp dir holding the runc --root, the bundle, the agentbox config and
# state dir; teardown deletes every container it made, by name, and the dir.

AB_TOP=${AB_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
B=${B:-build}
case $B in /*) ;; *) B=$AB_TOP/$B ;; esac
AGENTBOX_RUNC=$B/agentbox-runc
# agentbox-runc runs agentbox-shim itself unless a scenario starts a shim
# server (ab_server_start) or the tier asks for one for every scenario
# (AB_SHIM_SERVER=1): a server on this host never answers these tests.
export AGENTBOX_SHIM_SOCKET=

ab_setup() {
	T=$(mktemp -d /tmp/ab-bats.XXXXXX)
	ROOT=$T/root
	BUNDLE=$T/bundle
	STATE=$T/state
	mkdir -p "$ROOT" "$STATE"
	make_bundle "$BUNDLE"
	ab_config
	CONTAINERS=()
	if [ "${AB_SHIM_SERVER:-}" = 1 ]; then ab_server_start; fi
}

# ab_server_start [OPTION...]: agentbox-shim --serve --verbose of this
# scenario's own at $T/shim.sock (its log: $T/shim.log), exported as
# AGENTBOX_SHIM_SOCKET; SERVER is its pid.
ab_server_start() {
	"$B/agentbox-shim" --serve --socket "$T/shim.sock" --verbose "$@" \
		2>"$T/shim.log" &
	SERVER=$!
	export AGENTBOX_SHIM_SOCKET=$T/shim.sock
	local i
	for i in $(seq 100); do
		[ -S "$T/shim.sock" ] && grep -q serving "$T/shim.log" && return 0
		kill -0 "$SERVER" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/shim.log" >&2
	return 1
}

# ab_server_stop: SIGTERM to the server; its idle workers follow it, a busy
# one finishes its call.  Fails if the server was already gone.
ab_server_stop() {
	[ -n "${SERVER:-}" ] || return 0
	local pid=$SERVER alive=0
	SERVER=
	kill "$pid" 2>/dev/null && alive=1
	wait "$pid" 2>/dev/null || true
	[ "$alive" = 1 ]
}

# server_workers: the pids of the server's workers.
server_workers() {
	pgrep -P "$SERVER" -f 'agentbox-shim --serve' || true
}

# state_gone ID: agentbox's state of ID is removed within 2 s.  Through a
# server, a foreground run's teardown follows runc's end, not precedes it.
state_gone() {
	local i
	for i in $(seq 40); do
		[ -e "$STATE/containers/$1" ] || return 0
		sleep 0.05
	done
	echo "state of $1 still there" >&2
	return 1
}

# ab_config [LINE...]: $T/config.yaml for this scenario (runc, $STATE,
# the network layer off; each LINE goes under `network:`), exported as
# AGENTBOX_CONFIG.
ab_config() {
	local line
	{
		printf 'runtime: runc\nstate_dir: %s\nnetwork:\n  enabled: false\n' "$STATE"
		for line in "$@"; do printf '  %s\n' "$line"; done
	} >"$T/config.yaml"
	export AGENTBOX_CONFIG=$T/config.yaml
}

# ab_broken_policy: $T/broken.cedar, a policy that does not compile (its
# error is on line 3), and the config naming it, network layer off.
ab_broken_policy() {
	printf '%s\n' 'permit (principal, action == Action::"NetworkConnect",' \
		'        resource in Host::"a.example");' 'forbid oops;' >"$T/broken.cedar"
	ab_config "policy: [$T/broken.cedar]"
}

ab_teardown() {
	local id ok=0
	for id in "${CONTAINERS[@]}"; do
		runc --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	# Under a server for every scenario, the server must have lived
	# through it and served its calls.
	if [ "${AB_SHIM_SERVER:-}" = 1 ] && [ -n "${SERVER:-}" ]; then
		ab_server_stop || ok=1
		if grep -E 'dropped|killed|refused' "$T/shim.log" >&2; then ok=1; fi
	else
		ab_server_stop || true
	fi
	[ -n "${T:-}" ] && rm -rf "$T"
	return $ok
}

# make_bundle DIR: a busybox-static rootfs and `runc spec`'s config with
# terminal off, so runc's output reaches bats.
make_bundle() {
	local dir=$1 a
	mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/dev" \
		"$dir/rootfs/root" "$dir/rootfs/home" "$dir/rootfs/tmp"
	cp /bin/busybox "$dir/rootfs/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$a"
	done
	(cd "$dir" && runc spec)
	edit_config "$dir" '.process.terminal = false | .process.args = ["/bin/true"]'
}

# edit_config DIR JQ-FILTER
edit_config() {
	local dir=$1 filter=$2
	jq "$filter" "$dir/config.json" >"$dir/config.json.new" &&
		mv "$dir/config.json.new" "$dir/config.json"
}

# set_cmd SHELL-COMMAND: the bundle's process runs it under /bin/sh -c.
set_cmd() {
	edit_config "$BUNDLE" ".process.args = [\"/bin/sh\", \"-c\", $(jq -Rn --arg c "$1" '$c')]"
}

# add_bind SOURCE DEST [ro]
add_bind() {
	local opts='["rbind"]'
	[ "${3:-}" = ro ] && opts='["rbind","ro"]'
	edit_config "$BUNDLE" ".mounts += [{\"destination\": \"$2\", \"type\": \"bind\", \"source\": \"$1\", \"options\": $opts}]"
}

# abr ARGS...: agentbox-runc with this scenario's --root.
abr() {
	"$AGENTBOX_RUNC" --root "$ROOT" "$@"
}

# new_id: a container id unique to this run, remembered for teardown.
# A counter keeps ids distinct within a test: $RANDOM alone collided
# once in 20 parallel creates.
new_id() {
	AB_ID_SEQ=$((${AB_ID_SEQ:-0} + 1))
	ID=ab-$$-$AB_ID_SEQ-$RANDOM
	CONTAINERS+=("$ID")
}

# cap_bit NAME: the bit of a capability (CAP_SYS_ADMIN -> 21).
cap_bit() {
	capsh --explain="$1" 2>/dev/null | sed -n 's/^cap_[a-z_]* (\([0-9]*\)).*/\1/p' | head -1
}

# has_cap HEX BIT: is BIT set in the hex mask?
has_cap() {
	(( (16#$1 >> $2) & 1 ))
}

wait_status() {
	local id=$1 want=$2 i
	for i in $(seq 50); do
		[ "$(runc --root "$ROOT" state "$id" 2>/dev/null | jq -r .status)" = "$want" ] && return 0
		sleep 0.1
	done
	echo "container $id never reached $want" >&2
	return 1
}

# refute CMD...: fail the test when CMD succeeds.  (A bare `! CMD` does
# not: bash's errexit ignores it unless it is the test's last command.)
refute() {
	! "$@"
}
