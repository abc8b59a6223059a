#!/usr/bin/env bats
# The shim server (agentbox-shim --serve, docs/shim-server.md): agentbox-runc
# hands its calls to warm workers, and runs agentbox-shim itself whenever
# no worker can take a call in its place.  Whichever runs it, the
# container is hardened the same.  (The tier also runs shim.bats with a
# server for every scenario.)

load helpers

setup() { ab_setup; }
teardown() { ab_teardown; }

status_field() { # status_field NAME: from this scenario's captured $output
	echo "$output" | sed -n "s/^$1:[[:space:]]*//p" | head -1
}

# hardened_cmd: the bundle's process prints what hardening shows, exits 3.
hardened_cmd() {
	set_cmd 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; exit 3'
}

assert_hardened() {
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field NoNewPrivs)" = 1 ]
	refute has_cap "$(status_field CapEff)" "$(cap_bit cap_sys_admin)"
}

# run_hardened [COMMAND...]: a new container of the hardened_cmd bundle,
# run by COMMAND (default agentbox-runc) with --root, exits 3, hardened.
run_hardened() {
	[ $# -gt 0 ] || set -- "$AGENTBOX_RUNC"
	hardened_cmd
	new_id
	run "$@" --root "$ROOT" run -b "$BUNDLE" "$ID"
	[ "$status" -eq 3 ]
	assert_hardened
}

served() { # served VERB: how many calls the server's log says it served
	grep -c "served \`$1\`" "$T/shim.log" || true
}

@test "server: run is served, the container hardened, its status and output runc's" {
	ab_server_start
	edit_config "$BUNDLE" '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
	run_hardened
	# The front exec'd runc run, whose exit status the engine saw.
	grep -q 'served `run`: exec 0' "$T/shim.log"
	state_gone "$ID"
	# An error is the engine's to see, on agentbox-runc's stderr.
	run abr frobnicate
	[ "$status" -eq 3 ]
	[[ "$output" == *"unknown command \`frobnicate\`"* ]]
	grep -q 'served `frobnicate`: exit 3' "$T/shim.log"
}

@test "server: create, start, state, exec, kill and delete are served" {
	ab_server_start
	set_cmd 'sleep 60'
	new_id
	abr create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ -e "$STATE/containers/$ID/state.json" ]
	abr start "$ID"
	wait_status "$ID" running
	[ "$(abr state "$ID" | jq -r .status)" = running ]
	run abr exec "$ID" /bin/sh -c 'grep -E "^Seccomp:" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	# --process: the worker's hardened copy (a memfd) goes to the front,
	# which hands it to runc; the container gets none of it.
	jq -n '{terminal: false, cwd: "/", user: {uid: 0, gid: 0}, env: ["PATH=/bin"],
		capabilities: {bounding: ["CAP_SYS_ADMIN"], effective: ["CAP_SYS_ADMIN"], permitted: ["CAP_SYS_ADMIN"]},
		args: ["/bin/sh", "-c", "grep -E \"^(CapEff|NoNewPrivs|Seccomp):\" /proc/self/status; ls /proc/self/fd"]}' >"$T/process.json"
	run abr exec --process "$T/process.json" "$ID"
	[ "$status" -eq 0 ]
	assert_hardened
	[ "$(echo "$output" | grep -cx '[0-9][0-9]*')" -eq 4 ] # 0, 1, 2 and ls's own
	abr kill "$ID" KILL
	wait_status "$ID" stopped
	abr delete "$ID"
	[ ! -e "$STATE/containers/$ID" ]
	for verb in create start state kill delete; do
		[ "$(served $verb)" -ge 1 ]
	done
	[ "$(served exec)" -eq 2 ]
}

# watcher ID: the worker that watches ID's foreground run (it holds the
# state directory open).
watcher() {
	local w
	for w in $(server_workers); do
		ls -l /proc/"$w"/fd 2>/dev/null | grep -q -- "-> $STATE/containers/$1\$" && echo "$w"
	done
	return 0
}

@test "server: a foreground run is runc in the front's place; agentbox's state goes after it" {
	ab_server_start
	set_cmd 'trap "exit 7" TERM; sleep 60 & wait'
	new_id
	"$AGENTBOX_RUNC" --root "$ROOT" run -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$T/run.err" &
	front=$!
	wait_status "$ID" running
	# The engine's child is runc itself, with its pid; a worker watches it.
	[ "$(readlink /proc/$front/exe)" = "$(readlink -f "$(command -v runc)")" ]
	[ "$(cat "$STATE/containers/$ID/foreground.pid")" = "$front" ]
	[ -n "$(watcher "$ID")" ]
	# A create of the same id meanwhile is runc's to refuse, at once.
	SECONDS=0
	run abr create -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	[ "$SECONDS" -lt 5 ]
	# A signal to the engine's child reaches runc, which passes it on.
	kill -TERM "$front"
	st=0
	wait "$front" || st=$?
	[ "$st" -eq 7 ]
	state_gone "$ID"
	[ ! -s "$T/run.err" ]
}

@test "server: a create right after a foreground run waits for its teardown" {
	ab_server_start
	set_cmd 'read line; exit 0'
	new_id
	mkfifo "$T/in"
	"$AGENTBOX_RUNC" --root "$ROOT" run -b "$BUNDLE" "$ID" <"$T/in" >/dev/null 2>&1 &
	front=$!
	exec 8>"$T/in"
	wait_status "$ID" running
	w=$(watcher "$ID")
	[ -n "$w" ]
	# The watcher held back: the run ends, its teardown cannot follow.
	kill -STOP "$w"
	echo go >&8
	exec 8>&-
	wait "$front"
	[ -e "$STATE/containers/$ID/foreground.pid" ]
	set_cmd 'exit 0'
	abr create -b "$BUNDLE" "$ID" >"$T/create.out" 2>&1 &
	create=$!
	sleep 0.5
	kill -0 "$create" # waiting
	kill -CONT "$w"
	wait "$create"
	# A state of its own, not the run's.
	[ -e "$STATE/containers/$ID/state.json" ]
	[ ! -e "$STATE/containers/$ID/foreground.pid" ]
	[ "$(runc --root "$ROOT" state "$ID" | jq -r .status)" = created ]
	abr delete "$ID"
	[ ! -e "$STATE/containers/$ID" ]
}

@test "server: a watcher lost: the run goes on, its state stays for delete" {
	ab_server_start
	set_cmd 'sleep 60'
	new_id
	"$AGENTBOX_RUNC" --root "$ROOT" run -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 &
	front=$!
	wait_status "$ID" running
	w=$(watcher "$ID")
	[ -n "$w" ]
	kill -KILL "$w"
	for i in $(seq 20); do grep -q "worker $w killed by signal 9" "$T/shim.log" && break; sleep 0.1; done
	grep -q "worker $w killed by signal 9" "$T/shim.log"
	[ "$(runc --root "$ROOT" state "$ID" | jq -r .status)" = running ]
	abr kill "$ID" KILL
	st=0
	wait "$front" || st=$?
	[ "$st" -eq 137 ]
	# Nobody saw the end: the record stays, and delete takes it.
	[ -e "$STATE/containers/$ID/state.json" ]
	abr delete --force "$ID"
	[ ! -e "$STATE/containers/$ID" ]
}

@test "server: overlapping calls get workers of their own; the extra ones retire" {
	ab_server_start --workers 2
	set_cmd 'sleep 1'
	pids=()
	for i in 1 2 3 4; do
		new_id
		abr run -b "$BUNDLE" "$ID" </dev/null >"$T/run-$i.out" 2>&1 &
		pids+=($!)
	done
	sleep 0.5
	busy=$(server_workers | wc -l)
	[ "$busy" -ge 5 ] # four calls, and one idle worker at least
	for p in "${pids[@]}"; do wait "$p"; done
	[ "$(served run)" -eq 4 ]
	for i in $(seq 50); do [ "$(server_workers | wc -l)" -eq 2 ] && break; sleep 0.1; done
	[ "$(server_workers | wc -l)" -eq 2 ]
}

@test "server: a call from another mount namespace is refused, and agentbox-shim runs it" {
	ab_server_start
	run_hardened unshare -m --propagation private "$AGENTBOX_RUNC"
	grep -q 'refused a call: another namespace' "$T/shim.log"
	[ "$(served run)" -eq 0 ]
}

@test "server: killed, agentbox-runc runs agentbox-shim and the container is still hardened" {
	ab_server_start
	workers=$(server_workers)
	[ -n "$workers" ]
	kill -KILL "$SERVER"
	SERVER=
	# Idle workers go with it (PR_SET_PDEATHSIG), and the socket with them.
	for i in $(seq 50); do pgrep -f "socket $T/shim.sock" >/dev/null || break; sleep 0.1; done
	refute pgrep -f "socket $T/shim.sock"
	run_hardened
}

@test "server: a worker lost before it answers: agentbox-shim runs the call, hardened" {
	ab_server_start
	# The config is a FIFO: the worker blocks opening it, and is killed.
	cp "$T/config.yaml" "$T/real.yaml"
	mkfifo "$T/fifo.yaml"
	hardened_cmd
	new_id
	AGENTBOX_CONFIG=$T/fifo.yaml "$AGENTBOX_RUNC" --root "$ROOT" run -b "$BUNDLE" "$ID" \
		>"$T/out" 2>&1 &
	front=$!
	busy=
	for i in $(seq 100); do
		for w in $(server_workers); do
			[ "$(cat /proc/$w/wchan 2>/dev/null)" = wait_for_partner ] && busy=$w
		done
		[ -n "$busy" ] && break
		sleep 0.05
	done
	[ -n "$busy" ]
	kill -KILL "$busy"
	# agentbox-runc runs agentbox-shim, which opens the FIFO in turn.
	cat "$T/real.yaml" >"$T/fifo.yaml"
	st=0
	wait "$front" || st=$?
	[ "$st" -eq 3 ]
	output=$(cat "$T/out")
	assert_hardened
	for i in $(seq 20); do grep -q "worker $busy killed by signal 9" "$T/shim.log" && break; sleep 0.1; done
	grep -q "worker $busy killed by signal 9" "$T/shim.log"
	[ ! -e "$STATE/containers/$ID" ]
}

@test "server: garbage on its socket is dropped; another version is refused; calls go on" {
	ab_server_start
	run python3 - "$T/shim.sock" <<-'PY'
	import os, socket, struct, sys
	path = sys.argv[1]
	def ask(data, fds=None):
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	    s.connect(path)
	    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("4i", *fds))] if fds else []
	    s.sendmsg([data], anc)
	    s.settimeout(5)
	    try:
	        r = s.recv(64)
	    except ConnectionResetError:
	        r = b""
	    s.close()
	    return r
	fds = [0, 1, 2, os.open(".", os.O_PATH)]
	hdr = lambda magic, ver, argc, envc: struct.pack("5I", magic, ver, 0o22, argc, envc)
	M = 0x31736261
	cases = {
	    "random": (os.urandom(300), fds),
	    "short": (b"abs1", fds),
	    "no fds": (hdr(M, 1, 1, 0) + b"x\0", None),
	    "counts": (hdr(M, 1, 5, 0) + b"x\0", fds),
	    "unended": (hdr(M, 1, 1, 0) + b"x", fds),
	    "no argv": (hdr(M, 1, 0, 1) + b"A=1\0", fds),
	    "huge counts": (hdr(M, 1, 0xffffffff, 0xffffffff) + b"x\0", fds),
	}
	for name, (data, f) in cases.items():
	    r = ask(data, f)
	    print(name, repr(r))
	    assert r == b"", name
	r = ask(hdr(M, 2, 1, 0) + b"x\0", fds)
	print("version 2", repr(r))
	assert r[:1] == b"F", r
	PY
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'dropped a call' "$T/shim.log")" -eq 7 ]
	grep -q 'refused a call: another protocol version' "$T/shim.log"
	run_hardened
	grep -q 'served `run`: exec 0' "$T/shim.log"
	kill -0 "$SERVER"
}

@test "server: replaced on disk, it refuses calls and exits for the new one to start" {
	mkdir "$T/bin"
	cp "$B/agentbox-shim" "$B/agentbox-runc" "$B/agentbox-init" "$T/bin/"
	"$T/bin/agentbox-shim" --serve --socket "$T/shim.sock" --verbose 2>"$T/shim.log" &
	SERVER=$!
	export AGENTBOX_SHIM_SOCKET=$T/shim.sock
	for i in $(seq 50); do grep -q serving "$T/shim.log" && break; sleep 0.1; done
	run_hardened "$T/bin/agentbox-runc"
	grep -q 'served `run`: exec 0' "$T/shim.log"
	# As an upgrade does: a new file renamed over the old.
	cp "$B/agentbox-shim" "$T/bin/agentbox-shim.new"
	mv "$T/bin/agentbox-shim.new" "$T/bin/agentbox-shim"
	run_hardened "$T/bin/agentbox-runc"
	grep -q 'refused a call: replaced' "$T/shim.log"
	st=0
	wait "$SERVER" || st=$?
	SERVER=
	[ "$st" -eq 75 ]
	grep -q 'was replaced: stopping' "$T/shim.log"
	[ ! -e "$T/shim.sock" ]
}

@test "server: agentbox-runc built against libc works with and without a server" {
	mkdir "$T/bin"
	cp "$B/tests/agentbox-runc-libc" "$T/bin/agentbox-runc"
	ln -s "$B/agentbox-shim" "$T/bin/agentbox-shim"
	run_hardened "$T/bin/agentbox-runc"
	ab_server_start
	run_hardened "$T/bin/agentbox-runc"
	grep -q 'served `run`: exec 0' "$T/shim.log"
}

@test "server: bad options and a second server on the same socket are refused" {
	run "$B/agentbox-shim" --serve --workers 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"--workers 0: expected 1 to 64"* ]]
	run "$B/agentbox-shim" --serve --bogus
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown or incomplete option \`--bogus\`"* ]]
	run "$B/agentbox-shim" --serve --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--socket PATH"* ]]
	ab_server_start
	run "$B/agentbox-shim" --serve --socket "$T/shim.sock"
	[ "$status" -eq 1 ]
	[[ "$output" == *"another server listens there"* ]]
	kill -0 "$SERVER"
	# The socket is root's alone.
	[ "$(stat -c %a "$T/shim.sock")" = 600 ]
}
