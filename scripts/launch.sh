#!/usr/bin/env bash
# Sets up (scripts/setup.sh: installs what is missing, builds the window and the CLI, not the
# tests) and opens the SockLab window.
# Arguments go to socklab, e.g. a profile: bash scripts/launch.sh my-profile.json
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh socklab socklab-cli
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
    echo "socklab: no display (neither DISPLAY nor WAYLAND_DISPLAY is set)." >&2
    echo "Run this from a desktop session, or try the headless engine:" >&2
    echo "  build/src/cli/socklab-cli connect --peer silent --recv-timeout 0.5 --recv 100" >&2
    exit 1
fi
exec build/src/app/socklab "$@"
