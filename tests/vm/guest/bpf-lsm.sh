#!/bin/sh
# A BPF LSM program loads, attaches, sees file opens and denies them
# (tests/vm/guest-bin/lsm-smoke.c prints its own TAP lines).
exec /tests/bin/lsm-smoke
