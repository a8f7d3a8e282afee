#!/usr/bin/env python3
"""The reference for benchmark item 1: Python's socket.settimeout on a silent peer.

Usage: timeout_ref.py HOST PORT COUNT TIMEOUT_S [--ready]
Connects once, sets the timeout, then makes COUNT recv() calls that each time out. With
--ready it first says "ready" on stderr, once the interpreter has started and connected, so
that a caller can start its own calls beside these ones and not beside Python's start-up. Each call is
timed on the monotonic clock (time.monotonic_ns, CLOCK_MONOTONIC on Linux) around recv()
itself, as SockLab times its own calls. Prints one JSON object: {"elapsed_ns": [...], ...}.
"""
import json
import socket
import sys
import time


def main() -> int:
    host, port, count, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    sock = socket.create_connection((host, port))
    sock.settimeout(timeout)
    if "--ready" in sys.argv[5:]:
        print("ready", file=sys.stderr, flush=True)
    elapsed = []
    for _ in range(count):
        start = time.monotonic_ns()
        try:
            sock.recv(100)
        except socket.timeout:
            elapsed.append(time.monotonic_ns() - start)
            continue
        print(json.dumps({"error": "the peer sent data or closed"}))
        return 1
    sock.close()
    print(json.dumps({"elapsed_ns": elapsed, "python": sys.version.split()[0]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
