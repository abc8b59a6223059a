#!/usr/bin/env bash
# Tier: bats scenarios against real runc, through agentbox-runc.
set -u
top=${AB_TOP:-.}
shopt -s nullglob
files=("$top"/tests/integration/*.bats)
if [ ${#files[@]} -eq 0 ]; then echo "ok 1 - integration # SKIP no scenarios"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then echo "ok 1 - integration # SKIP needs root (real runc, namespaces)"; exit 0; fi
exec bats --tap "${files[@]}"
