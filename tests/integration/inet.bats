#!/usr/bin/env bats
# The test internet itself (tests/net/inet.py in a namespace of its own):
# DNS, HTTP and HTTPS answer as the network scenarios expect, and teardown
# leaves nothing behind.

load helpers
load net-helpers

setup() {
	ab_setup
	inet_setup --echo "$INET_V4:5001" --sink "$INET_V4:5002" --source "$INET_V4:5003"
}

teardown() {
	inet_teardown
	ab_teardown
}

@test "inet: HTTPS answers with the Host and the SNI, under the test CA" {
	run inet_ns curl -sS --cacert "$INET_CA" https://www.allowed.example \
		--resolve www.allowed.example:443:203.0.113.10
	[ "$status" -eq 0 ]
	[ "$output" = "hello www.allowed.example sni=www.allowed.example" ]
}

@test "inet: HTTPS over IPv6, for a name only the wildcard SAN covers" {
	run inet_ns curl -sS --cacert "$INET_CA" https://other.allowed.example \
		--resolve "other.allowed.example:443:[2001:db8::10]"
	[ "$status" -eq 0 ]
	[ "$output" = "hello other.allowed.example sni=other.allowed.example" ]
}

@test "inet: the leaf does not cover denied.example names" {
	run inet_ns curl -sS --cacert "$INET_CA" https://www.denied.example \
		--resolve www.denied.example:443:203.0.113.10
	[ "$status" -ne 0 ]
}

@test "inet: plain HTTP answers with the Host, in the body and X-Inet-Host" {
	run inet_ns curl -sS -i http://www.denied.example:80/any/path \
		--resolve www.denied.example:80:203.0.113.10
	[ "$status" -eq 0 ]
	[[ "$output" == *"X-Inet-Host: www.denied.example"* ]]
	[ "$(echo "$output" | tail -1)" = "hello www.denied.example" ]
	run inet_ns curl -sS -X POST -d payload http://[2001:db8::10]/ -H "Host: api.allowed.example"
	[ "$output" = "hello api.allowed.example" ]
}

@test "inet: DNS answers A from the zone and logs the query" {
	run inet_ns /bin/busybox nslookup www.allowed.example 203.0.113.53
	[ "$status" -eq 0 ]
	[[ "$output" == *"Address: 203.0.113.10"* ]]
	inet_queried www.allowed.example A
}

@test "inet: DNS says NXDOMAIN for a name outside the zone" {
	run inet_ns /bin/busybox nslookup unknown.example 203.0.113.53
	[ "$status" -ne 0 ]
	[[ "$output" == *NXDOMAIN* ]]
	inet_queried unknown.example A
}

@test "inet: DNS answers AAAA, over IPv6 too" {
	run inet_ns /bin/busybox nslookup -type=AAAA api.allowed.example 2001:db8::53
	[ "$status" -eq 0 ]
	[[ "$output" == *"Address: 2001:db8::10"* ]]
	inet_queried api.allowed.example AAAA
}

@test "inet: DNS wildcards match names at any depth" {
	run inet_ns /bin/busybox nslookup a.b.denied.example 203.0.113.53
	[ "$status" -eq 0 ]
	[[ "$output" == *"Address: 203.0.113.10"* ]]
	run inet_ns /bin/busybox nslookup loopback.allowed.example 203.0.113.53
	[[ "$output" == *"Address: 127.0.0.1"* ]]
}

@test "inet: DNS over TCP" {
	run inet_ns "$(python3 -c 'import sys; print(sys.executable)')" -c '
import socket, struct
q = struct.pack("!6H", 7, 0x100, 1, 0, 0, 0) + b"\3www\7allowed\7example\0" + struct.pack("!HH", 1, 1)
s = socket.create_connection(("203.0.113.53", 53))
s.sendall(struct.pack("!H", len(q)) + q)
r = s.recv(512)[2:]
print(struct.unpack("!H", r[6:8])[0], socket.inet_ntoa(r[-4:]))'
	[ "$status" -eq 0 ]
	[ "$output" = "1 203.0.113.10" ]
}

@test "inet: many parallel HTTPS connections are all served" {
	local i pids=()
	for i in $(seq 40); do
		inet_ns curl -sS --max-time 20 --cacert "$INET_CA" "https://n$i.allowed.example" \
			--resolve "n$i.allowed.example:443:203.0.113.10" >"$T/out.$i" 2>&1 3>&- &
		pids+=($!)
	done
	wait "${pids[@]}" # not a bare wait: inet.py is a child of this shell too
	for i in $(seq 40); do
		[ "$(cat "$T/out.$i")" = "hello n$i.allowed.example sni=n$i.allowed.example" ]
	done
}

@test "inet: echo, sink and source" {
	run inet_ns bash -c 'exec 5<>/dev/tcp/203.0.113.10/5001; echo ping >&5; read -r l <&5; echo "$l"'
	[ "$output" = ping ]
	run inet_ns bash -c 'exec 5<>/dev/tcp/203.0.113.10/5003; echo 100000 >&5; wc -c <&5'
	[ "$output" = 100000 ]
	run inet_ns bash -c 'head -c 1000000 /dev/zero >/dev/tcp/203.0.113.10/5002'
	[ "$status" -eq 0 ]
}

@test "inet: add_curl gives a container a curl that resolves through the test DNS" {
	add_curl "$BUNDLE"
	echo "nameserver $INET_DNS" >"$BUNDLE/rootfs/etc/resolv.conf"
	edit_config "$BUNDLE" "(.linux.namespaces[] | select(.type == \"network\")) |= {type: \"network\", path: \"/run/netns/$INET_NS\"}"
	set_cmd 'curl -sS --cacert /etc/ssl/test-ca.pem https://www.allowed.example'
	new_id
	run runc --root "$ROOT" run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "hello www.allowed.example sni=www.allowed.example" ]
	inet_queried www.allowed.example A
}

@test "inet: teardown stops the servers and deletes the namespace" {
	local ns=$INET_NS pid=$INET_PID
	[ -n "$ns" ] && kill -0 "$pid"
	ip netns list | grep -q "^$ns\b"
	inet_teardown
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	[ -z "$(ip netns list | grep -E "^($ns|abt-inet-$$-)")" ]
	[ -d "$T" ] # only the namespace and the servers went
}
