#!/usr/bin/env bash
# The reliability runs at the sizes of docs/RELIABILITY.md, longer than the default ctest run:
#   - 1,000 concurrent keepalive-watched connections against a built-in peer,
#   - a peer flooding at full loopback speed for 10 s while the window repaints,
#   - the soak (thousands of experiments) until TIME_WAIT has expired and the heap is back.
#
#   bash scripts/load.sh              # all three (about 3 minutes)
#   CONNECTIONS=2000 FLOOD_S=30 ROUNDS=1000 bash scripts/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build ] || bash scripts/setup.sh
cmake --build build -j"$(nproc)" --target tst_load tst_soak

export QT_QPA_PLATFORM=offscreen
SOCKLAB_LOAD_CONNECTIONS="${CONNECTIONS:-1000}" SOCKLAB_LOAD_FLOOD_S="${FLOOD_S:-10}" \
    build/tests/tst_load
SOCKLAB_SOAK_ROUNDS="${ROUNDS:-400}" SOCKLAB_SOAK_DRAIN=1 build/tests/tst_soak
