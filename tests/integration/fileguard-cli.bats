#!/usr/bin/env bats
# `agentbox mode` and `agentbox policy suggest` without a kernel file
# guard: the errors of a container that has none, and a policy suggested
# from a hand-written audit log (which agentbox's own parser must accept).
# The VM test (BPF LSM on) covers switching modes on a live container.

AB_TOP=${AB_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
B=${B:-build}
case $B in /*) ;; *) B=$AB_TOP/$B ;; esac

setup() {
	T=$(mktemp -d /tmp/ab-fg-cli.XXXXXX)
	cat >"$T/config.yaml" <<-YAML
	state_dir: $T/state
	network:
	  enabled: false
	  audit_log: $T/audit.jsonl
	YAML
	export AGENTBOX_CONFIG=$T/config.yaml
}

teardown() {
	[ -n "${T:-}" ] && rm -rf "$T"
}

# fline CONTAINER DECISION RIGHTS PATH [FLAGS]: one file guard audit line.
fline() {
	local flags=
	[ -n "${5:-}" ] && flags=",\"flags\":\"$5\""
	printf '{"time":"2025-11-29T23:10:00.000001Z","container":"%s","project":null,"layer":"file","action":"FileOpenReadOnly","resource":"%s","decision":"%s","mode":"shadow","rule":"default deny","pid":42,"op":"open","path":"%s","rights":"%s"%s,"comm":"sh","generation":1}\n' \
		"$1" "$4" "$2" "$4" "$3" "$flags"
}

@test "mode: a container without a file guard is a clear error" {
	run "$B/agentbox" mode ab-no-such-container
	[ "$status" -eq 1 ]
	[[ "$output" == *"container ab-no-such-container has no file guard"* ]]
	run "$B/agentbox" mode ab-no-such-container shadow
	[ "$status" -eq 1 ]
	[[ "$output" == *"container ab-no-such-container has no file guard"* ]]
}

@test "mode: usage errors and --help" {
	run "$B/agentbox" mode c1 loud
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown mode \`loud\`"* ]]
	run "$B/agentbox" mode ../etc
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a container id"* ]]
	run "$B/agentbox" mode
	[ "$status" -eq 2 ]
	run "$B/agentbox" mode --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: agentbox mode ID [enforce|shadow|record]"* ]]
}

@test "policy suggest: a policy from the audit log, which the parser accepts" {
	{
		fline c1 allow read /etc/hosts
		fline c1 would-deny read /etc/hosts
		fline c1 deny read,write /work/out.txt
		fline c1 allow exec /usr/bin/git
		fline c1 allow read /work/cut-off truncated
		fline c2 allow read /etc/secret-of-c2
		echo '{"time":"x","container":"c1","layer":"proxy","action":"NetworkConnect","resource":"example.com:443","decision":"deny"}'
		echo 'not json "layer":"file"'
		for i in 1 2 3 4 5 6 7 8; do
			fline c1 allow read "/usr/lib/lib$i.so"
		done
		fline c1 allow read /usr/lib/x86_64/libc.so.6
		fline c1 allow setuid /tmp/q
	} >"$T/audit.jsonl"
	# The config's audit log, by default.
	run "$B/agentbox" policy suggest c1
	[ "$status" -eq 0 ]
	echo "$output" >"$T/suggested.cedar"
	[[ "${lines[0]}" == "// agentbox policy suggest c1: the file accesses of container c1 in $T/audit.jsonl" ]]
	[[ "$output" == *"// 15 lines; 2 skipped (paths no policy can name), and lines that are not JSON."* ]]
	permits=$(grep '^permit' "$T/suggested.cedar")
	[ "$permits" = 'permit (principal, action == Action::"FileOpenReadOnly", resource == File::"/etc/hosts");
permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/usr/lib/");
permit (principal, action == Action::"FileOpenReadWrite", resource == File::"/work/out.txt");
permit (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git");' ]
	run "$B/agentbox" policy check "$T/suggested.cedar"
	[ "$status" -eq 0 ]
	[ "$output" = "4 policies OK" ]
	# --audit names another log; a container it does not mention gets an
	# empty policy and a note.
	cp "$T/audit.jsonl" "$T/other.jsonl"
	run "$B/agentbox" policy suggest c3 --audit "$T/other.jsonl"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no file guard line of container c3 in $T/other.jsonl"* ]]
	[[ "$output" != *"permit ("* ]]
}

@test "policy suggest: errors and --help" {
	run "$B/agentbox" policy suggest c1 --audit "$T/missing.jsonl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"audit log $T/missing.jsonl: No such file or directory"* ]]
	run "$B/agentbox" policy suggest
	[ "$status" -eq 2 ]
	run "$B/agentbox" policy suggest --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: agentbox policy suggest ID [--audit FILE]"* ]]
	run "$B/agentbox" policy --help
	[[ "$output" == *"suggest ID [--audit FILE]"* ]]
}
