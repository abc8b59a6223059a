#!/bin/sh
# The file guard on the container's cgroup (BPF_LSM_CGROUP), the four
# hooks past the kernel's ten through the dispatcher.
FG_ATTACH=auto . /tests/file-guard.inc
