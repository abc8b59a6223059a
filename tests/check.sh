#!/usr/bin/env bash
# agentbox: install what the tests need, build, and run every tier.
# Run as root on Debian 12.  The last line is "N passed, N failed, N skipped".
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
contrib/deps.sh
if [ -f tests/policy/package.json ]; then
	(cd tests/policy && npm ci --no-audit --no-fund --silent)
fi
make -s all
# The agent image's rootfs (cached; ~13 min cold): agent-image.bats runs it.
[ -n "${AB_SKIP_AGENT_IMAGE:-}" ] || make -s agent-image AGENT_IMAGE_ARGS=--no-import
exec make -s check
