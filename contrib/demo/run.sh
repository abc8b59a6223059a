#!/usr/bin/env bash
# Build a bundle the way a careless engine invocation would (all of $HOME
# bind-mounted, the engine socket, extra capabilities, no_new_privs off),
# run the demo agent in it through agentbox-runc, and show what agentbox
# changed.  Everything lives in a temp dir and is removed at exit.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
case $B in /*) ;; *) B=$top/$B ;; esac
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (runc needs it)" >&2; exit 1; }

T=$(mktemp -d /tmp/agentbox-demo.XXXXXX)
ID=agentbox-demo-$$
made_sock=
# A guardian this demo starts is stopped at exit; one already running stays.
state=/run/agentbox
guardian_pid() { head -1 "$state/agentboxd.lock" 2>/dev/null; }
had_guardian=
pid=$(guardian_pid) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && had_guardian=1
cleanup() {
	runc delete --force "$ID" >/dev/null 2>&1 || true
	"$B/agentbox-runc" delete --force "$ID" >/dev/null 2>&1 || true
	if [ -z "$had_guardian" ] && pid=$(guardian_pid) && [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null && sleep 0.2
		mountpoint -q "$state/netns/proxy" && umount "$state/netns/proxy"
	fi
	[ -n "$made_sock" ] && rm -f /run/docker.sock
	rm -rf "$T"
}
trap cleanup EXIT

# A host home with a project and the secrets agents go after.
home=$T/home/dev
mkdir -p "$home/project" "$home/.ssh" "$home/.aws"
echo "# my project" >"$home/project/README.md"
echo "-----BEGIN OPENSSH PRIVATE KEY----- (demo)" >"$home/.ssh/id_ed25519"
printf '[default]\naws_secret_access_key = KEY-demo\n' >"$home/.aws/credentials"
echo "machine example.com login me password demo" >"$home/.netrc"
if [ ! -e /run/docker.sock ]; then
	python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("/run/docker.sock")'
	made_sock=1
fi

bundle=$T/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/home/agent" "$bundle/rootfs/mnt"
cp /bin/busybox "$bundle/rootfs/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$bundle/rootfs/bin/$a"; done
cp "$top/contrib/demo/agent.sh" "$bundle/rootfs/agent.sh"
(cd "$bundle" && runc spec)
jq --arg home "$home" '
  .process.terminal = false
  | .process.args = ["/bin/sh", "/agent.sh"]
  | .process.cwd = "/home/agent/project"
  | .process.noNewPrivileges = false
  | .process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN", "CAP_NET_RAW"])
  | .mounts += [
      {destination: "/home/agent", type: "bind", source: $home, options: ["rbind"]},
      {destination: "/var/run/docker.sock", type: "bind", source: "/run/docker.sock", options: ["bind"]}]
  | .annotations = {"io.agentbox.project": "demo"}' \
	"$bundle/config.json" >"$T/c.json"
mv "$T/c.json" "$bundle/config.json"
cp "$bundle/config.json" "$T/engine-config.json"

echo "== agentbox demo: a busybox agent under agentbox-runc (delegate: $("$B/agentbox-runc" --version | sed -n 's/^delegate: //p'))"
echo "   the engine asked for: all of \$HOME, the docker socket, CAP_SYS_ADMIN, CAP_NET_RAW, no_new_privs off"
echo
# HOME names the fake home, so "~/.ssh" in agentbox's list means it.
HOME=$home "$B/agentbox-runc" --debug --log "$T/log.json" --log-format json run -b "$bundle" "$ID" || true
echo
echo "== what the guardian decided (its audit log, /var/log/agentbox/audit.jsonl)"
grep -F "\"container\":\"$ID\"" /var/log/agentbox/audit.jsonl 2>/dev/null | tail -4 |
	jq -r '"  \(.decision)\t\(.layer) \(.resource) (\(.rule))"'
echo
echo "== what agentbox changed in the bundle (its debug log)"
jq -r --arg id "container $ID: " 'select(.level == "debug" and (.msg | startswith($id))) | "  " + (.msg | ltrimstr($id))' "$T/log.json" 2>/dev/null
