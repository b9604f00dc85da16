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

# The resumed run equals an uninterrupted one: same weights (byte for byte), same perplexities.
"$bin" train --corpus "$work/slice.txt" --hidden 32 --epochs 3 --batch 16 --steps 20 \
  --threads 1 --out "$work/full"
cmp "$work/run/model.safetensors" "$work/full/model.safetensors" ||
  { echo "resumed weights differ from the uninterrupted run"; exit 1; }
cut -d, -f1-3 "$work/run/log.csv" > "$work/a.csv"
cut -d, -f1-3 "$work/full/log.csv" > "$work/b.csv"
cmp "$work/a.csv" "$work/b.csv" || { echo "resumed perplexities differ"; exit 1; }

# Learning happened: validation perplexity after 3 epochs is well below the vocabulary size (a
# uniform guess scores the vocabulary size itself).
vocab=$(grep -o '"vocab_size": *[0-9]*' "$work/run/config.json" | grep -o '[0-9]*$')
val=$(tail -n 1 "$work/run/log.csv" | cut -d, -f3)
awk -v v="$val" -v n="$vocab" 'BEGIN { exit !(v < n / 2) }' ||
  { echo "validation perplexity $val is not well below the vocabulary size $vocab"; exit 1; }
echo "validation perplexity $val, vocabulary $vocab"

if "$bin" train --corpus "$work/missing.txt" --out "$work/bad" 2> "$work/err.txt"; then
  echo "expected a failure for a missing corpus"
  exit 1
fi
grep -q "^wengert-lm: error: " "$work/err.txt"

# Invalid UTF-8 (here a UTF-16 byte-order mark) is an error naming the byte offset, unless replaced.
{ printf '\377\376'; cat "$work/slice.txt"; } > "$work/utf16ish.txt"
if "$bin" train --corpus "$work/utf16ish.txt" --out "$work/bad" 2> "$work/err.txt"; then
  echo "expected a failure for invalid UTF-8"
  exit 1
fi
grep -q "offset 0" "$work/err.txt" || { cat "$work/err.txt"; exit 1; }
"$bin" train --corpus "$work/utf16ish.txt" --invalid-utf8 replace --epochs 1 --hidden 8 \
  --threads 1 --out "$work/replaced" > /dev/null
rm -rf "$work"
echo "cli smoke: ok"
