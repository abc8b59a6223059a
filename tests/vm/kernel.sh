#!/usr/bin/env bash
# agentbox VM harness: Debian's kernel for the BPF LSM tests.
#
#   tests/vm/kernel.sh        prints two lines: the vmlinuz, the modules dir
#
# The host's kernel refuses BPF LSM programs (lockdown), so the tests boot
# the kernel that Debian's linux-image-amd64 depends on right now (BPF LSM
# built in).  The package is fetched with `apt-get download` and unpacked
# once under $AB_VM_CACHE (default /var/cache/agentbox-vm); later runs only
# ask apt-cache which version is current.
set -eu
cache=${AB_VM_CACHE:-/var/cache/agentbox-vm}

die() { echo "kernel.sh: $*" >&2; exit 1; }

# The versioned package name, e.g. linux-image-6.1.0-57-amd64.
current_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1
}

# The newest package already unpacked in the cache, for hosts whose apt
# lists are gone or point elsewhere.
cached_package() {
	local d
	for d in "$cache"/linux-image-*/boot; do
		[ -d "$d" ] && basename "$(dirname "$d")"
	done | sort -V | tail -1
}

unpack() { # unpack PKG: download and dpkg -x it into $cache/PKG
	local pkg=$1 tmp
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	# apt-get download writes into the current directory; _apt cannot
	# write into this root-only one, so say so rather than get a warning.
	(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
		{ rm -rf "$tmp"; return 1; }
	mkdir -p "$tmp/root"
	dpkg -x "$tmp"/*.deb "$tmp/root" || { rm -rf "$tmp"; return 1; }
	# Rename last: a half-unpacked tree never looks cached.
	rm -rf "${cache:?}/$pkg"
	mv "$tmp/root" "$cache/$pkg"
	rm -rf "$tmp"
}

mkdir -p "$cache"
pkg=$(current_package)
if [ -z "$pkg" ]; then
	pkg=$(cached_package)
	[ -n "$pkg" ] || die "apt-cache names no linux-image-amd64 dependency and nothing is cached in $cache"
	echo "kernel.sh: apt-cache names no kernel; using cached $pkg" >&2
elif [ ! -d "$cache/$pkg/boot" ]; then
	echo "kernel.sh: fetching $pkg into $cache" >&2
	unpack "$pkg" || die "apt-get download $pkg failed"
fi

kver=${pkg#linux-image-}
vmlinuz=$cache/$pkg/boot/vmlinuz-$kver
moddir=$cache/$pkg/lib/modules/$kver
[ -f "$vmlinuz" ] || die "$vmlinuz missing (remove $cache/$pkg to fetch again)"
[ -d "$moddir" ] || die "$moddir missing (remove $cache/$pkg to fetch again)"
echo "$vmlinuz"
echo "$moddir"
