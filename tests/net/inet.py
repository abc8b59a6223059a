#!/usr/bin/env python3
"""agentbox test "internet": DNS, HTTP, HTTPS and raw TCP servers in one process.

Tests start it inside a network namespace they own (see
tests/integration/net-helpers.bash), so no test ever reaches a real outside
address.  Standard library only: CI installs nothing for it.

  --zone FILE        lines "NAME A ADDR" / "NAME AAAA ADDR"; NAME may be "*.SUFFIX"
  --dns ADDR         DNS on UDP and TCP port 53 (repeatable)
  --http ADDR        HTTP on port 80 (repeatable)
  --https ADDR       HTTPS on port 443 with --cert/--key (repeatable)
  --echo ADDR:PORT   TCP: sends back what it reads
  --sink ADDR:PORT   TCP: reads and discards
  --source ADDR:PORT TCP: reads "N\\n", writes N bytes, closes
  --query-log FILE   appends "qname qtype" per DNS query received
  --ready FILE       written once every socket is bound

ADDR may carry a port ("203.0.113.53:5353", "[2001:db8::53]:5353") so the
servers also run unprivileged on loopback.
"""

import argparse
import http.server
import ipaddress
import os
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading

QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT",
          28: "AAAA", 33: "SRV", 41: "OPT", 64: "SVCB", 65: "HTTPS", 255: "ANY"}
TYPE_A, TYPE_AAAA = 1, 28
RCODE_FORMERR, RCODE_NXDOMAIN, RCODE_NOTIMP = 1, 3, 4
TTL = 60
IO_TIMEOUT = 30


def parse_addr(spec, default_port):
    """ADDR, V4:PORT or [V6]:PORT -> (family, host, port)."""
    host, port = spec, default_port
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        if rest:
            port = int(rest.lstrip(":"))
    elif spec.count(":") == 1:
        host, port = spec.split(":")
        port = int(port)
    if port is None:
        raise ValueError("%s: needs a port" % spec)
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    return family, host, port


class Zone:
    """Exact names win over wildcards; a wildcard matches any depth below it."""

    def __init__(self, path):
        self.names = {}
        if path:
            with open(path) as f:
                for n, line in enumerate(f, 1):
                    self._add_line(path, n, line)

    def _add_line(self, path, n, line):
        line = line.split("#", 1)[0].strip()
        if not line:
            return
        parts = line.split()
        if len(parts) != 3 or parts[1].upper() not in ("A", "AAAA"):
            raise ValueError("%s:%d: want 'NAME A|AAAA ADDR'" % (path, n))
        name, rtype, addr = parts[0].lower().rstrip("."), parts[1].upper(), parts[2]
        family = socket.AF_INET if rtype == "A" else socket.AF_INET6
        rdata = socket.inet_pton(family, addr)
        qtype = TYPE_A if rtype == "A" else TYPE_AAAA
        self.names.setdefault(name, {}).setdefault(qtype, []).append(rdata)

    def lookup(self, name):
        """The records of NAME by type, or None when the name does not exist."""
        name = name.lower().rstrip(".")
        if name in self.names:
            return self.names[name]
        labels = name.split(".")
        for i in range(1, len(labels)):
            wild = "*." + ".".join(labels[i:])
            if wild in self.names:
                return self.names[wild]
        return None


class QueryLog:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def add(self, qname, qtype):
        if not self.path:
            return
        line = "%s %s\n" % (qname or ".", QTYPES.get(qtype, "TYPE%d" % qtype))
        # Reopened per line so a test reading the log always sees whole lines.
        with self.lock, open(self.path, "a") as f:
            f.write(line)


class DnsError(Exception):
    pass


def parse_name(msg, off):
    """Read a (possibly compressed) name at OFF -> (name, offset after it)."""
    labels, end, jumps = [], None, 0
    while True:
        if off >= len(msg):
            raise DnsError("name runs past the message")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg) or jumps > 16:
                raise DnsError("bad compression pointer")
            if end is None:
                end = off + 2
            off, jumps = ((n & 0x3F) << 8) | msg[off + 1], jumps + 1
            continue
        if n & 0xC0:
            raise DnsError("bad label type")
        off += 1
        if n == 0:
            break
        if off + n > len(msg):
            raise DnsError("label runs past the message")
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels), end if end is not None else off


def parse_query(msg):
    """-> (id, flags, qname, qtype, question bytes, largest UDP reply)."""
    if len(msg) < 12:
        raise DnsError("short header")
    qid, flags, qdcount, _, _, arcount = struct.unpack("!HHHHHH", msg[:12])
    if flags & 0x8000 or qdcount != 1:
        raise DnsError("not a single-question query")
    qname, off = parse_name(msg, 12)
    if off + 4 > len(msg):
        raise DnsError("short question")
    qtype = struct.unpack("!H", msg[off:off + 2])[0]
    return qid, flags, qname, qtype, msg[12:off + 4], edns_size(msg, off + 4, arcount)


def edns_size(msg, off, arcount):
    """The UDP size of an OPT record right after the question, else 512."""
    if arcount and msg[off:off + 3] == b"\0\0\x29" and len(msg) >= off + 5:
        return max(512, struct.unpack("!H", msg[off + 3:off + 5])[0])
    return 512


def encode_name(name):
    out = b""
    for label in filter(None, name.split(".")):
        raw = label.encode("ascii", "replace")[:63]
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def header(qid, qflags, rcode, qd, an, tc=False):
    # QR, the query's opcode and RD echoed, AA and RA set.
    flags = 0x8000 | (qflags & 0x7900) | 0x0400 | 0x0080 | rcode
    if tc:
        flags |= 0x0200
    return struct.pack("!HHHHHH", qid, flags, qd, an, 0, 0)


def answer(zone, log, msg, tcp):
    """The reply to MSG, or None when MSG cannot be answered at all."""
    try:
        qid, flags, qname, qtype, question, limit = parse_query(msg)
    except DnsError:
        if len(msg) < 12:
            return None
        return header(struct.unpack("!H", msg[:2])[0], 0, RCODE_FORMERR, 0, 0)
    log.add(qname.lower(), qtype)
    if (flags >> 11) & 0xF != 0:
        return header(qid, flags, RCODE_NOTIMP, 1, 0) + question
    # Rebuilt rather than copied so a compressed query still gets a plain question.
    question = encode_name(qname) + question[-4:]
    records = zone.lookup(qname)
    if records is None:
        return header(qid, flags, RCODE_NXDOMAIN, 1, 0) + question
    rrs = [struct.pack("!HHHIH", 0xC00C, qtype, 1, TTL, len(rd)) + rd
           for rd in records.get(qtype, [])]
    reply = header(qid, flags, 0, 1, len(rrs)) + question + b"".join(rrs)
    if not tcp and len(reply) > limit:
        # TC tells the client to ask again over TCP.
        reply = header(qid, flags, 0, 1, 0, tc=True) + question
    return reply


class Quiet:
    """Servers that say one line about a failed connection instead of a trace."""
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        print("inet: %s %s: %s" % (self.__class__.__name__, client_address, exc),
              file=sys.stderr, flush=True)


def make_server(base, handler, family, host, port, **attrs):
    cls = type(base.__name__ + "6" if family == socket.AF_INET6 else base.__name__,
               (Quiet, base), dict(address_family=family, **attrs))
    return cls((host, port), handler)


class DnsUdpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        msg, sock = self.request
        reply = answer(self.server.zone, self.server.log, msg, tcp=False)
        if reply:
            sock.sendto(reply, self.client_address)


class DnsTcpHandler(socketserver.StreamRequestHandler):
    timeout = IO_TIMEOUT

    def handle(self):
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            msg = self.rfile.read(struct.unpack("!H", head)[0])
            reply = answer(self.server.zone, self.server.log, msg, tcp=True)
            if reply is None:
                return
            self.wfile.write(struct.pack("!H", len(reply)) + reply)


def host_name(value):
    """The Host header without its port (and without an IPv6 literal's brackets)."""
    value = (value or "").strip()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    return value.rpartition(":")[0] if value.count(":") == 1 else value


class HttpHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "agentbox-inet"
    timeout = IO_TIMEOUT

    def __getattr__(self, attr):
        # Every method gets the same answer, whatever its name.
        if attr.startswith("do_"):
            return self.respond
        raise AttributeError(attr)

    def respond(self):
        self.drain_body()
        name = host_name(self.headers.get("Host"))
        body = "hello %s" % name
        sni = getattr(self.connection, "inet_sni", None)
        if sni is not None:
            body += " sni=%s" % sni
        body = (body + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Inet-Host", name)
        if sni is not None:
            self.send_header("X-Inet-SNI", sni)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def drain_body(self):
        """Read the request body away so the next request on the connection parses."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024).strip():
                        pass  # trailers
                    return
                self.rfile.read(size + 2)
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                return
            length -= len(chunk)

    def log_message(self, fmt, *args):
        pass


class HttpsHandler(HttpHandler):
    def setup(self):
        # The handshake runs here, in the connection's thread, so one slow
        # client cannot hold up accept().
        self.request.settimeout(IO_TIMEOUT)
        self.request.inet_sni = ""
        self.request.do_handshake()
        super().setup()


def tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])

    def on_sni(sslsock, server_name, _ctx):
        sslsock.inet_sni = server_name or ""

    ctx.sni_callback = on_sni
    return ctx


class TlsServerMixin:
    def get_request(self):
        sock, addr = super().get_request()
        return self.tls.wrap_socket(sock, server_side=True,
                                    do_handshake_on_connect=False), addr


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(1 << 16)
            if not data:
                return
            self.request.sendall(data)


class SinkHandler(socketserver.BaseRequestHandler):
    def handle(self):
        buf = bytearray(1 << 20)
        while self.request.recv_into(buf):
            pass


class SourceHandler(socketserver.StreamRequestHandler):
    timeout = IO_TIMEOUT
    CHUNK = bytes(1 << 20)

    def handle(self):
        line = self.rfile.readline(64)
        left = int(line.strip() or 0)
        view = memoryview(self.CHUNK)
        while left > 0:
            n = min(left, len(view))
            self.wfile.write(view[:n])
            left -= n
        self.wfile.flush()
        self.request.shutdown(socket.SHUT_WR)


def build_servers(args):
    zone, log = Zone(args.zone), QueryLog(args.query_log)
    servers = []
    for spec in args.dns:
        fam, host, port = parse_addr(spec, 53)
        servers.append(make_server(socketserver.ThreadingUDPServer, DnsUdpHandler,
                                   fam, host, port, zone=zone, log=log))
        servers.append(make_server(socketserver.ThreadingTCPServer, DnsTcpHandler,
                                   fam, host, port, zone=zone, log=log))
    for spec in args.http:
        fam, host, port = parse_addr(spec, 80)
        servers.append(make_server(http.server.ThreadingHTTPServer, HttpHandler,
                                   fam, host, port))
    if args.https:
        if not (args.cert and args.key):
            raise ValueError("--https needs --cert and --key")
        tls = tls_context(args.cert, args.key)
        base = type("ThreadingHTTPSServer", (TlsServerMixin, http.server.ThreadingHTTPServer), {})
        for spec in args.https:
            fam, host, port = parse_addr(spec, 443)
            servers.append(make_server(base, HttpsHandler, fam, host, port, tls=tls))
    for opt, handler in (("echo", EchoHandler), ("sink", SinkHandler), ("source", SourceHandler)):
        for spec in getattr(args, opt):
            fam, host, port = parse_addr(spec, None)
            servers.append(make_server(socketserver.ThreadingTCPServer, handler,
                                       fam, host, port))
    return servers


def write_ready(path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(description="agentbox test internet")
    p.add_argument("--zone")
    p.add_argument("--query-log")
    p.add_argument("--ready")
    p.add_argument("--cert")
    p.add_argument("--key")
    for opt in ("dns", "http", "https", "echo", "sink", "source"):
        p.add_argument("--" + opt, action="append", default=[], metavar="ADDR")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    try:
        servers = build_servers(args)
    except (OSError, ValueError, ssl.SSLError) as e:
        print("inet: %s" % e, file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    if args.ready:
        write_ready(args.ready)
    while not stop.wait(3600):
        pass
    # No shutdown(): it waits out each server's poll interval in turn, and
    # the daemon threads end with the process anyway.
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
