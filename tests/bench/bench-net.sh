#!/usr/bin/env bash
# agentboxd's explicit proxy and DNS under load, side by side with a direct
# TCP copy and tinyproxy in the same run (docs/bench-net.md).  Everything
# lives in namespaces made here: the test internet (net-helpers.bash) holds
# the upstream server (build/bench/tool-tunnel server) and tinyproxy; the
# agentbox load comes from a container's network namespace (the guardian
# serves registered containers only); the peers' load comes from a client
# namespace wired to the internet by a veth, so every path crosses one veth
# and one local hop.
set -u
here=$(cd "$(dirname "$0")" && pwd)
AB_TOP=${AB_TOP:-$(cd "$here/../.." && pwd)}
B=${B:-build}
case $B in /*) ;; *) B=$AB_TOP/$B ;; esac
export AB_TOP B
BT=$B/bench/tool-tunnel
STREAM_S=${BENCH_STREAM_S:-2}
RATE_S=${BENCH_RATE_S:-2}
DNS_N=${BENCH_DNS_N:-20000}
IDLE_STEPS=${BENCH_IDLE_STEPS:-"1000 5000 9900"}

say() { echo "bench-net: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "needs root"; exit 1; }
for c in tinyproxy runc jq nsenter ip; do
	command -v "$c" >/dev/null || { say "$c is not installed"; exit 1; }
done
[ -x "$BT" ] && [ -x "$B/agentbox-runc" ] ||
	{ say "build first: make all test-tools bench-programs"; exit 1; }

. "$AB_TOP/tests/integration/helpers.bash"
. "$AB_TOP/tests/integration/net-helpers.bash"
. "$AB_TOP/tests/integration/net-guard.bash"

NAME=bench.example
IDLE_PORT=9001 STREAM_PORT=9002 RATE_AB=9003 RATE_TP=9004 RATE_DIRECT=9005
CLI_V4=198.51.100.1 TP_V4=198.51.100.2 TP_PORT=8888
CLI_NS='' SRV_PID='' TP_PID='' T=''
started=$(date +%s) load0=$(cut -d" " -f1 /proc/loadavg)

cleanup() {
	local p
	for p in $TP_PID $SRV_PID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ -n "$CLI_NS" ] && ip netns del "$CLI_NS" 2>/dev/null
	[ -n "$T" ] && net_teardown
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- setup ----

# The internet as inet_setup makes it, with the bench's name in its zone.
internet() {
	INET_DIR=$T/inet INET_CA=$T/inet/ca.pem INET_QUERY_LOG=$T/inet/queries.log
	export INET_DIR INET_CA INET_QUERY_LOG INET_DNS
	mkdir -p "$INET_DIR"
	inet_netns && inet_certs "$INET_DIR" || return 1
	{ inet_zone; echo "$NAME A $INET_V4"; } >"$INET_DIR/zone"
	inet_start
}

# nofile ...: what follows with the fd limit the idle phase needs.
nofile() {
	ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	exec "$@"
}

server() {
	(nofile ip netns exec "$INET_NS" "$BT" server -R "$T/server.ready" \
		"$INET_V4:$IDLE_PORT" "$INET_V4:$STREAM_PORT" "$INET_V4:$RATE_AB" \
		"$INET_V4:$RATE_TP" "$INET_V4:$RATE_DIRECT") </dev/null >"$T/server.log" 2>&1 &
	SRV_PID=$!
	wait_file "$T/server.ready" "$SRV_PID"
}

# The peers' client namespace: a veth into the internet.
client_ns() {
	CLI_NS=abb-cli-$$-$RANDOM
	ip netns add "$CLI_NS" &&
		ip -n "$CLI_NS" link add cli0 type veth peer name cli1 netns "$INET_NS" &&
		ip -n "$CLI_NS" link set lo up && ip -n "$CLI_NS" link set cli0 up &&
		ip -n "$INET_NS" link set cli1 up &&
		ip -n "$CLI_NS" addr add "$CLI_V4/24" dev cli0 &&
		ip -n "$INET_NS" addr add "$TP_V4/24" dev cli1 &&
		ip -n "$CLI_NS" route add "$INET_V4/32" via "$TP_V4"
}

# tinyproxy in the internet, resolving the name from a hosts file bound
# in the private mount namespace `ip netns exec` gives it.
tinyproxy_start() {
	echo "$INET_V4 $NAME" >"$T/hosts"
	cat >"$T/tinyproxy.conf" <<-CONF
	Port $TP_PORT
	Listen $TP_V4
	Timeout 600
	MaxClients 1024
	LogLevel Critical
	LogFile "$T/tinyproxy.log"
	DisableViaHeader Yes
	ConnectPort $STREAM_PORT
	ConnectPort $RATE_TP
	CONF
	ip netns exec "$INET_NS" sh -c \
		'mount --bind "$1" /etc/hosts && exec tinyproxy -d -c "$2"' \
		sh "$T/hosts" "$T/tinyproxy.conf" </dev/null >"$T/tinyproxy.out" 2>&1 &
	TP_PID=$!
	for _ in $(seq 50); do
		ip netns exec "$CLI_NS" bash -c "exec 3<>/dev/tcp/$TP_V4/$TP_PORT" 2>/dev/null && return 0
		sleep 0.1
	done
	say "tinyproxy did not start: $(cat "$T/tinyproxy.out")"
	return 1
}

wait_file() {
	for _ in $(seq 50); do
		[ -e "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

agentbox() {
	net_config
	cat >>"$T/policy.cedar" <<-CEDAR
	permit (principal, action == Action::"NetworkConnect",
	        resource in Host::"$NAME");
	CEDAR
	start_agent || return 1
	CPID=$(runc --root "$ROOT" state "$ID" | jq -r .pid) &&
		PEER=$(jq -r .peer4 "$STATE/containers/$ID/net.json") &&
		GPID=$(guardian_pid)
}

# in_ct / in_cli ARGS...: tool-tunnel in the container's / client netns.
in_ct() { (nofile nsenter --net="/proc/$CPID/ns/net" "$BT" "$@"); }
in_cli() { (nofile ip netns exec "$CLI_NS" "$BT" "$@"); }

HZ=$(getconf CLK_TCK)
ticks() { if [ -n "$1" ]; then awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; else echo 0; fi; }

# measured PID FILE CMD...: CMD's result line into FILE, with the CPU the
# proxy PID spent meanwhile: cpu_pct= (of one core, over the wall time)
# and cpu_us= (per completed connection, when the line has ok=).
measured() {
	local pid=$1 f=$2 a b t0 t1 out
	shift 2
	a=$(ticks "$pid") t0=$(date +%s.%N)
	out=$("$@" 2>&1)
	b=$(ticks "$pid") t1=$(date +%s.%N)
	[ -n "$pid" ] && out="$out $(awk -v a="$a" -v b="$b" -v hz="$HZ" -v w="$(awk -v x="$t0" -v y="$t1" 'BEGIN { print y - x }')" \
		-v ok="$(grep -o '\bok=[0-9]*' <<<"$out" | cut -d= -f2)" 'BEGIN {
		c = (b - a) / hz; printf "cpu_pct=%.0f", 100 * c / w
		if (ok > 0) printf " cpu_us=%.0f", c * 1e6 / ok }')"
	echo "$out" >>"$f"
}

ab_setup
mkdir -p "$T/r"
R=$T/r
internet || { say "the test internet did not start"; exit 1; }
server || { say "the upstream server did not start: $(cat "$T/server.log")"; exit 1; }
client_ns || { say "cannot make the client namespace"; exit 1; }
tinyproxy_start || exit 1
agentbox || { say "the agent container did not start"; cat "$STATE/agentboxd.log" >&2; exit 1; }

# ---- measure ----

say "dns: $DNS_N queries"
in_ct dns "$PEER:53" "$NAME" "$DNS_N" >"$R/dns" 2>&1
say "idle tunnels: $IDLE_STEPS"
# shellcheck disable=SC2086
in_ct idle -p "$PEER:3128" -n "$NAME:$IDLE_PORT" -r "$GPID" -H 5 $IDLE_STEPS >"$R/idle" 2>&1
idle_rc=$?
say "throughput: 3 x ${STREAM_S} s per path"
for _ in 1 2 3; do
	measured "" "$R/stream-direct" in_cli stream -t "$INET_V4:$STREAM_PORT" -n "$NAME:$STREAM_PORT" -s "$STREAM_S"
	measured "$GPID" "$R/stream-ab" in_ct stream -p "$PEER:3128" -n "$NAME:$STREAM_PORT" -s "$STREAM_S"
	measured "$TP_PID" "$R/stream-tp" in_cli stream -p "$TP_V4:$TP_PORT" -n "$NAME:$STREAM_PORT" -s "$STREAM_S"
done
say "new connections: 3 x ${RATE_S} s per path"
for _ in 1 2 3; do
	measured "$GPID" "$R/rate-ab" in_ct rate -p "$PEER:3128" -n "$NAME:$RATE_AB" -s "$RATE_S" -c 32
	measured "$TP_PID" "$R/rate-tp" in_cli rate -p "$TP_V4:$TP_PORT" -n "$NAME:$RATE_TP" -s "$RATE_S" -c 32
	measured "" "$R/rate-direct" in_cli rate -t "$INET_V4:$RATE_DIRECT" -n "$NAME:$RATE_DIRECT" -s "$RATE_S" -c 32
done
kill -0 "$GPID" 2>/dev/null || {
	say "agentboxd died during the run; its log ends:"
	tail -5 "$STATE/agentboxd.log" >&2
}

# ---- report ----

# kv FILE KEY [LINE-PATTERN]: KEY's value on the last matching line.
kv() { grep -E "${3:-.}" "$1" 2>/dev/null | grep -o "\b$2=[^ ]*" | tail -1 | cut -d= -f2; }
# median FILE KEY: the median of KEY over the file's lines (runs).
median() {
	grep -o "\b$2=[^ ]*" "$1" 2>/dev/null | cut -d= -f2 | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
sum() { grep -o "\b$2=[^ ]*" "$1" 2>/dev/null | cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }'; }
div() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) print a / b; else print 0 }'; }
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
# goal VALUE OP LIMIT: "met" or "MISSED".
goal() { awk -v v="${1:-0}" -v l="$3" -v op="$2" 'BEGIN {
	ok = op == ">=" ? v + 0 >= l : v + 0 <= l; print ok ? "met" : "MISSED" }'; }
num() { echo "${1:-n/a}"; }
# per_tunnel RSS RSS0 OPEN OPEN0: KiB per tunnel between two readings.
per_tunnel() { awk -v r="${1:-0}" -v b="${2:-0}" -v n="${3:-0}" -v m="${4:-0}" 'BEGIN {
	if (n > m && r > 0) printf "%.1f", (r - b) / (n - m); else print "n/a" }'; }
# fail_note FILE KEY: the error lines of runs that printed no KEY=.
fail_note() {
	grep -qv "\b$2=" "$1" 2>/dev/null &&
		echo "  (errors in $(basename "$1"): $(grep -v "\b$2=" "$1" | sort -u | head -2 | tr '\n' ' '))"
}

sd=$(median "$R/stream-direct" mbps) sa=$(median "$R/stream-ab" mbps) st=$(median "$R/stream-tp" mbps)
echo "## net: CONNECT tunnel throughput (one tunnel, download, median of 3 x ${STREAM_S} s)"
echo
echo "| path | MB/s | vs direct | vs tinyproxy | proxy CPU, % of a core |"
echo "|---|---|---|---|---|"
echo "| direct TCP, no proxy | $(num "$sd") | 1.00x | $(ratio "$sd" "$st") | - |"
echo "| agentboxd CONNECT | $(num "$sa") | $(ratio "$sa" "$sd") | $(ratio "$sa" "$st") | $(num "$(median "$R/stream-ab" cpu_pct)") |"
echo "| tinyproxy CONNECT | $(num "$st") | $(ratio "$st" "$sd") | 1.00x | $(num "$(median "$R/stream-tp" cpu_pct)") |"
echo
echo "goals: agentboxd >= 0.8x direct: $(goal "$(div "$sa" "$sd")" ">=" 0.8);" \
	"agentboxd >= 1.5x tinyproxy: $(goal "$(div "$sa" "$st")" ">=" 1.5)"
for f in stream-direct stream-ab stream-tp; do fail_note "$R/$f" mbps; done
echo

ra=$(median "$R/rate-ab" rate) rt=$(median "$R/rate-tp" rate) rd=$(median "$R/rate-direct" rate)
row() {
	echo "| $1 | $(num "$(median "$2" rate)") | $(num "$(median "$2" p50_ms)") | $(num "$(median "$2" p99_ms)") |" \
		"$(sum "$2" failed) | $3 | $(num "$(median "$2" cpu_us)") |"
}
echo "## net: new tunnels per second (CONNECT + GET /small + close, 32 in flight, median of 3 x ${RATE_S} s)"
echo
echo "| path | conn/s | p50 ms | p99 ms | failed | vs tinyproxy | proxy CPU us per tunnel |"
echo "|---|---|---|---|---|---|---|"
row "agentboxd CONNECT" "$R/rate-ab" "$(ratio "$ra" "$rt")"
row "tinyproxy CONNECT" "$R/rate-tp" "1.00x"
row "direct TCP, no proxy (reference)" "$R/rate-direct" "$(ratio "$rd" "$rt")"
echo
echo "goal: agentboxd >= 2x tinyproxy: $(goal "$(div "$ra" "$rt")" ">=" 2)"
for f in rate-ab rate-tp rate-direct; do fail_note "$R/$f" rate; done
echo

echo "## net: agentboxd DNS answer latency (UDP, A for an allowed name, one query at a time)"
echo
echo "| queries | failed | p50 us | p90 us | p99 us | max us |"
echo "|---|---|---|---|---|---|"
echo "| $(num "$(kv "$R/dns" queries)") | $(num "$(kv "$R/dns" failed)") | $(num "$(kv "$R/dns" p50_us)") |" \
	"$(num "$(kv "$R/dns" p90_us)") | $(num "$(kv "$R/dns" p99_us)") | $(num "$(kv "$R/dns" max_us)") |"
fail_note "$R/dns" p50_us
echo

base=$(kv "$R/idle" rss_kib '^step=0 ')
echo "## net: agentboxd memory per idle CONNECT tunnel (VmRSS, $base KiB with none open)"
echo
echo "| tunnels asked | open | failed | VmRSS KiB | guardian fds | KiB per tunnel | since the step before | goal <= 32 |"
echo "|---|---|---|---|---|---|---|---|"
prss=$base popen=0
for n in $IDLE_STEPS; do
	rss=$(kv "$R/idle" rss_kib "^step=$n ") open=$(kv "$R/idle" open "^step=$n ")
	per=$(per_tunnel "$rss" "$base" "$open" 0) step=$(per_tunnel "$rss" "$prss" "$open" "$popen")
	echo "| $n | $(num "$open") | $(num "$(kv "$R/idle" failed "^step=$n ")") | $(num "$rss") |" \
		"$(num "$(kv "$R/idle" fds "^step=$n ")") | $per | $step | $([ "$per" = n/a ] && echo MISSED || goal "$per" "<=" 32) |"
	prss=$rss popen=$open
done
alive=$(kv "$R/idle" alive) open=$(kv "$R/idle" open '^alive=')
echo
if [ "$idle_rc" -eq 0 ] && [ -n "$alive" ] && [ "$alive" = "$open" ]; then
	echo "all $open tunnels stayed open for $(kv "$R/idle" held_s) s and echoed a byte: met"
else
	echo "tunnels: $(num "$alive") of $(num "$open") open echoed a byte, the rest failed: MISSED"
fi
fail_note "$R/idle" open
echo
echo "(bench-net: $(($(date +%s) - started)) s on $(nproc) CPUs, load average $load0 at the start;"
echo " client, proxy and server share those CPUs; VmRSS is user memory only, socket buffers are the kernel's)"
