#!/usr/bin/env bats
# contrib/: the default policy and the project example compile, and
# `make install` puts every engine file where the README says.

load helpers

setup() {
	ab_setup
}

teardown() {
	ab_teardown
}

@test "contrib: the default policy and the project example compile" {
	run "$B/agentbox" policy ir "$AB_TOP/contrib/policy/policy.cedar" "$AB_TOP/contrib/policy/project.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *api.anthropic.com* ]]
}

@test "contrib: make install puts the binaries, config, policy and engine files in place" {
	make -s -C "$AB_TOP" B="$B" install DESTDIR="$T/dest" >/dev/null
	for f in bin/agentbox-runc bin/agentbox-shim bin/agentboxd bin/agentbox-hook bin/agentbox bin/hostexec bin/agentbox-init \
		share/agentbox/podman/agentbox.conf share/agentbox/docker/daemon.json \
		share/agentbox/containerd/agentbox.toml share/agentbox/kubernetes/runtimeclass.yaml \
		share/agentbox/systemd/agentboxd.service share/agentbox/systemd/agentbox-shim.service; do
		[ -e "$T/dest/usr/local/$f" ] || { echo "missing $f"; false; }
	done
	# The unit starts the installed server.
	grep -qx 'ExecStart=/usr/local/bin/agentbox-shim --serve' "$T/dest/usr/local/share/agentbox/systemd/agentbox-shim.service"
	# The installed front runs the installed agentbox-shim (its sibling).
	AGENTBOX_SHIM_SOCKET= run "$T/dest/usr/local/bin/agentbox-runc" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"agentbox-shim --serve"* ]]
	[ -e "$T/dest/etc/agentbox/config.yaml" ]
	[ -e "$T/dest/etc/agentbox/policy.cedar" ]
	jq -e '.runtimes.agentbox.path == "/usr/local/bin/agentbox-runc"' "$T/dest/usr/local/share/agentbox/docker/daemon.json"
}
