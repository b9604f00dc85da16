#!/usr/bin/env bash
# Alternating A/B of one-process training speed: rounds of `wengert-lm train` with OLD then NEW,
# on 16 streams then on 32 (one epoch of TOKENS (40,000) tokens of The Time Machine, no
# validation, RNN H=HIDDEN (1024), 35 steps, 1 thread), so that the machine's drift hits both
# builds alike. 16 streams is what each of 2 data-parallel processes computes (see
# data_parallel_ab.sh). Prints each round's tokens/s and new/old, then the mean of the ratios.
#   bench/train_ab.sh OLD_WENGERT_LM NEW_WENGERT_LM [ROUNDS] [HIDDEN] [TOKENS]
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 rounds=${3:-4} hidden=${4:-1024} tokens=${5:-40000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
args=(train --corpus data/timemachine.txt --cell rnn --hidden "$hidden" --steps 35 --epochs 1
      --max-tokens "$tokens" --val-fraction 0 --threads 1)
tokens_per_s() { tail -n 1 "$1/log.csv" | awk -F, '{ print $5 }'; }
for ((r = 1; r <= rounds; ++r)); do
  line=""
  for batch in 16 32; do
    for bin in "$old" "$new"; do
      rm -rf "$work/run"
      "$bin" "${args[@]}" --batch "$batch" --out "$work/run" > /dev/null
      line="$line $(tokens_per_s "$work/run")"
    done
  done
  echo "$line"
done | awk '{ printf "B=16 old %.0f new %.0f (%.3f)   B=32 old %.0f new %.0f (%.3f)\n", $1, $2, $2 / $1, $3, $4, $4 / $3
              a += $2 / $1; b += $4 / $3 }
            END { printf "mean new/old over %d rounds: B=16 %.3f, B=32 %.3f\n", NR, a / NR, b / NR }'
