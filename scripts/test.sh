#!/usr/bin/env bash
# Builds everything and runs every test: Release build (g++) + ctest, the examples built against
# the installed package, then the tests again under AddressSanitizer + UndefinedBehaviorSanitizer
# built with clang++ 14 (so that both compilers build the whole tree, one build each), and the
# libFuzzer targets of fuzz/ for 30 s each.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)

echo "== Release build"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DWENGERT_WERROR=ON
cmake --build build/release -j "$jobs"
echo "== Release tests"
(cd build/release && ctest --output-on-failure -j "$jobs")

echo "== Install, then build the examples as an out-of-tree consumer of find_package(wengert)"
rm -rf build/prefix build/consumer
cmake --install build/release --prefix build/prefix > /dev/null
cmake -S examples -B build/consumer -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PWD/build/prefix"
cmake --build build/consumer -j "$jobs"
for exe in build/consumer/example_*; do
  echo "-- running $exe"
  (cd build/consumer && "./$(basename "$exe")" > "$(basename "$exe").log") || { cat "build/consumer/$(basename "$exe").log"; exit 1; }
done

if [ -x build/consumer/example_data_parallel ]; then
  echo "-- running example_data_parallel on 2 MPI ranks"
  (cd build/consumer && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 \
    mpirun -np 2 --oversubscribe ./example_data_parallel)
fi

echo "== Sanitizer build (address, undefined) with clang++ 14, and tests"
# WENGERT_FUZZ adds the libFuzzer targets of fuzz/ (and coverage feedback in text, nn and lm);
# CTest replays their seed corpora, scripts/fuzz.sh then fuzzes each for 30 s.
cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1 -g" \
  -DCMAKE_CXX_COMPILER=clang++-14 \
  -DWENGERT_SANITIZE=ON -DWENGERT_FUZZ=ON -DWENGERT_WERROR=ON -DWENGERT_BUILD_BENCH=OFF \
  -DWENGERT_BUILD_EXAMPLES=OFF
cmake --build build/sanitize -j "$jobs"
(cd build/sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$jobs")
bash scripts/fuzz.sh 30 build/sanitize
echo "== All tests passed (release + sanitizers + fuzzing)"
