#!/usr/bin/env bash
# Runs every libFuzzer target of fuzz/ for SECONDS seconds each (default 30), JOBS at a time
# (default: the number of cores), from its seed corpus. Fails on any finding (crash, sanitizer
# report, leak, exception other than wengert::Error, broken promise, timeout, out of memory).
#   bash scripts/fuzz.sh [SECONDS] [BUILD_DIR]
# BUILD_DIR must be configured with -DCMAKE_CXX_COMPILER=clang++-14 -DWENGERT_FUZZ=ON (as
# scripts/test.sh does for build/sanitize); the targets are built first. New inputs go to
# BUILD_DIR/fuzz-corpus/<target>/ (kept between runs, never into the tree); a finding is saved as
# BUILD_DIR/fuzz-findings/<target>-crash-<sha1> with the log in BUILD_DIR/fuzz-findings/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=${2:-build/sanitize}
jobs=${JOBS:-$(nproc)}

targets=$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
# shellcheck disable=SC2086
mkdir -p "$build/fuzz-findings"
cmake --build "$build" -j "$jobs" --target $targets > "$build/fuzz-findings/build.log" ||
  { tail -40 "$build/fuzz-findings/build.log"; exit 1; }

run_one() {  # target seconds build
  local name=${1#fuzz_} work="$3/fuzz-corpus/${1#fuzz_}"
  mkdir -p "$work"
  if OMP_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "$3/fuzz/$1" -max_total_time="$2" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$3/fuzz-findings/$name-" "$work" "fuzz/corpus/$name" \
      > "$3/fuzz-findings/$name.log" 2>&1; then
    echo "-- $1: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' \
      "$3/fuzz-findings/$name.log" | grep -o '[0-9]*$') inputs in $2 s, no finding"
  else
    echo "-- $1: FINDING (log: $3/fuzz-findings/$name.log)"
    tail -40 "$3/fuzz-findings/$name.log"
    return 1
  fi
}
export -f run_one

echo "== Fuzzing: $(echo "$targets" | wc -w) targets x $seconds s, $jobs at a time"
# shellcheck disable=SC2086
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c "run_one {} $seconds $build"
echo "== Fuzzing: no finding"
