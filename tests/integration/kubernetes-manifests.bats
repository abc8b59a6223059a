#!/usr/bin/env bats
# contrib/kubernetes/: what can be checked without a cluster.  Every
# manifest parses, with the kinds and fields the API wants; the ConfigMap's
# policy compiles with agentbox's own compiler; the DaemonSet gives
# agentboxd every node path it uses (read from the sources, not restated
# here); the example pod, the RuntimeClass and containerd's handler agree.

load helpers

K8S=$AB_TOP/contrib/kubernetes

setup() {
	python3 -c 'import yaml' 2>/dev/null || skip "python3 has no yaml module (apt-get install python3-yaml)"
	T=$(mktemp -d /tmp/ab-k8s.XXXXXX)
}

teardown() {
	[ -n "${T:-}" ] && rm -rf "$T"
}

# k8s_py SCRIPT [ARGS...]: SCRIPT under python3 with yaml and the manifests
# loaded as `docs` (file name -> list of documents) and `one(file, kind)`.
k8s_py() {
	local script=$1
	shift
	python3 - "$K8S" "$@" <<-PY
	import glob, json, os, sys, yaml
	k8s = sys.argv[1]
	args = sys.argv[2:]
	docs = {os.path.basename(f): [d for d in yaml.safe_load_all(open(f)) if d is not None]
	        for f in sorted(glob.glob(k8s + "/*.yaml"))}
	def one(name, kind):
	    found = [d for d in docs[name] if d.get("kind") == kind]
	    assert len(found) == 1, f"{name}: {len(found)} {kind}s"
	    return found[0]
	def check(cond, what):
	    if not cond:
	        print("FAIL:", what)
	        sys.exit(1)
	$script
	PY
}

# src_default PATTERN FILE: the first string literal on FILE's line that
# matches PATTERN (a built-in default, read from the C sources).
src_default() {
	grep -m1 "$1" "$AB_TOP/$2" | sed -n 's/[^"]*"\([^"]*\)".*/\1/p'
}

@test "kubernetes: every manifest parses, with the apiVersion, kind and fields its kind needs" {
	run k8s_py '
want = {"RuntimeClass": "node.k8s.io/v1", "Pod": "v1", "DaemonSet": "apps/v1",
        "ConfigMap": "v1", "Namespace": "v1"}
check(set(docs) >= {"runtimeclass.yaml", "example-pod.yaml", "daemonset.yaml",
                    "policy-configmap.yaml"}, "manifests missing: %s" % sorted(docs))
n = 0
for name, ds in docs.items():
    check(ds, name + ": no documents")
    for d in ds:
        k = d.get("kind")
        check(k in want, f"{name}: unknown kind {k}")
        check(d.get("apiVersion") == want[k], f"{name}: {k} wants apiVersion {want[k]}")
        check(isinstance(d.get("metadata", {}).get("name"), str), f"{name}: {k} without metadata.name")
        n += 1
ds = one("daemonset.yaml", "DaemonSet")
spec = ds["spec"]
check(spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items(),
      "DaemonSet selector does not match its template labels")
pod = spec["template"]["spec"]
vols = {v["name"] for v in pod["volumes"]}
for c in pod.get("initContainers", []) + pod["containers"]:
    check(c.get("image") and c.get("name"), "container without name or image")
    for m in c.get("volumeMounts", []):
        check(m["name"] in vols, c["name"] + ": mount of undefined volume " + m["name"])
        check(m["mountPath"].startswith("/"), m["mountPath"] + ": not absolute")
        check(m.get("mountPropagation", "None") in ("None", "HostToContainer", "Bidirectional"),
              m["name"] + ": bad mountPropagation")
cm = one("policy-configmap.yaml", "ConfigMap")
check(isinstance(cm["data"]["policy.cedar"], str), "ConfigMap without data.policy.cedar")
ns = one("policy-configmap.yaml", "Namespace")["metadata"]["name"]
check(ds["metadata"]["namespace"] == ns == cm["metadata"]["namespace"], "namespaces differ")
print("documents:", n)
'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "documents: 5" ]]
}

@test "kubernetes: the ConfigMap's policy compiles with agentbox policy check, and the DaemonSet installs it" {
	k8s_py 'sys.stdout.write(one("policy-configmap.yaml", "ConfigMap")["data"]["policy.cedar"])' >"$T/policy.cedar"
	run "$B/agentbox" policy check "$T/policy.cedar"
	[ "$status" -eq 0 ]
	run "$B/agentbox" policy ir "$T/policy.cedar"
	[ "$status" -eq 0 ]
	[[ "$output" == *api.anthropic.com* ]]
	[[ "$output" == *metadata.google.internal* ]]
	# The checker does refuse a broken copy: the check above means something.
	{ cat "$T/policy.cedar"; printf 'permit (principal,\n'; } >"$T/broken.cedar"
	run "$B/agentbox" policy check "$T/broken.cedar"
	[ "$status" -ne 0 ]
	# The DaemonSet mounts that ConfigMap, checks it and installs it where
	# agentbox reads its default policy (config-net.c's DEFAULT_POLICY).
	policy=/etc/agentbox/policy.cedar
	grep -q "define DEFAULT_POLICY AB_SYSCONFDIR \"/agentbox/policy.cedar\"" "$AB_TOP/shim/lib/config-net.c"
	run k8s_py '
cm = one("policy-configmap.yaml", "ConfigMap")["metadata"]["name"]
pod = one("daemonset.yaml", "DaemonSet")["spec"]["template"]["spec"]
vol = [v for v in pod["volumes"] if v.get("configMap", {}).get("name") == cm]
check(len(vol) == 1, "no volume from the ConfigMap " + cm)
init = [c for c in pod["initContainers"]
        if any(m["name"] == vol[0]["name"] for m in c.get("volumeMounts", []))]
check(len(init) == 1, "no init container mounts the policy")
script = " ".join(init[0]["command"])
check("agentbox policy check" in script, "the policy is installed unchecked")
node_etc = {m["mountPath"]: m["name"] for m in init[0]["volumeMounts"]}
hp = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
dest = [p for p, n in node_etc.items() if hp.get(n) == os.path.dirname(args[0])]
check(dest and dest[0] + "/policy.cedar" in script, "policy.cedar not installed in the node dir " + os.path.dirname(args[0]))
print("ok")
' "$policy"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "kubernetes: the init script, run for real, installs the checked policies; a broken one stops it" {
	# The ConfigMap's files as the volume shows them, and the script with
	# its container paths moved under $T (the binaries are the build's).
	mkdir -p "$T/config" "$T/host/etc/agentbox" "$T/host/usr/local/bin"
	k8s_py '
cm = one("policy-configmap.yaml", "ConfigMap")["data"]
for k, v in cm.items():
    open(os.path.join(args[0], k), "w").write(v)
pod = one("daemonset.yaml", "DaemonSet")["spec"]["template"]["spec"]
sys.stdout.write(pod["initContainers"][0]["command"][-1])
' "$T/config" >"$T/init.sh"
	sed -i -e "s|/host/|$T/host/|g" -e "s|/config/|$T/config/|g" \
		-e "s|\"/usr/local/bin/\$b\"|\"$B/\$b\"|" "$T/init.sh"
	grep -q "$B/" "$T/init.sh"
	run env PATH="$B:$PATH" sh -ec "$(cat "$T/init.sh")"
	echo "$output"
	[ "$status" -eq 0 ]
	cmp "$T/config/policy.cedar" "$T/host/etc/agentbox/policy.cedar"
	cmp "$T/config/narrow-api-only.cedar" "$T/host/etc/agentbox/policies/api-only.cedar"
	# The example pod names a policy the script installs.
	run k8s_py 'print(one("example-pod.yaml", "Pod")["metadata"]["annotations"]["io.agentbox.policy"])'
	[ -e "$T/host/etc/agentbox/policies/$output.cedar" ]
	# A narrowing policy that does not compile stops the script before it
	# is installed; the node keeps what it had.
	printf 'permit (principal,\n' >"$T/config/narrow-broken.cedar"
	run env PATH="$B:$PATH" sh -ec "$(cat "$T/init.sh")"
	[ "$status" -ne 0 ]
	[[ "$output" == *narrow-broken.cedar:* ]]
	[ ! -e "$T/host/etc/agentbox/policies/broken.cedar" ]
}

@test "kubernetes: the DaemonSet gives agentboxd the node paths, namespaces and privileges it uses" {
	# The paths, from the sources that define them.
	state=$(src_default 'define AB_DEFAULT_STATE_DIR' shim/lib/config.h)
	audit=$(dirname "$(src_default 'audit_log = strdup' shim/lib/config-net.c)")
	# The file guard's BPF pins, where agentboxd has one (fileguard.c).
	pins=/sys/fs/bpf
	if [ -e "$AB_TOP/proxy/agentboxd/fileguard.c" ]; then
		pins=$(dirname "$(src_default 'define PIN_ROOT' proxy/agentboxd/fileguard.c)")
	fi
	etc=$(dirname "$(src_default 'define AB_DEFAULT_CONFIG' shim/lib/config.h | sed 's|^|/etc|')")
	[ "$state" = /run/agentbox ]
	[ "$audit" = /var/log/agentbox ]
	[ "$pins" = /sys/fs/bpf ]
	[ "$etc" = /etc/agentbox ]
	# agentboxd makes its proxy netns a bind mount under the state dir.
	grep -q 'mount ("/proc/thread-self/ns/net", path, NULL, MS_BIND' "$AB_TOP/proxy/agentboxd/ns.c"
	run k8s_py '
need = {args[0]: "Bidirectional", args[1]: None, args[2]: None, args[3]: None}
ds = one("daemonset.yaml", "DaemonSet")
pod = ds["spec"]["template"]["spec"]
check(pod.get("hostNetwork") is True, "hostNetwork: agentboxd upstream is the namespace it starts in")
check(pod.get("hostPID") is True, "hostPID: container pids and their namespaces")
check("runtimeClassName" not in pod, "agentboxd must not run under agentbox")
c = [c for c in pod["containers"] if "agentboxd" in " ".join(c["command"])]
check(len(c) == 1, "no container runs agentboxd")
c = c[0]
check(c.get("securityContext", {}).get("privileged") is True, "agentboxd not privileged")
hp = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
for path, prop in need.items():
    m = mounts.get(path)
    check(m is not None, "agentboxd lacks " + path)
    check(hp.get(m["name"]) == path, f"{path} is not the node path {path}")
    if prop:
        check(m.get("mountPropagation") == prop, f"{path}: mountPropagation {prop}")
check(not mounts[args[0]].get("readOnly"), args[0] + " must be writable")
check(not mounts[args[1]].get("readOnly"), args[1] + " must be writable")
print("ok")
' "$state" "$audit" "$pins" "$etc"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "kubernetes: the pod's runtimeClassName, the RuntimeClass handler and containerd's handler agree" {
	run k8s_py '
import fnmatch, tomllib
rc = one("runtimeclass.yaml", "RuntimeClass")
pod = one("example-pod.yaml", "Pod")
check(pod["spec"]["runtimeClassName"] == rc["metadata"]["name"], "runtimeClassName is not the RuntimeClass")
toml = tomllib.load(open(args[0], "rb"))
rts = toml["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
check(rc["handler"] in rts, "containerd has no handler " + rc["handler"])
h = rts[rc["handler"]]
check(h["runtime_type"] == "io.containerd.runc.v2", "runtime_type")
binary = h["options"]["BinaryName"]
# The pod annotations reach config.json only through pod_annotations.
for a in pod["metadata"].get("annotations", {}):
    if a.startswith("io.agentbox."):
        check(any(fnmatch.fnmatchcase(a, p) for p in h.get("pod_annotations", [])),
              a + " not passed by the handler")
# The DaemonSet installs the runtime where BinaryName says.
dpod = one("daemonset.yaml", "DaemonSet")["spec"]["template"]["spec"]
hp = {v["name"]: v["hostPath"]["path"] for v in dpod["volumes"] if "hostPath" in v}
ok = False
for c in dpod.get("initContainers", []):
    for m in c.get("volumeMounts", []):
        if hp.get(m["name"]) == os.path.dirname(binary) and "agentbox-runc" in " ".join(c["command"]):
            ok = True
check(ok, "nothing installs " + binary)
print(rc["handler"], binary)
' "$AB_TOP/contrib/containerd/agentbox.toml"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "agentbox /usr/local/bin/agentbox-runc" ]
}
