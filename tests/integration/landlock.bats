#!/usr/bin/env bats
# The file layer on a host without BPF LSM: the policy's file and exec
# rules become a Landlock ruleset that agentbox-init applies before the
# container's process (and every exec'd one) runs.

load helpers

setup() {
	ab_setup
	[ -x "$B/agentbox-init" ] || skip "agentbox-init is not built"
	mkdir -p "$T/work" "$BUNDLE/rootfs/work" "$BUNDLE/rootfs/etc" "$BUNDLE/rootfs/root"
	echo host-data >"$T/work/data.txt"
	echo agentbox >"$BUNDLE/rootfs/etc/hostname"
	echo TOP-SECRET-CONTENT >"$BUNDLE/rootfs/root/secret"
	add_bind "$T/work" /work
	cat >"$T/policy.cedar" <<-CEDAR
	permit (principal, action == Action::"ProcessExec", resource in Dir::"/bin/");
	permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/bin/");
	permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/etc/");
	permit (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/work/");
	permit (principal, action == Action::"FileOpenReadWrite", resource == File::"/dev/null");
	CEDAR
	ab_config "policy: [$T/policy.cedar]"
}

teardown() {
	ab_teardown
}

@test "landlock: the policy's file and exec rules hold in the container" {
	new_id
	set_cmd '
		cat /etc/hostname && echo read-etc-ok
		cat /work/data.txt && echo read-work-ok
		echo new >/work/new.txt && echo write-work-ok
		echo x >/etc/planted 2>/dev/null || echo write-etc-denied
		cat /root/secret 2>/dev/null || echo read-root-denied
		cp /bin/busybox /work/bb && /work/bb true 2>/dev/null || echo exec-work-denied
		ln -s /root/secret /work/link && { cat /work/link 2>/dev/null || echo symlink-denied; }
	'
	run abr run -b "$BUNDLE" "$ID"
	echo "$output"
	[[ "$output" == *read-etc-ok* ]]
	[[ "$output" == *host-data*read-work-ok* ]]
	[[ "$output" == *write-work-ok* ]]
	[[ "$output" == *write-etc-denied* ]]
	[[ "$output" == *read-root-denied* ]]
	[[ "$output" == *exec-work-denied* ]]
	[[ "$output" == *symlink-denied* ]]
	[ -e "$T/work/new.txt" ]
	[ ! -e "$BUNDLE/rootfs/etc/planted" ]
	jq -e '.process.args[0] == "/run/agentbox/agentbox-init"' "$BUNDLE/config.json"
}

@test "landlock: an exec'd process is confined too" {
	new_id
	set_cmd "sleep 600"
	abr run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run abr exec "$ID" cat /root/secret
	[ "$status" -ne 0 ]
	run abr exec "$ID" cat /etc/hostname
	[ "$output" = agentbox ]
	# The --process form, as engines send it.
	jq '.process | .args = ["cat", "/root/secret"]' "$BUNDLE/config.json" >"$T/proc.json"
	run abr exec --process "$T/proc.json" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" != *TOP-SECRET-CONTENT* ]]
}

@test "landlock: a policy Landlock cannot express fails the create, and nothing is left" {
	cat >>"$T/policy.cedar" <<-CEDAR
	forbid (principal, action == Action::"FileOpenReadWrite", resource == File::"/work/.env");
	CEDAR
	new_id
	cp "$BUNDLE/config.json" "$T/before.json"
	run abr create -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"policy.cedar:6 forbids /work/.env inside /work"* ]]
	cmp "$BUNDLE/config.json" "$T/before.json"
	[ ! -e "$STATE/containers/$ID" ]
}

@test "landlock: io.agentbox.policy stacks a narrowing ruleset; its neighbour keeps the policy" {
	mkdir -p "$T/policies"
	# Reads only under /bin and /etc/hostname, writes nowhere.  (Under
	# Landlock a layer with file rules rules on every right, so it names
	# exec too.)
	cat >"$T/policies/readonly.cedar" <<-CEDAR
	permit (principal, action in [Action::"FileOpenReadOnly", Action::"ProcessExec"],
	        resource in Dir::"/bin/");
	permit (principal, action == Action::"FileOpenReadOnly", resource == File::"/etc/hostname");
	CEDAR
	ab_config "policy: [$T/policy.cedar]" "policy_dir: $T/policies"
	set_cmd '
		cat /etc/hostname && echo read-hostname-ok
		cat /work/data.txt 2>/dev/null || echo read-work-denied
		echo new >/work/new.txt 2>/dev/null || echo write-work-denied
		cat /root/secret 2>/dev/null || echo read-root-denied
	'
	new_id
	edit_config "$BUNDLE" '.annotations["io.agentbox.policy"] = "readonly"'
	run abr run -b "$BUNDLE" "$ID"
	echo "$output"
	[[ "$output" == *agentbox*read-hostname-ok* ]]
	[[ "$output" == *read-work-denied* ]]
	[[ "$output" == *write-work-denied* ]]
	[[ "$output" == *read-root-denied* ]]
	[ ! -e "$T/work/new.txt" ]
	# Without the annotation, the policy alone: /work is readable and writable.
	BUNDLE=$T/neighbour
	make_bundle "$BUNDLE" && add_bind "$T/work" /work
	mkdir -p "$BUNDLE/rootfs/work"
	set_cmd 'cat /work/data.txt && echo new >/work/new.txt && echo write-work-ok'
	new_id
	run abr run -b "$BUNDLE" "$ID"
	echo "$output"
	[[ "$output" == *host-data*write-work-ok* ]]
	[ -e "$T/work/new.txt" ]
}

@test "landlock: a narrowing policy that cannot load refuses the container, and nothing is left" {
	mkdir -p "$T/policies"
	printf '%s\n' 'permit (principal, action == Action::"FileOpenReadOnly",' \
		'        resource in Dir::"/bin/");' 'forbid oops;' >"$T/policies/broken.cedar"
	ab_config "policy: [$T/policy.cedar]" "policy_dir: $T/policies"
	cp "$BUNDLE/config.json" "$T/pristine.json"
	for name in broken missing ../policies/broken .hidden; do
		cp "$T/pristine.json" "$BUNDLE/config.json"
		edit_config "$BUNDLE" ".annotations[\"io.agentbox.policy\"] = \"$name\""
		cp "$BUNDLE/config.json" "$T/before.json"
		new_id
		run abr create -b "$BUNDLE" "$ID"
		echo "$name: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"annotation io.agentbox.policy"* ]]
		case $name in
		broken) [[ "$output" == *"broken.cedar:3"* ]] ;;
		missing) [[ "$output" == *"no policy 'missing' in $T/policies"* ]] ;;
		*) [[ "$output" == *"is not a policy name"* ]] ;;
		esac
		cmp "$BUNDLE/config.json" "$T/before.json"
		[ ! -e "$STATE/containers/$ID" ]
	done
}

@test "landlock: without file rules in the policy, no Landlock rules" {
	echo 'permit (principal, action == Action::"NetworkConnect", resource in Host::"example.com");' >"$T/policy.cedar"
	new_id
	run abr run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	# agentbox-init still installs the seccomp filter, and nothing else.
	jq -e '.process.args == ["/run/agentbox/agentbox-init", "--seccomp", "/run/agentbox/seccomp.bpf", "--", "/bin/true"]' "$BUNDLE/config.json"
}

# The file guard's cases (tests/vm/guest/file-guard.sh) that Landlock can
# express; docs/landlock.md lists the ones it cannot.
@test "landlock: component boundaries, links, renames, truncation, creation and interpreters" {
	mkdir -p "$BUNDLE/rootfs/etc2" "$BUNDLE/rootfs/denied"
	echo dash >"$BUNDLE/rootfs/etc2/passwd-"
	echo root >"$BUNDLE/rootfs/etc2/passwd"
	printf '#!/denied/busybox sh\necho via-interp\n' >"$BUNDLE/rootfs/work/interp.sh"
	chmod +x "$BUNDLE/rootfs/work/interp.sh"
	cp /bin/busybox "$BUNDLE/rootfs/denied/busybox"
	cat >>"$T/policy.cedar" <<-CEDAR
	permit (principal, action == Action::"FileOpenReadOnly", resource == File::"/etc2/passwd-");
	permit (principal, action == Action::"ProcessExec", resource in Dir::"/work/");
	CEDAR
	new_id
	set_cmd '
		cat /etc2/passwd- >/dev/null && echo dash-ok
		cat /etc2/passwd 2>/dev/null || echo passwd-denied
		ln /etc/hostname /work/h 2>/dev/null || echo hardlink-denied
		echo x >/work/x && { mv /work/x /etc/x 2>/dev/null || echo rename-denied; }
		sh -c ": >/etc/hostname" 2>/dev/null || echo otrunc-denied
		truncate -s 0 /etc/hostname 2>/dev/null || echo truncate-denied
		sh -c "echo >/etc/new" 2>/dev/null || echo creat-denied
		/work/interp.sh 2>/dev/null || echo interp-denied
	'
	run abr run -b "$BUNDLE" "$ID"
	echo "$output"
	for w in dash-ok passwd-denied hardlink-denied rename-denied otrunc-denied \
		truncate-denied creat-denied interp-denied; do
		[[ "$output" == *"$w"* ]] || { echo "missing: $w"; false; }
	done
	[ "$(cat "$BUNDLE/rootfs/etc/hostname")" = agentbox ]
	[ ! -e "$BUNDLE/rootfs/etc/x" ] && [ ! -e "$BUNDLE/rootfs/etc/new" ]
}
