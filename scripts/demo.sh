#!/usr/bin/env bash
# The main job: install what is missing, build Release, train a character-level RNN language model
# on The Time Machine (bundled in data/), then sample text from it. A few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build/release -j "$(nproc)" --target wengert-lm
lm=build/release/lm/wengert-lm
out=runs/demo
# Threads wait passively between parallel regions: on shared VMs a spinning OpenMP thread can be
# descheduled and stall a region for milliseconds (see the README's performance section).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
rm -rf "$out"
# d2l's recipe (SGD lr 1, clip 1, batch 32 x 35, sequential) with H=512, for about a minute.
"$lm" train --corpus data/timemachine.txt --hidden 512 --epochs 40 --out "$out" "$@"
echo
echo "== Sample (greedy would repeat itself; this is temperature 0.6):"
"$lm" generate --model "$out" --prefix "the time traveller" --length 300 --temperature 0.6 --seed 1
echo
echo "Run folder: $out (log.csv, perplexity.svg, model.safetensors, checkpoint/)"
