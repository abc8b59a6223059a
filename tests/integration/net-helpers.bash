# agentbox: the "internet" for network scenarios.  Tests never reach a real
# outside address: the internet is a network namespace the scenario creates,
# holding tests/net/inet.py's DNS, HTTP and HTTPS servers.  Source after
# helpers.bash (it needs $AB_TOP and ab_setup's $T).
#
#   203.0.113.10, 2001:db8::10   HTTP (80) and HTTPS (443)
#   203.0.113.53, 2001:db8::53   DNS (UDP and TCP 53)
#
# Exports INET_NS, INET_PID, INET_CA, INET_DNS, INET_QUERY_LOG, INET_DIR.

INET_PY=$AB_TOP/tests/net/inet.py
INET_V4=203.0.113.10
INET_V6=2001:db8::10
INET_DNS=203.0.113.53
INET_DNS6=2001:db8::53

# inet_setup [INET.PY-ARGS...]: the namespace, its certificates, its zone and
# its servers; extra arguments go to inet.py (e.g. --echo 203.0.113.10:5001).
inet_setup() {
	INET_DIR=$T/inet
	INET_CA=$INET_DIR/ca.pem
	INET_QUERY_LOG=$INET_DIR/queries.log
	export INET_DIR INET_CA INET_QUERY_LOG INET_DNS
	mkdir -p "$INET_DIR"
	inet_netns || return 1
	inet_certs "$INET_DIR" || return 1
	inet_zone >"$INET_DIR/zone"
	inet_start "$@"
}

# inet_netns: a fresh namespace with the internet's addresses on a dummy link.
inet_netns() {
	INET_NS=abt-inet-$$-$RANDOM
	export INET_NS
	ip netns add "$INET_NS" || return 1
	inet_ns ip link set lo up && inet_link &&
		inet_ns ip addr add "$INET_V4/24" dev inet0 &&
		inet_ns ip addr add "$INET_DNS/24" dev inet0 &&
		inet_ns ip -6 addr add "$INET_V6/64" dev inet0 nodad &&
		inet_ns ip -6 addr add "$INET_DNS6/64" dev inet0 nodad
}

# inet_link: inet0, up with a carrier.  A dummy link where the kernel has
# the module; else a veth pair with both ends here, which acts the same.
inet_link() {
	if inet_ns ip link add inet0 type dummy 2>/dev/null; then
		inet_ns ip link set inet0 up
	else
		inet_ns ip link add inet0 type veth peer name inet0peer &&
			inet_ns ip link set inet0peer up &&
			inet_ns ip link set inet0 up
	fi
}

# inet_certs DIR: a throwaway CA (ca.pem, ca.key) and a leaf (server.pem,
# server.key) for the allowed.example names.
inet_certs() {
	local dir=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 \
		-subj "/CN=agentbox test CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>"$dir/openssl.log" || return 1
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/server.key" -out "$dir/server.csr" \
		-subj "/CN=www.allowed.example" 2>>"$dir/openssl.log" || return 1
	cat >"$dir/server.ext" <<-EXT
	basicConstraints = critical, CA:FALSE
	keyUsage = critical, digitalSignature
	extendedKeyUsage = serverAuth
	subjectAltName = DNS:www.allowed.example, DNS:api.allowed.example, DNS:*.allowed.example, DNS:loopback.allowed.example
	EXT
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$dir/server.ext" \
		-out "$dir/server.pem" 2>>"$dir/openssl.log"
}

inet_zone() {
	cat <<-ZONE
	www.allowed.example A $INET_V4
	www.allowed.example AAAA $INET_V6
	api.allowed.example A $INET_V4
	api.allowed.example AAAA $INET_V6
	loopback.allowed.example A 127.0.0.1
	www.denied.example A $INET_V4
	*.denied.example A $INET_V4
	ZONE
}

# inet_start [INET.PY-ARGS...]: inet.py in the namespace, waited for until
# every socket is bound (5 s at most).
inet_start() {
	local py
	# The interpreter itself, not a wrapper script, so INET_PID is the server.
	py=$(python3 -c 'import sys; print(sys.executable)') || return 1
	rm -f "$INET_DIR/ready"
	# fd 3 closed: bats waits for every holder of it before ending a test.
	ip netns exec "$INET_NS" "$py" "$INET_PY" --zone "$INET_DIR/zone" \
		--dns "$INET_DNS" --dns "$INET_DNS6" \
		--http "$INET_V4" --http "$INET_V6" \
		--https "$INET_V4" --https "$INET_V6" \
		--cert "$INET_DIR/server.pem" --key "$INET_DIR/server.key" \
		--query-log "$INET_QUERY_LOG" --ready "$INET_DIR/ready" "$@" \
		</dev/null >"$INET_DIR/inet.log" 2>&1 3>&- &
	INET_PID=$!
	export INET_PID
	for _ in $(seq 50); do
		[ -e "$INET_DIR/ready" ] && return 0
		kill -0 "$INET_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "inet.py did not start:" >&2
	cat "$INET_DIR/inet.log" >&2
	return 1
}

# inet_teardown: stops the servers and deletes the namespace, by its name.
inet_teardown() {
	if [ -n "${INET_PID:-}" ] && kill -0 "$INET_PID" 2>/dev/null; then
		kill "$INET_PID" 2>/dev/null || true
		for _ in $(seq 20); do
			kill -0 "$INET_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$INET_PID" 2>/dev/null || true
		wait "$INET_PID" 2>/dev/null || true
	fi
	INET_PID=
	if [ -n "${INET_NS:-}" ]; then
		ip netns del "$INET_NS" 2>/dev/null || true
		INET_NS=
	fi
	return 0
}

# inet_ns CMD...: CMD inside the internet.
inet_ns() {
	ip netns exec "$INET_NS" "$@"
}

# inet_queried NAME TYPE: did the DNS server get that query?
inet_queried() {
	grep -qxF "$1 $2" "$INET_QUERY_LOG" 2>/dev/null
}

# add_curl BUNDLE: /usr/bin/curl, its libraries and loader at the same paths
# in BUNDLE/rootfs, the test CA as /etc/ssl/test-ca.pem, and an nsswitch.conf
# so glibc resolves through files and DNS.
add_curl() {
	local root=$1/rootfs f
	inet_copy /usr/bin/curl "$root" || return 1
	for f in $(ldd /usr/bin/curl | grep -o '/[^ ]*'); do
		inet_copy "$f" "$root" || return 1
	done
	mkdir -p "$root/etc/ssl"
	cp "$INET_CA" "$root/etc/ssl/test-ca.pem" || return 1
	echo "hosts: files dns" >"$root/etc/nsswitch.conf"
}

# inet_copy FILE ROOT: FILE's content at the same path under ROOT.
inet_copy() {
	mkdir -p "$2$(dirname "$1")" && cp -L "$1" "$2$1"
}
