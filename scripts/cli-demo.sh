#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the seed's three experiments in the terminal with
# socklab-cli against built-in peers on 127.0.0.1: no display needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cli=build/src/cli/socklab-cli

echo
echo "== 1. A per-call timeout: recv() on a silent peer with a 0.5 s timeout"
"$cli" connect --peer silent --recv-timeout 0.5 --recv 100

echo
echo "== 2. SO_REUSEADDR: a server restarted while its old connection is in TIME_WAIT"
port=$("$cli" listen --port 0 --json --accept-timeout 0.1 | sed -n 's/.*"local":"127.0.0.1:\([0-9]*\)".*"kind":"listening".*/\1/p; s/.*"kind":"listening".*"local":"127.0.0.1:\([0-9]*\)".*/\1/p' | head -n1)
"$cli" listen --port "$port" --count 1 --accept-timeout 5 >/tmp/socklab-demo-server.txt &
server=$!
for _ in $(seq 50); do grep -q accepting /tmp/socklab-demo-server.txt && break; sleep 0.1; done
"$cli" connect 127.0.0.1 "$port" --recv 10 --recv-timeout 2 >/dev/null
wait "$server" || true
cat /tmp/socklab-demo-server.txt
echo "-- restarting on port $port without SO_REUSEADDR:"
"$cli" listen --port "$port" --accept-timeout 0.1 | grep -E "error|listening"

echo
echo "== 3. Keepalive detects a dead peer: idle 1 s, a probe every 1 s, 3 probes"
"$cli" connect --peer blackhole --keepalive --keepidle 1 --keepintvl 1 --keepcnt 3 --recv 100
