#!/bin/sh
# agentbox-runc hands a hardened bundle to runc and the container runs.
. /tests/helpers

T=/run/agentbox-test
mkdir -p $T
cat >$T/config.yaml <<YAML
runtime: /usr/sbin/runc
state_dir: $T/state
network:
  enabled: false
YAML
export AGENTBOX_CONFIG=$T/config.yaml
abr() { agentbox-runc --root $T/runc "$@"; }

new_bundle $T/b1 'echo hello-from-the-container; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'
abr run -b $T/b1 vm-hello >$T/out 2>&1
rc=$?
sed 's/^/# /' $T/out
check "agentbox-runc run exits 0" test $rc -eq 0
check "the container's output comes back" grep -qx hello-from-the-container $T/out
check "noNewPrivileges is forced on" grep -Eq '^NoNewPrivs:[[:space:]]+1$' $T/out
check "agentbox's seccomp filter is on" grep -Eq '^Seccomp:[[:space:]]+2$' $T/out

# create, start, delete: the state agentbox keeps lives as long as the container.
new_bundle $T/b3 'sleep 30'
abr create -b $T/b3 vm-life >$T/out 2>&1
check "agentbox-runc create works" test $? -eq 0
check "agentbox records the created container" test -f $T/state/containers/vm-life/state.json
abr start vm-life >>$T/out 2>&1
check "runc sees it running after start" sh -c "runc --root $T/runc state vm-life | grep -q '\"status\": \"running\"'"
abr delete --force vm-life >>$T/out 2>&1
check "delete --force removes agentbox's state" test ! -e $T/state/containers/vm-life

new_bundle $T/b2 'exit 7'
abr run -b $T/b2 vm-exit >/dev/null 2>&1
check "the container's exit status comes back" test $? -eq 7

check "no container is left" test -z "$(runc --root $T/runc list -q)"
