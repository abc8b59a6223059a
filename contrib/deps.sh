#!/usr/bin/env bash
# agentbox: install the Debian packages the build, the demo and the tests
# need (Debian 12, as root).  Installs only what is missing; `apt-get
# update` runs first when anything is.
set -eu
PKGS=(
	make gcc clang llvm libclang-rt-14-dev pkg-config git ca-certificates
	libyajl-dev libseccomp-dev libcap-dev libcap2-bin libyaml-dev libpcre2-dev
	libssl-dev libbpf-dev libnl-3-dev libnl-route-3-dev bpftool openssl
	runc busybox-static bats jq iproute2 curl hyperfine python3 procps
	tinyproxy qemu-system-x86 libelf-dev zlib1g-dev
	podman containerd docker.io debootstrap python3-yaml
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
# Node runs the differential test against the official Cedar engine; any
# nodejs >= 18 will do, so keep one that is already installed.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The VM tier fetches Debian's kernel package with apt-get download: it
# needs the package lists.
apt-cache depends linux-image-amd64 2>/dev/null | grep -q 'Depends: linux-image-[0-9]' || apt-get update -qq
