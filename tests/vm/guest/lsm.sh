#!/bin/sh
# The kernel runs the LSMs the harness asks for on its command line.
. /tests/helpers

lsm=$(cat /sys/kernel/security/lsm)
echo "# /sys/kernel/security/lsm: $lsm"
check "bpf is an active LSM" sh -c "echo ,$lsm, | grep -q ,bpf,"
check "landlock is an active LSM" sh -c "echo ,$lsm, | grep -q ,landlock,"
check "BTF for CO-RE is at /sys/kernel/btf/vmlinux" test -s /sys/kernel/btf/vmlinux
check "cgroup2 is mounted at /sys/fs/cgroup" test -f /sys/fs/cgroup/cgroup.controllers
