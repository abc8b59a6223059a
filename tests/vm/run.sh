#!/usr/bin/env bash
# agentbox VM harness: boot Debian's kernel under qemu with BPF LSM on and
# run tests/vm/guest/*.sh in it; print their results as TAP.
#
#   tests/vm/run.sh
#
# Exits 77 (after a SKIP line saying why) without qemu or root, 1 if any
# check failed or the VM did not finish, else 0.  Environment:
#   B               build dir (default build)
#   AB_VM_CACHE     kernel cache (default /var/cache/agentbox-vm)
#   AB_VM_TIMEOUT   seconds the VM may run (default 200)
#   AB_VM_MODULES   kernel modules put in the guest (default "veth dummy vsock_loopback")
#   AB_VM_SUITE     "bench": run tests/vm/bench/*.sh instead of the tests
#   AB_VM_ONLY      NAME.sh: run that guest test alone
#   AB_VM_APPEND    more kernel arguments (NAME=VALUE ones reach /init's
#                   environment, e.g. SCRIPT_TIMEOUT=600)
set -u
here=$(cd "$(dirname "$0")" && pwd)
export AB_TOP=${AB_TOP:-$(cd "$here/../.." && pwd)}
B=${B:-build}
case $B in /*) ;; *) B=$AB_TOP/$B ;; esac
export B
vm_timeout=${AB_VM_TIMEOUT:-200}
work=$B/vm
QEMU=${QEMU:-qemu-system-x86_64}

skip() { echo "ok 1 - vm # SKIP $*"; exit 77; }
command -v "$QEMU" >/dev/null || skip "$QEMU not installed (apt-get install qemu-system-x86)"
[ "$(id -u)" -eq 0 ] || skip "needs root (kernel cache, device nodes in the initramfs)"

n=0 failed=0
emit() { # emit ok|not-ok DESCRIPTION
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}
# fail DESCRIPTION LOG: a failed step, with the end of its log as comments.
fail() {
	emit not-ok "$1"
	tail -n "${3:-30}" "$2" | tr -d '\r' | sed 's/^/#   /'
}
finish() { echo "1..$n"; exit $failed; }

# bpf_loader NAME: tests/vm/bpf/NAME.bpf.c -> its skeleton -> a static
# loader from guest-bin/NAME.c, so the guest needs no libbpf.
bpf_loader() {
	local cc=${CC:-cc}
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
		-idirafter "/usr/include/$($cc -dumpmachine)" \
		-c -o "$work/$1.bpf.o" "$here/bpf/$1.bpf.c" &&
		bpftool gen skeleton "$work/$1.bpf.o" name "${1//-/_}" >"$work/$1.skel.h" &&
		$cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow \
			-Wmissing-prototypes -static -I"$work" -o "$work/bin/$1" \
			"$here/guest-bin/$1.c" -lbpf -lelf -lz
}

# The LSM smoke test, the bench's floor, and the plain helpers.
build_guest_bins() {
	local cc=${CC:-cc}
	mkdir -p "$work/bin" &&
		bpf_loader lsm-smoke &&
		bpf_loader fg-floor &&
		$cc -std=gnu11 -O2 -Wall -Wextra -Werror -static -I"$here/../.." \
			-o "$work/bin/fg-probe" "$here/guest-bin/fg-probe.c" &&
		$cc -std=gnu11 -O2 -Wall -Wextra -Werror \
			-o "$work/bin/hello" "$here/guest-bin/hello.c"
}

# tap_from_console LOG: the guest's marked lines, renumbered; anything
# that is not a result becomes a comment.  Sets $finished.
tap_from_console() {
	local line
	finished=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		END) finished=1 ;;
		"ok "* | "not ok "*)
			[[ $line =~ ^(not )?ok\ *[0-9]*\ *-?\ *(.*)$ ]]
			if [ -n "${BASH_REMATCH[1]}" ]; then emit not-ok "${BASH_REMATCH[2]}"; else emit ok "${BASH_REMATCH[2]}"; fi
			;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done < <(tr -d '\r' <"$1" | sed -n 's/.*AGENTBOX-TAP: //p')
}

mkdir -p "$work"
t0=$SECONDS
if ! build_guest_bins >"$work/build.log" 2>&1; then
	fail "build the guest's LSM smoke test" "$work/build.log"
	finish
fi

t=$SECONDS
if ! "$here/kernel.sh" >"$work/kernel.out" 2>"$work/kernel.log"; then
	fail "fetch Debian's kernel (tests/vm/kernel.sh)" "$work/kernel.log"
	finish
fi
{ read -r vmlinuz; read -r moddir; } <"$work/kernel.out"
echo "# kernel: $vmlinuz ($((SECONDS - t)) s)"

t=$SECONDS
if ! "$here/initramfs.sh" "$work/initrd.gz" "$moddir" >"$work/initramfs.log" 2>&1; then
	fail "build the initramfs (tests/vm/initramfs.sh)" "$work/initramfs.log"
	finish
fi
echo "# initramfs: $(du -h "$work/initrd.gz" | cut -f1) ($((SECONDS - t)) s)"

# KVM hangs on the development machines; TCG boots in about 10 s.
t=$SECONDS
timeout -k 5 "$vm_timeout" "$QEMU" -accel tcg -smp 2 -cpu max -m 1024 \
	-nographic -no-reboot -kernel "$vmlinuz" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 lsm=lockdown,capability,landlock,bpf panic=-1 ${AB_VM_APPEND:-}" \
	</dev/null >"$work/console.log" 2>&1
qemu_rc=$?
tap_from_console "$work/console.log"
echo "# vm: qemu exited $qemu_rc after $((SECONDS - t)) s; console log $work/console.log"
if [ "$finished" -ne 1 ]; then
	why="exited $qemu_rc"
	[ "$qemu_rc" -eq 124 ] && why="killed after ${vm_timeout}s"
	fail "the VM ran every guest test and powered off (qemu $why)" "$work/console.log" 40
fi
echo "# vm tier: $((SECONDS - t0)) s"
finish
