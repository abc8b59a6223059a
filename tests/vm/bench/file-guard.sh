#!/bin/sh
# Bench (make bench, in the VM): what the file guard costs a container.
# open/close and fork+exec loops inside one container per policy size:
# no file rules (nothing attached), 10, 1,000 and 10,000 rules.  Prints
# "# bench RULES open_ns exec_us" lines; bench-file-guard.sh makes the
# table.  Each figure is the best of ROUNDS runs, the policies
# interleaved round by round so that drift hits them alike.
. /tests/helpers

T=/run/agentbox-fgb
ROUNDS=${ROUNDS:-5}
OPENS=${OPENS:-20000}
EXECS=${EXECS:-200}
mkdir -p $T

# policy N: a policy with N file rules (0: none, so no guard at all).
policy() {
	awk -v n="$1" 'BEGIN {
		print "permit (principal, action == Action::\"NetworkConnect\", resource in Host::\"example.com\");"
		if (n == 0) exit
		print "permit (principal, action in [Action::\"FileOpenReadOnly\", Action::\"ProcessExec\"], resource in Dir::\"/\");"
		print "permit (principal, action == Action::\"FileOpenReadWrite\", resource in Dir::\"/dev/\");"
		for (i = 3; i <= n; i++)
			printf "forbid (principal, action == Action::\"FileOpenReadWrite\", resource in Dir::\"/data/d%d/s%d/\");\n", i % 100, i
	}'
}

for n in 0 10 1000 10000; do
	mkdir -p $T/$n
	policy $n >$T/$n/policy.cedar
	cat >$T/$n/config.yaml <<YAML
runtime: /usr/sbin/runc
state_dir: $T/$n/state
network:
  enabled: false
  policy: [$T/$n/policy.cedar]
YAML
	new_bundle $T/$n/b 'exec sleep 600'
	echo fgb >$T/$n/b/rootfs/etc/hostname
	mkdir -p $T/$n/b/rootfs/data/d7/s7/a/b/c
	echo x >$T/$n/b/rootfs/data/d7/s7/a/b/c/f
	cp /tests/bin/fg-probe $T/$n/b/rootfs/bin/
	AGENTBOX_CONFIG=$T/$n/config.yaml agentbox-runc --root $T/runc run -d \
		-b $T/$n/b fgb-$n </dev/null >$T/$n/run.out 2>&1
	check "bench container with $n rules starts" test $? -eq 0
done
check "the 10,000-rule container has a file guard" test -e /sys/fs/bpf/agentbox/fgb-10000/fg/config
check "the no-rule container has none" test ! -e /sys/fs/bpf/agentbox/fgb-0

ex() {
	local n=$1
	shift
	AGENTBOX_CONFIG=$T/$n/config.yaml agentbox-runc --root $T/runc exec fgb-$n "$@"
}
min() { sort -n | head -1; }
r=0
while [ $r -lt "$ROUNDS" ]; do
	for n in 0 10 1000 10000; do
		ex $n fg-probe openloop /etc/hostname "$OPENS" >>$T/$n/open
		ex $n fg-probe openloop /data/d7/s7/a/b/c/f "$OPENS" >>$T/$n/deep
		ex $n fg-probe execloop /bin/true "$EXECS" >>$T/$n/exec
	done
	r=$((r + 1))
done
for n in 0 10 1000 10000; do
	echo "# bench $n $(min <$T/$n/open) $(min <$T/$n/deep) $(min <$T/$n/exec)"
	AGENTBOX_CONFIG=$T/$n/config.yaml agentbox-runc --root $T/runc delete --force fgb-$n >/dev/null 2>&1
done
