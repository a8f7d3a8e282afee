#!/usr/bin/env python3
"""The reference for the bench's `calls` item: what Python needs for the same blocked calls.

    calls_ref.py HOST SILENT_PORT FULL_PORT N

N threads, each blocked in one call, the same mix as SockLab's (i % 3: recv on a connection
to the silent peer, accept on a listener of its own, connect to FULL_PORT, a listener whose
accept queue is full so the kernel drops the SYNs). Prints one JSON object: the threads and
the resident memory the blocked calls added, then how long it took to end them all. Python
has no Stop: its way is shutdown(SHUT_RDWR) on every socket from the main thread, which
wakes each blocked call; the figure is from the first shutdown to the last thread's return.
"""
import json
import os
import socket
import sys
import threading
import time


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def threads():
    return len(os.listdir("/proc/self/task"))


def main():
    host, silent, full, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    socks, workers = [], []
    started = threading.Semaphore(0)
    before_threads, before_rss = threads(), rss_kb()

    def blocked(call):
        started.release()
        try:
            call()
        except OSError:
            pass

    for i in range(n):
        kind = i % 3
        if kind == 0:
            s = socket.create_connection((host, silent))
            call = lambda s=s: s.recv(4096)
        elif kind == 1:
            s = socket.socket()
            s.bind((host, 0))
            s.listen(16)
            call = lambda s=s: s.accept()
        else:
            s = socket.socket()
            call = lambda s=s: s.connect((host, full))
        socks.append(s)
        t = threading.Thread(target=blocked, args=(call,))
        t.start()
        workers.append(t)
    for _ in range(n):
        started.acquire()
    # Into the kernel: each thread's state is S (sleeping) once its call blocks.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        states = []
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/stat") as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
        if states.count("S") >= n:
            break
        time.sleep(0.01)
    time.sleep(0.2)
    added_threads, added_rss = threads() - before_threads, rss_kb() - before_rss
    t0 = time.monotonic_ns()
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    for t in workers:
        t.join(10)
    ended_ns = time.monotonic_ns() - t0
    alive = sum(t.is_alive() for t in workers)
    for s in socks:
        s.close()
    print(json.dumps({"python": sys.version.split()[0], "threads": added_threads,
                      "rss_kb": added_rss, "end_all_ns": ended_ns, "still_blocked": alive}))


main()
