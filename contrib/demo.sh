#!/usr/bin/env bash
# agentbox demo on the built-in defaults: installs what it needs, builds,
# and runs a sandboxed busybox "agent" through agentbox-runc and real runc,
# showing what it may and may not do.  Run as root on Debian 12.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
contrib/deps.sh
make -s all
exec contrib/demo/run.sh
