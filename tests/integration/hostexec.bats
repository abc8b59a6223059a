#!/usr/bin/env bats
# hostexec end to end: a container made through agentbox-runc asks the
# guardian, over its own socket, to run a command on the host; a rule or
# a human decides.  The "host" project directory is a temp dir bound into
# the container at /work.

load helpers
load net-helpers
load net-guard

setup() {
	ab_setup
	inet_setup
	net_config
	PROJ=$T/project
	mkdir -p "$PROJ"
	echo hello >"$PROJ/file.txt"
	cat >"$T/project.yaml" <<-YAML
	hostexec:
	  deny:
	    - "^touch .*forbidden.*$"
	  auto_approve:
	    - "^echo( .*)?$"
	    - "^cat file\\\\.txt$"
	    - "^cat$"
	    - "^touch [a-z./-]+$"
	    - "^sh -c 'exit 3'$"
	    - "^sleep [0-9]+$"
	    - "^pwd$"
	    - "^id -u$"
	  manual_approve:
	    - "^ls( .*)?$"
	YAML
	sed -i "s|policy: \\[$T/policy.cedar\\]|policy: [$T/policy.cedar, $T/project.yaml]|" "$T/config.yaml"
	printf 'hostexec: {approval_timeout: 3}\n' >>"$T/config.yaml"
	net_bundle
	add_bind "$PROJ" /work
	edit_config "$BUNDLE" '.process.cwd = "/work"'
}

teardown() {
	net_teardown
}

# pending_id: the first request waiting for approval (5 s at most).
pending_id() {
	local i id
	for i in $(seq 50); do
		id=$("$B/agentbox" approvals | awk 'NR > 1 {print $1; exit}')
		[ -n "$id" ] && break
		sleep 0.1
	done
	echo "$id"
}

@test "hostexec: an auto-approved command runs on the host; output and status come back" {
	start_agent
	run in_agent "hostexec echo hello from the host"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from the host" ]
	run in_agent "hostexec cat file.txt"
	[ "$output" = hello ]
	run in_agent "hostexec pwd"
	[ "$output" = "$(realpath "$PROJ")" ]
	run in_agent "hostexec sh -c 'exit 3'"
	[ "$status" -eq 3 ]
	run in_agent "hostexec touch made-by-host"
	[ "$status" -eq 0 ]
	[ -e "$PROJ/made-by-host" ]
	grep -q '"layer":"hostexec"' "$T/audit.jsonl"
	grep -q '"decision":"exit".*"exit":3' "$T/audit.jsonl"
	# stdin, with -i.
	run in_agent "printf 'line one\\nline two\\n' | hostexec -i cat"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'line one\nline two')" ]
}

@test "hostexec: each container is itself; one cannot act as another" {
	start_agent
	first=$ID
	start_agent
	second=$ID
	in_agent "hostexec echo from-second" >/dev/null
	ID=$first
	in_agent "hostexec echo from-first" >/dev/null
	grep '"resource":"echo from-second"' "$T/audit.jsonl" | grep -q "\"container\":\"$second\""
	grep '"resource":"echo from-first"' "$T/audit.jsonl" | grep -q "\"container\":\"$first\""
	# The second's socket is not in the first's filesystem: its own
	# socket, its seccomp filter and agentbox-init are all there is.
	run in_agent "ls /run/agentbox"
	[ "$output" = "$(printf 'agentbox-init\nhostexec.sock\nseccomp.bpf')" ]
	[ "$(stat -c %i "$STATE/containers/$first/run/hostexec.sock")" != "$(stat -c %i "$STATE/containers/$second/run/hostexec.sock")" ]
}

@test "hostexec: a denied command never runs, and says why" {
	start_agent
	run in_agent "hostexec touch forbidden-marker"
	[ "$status" -eq 126 ]
	[[ "$output" == *"denied"* ]]
	[ ! -e "$PROJ/forbidden-marker" ]
	run in_agent "hostexec rm -rf /tmp/x"
	[ "$status" -eq 126 ]
	[[ "$output" == *"no rule allows it"* ]]
}

@test "hostexec: injection attempts are matched on the canonical argv and never reach a shell" {
	start_agent
	for arg in 'x; touch pwned' '$(touch pwned)' '`touch pwned`' "$(printf 'x\ntouch pwned')" "x' ; touch pwned '" '-- ; touch pwned'; do
		run in_agent "hostexec touch $(printf '%q' "$arg")"
		[ "$status" -eq 126 ]
	done
	# echo is auto-approved: the metacharacters come back as text.
	run in_agent "hostexec echo '\$(id)' '\`id\`' ';' '|' 'x'"
	[ "$status" -eq 0 ]
	[ "$output" = '$(id) `id` ; | x' ]
	[ ! -e "$PROJ/pwned" ]
	[ ! -e "$T/pwned" ]
}

@test "hostexec: manual approval from the CLI while the client waits; timeout denies" {
	start_agent
	in_agent "hostexec ls" >"$T/ls.out" 2>&1 &
	client=$!
	id=$(pending_id)
	[ -n "$id" ]
	"$B/agentbox" approvals | grep -q "'ls'\|ls"
	run "$B/agentbox" approve "$id"
	[ "$status" -eq 0 ]
	wait "$client"
	grep -q 'waiting for approval' "$T/ls.out"
	grep -q file.txt "$T/ls.out"
	# Nobody answers: denied after the approval timeout (3 s here).
	run in_agent "hostexec ls -l"
	[ "$status" -eq 126 ]
	[[ "$output" == *"approval timed out"* ]]
	# deny from the CLI.
	in_agent "hostexec ls -a" >"$T/deny.out" 2>&1 &
	client=$!
	id=$(pending_id)
	"$B/agentbox" deny "$id" --reason "not today"
	st=0
	wait "$client" || st=$?
	[ "$st" -eq 126 ]
	grep -q "not today" "$T/deny.out"
}

@test "hostexec: killing the client kills the host process" {
	start_agent
	secs=$((300 + RANDOM % 600))
	in_agent "hostexec sleep $secs" &
	client=$!
	for i in $(seq 50); do pgrep -fx "sleep $secs" >/dev/null && break; sleep 0.1; done
	pgrep -fx "sleep $secs"
	# The client is the exec'd process in the container: kill it there.
	in_agent "killall -9 hostexec"
	wait "$client" || true
	for i in $(seq 50); do pgrep -fx "sleep $secs" >/dev/null || break; sleep 0.1; done
	run pgrep -fx "sleep $secs"
	[ "$status" -eq 1 ]
}

@test "hostexec: the guardian killed, the client fails and nothing runs" {
	start_agent
	# A request waiting for a human dies with the guardian: denied.
	in_agent "hostexec ls" >"$T/pending.out" 2>&1 &
	client=$!
	[ -n "$(pending_id)" ]
	kill -9 "$(guardian_pid)"
	st=0
	wait "$client" || st=$?
	[ "$st" -eq 125 ]
	refute grep -q file.txt "$T/pending.out"
	sleep 0.2
	run in_agent "hostexec touch after-kill"
	[ "$status" -eq 125 ]
	[ ! -e "$PROJ/after-kill" ]
}

@test "hostexec: garbage and oversized frames are refused; other clients are unharmed" {
	start_agent
	sock=$STATE/containers/$ID/run/hostexec.sock
	pid=$(jq -r .pid <(abr state "$ID"))
	# From inside the container's namespaces (the socket checks them).
	run nsenter -t "$pid" -p -n python3 -c "
import socket, struct
s = socket.socket(socket.AF_UNIX)
s.connect('$sock')
s.sendall(struct.pack('>I', 1 << 30) + b'\x01')
print(s.recv(100))
s = socket.socket(socket.AF_UNIX)
s.connect('$sock')
s.sendall(struct.pack('>I', 9) + b'\x01' + b'{garbage}')
print(s.recv(100))
"
	[[ "$output" == *"malformed frame"* ]]
	run in_agent "hostexec echo still fine"
	[ "$output" = "still fine" ]
}

@test "hostexec: a process outside the container cannot use its socket" {
	start_agent
	sock=$STATE/containers/$ID/run/hostexec.sock
	# The same client, run on the host against that container's socket:
	# the peer is not in the container's pid namespace, so it is refused.
	AGENTBOX_HOSTEXEC_SOCK=$sock run "$B/hostexec" touch outside-marker
	[ "$status" -eq 125 ]
	[ ! -e "$PROJ/outside-marker" ]
	# The container itself still can.
	run in_agent "hostexec echo ok"
	[ "$output" = ok ]
}

@test "hostexec: commands run as the project directory's owner, and time out" {
	chown 65534:65534 "$PROJ"
	sed -i 's/^hostexec: {approval_timeout: 3}$/hostexec: {approval_timeout: 3, command_timeout: 2}/' "$T/config.yaml"
	start_agent
	run in_agent "hostexec id -u"
	[ "$status" -eq 0 ]
	[ "$output" = 65534 ]
	start=$(date +%s)
	run in_agent "hostexec sleep 30"
	[ "$status" -eq 137 ]
	[[ "$output" == *"timed out"* ]]
	[ $(($(date +%s) - start)) -lt 10 ]
}

@test "hostexec: output cap, resource limits, signals forwarded, a cwd that maps nowhere" {
	sed -i 's/^hostexec: {approval_timeout: 3}$/hostexec: {approval_timeout: 3, output_limit: 100000, limits: {nofile: 64}}/' "$T/config.yaml"
	sed -i 's/^  auto_approve:$/  auto_approve:\n    - "^sh -c .*$"/' "$T/project.yaml"
	start_agent
	run in_agent "hostexec sh -c 'ulimit -n'"
	[ "$output" = 64 ]
	run in_agent "hostexec sh -c 'yes | head -c 10000000'"
	[ "$status" -eq 137 ]
	[[ "$output" == *"output limit reached"* ]]
	[ "${#output}" -lt 200000 ]
	# Ctrl-C reaches the command on the host.
	run in_agent "hostexec sh -c 'trap \"echo got-int; exit 5\" INT; sleep 30 & wait' & c=\$!; sleep 1; kill -INT \$c; wait \$c"
	[ "$status" -eq 5 ]
	[[ "$output" == *got-int* ]]
	# A working directory with no host directory behind it is refused.
	run abr exec --cwd / "$ID" hostexec echo hi
	[ "$status" -eq 126 ]
	[[ "$output" == *"maps to no host directory"* ]]
}
