#!/usr/bin/env python3
"""Memory Redis holds per channel subscription, as docs/SCALING.md quotes it.

Two connections (two instances) each SUBSCRIBE to the same N channels named
like the Hub's per-user topics; the growth of INFO memory's used_memory is
divided by the 2N subscriptions. Needs a redis-server on 127.0.0.1:PORT:

    redis-server --port 6398 --save '' --appendonly no --daemonize yes
    python3 bench/redissubs/redissubs.py 6398 100000
"""
import re
import socket
import sys
import time

port, n = int(sys.argv[1]), int(sys.argv[2])


def used_memory():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"INFO memory\r\n")
    time.sleep(0.3)
    data = s.recv(1 << 20).decode()
    s.close()
    return int(re.search(r"used_memory:(\d+)", data).group(1))


before = used_memory()
conns = []
for _ in range(2):
    s = socket.create_connection(("127.0.0.1", port))
    for i in range(0, n, 1000):
        chans = ["liveview:room:user-%07d" % j for j in range(i, min(i + 1000, n))]
        cmd = "*%d\r\n$9\r\nSUBSCRIBE\r\n" % (len(chans) + 1)
        cmd += "".join("$%d\r\n%s\r\n" % (len(c), c) for c in chans)
        s.sendall(cmd.encode())
    s.setblocking(False)
    time.sleep(1.5)
    try:
        while s.recv(1 << 20):
            pass
    except BlockingIOError:
        pass
    conns.append(s)
time.sleep(1)
grown = used_memory() - before
print("%d subscriptions: %d bytes, %.0f B per subscription" % (2 * n, grown, grown / (2 * n)))
