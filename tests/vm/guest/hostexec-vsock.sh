#!/bin/sh
# hostexec over AF_VSOCK, as a VM runtime (Kata) would use it: the guardian
# listens on a vsock port, and a client reaches it through the vsock
# loopback transport (CID 1); the container is the one annotated with that
# context id.
. /tests/helpers

T=/run/agentbox-vsock
mkdir -p $T/work
cat >$T/config.yaml <<YAML
runtime: /usr/sbin/runc
state_dir: $T/state
network:
  audit_log: $T/audit.jsonl
  policy: [$T/project.yaml]
hostexec:
  vsock_port: 5000
YAML
cat >$T/project.yaml <<YAML
hostexec:
  auto_approve: ["^echo( .*)?\$"]
YAML
export AGENTBOX_CONFIG=$T/config.yaml

new_bundle $T/b 'sleep 60'
# The VM's context id, as its runtime would annotate it, and the project
# directory the command runs in.
sed -i '1s/^{$/{ "annotations": {"io.agentbox.vsock-cid": "1"},/' $T/b/config.json
sed -i "s|\"mounts\": \\[|\"mounts\": [ {\"destination\": \"/work\", \"type\": \"bind\", \"source\": \"$T/work\", \"options\": [\"rbind\"]},|" $T/b/config.json
agentbox-runc --root $T/runc run -d -b $T/b vm-vsock </dev/null >$T/run.out 2>&1
check "a container with the network layer starts in the VM" test $? -eq 0
sed 's/^/# /' $T/run.out

mkdir -p /work
cd /work || exit 1
out=$(AGENTBOX_HOSTEXEC_SOCK=vsock:1:5000 hostexec echo over-vsock 2>&1)
check "hostexec over vsock runs an approved command" test "$out" = over-vsock
if [ "$out" != over-vsock ]; then
	{ echo "$out"; grep vsock /proc/modules; grep -o '"annotations"[^}]*}' $T/state/containers/vm-vsock/state.json; cat $T/state/agentboxd.log; grep -c vsock-cid $T/state/containers/vm-vsock/state.json; } | sed 's/^/# /'
fi
check "the audit names the container of that CID" \
	sh -c "grep -F '\"resource\":\"echo over-vsock\"' $T/audit.jsonl | grep -qF '\"container\":\"vm-vsock\"'"
AGENTBOX_HOSTEXEC_SOCK=vsock:1:5000 hostexec touch nope >/dev/null 2>&1
check "a command no rule allows is denied over vsock too" test $? -eq 126
check "and never ran" test ! -e $T/work/nope

agentbox-runc --root $T/runc delete --force vm-vsock >/dev/null 2>&1
pid=$(head -1 $T/state/agentboxd.lock 2>/dev/null)
[ -n "$pid" ] && kill "$pid"
