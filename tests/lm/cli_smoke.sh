#!/bin/sh
# Smoke test of the wengert-lm binary (run by CTest): train a tiny model on the first 20 kB of a
# corpus, eval it, generate from it, resume it for a third epoch, and check that bad input fails
# with a one-line error. Usage: cli_smoke.sh WENGERT_LM CORPUS WORKDIR
set -eu
bin=$1
corpus=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
head -c 20000 "$corpus" > "$work/slice.txt"

"$bin" train --corpus "$work/slice.txt" --hidden 32 --epochs 2 --batch 16 --steps 20 \
  --threads 1 --out "$work/run"
for f in config.json tokenizer.json model.safetensors log.csv perplexity.svg checkpoint/trainer.json; do
  test -f "$work/run/$f" || { echo "missing $f"; exit 1; }
done
"$bin" eval --model "$work/run" --corpus "$work/slice.txt" | tee "$work/eval.txt"
grep -q "bits/char" "$work/eval.txt"
"$bin" generate --model "$work/run" --prefix "time traveller" --length 50 --seed 1 | tee "$work/gen.txt"
grep -q "^time traveller" "$work/gen.txt"
"$bin" train --corpus "$work/slice.txt" --out "$work/run" --resume --epochs 3
test "$(wc -l < "$work/run/log.csv")" -eq 4

if "$bin" train --corpus "$work/missing.txt" --out "$work/bad" 2> "$work/err.txt"; then
  echo "expected a failure for a missing corpus"
  exit 1
fi
grep -q "^wengert-lm: error: " "$work/err.txt"
rm -rf "$work"
echo "cli smoke: ok"
