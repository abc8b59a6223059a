#!/usr/bin/env bash
# agentbox VM harness: the guest's whole root file system, as an initramfs.
#
#   tests/vm/initramfs.sh OUTPUT MODULES_DIR
#
# OUTPUT is a gzip'd cpio (newc) holding busybox-static, runc, agentbox's
# programs from $B (default build) with every shared library they load,
# the guest tests (tests/vm/guest/ -> /tests/, $B/vm/bin/ -> /tests/bin/),
# a busybox bundle at /bundle, the kernel modules named in $AB_VM_MODULES
# (and the modules they depend on) from MODULES_DIR, and tests/vm/init as /init.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=${AB_TOP:-$(cd "$here/../.." && pwd)}
B=${B:-build}
case $B in /*) ;; *) B=$top/$B ;; esac
# veth: the network layer's links; dummy: a spare link for network tests.
modules=${AB_VM_MODULES:-veth dummy vsock_loopback}

die() { echo "initramfs.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: initramfs.sh OUTPUT MODULES_DIR"
out=$1 moddir=$2
[ -f "$moddir/modules.order" ] || die "$moddir/modules.order missing"
kver=$(basename "$moddir")

root=$(mktemp -d "${TMPDIR:-/tmp}/ab-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

# add_file SRC DEST: copy, following symlinks, into the image.
add_file() {
	mkdir -p "$root$(dirname "$2")"
	cp -L "$1" "$root$2"
}

# add_libs BIN: the loader and every library ldd resolves, at their paths.
add_libs() {
	local lib
	# A static binary has nothing to add (ldd says so and fails).
	for lib in $(ldd "$1" 2>/dev/null | grep -oE '/[^ ]+' || true); do
		[ -e "$root$lib" ] || add_file "$lib" "$lib"
	done
}

add_program() { # add_program SRC DEST
	[ -x "$1" ] || die "$1 missing (run make all)"
	add_file "$1" "$2"
	add_libs "$1"
}

add_busybox() { # add_busybox DIR: /DIR/bin/busybox and its applets
	add_file /bin/busybox "$1/bin/busybox"
	# One process, not one ln per applet (forks are slow on these VMs);
	# in a chroot, so the links say /bin/busybox.  The existing binary
	# keeps its name: --install never overwrites.
	chroot "$root$1" /bin/busybox --install -s /bin
}

# The bundle's process runs /cmd.sh, which each guest test writes: the
# guest has no jq to edit config.json.
add_bundle() {
	local spec
	add_busybox /bundle/rootfs
	mkdir -p "$root"/bundle/rootfs/{proc,dev,sys,tmp,root,etc}
	spec=$(mktemp -d)
	(cd "$spec" && runc spec) || die "runc spec failed"
	jq '.process.terminal = false | .process.args = ["/bin/sh", "/cmd.sh"]' \
		"$spec/config.json" >"$root/bundle/config.json"
	rm -rf "$spec"
}

# module_path NAME: its path under MODULES_DIR (modules.order; the
# package ships no modules.dep, depmod runs at install).
module_path() {
	grep -E "(^|/)${1//[-_]/[-_]}\.ko$" "$moddir/modules.order" | head -1
}

# add_module NAME: NAME.ko after the modules its .modinfo "depends=" names,
# appended to /etc/modules.order, the load order of /init's insmod.
add_module() {
	local ko dep
	ko=$(module_path "$1")
	[ -n "$ko" ] || die "module $1 not in $moddir/modules.order"
	grep -qx "/lib/modules/$kver/$ko" "$root/etc/modules.order" && return 0
	dep=$(tr '\0' '\n' <"$moddir/$ko" | sed -n 's/^depends=//p' | head -1)
	for dep in ${dep//,/ }; do add_module "$dep"; done
	add_file "$moddir/$ko" "/lib/modules/$kver/$ko"
	echo "/lib/modules/$kver/$ko" >>"$root/etc/modules.order"
}

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,run,tmp,tests/bin}
add_busybox ""
add_program /usr/sbin/runc /usr/sbin/runc
add_program "$(command -v bpftool)" /usr/sbin/bpftool
[ -f "$B/bpf/file-guard.bpf.o" ] && add_file "$B/bpf/file-guard.bpf.o" /tests/bpf/file-guard.bpf.o
for p in agentbox-runc agentbox-shim agentbox-hook agentboxd agentbox hostexec agentbox-init; do
	add_program "$B/$p" "/usr/local/bin/$p"
done
# AB_VM_ONLY="NAME.sh ...": those guest tests alone (a quicker loop while
# working; *.inc files, shared bodies, come too);
# AB_VM_SUITE=bench: the benchmarks of tests/vm/bench/ instead of the tests.
if [ "${AB_VM_SUITE:-}" = bench ]; then
	cp "$here/guest/helpers" "$here"/bench/*.sh "$root/tests/"
elif [ -n "${AB_VM_ONLY:-}" ]; then
	cp "$here/guest/helpers" "$here"/guest/*.inc "$root/tests/"
	for t in $AB_VM_ONLY; do cp "$here/guest/$t" "$root/tests/"; done
else
	cp "$here"/guest/* "$root/tests/"
fi
chmod +x "$root"/tests/*.sh
if [ -d "$B/vm/bin" ]; then cp "$B"/vm/bin/* "$root/tests/bin/"; fi
add_bundle
: >"$root/etc/modules.order"
for m in $modules; do add_module "$m"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
install -m 0755 "$here/init" "$root/init"
# The kernel opens /dev/console for /init before anything is mounted.
mknod -m 0600 "$root/dev/console" c 5 1
mknod -m 0666 "$root/dev/null" c 1 3

(cd "$root" && find . -mindepth 1 | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null) |
	gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
