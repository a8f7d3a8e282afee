#!/usr/bin/env python3
"""Outside judge for `socklab-cli connect --show-data`: a Python server sends a known stream
(random bytes, seeded), then closes; SockLab's received events must carry exactly those bytes,
in order, with what they did not keep counted.

usage: payload_check.py CLI BYTES [CLI ARGS...]   prints one JSON line of findings, exit 0 if
every received event agrees with the stream."""
import json, random, socket, subprocess, sys, threading

cli, total, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
stream = random.Random(total).randbytes(total)

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)

def serve():
    c, _ = srv.accept()
    c.sendall(stream)
    c.shutdown(socket.SHUT_WR)
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()

threading.Thread(target=serve, daemon=True).start()

def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        ch = s[i]
        if ch != "\\":
            out.append(ord(ch))
            i += 1
            continue
        n = s[i + 1]
        if n == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
            continue
        out.append({"n": 10, "r": 13, "t": 9}.get(n, ord(n)))
        i += 2
    return bytes(out)

run = subprocess.run([cli, "connect", "127.0.0.1", str(srv.getsockname()[1]), "--json"] + extra,
                     capture_output=True, text=True, timeout=60)
events = [json.loads(l) for l in run.stdout.splitlines() if l.strip()]
received = [e for e in events if e["sock"] == "c1" and e["kind"] == "received"]
problems, offset, kept, omitted = [], 0, 0, 0
for e in received:
    if "payload" not in e:
        problems.append("received event at t=%s has no payload" % e["t"])
        continue
    got = unescape(e["payload"])
    if got != stream[offset:offset + len(got)]:
        problems.append("payload at offset %d differs from the stream" % offset)
    if e.get("payload_omitted", 0) != e["bytes"] - len(got):
        problems.append("payload_omitted %s, expected %d" % (e.get("payload_omitted"),
                                                             e["bytes"] - len(got)))
    if len(got) > 1 << 20:
        problems.append("payload of %d bytes is above the 1 MiB limit" % len(got))
    offset += e["bytes"]
    kept += len(got)
    omitted += e["bytes"] - len(got)
print(json.dumps({"events": len(received), "bytes": offset, "kept": kept, "omitted": omitted,
                  "exit": run.returncode, "problems": problems[:5]}))
sys.exit(0 if received and not problems else 1)
