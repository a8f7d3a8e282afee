#!/usr/bin/env bash
# Builds SockLab in Release (build-bench/) and runs the performance harness (tests/bench/):
# every item several times, side by side with its reference, then rewrites docs/PERFORMANCE.md.
#
#   bash scripts/bench.sh                 # full sizes, 5 runs (about 60 minutes)
#   bash scripts/bench.sh --runs 3        # fewer runs (about 35 minutes)
#   bash scripts/bench.sh --only table    # some items: timeouts,probes,pipeline,table,startup,
#                                         # lab,calls,window,lessons,build
#   bash scripts/bench.sh --smoke         # tiny sizes, one run, report not written (CI does this)
#
# tcpdump (for the probe timings on the wire) needs root or CAP_NET_RAW; without it the probe
# item measures against the kernel's own keepalive timer and says so. Xvfb is optional.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cmake >/dev/null || ! command -v g++ >/dev/null; then
    bash scripts/setup.sh # installs the build dependencies (and builds build/)
fi
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v ss >/dev/null; then
    sudo_if_needed apt-get install -y iproute2
fi

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target socklab socklab-bench

args=("$@")
smoke=0
for a in "$@"; do [ "$a" = "--smoke" ] && smoke=1; done
if [ "$smoke" -eq 0 ]; then
    args+=(--report docs/PERFORMANCE.md --json build-bench/bench-results.json)
    [ -f tests/bench/baseline-before.json ] && args+=(--baseline tests/bench/baseline-before.json)
fi
QT_QPA_PLATFORM=offscreen build-bench/tests/bench/socklab-bench run "${args[@]}"
