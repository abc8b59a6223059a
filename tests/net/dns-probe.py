#!/usr/bin/env python3
"""dns-probe: from inside a container's network namespace (nsenter), ask
the guardian's DNS over TCP, or throw garbage at it.

  dns-probe.py tcp SERVER NAME      print the A answers (or the rcode)
  dns-probe.py garbage SERVER N     N random / truncated / mutated packets
                                    over UDP and TCP
"""
import random
import socket
import struct
import sys


def query(name, qtype=1, qid=0x4242):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def tcp(server, name):
    s = socket.create_connection((server, 53), timeout=5)
    q = query(name)
    s.sendall(struct.pack(">H", len(q)) + q)
    n = struct.unpack(">H", s.recv(2))[0]
    r = b""
    while len(r) < n:
        r += s.recv(n - len(r))
    rcode = r[3] & 15
    ancount = struct.unpack(">H", r[6:8])[0]
    if rcode or not ancount:
        print("rcode", rcode)
        return
    # The answer follows the echoed question; A rdata is the last 4 bytes.
    print(socket.inet_ntoa(r[-4:]))


def garbage(server, n):
    rnd = random.Random(1234)
    good = query("www.allowed.example")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        kind = i % 4
        if kind == 0:
            p = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 600)))
        elif kind == 1:
            p = good[: rnd.randrange(0, len(good))]
        else:
            b = bytearray(good)
            for _ in range(rnd.randrange(1, 6)):
                b[rnd.randrange(len(b))] = rnd.getrandbits(8)
            p = bytes(b)
        u.sendto(p, (server, 53))
        if i % 50 == 0:
            try:
                t = socket.create_connection((server, 53), timeout=2)
                t.sendall(struct.pack(">H", rnd.randrange(0, 65536)) + p)
                t.close()
            except OSError:
                pass
    print("sent", n)


if __name__ == "__main__":
    if sys.argv[1] == "tcp":
        tcp(sys.argv[2], sys.argv[3])
    else:
        garbage(sys.argv[2], int(sys.argv[3]))
