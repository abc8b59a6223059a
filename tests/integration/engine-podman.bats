#!/usr/bin/env bats
# podman 4.3 with agentbox-runc as a named runtime (contrib/podman/agentbox.conf):
# an image imported from a busybox rootfs, the container lifecycle through
# podman, hardening, the network layer and the file layer seen from inside
# the container and its exec'd processes, and a policy that does not
# compile.  podman's storage, state and config live in the test's temp dir
# (engine-podman.bash); nothing reaches a registry or an outside address.

load helpers
load net-helpers
load net-guard
load engine-podman

# The image's rootfs, made once for the file; each test imports it into
# its own podman storage.
setup_file() {
	command -v podman >/dev/null || return 0
	pm_rootfs_tar "$BATS_FILE_TMPDIR/rootfs.tar"
}

setup() {
	command -v podman >/dev/null || skip "podman is not installed"
	command -v conmon >/dev/null || skip "conmon is not installed"
	pm_base
	NET=
}

teardown() {
	pm_teardown
	if [ -n "$NET" ]; then
		net_teardown
	else
		ab_teardown
	fi
}

# start: podman's state and the image, with the agentbox config as it is now.
start() {
	pm_setup
	pm_import "$BATS_FILE_TMPDIR/rootfs.tar"
}

# status_lines FILE-OR-: the confinement lines of a /proc/PID/status.
status_lines() {
	grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp(_filters)?):' "$@"
}

@test "podman: the contrib runtime entry (JSON errors on) works, podman info shows agentbox's version, the imported image is there" {
	start
	grep -q "^agentbox = \[\"$T/agentbox-runc\"\]" "$T/containers.conf"
	grep -q '^runtime_supports_json = .*"agentbox"' "$T/containers.conf"
	run pm --runtime agentbox info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}} {{.Host.OCIRuntime.Version}}'
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == "agentbox $T/agentbox-runc agentbox-runc version "* ]]
	[[ "$output" == *"runc version"* ]]
	run pm images --format '{{.Repository}}:{{.Tag}}'
	[ "$output" = "$PM_IMAGE" ]
}

@test "podman: run, exec, logs, pause/unpause, stop, kill, rm through agentbox" {
	start
	run pm_run --rm --network none "$PM_IMAGE" echo hello-from-agentbox
	[ "$status" -eq 0 ]
	[ "$output" = hello-from-agentbox ]
	# The exit status of the container's process comes back.
	run pm_run --rm --network none "$PM_IMAGE" sh -c 'exit 7'
	[ "$status" -eq 7 ]

	pm_run -d --name c1 --network none "$PM_IMAGE" sh -c 'echo started; exec sleep 600' >/dev/null
	id=$(pm_full_id c1)
	[ ${#id} -eq 64 ]
	# agentbox made it: its state dir holds podman's full id, and runc's
	# --root (the wrapper's) has the container running.
	[ -e "$STATE/containers/$id/state.json" ]
	[ "$(runc --root "$ROOT" state "$id" | jq -r .status)" = running ]
	run pm exec c1 echo exec-ok
	[ "$output" = exec-ok ]
	run pm logs c1
	[ "$output" = started ]
	pm pause c1 >/dev/null
	[ "$(pm inspect --format '{{.State.Status}}' c1)" = paused ]
	[ "$(runc --root "$ROOT" state "$id" | jq -r .status)" = paused ]
	pm unpause c1 >/dev/null
	[ "$(runc --root "$ROOT" state "$id" | jq -r .status)" = running ]
	run pm exec c1 echo after-unpause
	[ "$output" = after-unpause ]
	# stop: sleep as pid 1 ignores SIGTERM, so podman's SIGKILL ends it.
	pm stop -t 1 c1 >/dev/null
	[ "$(pm inspect --format '{{.State.Status}}' c1)" = exited ]
	pm start c1 >/dev/null
	[ "$(pm inspect --format '{{.State.Status}}' c1)" = running ]
	pm kill c1 >/dev/null
	pm wait c1 >/dev/null
	[ "$(pm inspect --format '{{.State.Status}}' c1)" = exited ]
	pm rm c1 >/dev/null
	[ -z "$(pm ps -aq)" ]
	[ ! -e "$STATE/containers/$id" ]
	[ -z "$(runc --root "$ROOT" list -q)" ]
}

@test "podman: through a shim server, the container lifecycle is served and hardened" {
	ab_server_start
	start
	run pm_run --rm --network none "$PM_IMAGE" sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; exit 5'
	[ "$status" -eq 5 ]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
	pm_run -d --name c1 --network none "$PM_IMAGE" sleep 600 >/dev/null
	id=$(pm_full_id c1)
	[ -e "$STATE/containers/$id/state.json" ]
	run pm exec c1 sh -c 'grep -E "^Seccomp:" /proc/self/status'
	[[ "$output" == *"Seccomp:	2"* ]]
	pm rm -f c1 >/dev/null
	[ ! -e "$STATE/containers/$id" ]
	cat "$T/shim.log"
	for verb in create start delete; do
		grep -q "served \`$verb\`" "$T/shim.log"
	done
	refute grep -E 'dropped|killed' "$T/shim.log"
}

@test "podman: hardening holds inside a container podman asked to be powerful" {
	mkdir -p "$T/home/.ssh" "$T/project"
	echo PRIVATE-KEY >"$T/home/.ssh/id_ed25519"
	echo project-file >"$T/project/README"
	cat >>"$T/config.yaml" <<-YAML
	hardening:
	  extra_sensitive_paths: [$T/home/.ssh]
	YAML
	start
	sysadmin=$(cap_bit CAP_SYS_ADMIN)
	netraw=$(cap_bit CAP_NET_RAW)
	run pm_run --rm --network none --cap-add SYS_ADMIN,NET_RAW \
		-v "$T/home:/home/agent" -v "$T/home/.ssh:/ssh" -v "$T/project:/project" \
		"$PM_IMAGE" sh -c '
		grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status
		cat /project/README
		cat /home/agent/.ssh/id_ed25519 2>/dev/null || echo home-ssh-hidden
		ls /ssh/id_ed25519 2>/dev/null || echo ssh-mount-gone
		mount -t tmpfs x /tmp 2>/dev/null || echo mount-denied
		unshare -n true 2>/dev/null || echo unshare-denied'
	echo "$output"
	[ "$status" -eq 0 ]
	eff=$(sed -n 's/^CapEff:[[:space:]]*//p' <<<"$output")
	bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' <<<"$output")
	refute has_cap "$eff" "$sysadmin"
	refute has_cap "$eff" "$netraw"
	refute has_cap "$bnd" "$sysadmin"
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *project-file* ]]
	[[ "$output" != *PRIVATE-KEY* ]]
	[[ "$output" == *home-ssh-hidden* ]]
	[[ "$output" == *ssh-mount-gone* ]]
	[[ "$output" == *mount-denied* ]]
	[[ "$output" == *unshare-denied* ]]
}

@test "podman: the network layer confines a podman container (its netns is agentbox's)" {
	NET=1
	inet_setup
	net_config
	start
	pm_run -d --name n1 --network none "$PM_IMAGE" sleep 600 >/dev/null
	id=$(pm_full_id n1)
	pid=$(pm_pid n1)
	# agentbox's network ran for podman's id: its net.json, the connect
	# guard's pins, and the container's one link carries that address.
	[ -e "$STATE/containers/$id/net.json" ]
	[ -d "/sys/fs/bpf/agentbox/$id" ]
	ct4=$(jq -r .ct4 "$STATE/containers/$id/net.json")
	peer=$(jq -r .peer4 "$STATE/containers/$id/net.json")
	run nsenter --net=/proc/$pid/ns/net ip -4 -o addr show
	echo "$output"
	[[ "$output" == *" $ct4/31 "* ]]
	[ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/1/ns/net)" ]
	run pm exec n1 cat /etc/resolv.conf
	[[ "$output" == *"nameserver $peer"* ]]
	# An allowed name gets a synthetic address from the guardian, a denied
	# one NXDOMAIN, and neither query reached the internet's DNS.
	run pm exec n1 nslookup www.allowed.example
	echo "$output"
	[[ "$output" == *198.1[89].* ]]
	[[ "$output" != *203.0.113.10* ]]
	run pm exec n1 nslookup www.denied.example
	[ "$status" -ne 0 ]
	[[ "$output" == *NXDOMAIN* || "$output" == *"can't resolve"* ]]
	refute grep -q denied "$INET_QUERY_LOG"
	# A direct connect to an outside address: the connect guard refuses.
	run pm exec n1 sh -c 'echo x | nc -w2 203.0.113.10 80'
	[ "$status" -ne 0 ]
	[[ "$output" == *"not permitted"* ]]
	# The guardian's audit lines name podman's container id.
	grep '"resource":"www.denied.example"' "$T/audit.jsonl" | grep -q "\"container\":\"$id\""
	grep '"decision":"allow"' "$T/audit.jsonl" | grep -q "\"container\":\"$id\""
	pm rm -f -t 0 n1 >/dev/null
	[ ! -e "$STATE/containers/$id" ]
	[ ! -e "/sys/fs/bpf/agentbox/$id" ]
}

@test "podman: podman exec gets the first process's caps, no_new_privs, seccomp and Landlock" {
	[ -x "$B/agentbox-init" ] || skip "agentbox-init is not built"
	cat >"$T/policy.cedar" <<-CEDAR
	permit (principal, action == Action::"ProcessExec", resource in Dir::"/bin/");
	permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/bin/");
	permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/etc/");
	permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/proc/");
	permit (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/work/");
	permit (principal, action == Action::"FileOpenReadWrite", resource == File::"/dev/null");
	CEDAR
	ab_config "policy: [$T/policy.cedar]"
	start
	pm_run -d --name e1 --network none --cap-add SYS_ADMIN "$PM_IMAGE" sh -c '
		cat /proc/self/status >/work/first.status
		cat /root/secret >/work/first.secret 2>&1 || echo first-secret-denied >>/work/first.secret
		exec sleep 600' >/dev/null
	for _ in $(seq 50); do
		pm exec e1 test -s /work/first.secret 2>/dev/null && break
		sleep 0.1
	done
	id=$(pm_full_id e1)
	# The bundle's process runs under agentbox-init.
	jq -e '.process.args[0] == "/run/agentbox/agentbox-init"' "$PM/root/vfs-containers/$id/userdata/config.json"
	run pm exec e1 cat /work/first.secret
	echo "$output"
	[[ "$output" == *first-secret-denied* ]]
	[[ "$output" != *TOP-SECRET-CONTENT* ]]
	first=$(pm exec e1 cat /work/first.status | status_lines)
	# podman exec, plain and with --privileged (asks for every capability).
	ex=$(pm exec e1 cat /proc/self/status | status_lines)
	echo "first: $first"
	echo "exec:  $ex"
	[ -n "$first" ]
	[ "$ex" = "$first" ]
	exp=$(pm exec --privileged e1 cat /proc/self/status | status_lines)
	echo "exec --privileged: $exp"
	refute has_cap "$(sed -n 's/^CapEff:[[:space:]]*//p' <<<"$exp")" "$(cap_bit CAP_SYS_ADMIN)"
	[[ "$exp" == *"NoNewPrivs:	1"* ]]
	[[ "$exp" == *"Seccomp:	2"* ]]
	# Landlock: the secret is denied to exec'd processes too, while /etc
	# stays readable.
	run pm exec e1 cat /root/secret
	[ "$status" -ne 0 ]
	[[ "$output" != *TOP-SECRET-CONTENT* ]]
	run pm exec e1 sh -c 'cat /root/secret'
	[ "$status" -ne 0 ]
	[[ "$output" != *TOP-SECRET-CONTENT* ]]
	run pm exec e1 cat /etc/hostname
	[ "$status" -eq 0 ]
}

# nothing_left: agentbox's state and runc's --root hold no container.
nothing_left() {
	[ -z "$(runc --root "$ROOT" list -q)" ] || { runc --root "$ROOT" list; return 1; }
	[ -z "$(ls -A "$STATE/containers" 2>/dev/null)" ] || { ls -A "$STATE/containers"; return 1; }
}

@test "podman: a policy that does not compile fails podman run with agentbox's file:line, and leaves nothing" {
	ab_broken_policy
	start
	run pm_run --rm --network none "$PM_IMAGE" true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"agentbox: container "*"load policy: $T/broken.cedar:3:"[0-9]*": expected"* ]]
	[ -z "$(pm ps -aq)" ]
	nothing_left
	# Without --rm podman keeps its record of the container, as "Created"
	# (what it does with runc too); the runtime side holds nothing.
	run pm_run --name bad --network none "$PM_IMAGE" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"$T/broken.cedar:3:"* ]]
	[ "$(pm ps -a --format '{{.Names}} {{.Status}}')" = "bad Created" ]
	nothing_left
	pm rm bad >/dev/null
	[ -z "$(pm ps -aq)" ]
	nothing_left
}

@test "podman: with the network layer on, a policy that does not compile fails podman run with its file:line, and leaves nothing" {
	NET=1
	ab_broken_policy
	cat >"$T/config.yaml" <<-YAML
	runtime: runc
	state_dir: $STATE
	network:
	  resolver: 127.0.0.1
	  audit_log: $T/audit.jsonl
	  policy: [$T/broken.cedar]
	YAML
	start
	run pm_run --rm --network none "$PM_IMAGE" true
	echo "$output"
	[ "$status" -ne 0 ]
	# agentbox compiles the policy before it starts the guardian: podman
	# shows the file:line, and no guardian runs.
	[[ "$output" == *"agentbox: container "*"load policy: $T/broken.cedar:3:"[0-9]*": expected"* ]]
	refute guardian_pid
	[ -z "$(pm ps -aq)" ]
	nothing_left
}
