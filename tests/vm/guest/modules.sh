#!/bin/sh
# The modules initramfs.sh put in the guest load, and work.
. /tests/helpers

check "veth is loaded" grep -q '^veth ' /proc/modules
check "a veth pair can be made and removed" sh -c \
	'ip link add abvm0 type veth peer name abvm1 && ip link del abvm0'
