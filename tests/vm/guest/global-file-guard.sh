#!/bin/sh
# The file guard in global mode (hardening.file_guard: global): every
# hook through the host-wide dispatcher, as on kernels without
# BPF_LSM_CGROUP (5.17-5.19).  The same checks as file-guard.sh.
FG_ATTACH=global . /tests/file-guard.inc
