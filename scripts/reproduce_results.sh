#!/usr/bin/env bash
# Reproduces the language-model results of the README ("Results"), one training process per
# experiment with --threads 1, two experiments at a time (the machine has 2 cores). About 35
# minutes on 2 cores. Run folders go to runs/results/; their log.csv and perplexity.svg are
# what the README quotes (docs/results/ holds copies of the plots).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build/release -j "$(nproc)" --target wengert-lm
lm=build/release/lm/wengert-lm
out=runs/results
mkdir -p "$out"
train() { local name=$1; shift; rm -rf "$out/$name"; "$lm" train --threads 1 --out "$out/$name" "$@" > "$out/$name.log" 2>&1; }

# 1. d2l chapter 9.5 / 9.6: vanilla RNN H=512, SGD lr 1, clip 1, batch 32 x 35, 500 epochs;
#    sequential vs random partitioning. d2l's load_data_time_machine keeps the first 10,000
#    tokens (max_tokens=10000); the second pair trains on the whole book.
for p in sequential random; do
  train "d2l10k-$p" --corpus data/timemachine.txt --max-tokens 10000 --hidden 512 --epochs 500 --partition "$p" &
done; wait
for p in sequential random; do
  train "d2l-$p" --corpus data/timemachine.txt --hidden 512 --epochs 500 --partition "$p" &
done; wait

# 2. Truncated BPTT: fixed, randomized (plain and reweighted), none; H=256, 50 epochs.
tr() { train "trunc-$1" --corpus data/timemachine.txt --hidden 256 --epochs 50 "${@:2}"; }
(tr fixed --truncation fixed; tr random-unbiased --truncation random --unbiased) &
(tr random --truncation random; tr none --truncation none) &
wait

# 3. Cells on Tiny Shakespeare (65 characters, case and punctuation kept), equal wall time 300 s.
cell() { train "shakes-$1" --corpus data/tinyshakespeare.txt --normalize none --cell "$1" --hidden 256 \
  --optimizer adam --epochs 1000 --time-limit 300; }
(cell rnn_tanh; cell lstm) &
cell gru &
wait

# 4. Tokenizers: char, word, BPE on The Time Machine; the last 10 % of lines held out as a test
#    file. Each model is first trained for 150 s to find the epoch of its best validation
#    perplexity, then trained again (deterministically) to that epoch and evaluated on the test
#    file with `wengert-lm eval` (perplexity per token and per character).
n=$(wc -l < data/timemachine.txt); k=$((n * 9 / 10))
head -n "$k" data/timemachine.txt > "$out/tm-train.txt"
tail -n +"$((k + 1))" data/timemachine.txt > "$out/tm-test.txt"
tok() {
  local name=$1; shift
  local common=(--corpus "$out/tm-train.txt" --hidden 256 --embedding 128 --dropout 0.3 --optimizer adam)
  train "tok-$name" "${common[@]}" --epochs 1000 --time-limit 150 "$@"
  local best
  best=$(awk -F, 'NR > 1 && (min == "" || $3 < min) { min = $3; epoch = $1 } END { print epoch }' \
    "$out/tok-$name/log.csv")
  train "tokbest-$name" "${common[@]}" --epochs "$best" "$@"
  "$lm" eval --model "$out/tokbest-$name" --corpus "$out/tm-test.txt" --threads 1 > "$out/tok-$name.eval"
}
(tok char --tokenizer char; tok bpe2000 --tokenizer bpe --merges 2000) &
tok word --tokenizer word &
wait
grep -H "" "$out"/tok-*.eval
echo "done: see $out/*/log.csv and $out/*/perplexity.svg"
