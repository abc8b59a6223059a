#!/bin/sh
# The file guard: BPF LSM programs on the container's cgroup enforce the
# policy's file and exec rules (docs/file-guard.md).  Real containers
# through agentbox-runc and runc, in a kernel with BPF LSM.
. /tests/helpers

T=/run/agentbox-fg
mkdir -p $T
cat >$T/config.yaml <<YAML
runtime: /usr/sbin/runc
state_dir: $T/state
network:
  audit_log: $T/audit.jsonl
  policy: [$T/policy.cedar, $T/project.yaml]
  policy_dir: $T/policies
  annotation_modes: [enforce, shadow]
YAML
cat >$T/project.yaml <<YAML
hostexec:
  auto_approve: ["^echo( .*)?\$"]
YAML
export AGENTBOX_CONFIG=$T/config.yaml
write_policy() {
	cat >$T/policy.cedar <<'CEDAR'
permit (principal, action in [Action::"FileOpenReadOnly", Action::"ProcessExec"],
        resource in Dir::"/");
permit (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/tmp/");
permit (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/work/");
permit (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/dev/");
@id("no-passwd")
forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"/etc/passwd");
forbid (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/secret/");
forbid (principal, action == Action::"ProcessExec", resource in Dir::"/denied/");
forbid (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/work/.git/");
CEDAR
	cat $T/extra.cedar >>$T/policy.cedar 2>/dev/null
}
write_policy
abr() { agentbox-runc --root $T/runc "$@"; }

new_bundle $T/b "$(cat <<'CMD'
t() { n=$1; shift; "$@" >/dev/null 2>&1; echo "$n=$?"; }
cp /bin/hello /tmp/hello
printf '#!/denied/busybox sh\necho via-interp\n' >/tmp/interp.sh
chmod +x /tmp/interp.sh
echo x >/tmp/x
t read_passwd cat /etc/passwd
t read_passwd_dash cat /etc/passwd-
t write_work sh -c 'echo x >/work/a'
t write_workx sh -c 'echo x >/workx/a'
t read_secret cat /secret/key
t symlink_secret sh -c 'ln -s /secret/key /tmp/l && cat /tmp/l'
t hardlink_secret ln /secret/key /tmp/h
t rename_into_git mv /tmp/x /work/.git/x
t rename_git mv /work/.git /work/g
t rename_work mv /work /work2
t symlink_git ln -s /tmp/x /work/.git/hook
t symlink_work ln -s /tmp/x /work/link-ok
t rmdir_git rmdir /work/.git/empty
t rmdir_work rmdir /work/empty
t chmod_git chmod 600 /work/.git/config
t chmod_work chmod 600 /work/a
t chown_git chown 1 /work/.git/config
t chown_work chown 1 /work/a
t trunc_otrunc sh -c ': >/etc/passwd-'
t trunc_cmd truncate -s 0 /etc/passwd-
t creat_etc sh -c 'echo >/etc/new'
t exec_ok /bin/busybox true
t exec_denied /denied/busybox true
t exec_denied_script /denied/s.sh
t exec_interp /tmp/interp.sh
t exec_ldso_ok /lib64/ld-linux-x86-64.so.2 /tmp/hello
t exec_ldso_denied /lib64/ld-linux-x86-64.so.2 /denied/hello
t exec_memfd /bin/fg-probe memexec /denied/busybox true
t comm_rename /bin/fg-probe comm sh /etc/passwd
echo done
exec sleep 120
CMD
)"
r=$T/b/rootfs
# Writable, so that every write refused is refused by the guard (runc
# spec's root is read-only).
sed -i 's/"readonly": true/"readonly": false/' $T/b/config.json
# chown needs CAP_CHOWN, which runc spec's bundle lacks.
sed -i 's/"CAP_KILL"/"CAP_KILL", "CAP_CHOWN"/g' $T/b/config.json
# A project directory from the host, where hostexec runs commands.
mkdir -p $T/proj
sed -i "s|\"mounts\": \\[|\"mounts\": [ {\"destination\": \"/proj\", \"type\": \"bind\", \"source\": \"$T/proj\", \"options\": [\"rbind\"]},|" $T/b/config.json
mkdir -p $r/work/.git/empty $r/work/empty $r/workx $r/secret $r/denied $r/lib64 $r/lib/x86_64-linux-gnu
echo root:x:0:0 >$r/etc/passwd
echo vm-fg >$r/etc/hostname
echo old >$r/etc/passwd-
echo s3cret >$r/secret/key
echo '[core]' >$r/work/.git/config
cp /bin/busybox $r/denied/busybox
cp /tests/bin/hello /tests/bin/hello $r/denied/ && cp /tests/bin/hello $r/bin/hello
cp /tests/bin/fg-probe $r/bin/fg-probe
printf '#!/bin/sh\necho hi\n' >$r/denied/s.sh && chmod +x $r/denied/s.sh
cp -L /lib64/ld-linux-x86-64.so.2 $r/lib64/
cp -L /lib/x86_64-linux-gnu/libc.so.6 $r/lib/x86_64-linux-gnu/

abr run -d -b $T/b vm-fg </dev/null >$T/run.out 2>$T/run.err
check "a container with a file policy starts" test $? -eq 0
sed 's/^/# /' $T/run.err
check "its file guard is pinned" test -e /sys/fs/bpf/agentbox/vm-fg/fg/config
check "and attached to its cgroup" sh -c "bpftool cgroup show /sys/fs/cgroup/$(sed -n 's/^0:://p' /proc/$(cat $T/runc/vm-fg/state.json | grep -o '"init_process_pid":[0-9]*' | cut -d: -f2)/cgroup) effective 2>/dev/null | grep -q lsm_cgroup || bpftool link show | grep -q lsm_cgroup"
i=0
while [ $i -lt 100 ] && ! grep -q '^done$' $T/run.out; do sleep 0.1; i=$((i + 1)); done
sed 's/^/# /' $T/run.out
want() { # want NAME allow|deny
	local rc
	rc=$(sed -n "s/^$1=//p" $T/run.out)
	case $2 in
	allow) [ "$rc" = 0 ] ;;
	deny) [ -n "$rc" ] && [ "$rc" != 0 ] ;;
	esac
}
check "read: /etc/passwd is denied" want read_passwd deny
check "read: /etc/passwd- is allowed (component boundary)" want read_passwd_dash allow
check "write: /work/a is allowed" want write_work allow
check "write: /workx/a is denied (component boundary)" want write_workx deny
check "read: a file in a denied directory is denied" want read_secret deny
check "a symlink into a denied directory changes nothing" want symlink_secret deny
check "a hardlink to a protected file cannot be made" want hardlink_secret deny
check "a rename into a protected directory is denied" want rename_into_git deny
check "the protected directory itself cannot be renamed" want rename_git deny
check "a directory holding protected paths cannot be renamed" want rename_work deny
# Past the ten lsm_cgroup hooks: the dispatcher's tail calls.
check "symlink: none can be made in a protected directory" want symlink_git deny
check "symlink: one can be made where writes are allowed" want symlink_work allow
check "rmdir: a protected directory cannot be removed" want rmdir_git deny
check "rmdir: an allowed one can" want rmdir_work allow
check "chmod: a protected file keeps its mode" want chmod_git deny
check "chmod: an allowed file's mode changes" want chmod_work allow
check "chown: a protected file keeps its owner" want chown_git deny
check "chown: an allowed file's owner changes" want chown_work allow
check "O_TRUNC on a read-only file is denied" want trunc_otrunc deny
check "truncate(1) on a read-only file is denied" want trunc_cmd deny
check "O_CREAT in a read-only directory is denied" want creat_etc deny
check "exec: an allowed program runs" want exec_ok allow
check "exec: a program in a denied directory does not run" want exec_denied deny
check "exec: a script in a denied directory does not run" want exec_denied_script deny
check "exec: a script whose interpreter is denied does not run" want exec_interp deny
check "exec: ld.so runs an allowed program" want exec_ldso_ok allow

check "exec: ld.so cannot run a denied program" want exec_ldso_denied deny
check "exec: a memfd copy of a denied program does not run" want exec_memfd deny
check "renaming comm changes nothing" want comm_rename deny
audited() { grep '"decision":"deny"' $T/audit.jsonl | grep -q "\"path\":\"$1\""; }
check "the guard refused the write under /workx (audited)" audited /workx/a
check "the guard refused the hardlink (audited)" audited /secret/key
check "the guard refused the truncation (audited)" audited /etc/passwd-
check "the guard refused the creation (audited)" audited /etc/new
check "the guard refused the rename of /work (audited)" audited /work
check "files stay readable outside the container's cgroup" grep -q root: $r/etc/passwd
check "the guard refused the symlink (audited)" audited /work/.git/hook
check "the guard refused the chmod (audited)" sh -c "grep '\"op\":\"chmod\"' $T/audit.jsonl | grep -q '/work/.git/config'"
check "outside the container's cgroup, chmod and symlink are not ruled" \
	sh -c "chmod 644 $r/work/.git/config && ln -s x $r/work/.git/hostlink"


out=$(abr exec vm-fg cat /etc/passwd 2>&1)
check "an exec'd process is confined too" test "$out" != "root:x:0:0"
out=$(abr exec vm-fg cat /etc/passwd- 2>&1)
check "and may read what the policy allows" test "$out" = old

# hostexec and resolv.conf stay usable under a policy that rules writes
# and exec (the hostexec socket is bound outside: a detached path).
out=$(abr exec --cwd /proj vm-fg hostexec echo via-hostexec 2>&1)
check "hostexec works in a container with a file guard" test "$out" = via-hostexec
echo "# hostexec: $out"
out=$(abr exec vm-fg cat /etc/resolv.conf 2>&1)
case $out in *nameserver*) r=0 ;; *) r=1 ;; esac
check "resolv.conf stays readable" test $r -eq 0

# Enforcement lives in the kernel: the guardian's death changes nothing.
gpid=$(head -1 $T/state/agentboxd.lock 2>/dev/null)
check "the guardian was running" test -n "$gpid"
i=0
while [ $i -lt 50 ] && ! grep -q '"path":"/etc/passwd"' $T/audit.jsonl 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
check "a denial reaches the audit log with its rule" sh -c "grep '\"layer\":\"file\"' $T/audit.jsonl | grep '\"path\":\"/etc/passwd\"' | grep -q 'no-passwd'"
[ -n "$gpid" ] && kill -9 "$gpid"
sleep 0.2
out=$(abr exec vm-fg cat /etc/passwd 2>&1)
check "with the guardian killed, /etc/passwd stays denied" test "$out" != "root:x:0:0"

# shadow: allowed, and logged as would-deny (the guardian comes back).
agentbox mode vm-fg shadow >$T/mode.out 2>&1
check "agentbox mode switches to shadow" test $? -eq 0
sed 's/^/# /' $T/mode.out
out=$(abr exec vm-fg cat /etc/passwd 2>&1)
check "shadow mode allows what the policy denies" test "$out" = "root:x:0:0"
echo "# shadow: $out"
agentbox mode vm-fg enforce >/dev/null 2>&1
out=$(abr exec vm-fg cat /etc/passwd 2>&1)
check "back to enforce, it is denied again" test "$out" != "root:x:0:0"

# record: everything allowed and reported; suggest turns it into a policy.
agentbox mode vm-fg record >/dev/null 2>&1
abr exec vm-fg cat /etc/hostname >/dev/null 2>&1
agentbox mode vm-fg enforce >/dev/null 2>&1
# A new container brings the guardian back; it follows vm-fg again.
new_bundle $T/b2 'exec sleep 60'
abr run -d -b $T/b2 vm-fg2 </dev/null >$T/run2.out 2>&1
check "a second container starts (and the guardian with it)" test $? -eq 0
sed 's/^/# /' $T/run2.out
agentbox guardian status >$T/status.out 2>&1
check "the restarted guardian follows the first container again" \
	grep -Eq '"id": ?"vm-fg"' $T/status.out
sed 's/^/# /' $T/status.out; tail -5 $T/state/agentboxd.log | sed 's/^/# /'

i=0
while [ $i -lt 50 ] && ! grep -q '"path":"/etc/hostname"' $T/audit.jsonl; do sleep 0.1; i=$((i + 1)); done
agentbox policy suggest vm-fg --audit $T/audit.jsonl >$T/suggest.cedar 2>&1
check "record mode's accesses become a suggested policy" \
	grep -q 'File::"/etc/hostname"' $T/suggest.cedar
check "which agentbox's own compiler accepts" agentbox policy check $T/suggest.cedar

# A reload flips the policy in force with one store.
printf 'forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"/etc/passwd-");\n' >$T/extra.cedar
write_policy
agentbox guardian reload >$T/reload.out 2>&1
sed 's/^/# /' $T/reload.out
out=$(abr exec vm-fg cat /etc/passwd- 2>&1)
check "after a reload the new forbid holds" test "$out" != "old"

out=$(abr exec vm-fg cat /etc/hostname 2>&1)
check "and leaves the rest as it was" test -n "$out"
# Narrowing (docs/narrowing.md): a container naming a policy gets what
# both allow, in one plan; vm-fg, beside it, keeps the policy.  The named
# policy rules on read and exec, not on writes: those stay the policy's.
mkdir -p $T/policies
cat >$T/policies/narrow.cedar <<'CEDAR'
permit (principal, action in [Action::"FileOpenReadOnly", Action::"ProcessExec"],
        resource in Dir::"/");
forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"/etc/hostname");
CEDAR
new_bundle $T/bn 'exec sleep 120'
sed -i 's/"readonly": true/"readonly": false/; s/"ociVersion"/"annotations": {"io.agentbox.policy": "narrow"}, "ociVersion"/' $T/bn/config.json
mkdir -p $T/bn/rootfs/work/.git
echo vm-fgn >$T/bn/rootfs/etc/hostname
abr run -d -b $T/bn vm-fgn </dev/null >/dev/null 2>$T/runn.err
check "a container naming a narrowing policy starts" test $? -eq 0
sed 's/^/# /' $T/runn.err
out=$(abr exec vm-fgn cat /etc/hostname 2>&1)
check "the narrowing policy's forbid holds in it" test "$out" != "vm-fgn"
i=0
while [ $i -lt 30 ] && ! grep '"path":"/etc/hostname"' $T/audit.jsonl | grep -q 'narrow.cedar:3'; do sleep 0.1; i=$((i + 1)); done
check "and is audited with the narrowing policy's rule" sh -c "grep '\"path\":\"/etc/hostname\"' $T/audit.jsonl | grep -q 'policies/narrow.cedar:3'"
check "writes it does not rule on are the policy's: /work is writable" abr exec vm-fgn sh -c 'echo x >/work/a'
check "and /work/.git is not" sh -c "! abr exec vm-fgn sh -c 'echo x >/work/.git/a' 2>/dev/null"
out=$(abr exec vm-fg cat /etc/hostname 2>&1)
check "its neighbour still reads /etc/hostname" test "$out" = "vm-fg"

# io.agentbox.mode picks the guard's mode where the config allows it.
new_bundle $T/bs 'exec sleep 120'
sed -i 's/"ociVersion"/"annotations": {"io.agentbox.mode": "shadow"}, "ociVersion"/' $T/bs/config.json
echo root:x:0:0 >$T/bs/rootfs/etc/passwd
abr run -d -b $T/bs vm-fgs </dev/null >/dev/null 2>$T/runs.err
check "a container annotated io.agentbox.mode: shadow starts" test $? -eq 0
sed 's/^/# /' $T/runs.err
check "its file guard is in shadow mode" sh -c "agentbox mode vm-fgs | grep -q '^vm-fgs: shadow '"
out=$(abr exec vm-fgs cat /etc/passwd 2>&1)
check "and lets the policy's forbid through" test "$out" = "root:x:0:0"
abr delete --force vm-fgs >/dev/null 2>&1

abr delete --force vm-fgn >/dev/null 2>&1
check "the dispatcher holds the running containers" \
	sh -c "! bpftool -j map dump pinned '/sys/fs/bpf/agentbox/@fg-dispatch/fg_cgroups' | grep -qx '\\[\\]'"
abr delete --force vm-fg >/dev/null 2>&1
abr delete --force vm-fg2 >/dev/null 2>&1
check "delete unpins the file guard" test ! -e /sys/fs/bpf/agentbox/vm-fg
check "and no lsm_cgroup link is left" sh -c "! bpftool link show | grep -q lsm_cgroup"
check "and no container is left in the dispatcher" \
	sh -c "bpftool -j map dump pinned '/sys/fs/bpf/agentbox/@fg-dispatch/fg_cgroups' | grep -qx '\\[\\]'"
check "whose slots are empty again" \
	sh -c "bpftool -j map dump pinned '/sys/fs/bpf/agentbox/@fg-dispatch/tail_chmod' | grep -qx '\\[\\]'"

pid=$(head -1 $T/state/agentboxd.lock 2>/dev/null)
[ -n "$pid" ] && kill "$pid" 2>/dev/null
true
