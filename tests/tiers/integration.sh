#!/usr/bin/env bash
# Tier: bats scenarios against real runc, through agentbox-runc.  Every
# scenario runs agentbox-shim for agentbox-runc (no shim server); then
# shim.bats runs again with a shim server of its own for every scenario
# (docs/shim-server.md), which must serve their calls.
set -u
top=${AB_TOP:-.}
shopt -s nullglob
files=("$top"/tests/integration/*.bats)
if [ ${#files[@]} -eq 0 ]; then echo "ok 1 - integration # SKIP no scenarios"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then echo "ok 1 - integration # SKIP needs root (real runc, namespaces)"; exit 0; fi
rc=0
bats --tap "${files[@]}" || rc=1
AB_SHIM_SERVER=1 BATS_TEST_NAME_PREFIX='shim server: ' \
	bats --tap "$top/tests/integration/shim.bats" || rc=1
exit $rc
