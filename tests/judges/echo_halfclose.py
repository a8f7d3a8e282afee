"""Outside judge for the echo peer: streams N bytes into it, half-closes, reads to EOF.

Usage: echo_halfclose.py PORT BYTES
Prints one JSON line: bytes sent and received, the SHA-256 of each, and whether the stream
ended with a clean FIN. Sending runs on its own thread so neither side's buffers can block
the other (an echo peer holds at most a bounded amount).
"""
import hashlib
import json
import socket
import sys
import threading

port, total = int(sys.argv[1]), int(sys.argv[2])
# Not a repeating block: a missing or duplicated chunk anywhere changes the digest.
block = bytes((i * 131 + 7) & 0xFF for i in range(65521))

sock = socket.create_connection(("127.0.0.1", port), timeout=60)
sent_digest = hashlib.sha256()
sent = 0
error = None


def feed():
    global sent, error
    try:
        offset = 0
        while sent < total:
            chunk = block[offset:] + block[:offset]
            chunk = chunk[: total - sent]
            sock.sendall(chunk)
            sent_digest.update(chunk)
            sent += len(chunk)
            offset = (offset + 17) % len(block)
        sock.shutdown(socket.SHUT_WR)  # half-close: our FIN, and we keep reading
    except OSError as e:
        error = repr(e)


writer = threading.Thread(target=feed)
writer.start()
got_digest = hashlib.sha256()
got = 0
clean = True
try:
    while True:
        data = sock.recv(1 << 20)
        if not data:
            break
        got_digest.update(data)
        got += len(data)
except OSError as e:
    clean = False
    error = error or repr(e)
writer.join()
sock.close()
print(json.dumps({"sent": sent, "received": got, "sent_sha256": sent_digest.hexdigest(),
                  "received_sha256": got_digest.hexdigest(), "clean_eof": clean, "error": error}))
