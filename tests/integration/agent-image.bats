#!/usr/bin/env bats
# The real agent image (contrib/images/build-agent-image.sh, `make
# agent-image`) under podman and agentbox-runc with the network layer on:
# Claude Code runs, a policy that allows only api.anthropic.com lets that
# name through to the test internet, and egress to any other name fails and
# is audited.  The image comes from the build's cached rootfs tar, imported
# into this test's own podman store (engine-podman.bash); the guardian's
# upstream is the test internet (net-helpers.bash), never a real address.
#
# Without the image this file fails and says to run `make agent-image`;
# AB_SKIP_AGENT_IMAGE=1 skips it instead.

load helpers
load net-helpers
load net-guard
load engine-podman

AGENT_IMAGE=localhost/agentbox-agent:test
AGENT_BUILD=$AB_TOP/contrib/images/build-agent-image.sh

# The test internet also serves api.anthropic.com (and example.com, so a
# denied request is refused by policy, not by a missing name).
eval "$(declare -f inet_zone | sed '1s/^inet_zone/inet_zone_base/')"
inet_zone() {
	inet_zone_base
	echo "api.anthropic.com A $INET_V4"
	echo "api.anthropic.com AAAA $INET_V6"
	echo "example.com A $INET_V4"
}

# The image is imported once per file (about 30 s for its 750 MB) into a
# store of the file's own, with the overlay driver so that each container
# does not copy it; every test's podman (pm, engine-podman.bash) uses that
# store with its own config, runtime wrapper and cgroup parent.
# (bats 1.8 cannot skip from setup_file: setup skips each test instead.)
agent_skip_why() {
	if [ "${AB_SKIP_AGENT_IMAGE:-}" = 1 ]; then
		echo "AB_SKIP_AGENT_IMAGE=1: the agent image (make agent-image) is not wanted here"
	elif ! command -v podman >/dev/null; then
		echo "podman is not installed"
	elif ! command -v conmon >/dev/null; then
		echo "conmon is not installed"
	else
		return 1
	fi
}

setup_file() {
	agent_skip_why >/dev/null && return 0
	AGENT_STORE=$(mktemp -d /tmp/ab-agent-store.XXXXXX)
	export AGENT_STORE
	mkdir -p "$AGENT_STORE/root" "$AGENT_STORE/runroot" "$AGENT_STORE/tmp"
	local t0=$SECONDS
	agent_import
	echo "# imported the agent image in $((SECONDS - t0)) s" >&3
}

teardown_file() {
	local m c
	if [ -n "${AGENT_STORE:-}" ] && [ -d "$AGENT_STORE" ]; then
		# The cgroups a test's teardown found still busy.
		for c in $(cat "$AGENT_STORE/cgroups" 2>/dev/null); do
			agent_cgroups_rm "$c" 300 || echo "# cgroup $c is still busy" >&3
		done
		for m in $(findmnt -rn -o TARGET | grep "^$AGENT_STORE/" | sort -r); do
			umount -l "$m" 2>/dev/null || true
		done
		rm -rf --one-file-system "$AGENT_STORE"
	fi
}

# agent_import: the build script, offline, imports its cached rootfs into
# $AGENT_STORE; without one it exits 3 and this file fails.  podman 4.3
# writes a blob cache to /var/lib/containers whatever --root says: a private
# mount namespace with a tmpfs on /var/lib keeps the host's clean.
agent_import() {
	local out rc=0
	# lock_type file: podman's default lock is a shared-memory segment in
	# /dev/shm that every podman on the host uses (and that outlives us).
	printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "%s"\nlock_type = "file"\n' \
		"$AGENT_STORE/events.log" >"$AGENT_STORE/containers.conf"
	cat >"$AGENT_STORE/podman" <<-SH
	#!/bin/sh
	exec unshare --mount --propagation private sh -c '
		mount -t tmpfs -o size=16m agentbox-pm /var/lib && exec "\$@"' sh \
		env TMPDIR="$AGENT_STORE/tmp" CONTAINERS_CONF="$AGENT_STORE/containers.conf" \
		podman --tmpdir "$AGENT_STORE/tmp" --storage-driver overlay "\$@"
	SH
	chmod 755 "$AGENT_STORE/podman"
	out=$(PODMAN=$AGENT_STORE/podman "$AGENT_BUILD" --offline --name "$AGENT_IMAGE" \
		--podman-root "$AGENT_STORE/root" --runroot "$AGENT_STORE/runroot" 2>&1) || rc=$?
	if [ "$rc" -eq 3 ]; then
		echo "the agent image is not built: run \`make agent-image\` first" \
			"(or set AB_SKIP_AGENT_IMAGE=1 to skip these tests)" >&2
	fi
	[ "$rc" -eq 0 ] || { echo "$out" >&2; return 1; }
}

setup() {
	local why
	if why=$(agent_skip_why); then skip "$why"; fi
	ab_setup
	inet_setup
	net_config
	cat >"$T/policy.cedar" <<-CEDAR
	permit (principal, action == Action::"NetworkConnect",
	        resource in Host::"api.anthropic.com");
	CEDAR
	pm_setup
	PM=$AGENT_STORE
}

teardown() {
	[ -n "${T:-}" ] || return 0
	pm_teardown
	agent_cgroups_rm "$PM_CGROUP" 50 || echo "$PM_CGROUP" >>"$AGENT_STORE/cgroups"
	net_teardown
}

# agent_cgroups_rm CGROUP TRIES: a test's cgroup parent, in every
# hierarchy, once its containers' processes (conmon's cleanup too) are gone;
# 0.1 s between tries.
agent_cgroups_rm() {
	local d i left
	[ -n "$1" ] || return 0
	for i in $(seq "$2"); do
		left=
		for d in /sys/fs/cgroup/*/"${1#/}"; do
			[ -d "$d" ] || continue
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
			[ -d "$d" ] && left=$d
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	return 1
}

# pm ARGS...: engine-podman.bash's, on the overlay store.
pm() {
	TMPDIR=$PM/tmp CONTAINERS_CONF=$T/containers.conf \
		podman --root "$PM/root" --runroot "$PM/runroot" --tmpdir "$PM/tmp" \
		--storage-driver overlay "$@"
}

# agent ARGS...: the agent image through agentbox, as its own user.
agent() {
	pm_run --rm --network none "$AGENT_IMAGE" "$@"
}

@test "agent image: claude --version runs under agentbox with the network layer on" {
	run pm images --format '{{.Repository}}:{{.Tag}}'
	[ "$output" = "$AGENT_IMAGE" ]
	run agent sh -c 'id -un; pwd; echo "$HOME"; echo "$HTTPS_PROXY"; claude --version'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = agent ]
	[ "${lines[1]}" = /work ]
	[ "${lines[2]}" = /home/agent ]
	# agentbox's network layer gave it its proxy (the container's peer).
	[[ "${lines[3]}" == http://100.96.*:3128 ]]
	[[ "${lines[4]}" =~ ^[0-9]+\.[0-9]+\.[0-9]+\ \(Claude\ Code\)$ ]]
}

@test "agent image: api.anthropic.com is allowed; egress to another name fails and is audited" {
	run agent node -e '
		const dns = require("dns").promises;
		(async () => {
			const a = await dns.lookup("api.anthropic.com", { family: 4 });
			console.log("resolved " + a.address);
			const r = await fetch("http://api.anthropic.com/");
			console.log("allowed " + r.status + " " + (await r.text()).trim());
			try {
				await fetch("https://example.com/", { signal: AbortSignal.timeout(8000) });
				console.log("denied-reached");
			} catch (e) {
				console.log("denied-failed " + (e.cause && e.cause.code || e.name));
			}
		})().catch(e => { console.log("error " + e); process.exit(1); });'
	echo "$output"
	[ "$status" -eq 0 ]
	# The guardian's DNS answers with a synthetic address, and its proxy
	# reaches the test internet's server for the allowed name.
	[[ "$output" == *"resolved 198.1"[89]"."* ]]
	[[ "$output" == *"allowed 200 hello api.anthropic.com"* ]]
	[[ "$output" == *denied-failed* ]]
	[[ "$output" != *denied-reached* ]]
	grep '"resource":"api.anthropic.com' "$T/audit.jsonl" | grep -q '"decision":"allow"'
	grep '"resource":"example.com' "$T/audit.jsonl" | grep -q '"decision":"deny"'
	# The denied name never reached the upstream resolver.
	refute grep -q example.com "$INET_QUERY_LOG"
}
