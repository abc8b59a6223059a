#!/bin/sh
# Bench (make bench, in the VM): what the file guard costs a container.
# open/close and fork+exec loops inside one container per policy size:
# no file rules (nothing attached), an empty program (the floor), 10,
# 1,000 and 10,000 rules.  Prints "# bench RULES open_ns deep_ns exec_us"
# lines, then the same in global mode ("# bench-global"), and every
# round's pairs; bench-file-guard.sh makes the tables.
. /tests/helpers

T=/run/agentbox-fgb
ROUNDS=${ROUNDS:-21}
OPENS=${OPENS:-5000}
EXECS=${EXECS:-50}
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

# bench_bundle DIR: a fresh bundle with the files the loops use (a used
# one carries the hooks agentbox-runc added for its first container).
# The open loops go round FILES files in one directory: where a file's
# dentry and inode land in memory moves an emulated open by several
# percent, and many files average that out.
FILES=${FILES:-64}
bench_bundle() {
	local i=0
	new_bundle $1 'exec sleep 600'
	mkdir -p $1/rootfs/data/d7/s7/a/b/c
	while [ $i -lt $FILES ]; do
		echo fgb >$1/rootfs/etc/fgb.$i
		echo x >$1/rootfs/data/d7/s7/a/b/c/f.$i
		i=$((i + 1))
	done
	cp /tests/bin/fg-probe $1/rootfs/bin/
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
	bench_bundle $T/$n/b
	AGENTBOX_CONFIG=$T/$n/config.yaml agentbox-runc --root $T/runc run -d \
		-b $T/$n/b fgb-$n </dev/null >$T/$n/run.out 2>&1
	check "bench container with $n rules starts" test $? -eq 0
done
check "the 10,000-rule container has a file guard" test -e /sys/fs/bpf/agentbox/fgb-10000/fg/config
check "the no-rule container has none" test ! -e /sys/fs/bpf/agentbox/fgb-0

# The floor: a no-rule container with an lsm_cgroup/file_open program
# that allows at once (tests/vm/bpf/fg-floor.bpf.c) on its cgroup.  What
# the kernel's BPF_LSM_CGROUP path costs an open before any of the file
# guard's own work.
n=floor
mkdir -p $T/$n
policy 0 >$T/$n/policy.cedar
sed "s|$T/0|$T/$n|g" $T/0/config.yaml >$T/$n/config.yaml
bench_bundle $T/$n/b
AGENTBOX_CONFIG=$T/$n/config.yaml agentbox-runc --root $T/runc run -d \
	-b $T/$n/b fgb-$n </dev/null >$T/$n/run.out 2>&1
check "bench container for the floor starts" test $? -eq 0
pid=$(runc --root $T/runc state fgb-$n | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
cg=$(sed -n 's/^0:://p' /proc/${pid:-0}/cgroup 2>/dev/null)
# Never the root cgroup: that would put the floor under every row.
if [ -n "$pid" ] && [ -n "$cg" ] && [ "$cg" != / ]; then
	/tests/bin/fg-floor "/sys/fs/cgroup$cg" /sys/fs/bpf/ab-fg-floor >$T/$n/floor.out 2>&1
fi
check "the floor program is attached to its container's cgroup" test -e /sys/fs/bpf/ab-fg-floor

min() { sort -n | head -1; }

# Each figure is measured twice, in the same container: by a process in
# the container's cgroup (the guard's programs run) and by one in BASE, a
# cgroup outside it with no programs, both in the container's mount
# namespace (its root, its files, the same dentries).  Only the cgroup
# differs, so a pair's ratio is the guard's cost and nothing else.
BASE=/sys/fs/cgroup/fgb-base
mkdir -p $BASE

# in_cg CGROUP PID CMD...: CMD in container PID's mount namespace, as a
# member of CGROUP.
in_cg() {
	sh -c 'cg=$1 pid=$2; shift 2; echo $$ >"$cg/cgroup.procs" && exec nsenter -t "$pid" -m "$@"' \
		sh "$@"
}

# The file_open program's own time, from the kernel's BPF run-time
# statistics: noise on the host stretches a program's run as much as the
# open around it, so this share holds where the wall-clock ratio wavers.
# file_open_prog N: the id of container N's file_open program ("" if
# none); prog_time ID: "run_time_ns run_cnt" so far.
file_open_prog() {
	local link=/sys/fs/bpf/agentbox/fgb-$1/fg/link-ab_fg_file_open
	[ "$1" = floor ] && link=/sys/fs/bpf/ab-fg-floor
	[ -e $link ] && bpftool link show pinned $link | sed -n 's/.*prog \([0-9]*\).*/\1/p' | head -1
}
prog_time() {
	bpftool prog show id $1 | sed -n 's/.*run_time_ns \([0-9]*\) run_cnt \([0-9]*\).*/\1 \2/p'
}

# figures CGROUP PID [PROG N]: "open_ns deep_ns exec_us" there; with
# PROG, its time over the two open loops is added to $T/N/prog.
figures() {
	local before after o d
	[ -n "${3:-}" ] && before=$(prog_time $3)
	o=$(in_cg $1 $2 fg-probe openloop /etc/fgb "$OPENS" $FILES)
	d=$(in_cg $1 $2 fg-probe openloop /data/d7/s7/a/b/c/f "$OPENS" $FILES)
	if [ -n "${3:-}" ]; then
		after=$(prog_time $3)
		echo "$before $after" >>$T/$4/prog
	fi
	echo "$o $d $(in_cg $1 $2 fg-probe execloop /bin/true "$EXECS")"
}

# measure TAG CONTAINER...: ROUNDS rounds over the containers, each
# printing "# pair TAG R N open deep exec base_open base_deep base_exec"
# (bench-file-guard.sh divides the best of each side), then one
# "# TAG N open_ns deep_ns exec_us" line each (the best of the rounds,
# in the container's cgroup).  Within a pair, which side goes first
# alternates round by round.
measure() {
	local tag=$1 r=0 n pid cg g b prog
	shift
	while [ $r -lt "$ROUNDS" ]; do
		for n in "$@"; do
			pid=$(runc --root $T/runc state fgb-$n | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
			cg=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/${pid:-0}/cgroup 2>/dev/null)
			prog=$(file_open_prog $n)
			if [ $((r % 2)) -eq 0 ]; then
				g=$(figures $cg $pid $prog $n)
				b=$(figures $BASE $pid)
			else
				b=$(figures $BASE $pid)
				g=$(figures $cg $pid $prog $n)
			fi
			echo "$g" >>$T/$n/$tag.fig
			echo "# pair $tag $r $n $g $b"
		done
		r=$((r + 1))
	done
	for n in "$@"; do
		echo "# $tag $n $(cut -d' ' -f1 $T/$n/$tag.fig | min)" \
			"$(cut -d' ' -f2 $T/$n/$tag.fig | min) $(cut -d' ' -f3 $T/$n/$tag.fig | min)"
		# the whole program time over its calls, in the open loops
		[ -s $T/$n/prog ] && awk -v tag=$tag -v n=$n \
			'{ t += $3 - $1; c += $4 - $2 } END { if (c > 0) printf "# progns %s %s %.0f %d\n", tag, n, t / c, c }' \
			$T/$n/prog
		rm -f $T/$n/prog
	done
}
echo 1 >/proc/sys/kernel/bpf_stats_enabled
measure bench 0 floor 10 1000 10000
rm -f /sys/fs/bpf/ab-fg-floor

# Global mode (every hook through the host-wide dispatcher): a 1,000-rule
# guard, and what the dispatcher costs a container with no guard once it
# serves file_open for the whole host.  The dispatcher attaches those
# hooks only now, so the figures above did not pay for it.
n=g1000
mkdir -p $T/$n
policy 1000 >$T/$n/policy.cedar
sed "s|$T/1000|$T/$n|g" $T/1000/config.yaml >$T/$n/config.yaml
printf 'hardening:\n  file_guard: global\n' >>$T/$n/config.yaml
bench_bundle $T/$n/b
AGENTBOX_CONFIG=$T/$n/config.yaml agentbox-runc --root $T/runc run -d \
	-b $T/$n/b fgb-$n </dev/null >$T/$n/run.out 2>&1
check "bench container in global mode starts" test $? -eq 0
check "the dispatcher serves file_open" test -e /sys/fs/bpf/agentbox/@fg-dispatch/link-file_open
measure bench-global 0 g1000
for n in 0 floor 10 1000 10000 g1000; do
	AGENTBOX_CONFIG=$T/$n/config.yaml agentbox-runc --root $T/runc delete --force fgb-$n >/dev/null 2>&1
done
echo 0 >/proc/sys/kernel/bpf_stats_enabled
rmdir $BASE
