#!/usr/bin/env bash
# Builds SockLab with sanitizers and runs the whole test suite under them.
#
#   bash scripts/test-sanitizers.sh          # AddressSanitizer + UndefinedBehaviorSanitizer
#   bash scripts/test-sanitizers.sh asan     # the same (build-asan/)
#   bash scripts/test-sanitizers.sh tsan     # ThreadSanitizer (build-tsan/)
#   bash scripts/test-sanitizers.sh all      # both, one after the other
#
# Each build is a CMake preset (CMakePresets.json) with -DSOCKLAB_SANITIZE=...; any finding
# aborts its test, so the suite is green only when the sanitizers found nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

kinds=("${@:-asan}")
[[ ${kinds[0]} == all ]] && kinds=(asan tsan)
for k in "${kinds[@]}"; do
    [[ $k == asan || $k == tsan ]] || {
        echo "test-sanitizers.sh: unknown build '$k'; use asan, tsan or all." >&2
        exit 2
    }
done

SOCKLAB_DEPS_ONLY=1 bash scripts/setup.sh # the packages only; the builds are below

# Findings stop the test that made them. Leak checking covers SockLab's own code; what Qt
# and the system libraries keep for the life of the process until exit is not a leak of ours
# (tests/sanitizers/lsan.supp names it).
supp=$PWD/tests/sanitizers
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$supp/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# QProcess starts programs with a vfork-style clone (the child shares the parent's memory until
# it execs); TSan takes that for a fork of a threaded process and would kill the parent at its
# next new thread. The child only execs, so let it be. TSan also sleeps a second before a
# process exits while another thread is still winding down; tests time the CLI's exit, so don't.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:die_after_fork=0:atexit_sleep_ms=0:suppressions=$supp/tsan.supp}

for k in "${kinds[@]}"; do
    echo "== $k: configure and build (build-$k/)"
    cmake --preset "$k" >/dev/null
    cmake --build --preset "$k" -j"$(nproc)"
    echo "== $k: ctest"
    ctest --preset "$k" -j"$(nproc)"
done
