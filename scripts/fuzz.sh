#!/usr/bin/env bash
# Fuzzes SockLab's parsers with libFuzzer (clang, ASan, UBSan): installs clang and libFuzzer
# from Debian if missing, builds the targets of tests/fuzz into build-fuzz/, runs each for
# SECONDS (default 60) and prints one line per target.
#
#   bash scripts/fuzz.sh [SECONDS] [target...]
#
# Targets: fuzz_profile fuzz_lesson fuzz_host_port_options fuzz_cli_args fuzz_strace_line
# (default: all).
# FUZZ_JOBS=N runs N targets at once (default 1). The corpus each run grows is kept in
# build-fuzz/work/<target>/corpus (not in git; FUZZ_WORK=DIR puts it elsewhere) and seeds the
# next run; a crash is saved in build-fuzz/work/<target>/ with the command that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(fuzz_profile fuzz_lesson fuzz_host_port_options fuzz_cli_args fuzz_strace_line)
seconds=60
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    seconds=$1
    shift
fi
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
for t in "${targets[@]}"; do
    [[ " ${all[*]} " == *" $t "* ]] || {
        echo "fuzz.sh: unknown target '$t'; targets: ${all[*]}" >&2
        exit 2
    }
done
parallel=${FUZZ_JOBS:-1}
work=${FUZZ_WORK:-build-fuzz/work}

# clang, libFuzzer and the sanitizer runtimes (libclang-rt-14-dev), llvm-symbolizer (llvm),
# besides what every build needs.
SOCKLAB_DEPS_ONLY=1 SOCKLAB_EXTRA_PACKAGES="clang libclang-rt-14-dev llvm" bash scripts/setup.sh

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DSOCKLAB_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}

# Runs one target; its log is $work/<target>/log.
run() {
    local t=$1 dir=$work/$1
    mkdir -p "$dir/corpus"
    rm -f "$dir/log"
    local seeds=(tests/fuzz/corpus/"$t")
    [[ $t == fuzz_lesson ]] && seeds+=(resources/lessons)
    build-fuzz/tests/fuzz/"$t" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -dict=tests/fuzz/"$t".dict -artifact_prefix="$dir/" \
        "$dir/corpus" "${seeds[@]}" >"$dir/log" 2>&1 || true
}

# One line per target: runs, speed, coverage, corpus; or the crash and how to reproduce it.
summary() {
    local t=$1 dir=$work/$1 log=$work/$1/log
    local runs speed cov ft corpus
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    corpus=$(find "$dir/corpus" -type f | wc -l)
    local crash
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if [[ -n $crash ]]; then
        echo "$t: FAILED after ${runs:-?} runs: $(grep -m1 -E 'ERROR:|invariant failed|runtime error|parsing must' "$log" || echo 'see log')"
        echo "    input: $crash (log: $log)"
        echo "    reproduce: build-fuzz/tests/fuzz/$t $crash"
        return 1
    fi
    if [[ -z $runs ]]; then
        echo "$t: did not run; see $log"
        return 1
    fi
    echo "$t: ok, ${seconds} s, $runs runs ($speed/s), coverage $cov edges, $ft features," \
        "corpus $corpus inputs ($dir/corpus)"
}

for t in "${targets[@]}"; do
    while (($(jobs -rp | wc -l) >= parallel)); do
        wait -n || true
    done
    run "$t" &
done
wait
status=0
for t in "${targets[@]}"; do
    summary "$t" || status=1
done
exit $status
