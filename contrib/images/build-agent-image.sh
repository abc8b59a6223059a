#!/usr/bin/env bash
# agentbox: build the agent image (Debian bookworm minbase + Debian's nodejs
# and npm + Claude Code from the npm registry) and `podman import` it.
#
#   build-agent-image.sh [--name NAME] [--podman-root DIR [--runroot DIR]]...
#                        [--cache-dir DIR] [--no-import] [--offline]
#
#   --name NAME         image name (default localhost/agentbox-agent:latest)
#   --podman-root DIR   import into this podman storage root instead of the
#                       default one; repeat for several.  Its runroot is
#                       DIR-run unless --runroot DIR follows it.
#   --cache-dir DIR     default /var/cache/agentbox-images
#   --no-import         only build (or reuse) the cached rootfs tar
#   --offline           never build: import the cached rootfs tar, or exit 3
#                       when there is none for this version of the script
#
# $PODMAN: the podman command (default podman), e.g. a wrapper that adds
# --storage-driver or runs it in a private mount namespace.
#
# Sources: Debian's archive, from the mirror this host's apt is configured
# with (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list),
# and the npm registry for @anthropic-ai/claude-code.  Nothing else.
#
# Cache (CACHE_DIR):
#   debootstrap-bookworm-minbase-ARCH-KEY.tar   the bare debootstrap result
#   agent-rootfs.tar + agent-rootfs.stamp       the finished rootfs, and the
#                                               hash of this script it came from
# An image that exists with this script's hash in its label is left alone.
set -euo pipefail
# One compound command: bash reads all of it before running any, so editing
# this file during a build cannot change the build under way.
{

SUITE=bookworm
NAME=localhost/agentbox-agent:latest
CACHE=/var/cache/agentbox-images
IMPORT=1
OFFLINE=0
ROOTS=()
RUNROOTS=()
LABEL=io.agentbox.build-script
PODMAN=${PODMAN:-podman}

say() { printf 'agent-image: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--name) NAME=${2:?--name needs a value}; shift 2 ;;
	--podman-root)
		ROOTS+=("${2:?--podman-root needs a directory}")
		RUNROOTS+=("${2%/}-run"); shift 2 ;;
	--runroot)
		[ ${#ROOTS[@]} -gt 0 ] || die "--runroot must follow --podman-root"
		RUNROOTS[${#RUNROOTS[@]}-1]=${2:?--runroot needs a directory}; shift 2 ;;
	--cache-dir) CACHE=${2:?--cache-dir needs a directory}; shift 2 ;;
	--no-import) IMPORT=0; shift ;;
	--offline) OFFLINE=1; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot)"

SELF=$(readlink -f "$0")
HASH=$(sha256sum "$SELF" | cut -c1-16)
ROOTFS_TAR=$CACHE/agent-rootfs.tar
STAMP=$CACHE/agent-rootfs.stamp

# The image's config, applied by `podman import --change`.
CHANGES=(
	--change 'CMD ["claude"]'
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	--change 'ENV HOME=/home/agent'
	--change 'ENV LANG=C.UTF-8'
	--change 'ENV DISABLE_AUTOUPDATER=1'
	--change 'USER agent'
	--change 'WORKDIR /work'
	--change "LABEL $LABEL=$HASH"
)

# podman_at I ARGS...: podman on the I-th store (-1: the default one).
podman_at() {
	local i=$1; shift
	if [ "$i" -lt 0 ]; then
		$PODMAN "$@"
	else
		$PODMAN --root "${ROOTS[$i]}" --runroot "${RUNROOTS[$i]}" "$@"
	fi
}

# where I: " in ROOT" for a given store, nothing for the default one.
where() { [ "$1" -lt 0 ] || printf ' in %s' "${ROOTS[$1]}"; }

stores() {
	if [ ${#ROOTS[@]} -eq 0 ]; then echo -1; else seq 0 $((${#ROOTS[@]} - 1)); fi
}

# image_current I: the store has NAME, built by this script.
image_current() {
	podman_at "$1" image exists "$NAME" 2>/dev/null || return 1
	[ "$(podman_at "$1" image inspect --format "{{index .Labels \"$LABEL\"}}" "$NAME" 2>/dev/null)" = "$HASH" ]
}

import_all() {
	local i
	for i in $(stores); do
		image_current "$i" && { say "$NAME is current$(where "$i")"; continue; }
		say "importing $ROOTFS_TAR as $NAME$(where "$i")"
		[ "$i" -lt 0 ] || mkdir -p "${ROOTS[$i]}" "${RUNROOTS[$i]}"
		podman_at "$i" import --quiet "${CHANGES[@]}" "$ROOTFS_TAR" "$NAME" >/dev/null
	done
}

rootfs_current() {
	[ -s "$ROOTFS_TAR" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$HASH" ]
}

# Fast paths: every store current; or a cached rootfs to import.
if [ "$IMPORT" = 1 ]; then
	all=1
	for i in $(stores); do image_current "$i" || { all=0; break; }; done
	[ "$all" = 0 ] || { say "$NAME is current (script $HASH)"; exit 0; }
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if rootfs_current; then
	say "cached rootfs $ROOTFS_TAR matches script $HASH"
	[ "$IMPORT" = 0 ] || import_all
	exit 0
fi
if [ "$OFFLINE" = 1 ]; then
	say "no cached rootfs for script $HASH in $CACHE: run \`make agent-image\`"
	exit 3
fi

command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

# ---- the host's Debian mirror ------------------------------------------------
# mirror_uris SUITE-REGEX: URIs of stanzas/lines whose suite matches.
mirror_uris() {
	local re=$1 f
	if [ -r /etc/apt/sources.list.d/debian.sources ]; then
		awk -v re="$re" '
			function flush() { if (types ~ /(^| )deb( |$)/ && ok) print uris; types = uris = ""; ok = 0 }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
			/^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $1 }
			/^Suites:/ { sub(/^Suites:[ \t]*/, ""); n = split($0, s, /[ \t]+/); for (i = 1; i <= n; i++) if (s[i] ~ re) ok = 1 }
			END { flush() }' /etc/apt/sources.list.d/debian.sources
	fi
	for f in /etc/apt/sources.list; do
		[ -r "$f" ] || continue
		awk -v re="$re" '$1 == "deb" {
			i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) ~ re) print $i }' "$f"
	done
}
MIRROR=$(mirror_uris "^$SUITE\$" | head -1)
[ -n "$MIRROR" ] || die "no '$SUITE' entry in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
SECURITY=$(mirror_uris "^$SUITE-security\$" | head -1)
ARCH=$(dpkg --print-architecture)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
say "mirror $MIRROR${SECURITY:+ (security: $SECURITY)}, $ARCH"

WORK=$(mktemp -d "$CACHE/build.XXXXXX")
# cleanup: whatever is still mounted under the build dir (debootstrap mounts
# /proc and /sys in its target), then the dir, never crossing into a mount.
cleanup() {
	local m
	for m in $(findmnt -rn -o TARGET | grep "^$WORK/" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
R=$WORK/rootfs
mkdir -p "$R"

# ---- debootstrap, cached -----------------------------------------------------
BASE_KEY=$(printf '%s %s %s minbase' "$MIRROR" "$SUITE" "$ARCH" | sha256sum | cut -c1-12)
BASE_TAR=$CACHE/debootstrap-$SUITE-minbase-$ARCH-$BASE_KEY.tar
t0=$SECONDS
if [ -s "$BASE_TAR" ]; then
	say "debootstrap: cached $BASE_TAR"
	tar -C "$R" --numeric-owner -xpf "$BASE_TAR"
else
	say "debootstrap --variant=minbase $SUITE from $MIRROR"
	debootstrap --variant=minbase --arch="$ARCH" --keyring="$KEYRING" \
		"$SUITE" "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
		{ tail -30 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
	rm -rf "$R"/var/cache/apt/archives/*.deb
	tar -C "$R" --numeric-owner -cpf "$BASE_TAR.tmp" . && mv "$BASE_TAR.tmp" "$BASE_TAR"
	say "debootstrap: $((SECONDS - t0)) s, cached as $BASE_TAR"
fi

# ---- inside the chroot: Debian's nodejs and npm, then Claude Code ----------------
{
	echo "deb $MIRROR $SUITE main"
	echo "deb $MIRROR $SUITE-updates main"
	[ -z "$SECURITY" ] || echo "deb $SECURITY $SUITE-security main"
} >"$R/etc/apt/sources.list"
# The build resolves and trusts as the host does (its resolver, hosts and CA
# bundle, which may hold a proxy's CA); the image keeps none of it.
cp -L /etc/resolv.conf "$R/etc/resolv.conf"
cp -L /etc/hosts "$R/etc/hosts"
cp -L /etc/ssl/certs/ca-certificates.crt "$R/tmp/host-ca.crt"
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
# No fsync per file: a crash restarts the build anyway.
echo force-unsafe-io >"$R/etc/dpkg/dpkg.cfg.d/agentbox-build"
chmod 0755 "$R/usr/sbin/policy-rc.d"

cat >"$R/tmp/build.sh" <<'EOF'
set -eu
export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
apt-get -o Acquire::Retries=3 update
apt-get -y -o Acquire::Retries=3 install --no-install-recommends \
	nodejs npm ca-certificates busybox-static
export npm_config_cafile=/tmp/host-ca.crt npm_config_update_notifier=false \
	npm_config_fund=false npm_config_audit=false npm_config_cache=/tmp/npm-cache
npm install -g --no-progress @anthropic-ai/claude-code
# npm 9 ignores the "libc" field: drop the other libc's native package.
rm -rf /usr/local/lib/node_modules/@anthropic-ai/claude-code/node_modules/@anthropic-ai/claude-code-linux-*-musl
claude --version
if ! getent passwd agent >/dev/null; then
	useradd --create-home --home-dir /home/agent --shell /bin/bash --uid 1000 --user-group agent
fi
install -d -o agent -g agent -m 0755 /work
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/npm-cache /root/.npm \
	/var/log/apt /var/log/dpkg.log /var/log/alternatives.log /var/cache/debconf/*-old
EOF
say "installing nodejs, npm (Debian) and @anthropic-ai/claude-code (npm) in the chroot"
t1=$SECONDS
# A private mount namespace: /proc goes away with it, whatever happens.
unshare --mount --propagation private sh -c '
	mount -t proc proc "$1/proc" && exec chroot "$1" /bin/sh /tmp/build.sh' sh "$R" \
	>"$WORK/chroot.log" 2>&1 </dev/null ||
	{ tail -40 "$WORK/chroot.log" >&2; die "installing in the chroot failed"; }
say "chroot install: $((SECONDS - t1)) s ($(tail -1 "$WORK/chroot.log"))"

rm -f "$R/usr/sbin/policy-rc.d" "$R/etc/dpkg/dpkg.cfg.d/agentbox-build" "$R/tmp/build.sh" "$R/tmp/host-ca.crt" "$R/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
rm -rf "$R"/tmp/* "$R"/var/tmp/*

# ---- the rootfs tar, then the image ------------------------------------------
tar -C "$R" --numeric-owner --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* \
	-cpf "$ROOTFS_TAR.tmp" .
mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
echo "$HASH" >"$STAMP"
say "rootfs $ROOTFS_TAR: $(du -h "$ROOTFS_TAR" | cut -f1), built in $((SECONDS - t0)) s"
[ "$IMPORT" = 0 ] || import_all
exit 0
}
