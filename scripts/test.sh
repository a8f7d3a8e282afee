#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the whole test suite on real loopback sockets.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cd build
ctest --output-on-failure -j"$(nproc)"
