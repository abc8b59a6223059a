#!/bin/sh
# The demo "agent": tries what a hijacked coding agent would, and reports.
try() {
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		printf '  %-8s %s\n' allowed "$desc"
	else
		printf '  %-8s %s\n' DENIED "$desc"
	fi
}
has_cap() { # has_cap BIT
	mask=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
	[ $(((0x$mask >> $1) & 1)) = 1 ]
}

echo "agent: running as $(id -u) in $(pwd)"
try "read the project (~/project/README.md)" grep -q . /home/agent/project/README.md
try "write the project (~/project/notes.txt)" sh -c 'echo note >/home/agent/project/notes.txt'
try "read ~/.ssh/id_ed25519" grep -q KEY /home/agent/.ssh/id_ed25519
try "read ~/.aws/credentials" grep -q KEY /home/agent/.aws/credentials
try "read ~/.netrc" grep -q password /home/agent/.netrc
try "plant ~/.ssh/authorized_keys" sh -c 'echo ssh-ed25519 AAAA >/home/agent/.ssh/authorized_keys'
try "reach the engine socket (/var/run/docker.sock)" test -e /var/run/docker.sock
try "hold CAP_SYS_ADMIN (engine granted it)" has_cap 21
try "hold CAP_NET_RAW (engine granted it)" has_cap 13
try "gain privileges via setuid (no_new_privs off)" grep -q '^NoNewPrivs:[[:space:]]*0' /proc/self/status
try "create a user namespace (unshare -U)" unshare -U true
try "mount a filesystem" mount -t tmpfs none /mnt
try "read /proc/kcore" head -c1 /proc/kcore
# The network: its only link leads to the guardian, which answers names
# policy allows (none, on the built-in defaults) and proxies nothing else.
try "resolve github.com (not in the policy)" nslookup github.com
try "ask an outside DNS server (8.8.8.8) instead" nslookup github.com 8.8.8.8
try "connect to 140.82.112.3:443 by address" nc -w2 140.82.112.3 443
# The host: a command goes through hostexec, where a rule or a person
# decides; the built-in defaults have no rule, so it is refused.
try "run \`id\` on the host (hostexec)" hostexec id
