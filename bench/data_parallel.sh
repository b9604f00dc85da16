#!/usr/bin/env bash
# Data-parallel training speed of `wengert-lm train`: tokens/s of one epoch (training only, no
# validation) for 1 process x 1 thread, 1 process x 2 threads and 2 MPI processes x 1 thread, on
# the same global batch (32 streams x 35 steps, char tokens of The Time Machine), for RNN H=512,
# RNN H=1024 and LSTM H=256; the communication share is log.csv's comm_share (time waiting for
# the other rank: the gradient allreduce not hidden behind the backward sweep, and the loss sums).
# Also one process x 1 thread on half the batch (16 streams, what each of 2 ranks computes):
# twice its tokens/s is what 2 ranks would reach with free communication (the scaling model's
# check). Each configuration runs REPEATS times (default 3) and the best epoch counts (the machine
# is shared). Prints a Markdown table. Usage: bench/data_parallel.sh [BUILD_DIR] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
repeats=${2:-3}
bin=$build/lm/wengert-lm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# run MODE CELL H [BATCH]: prints "tokens_per_s comm_share" of the best of $repeats epochs.
run() {
  local mode=$1 cell=$2 hidden=$3 batch=${4:-32} best="0 0"
  local args=(train --corpus data/timemachine.txt --cell "$cell" --hidden "$hidden" --batch "$batch"
              --steps 35 --epochs 1 --max-tokens 40000 --val-fraction 0)
  for ((r = 0; r < repeats; ++r)); do
    rm -rf "$work/run"
    case $mode in
      1x1) OMP_NUM_THREADS=1 "$bin" "${args[@]}" --threads 1 --out "$work/run" > /dev/null ;;
      1x2) OMP_NUM_THREADS=2 "$bin" "${args[@]}" --threads 2 --out "$work/run" > /dev/null ;;
      2x1) OMP_NUM_THREADS=1 mpirun -np 2 --oversubscribe --bind-to none "$bin" "${args[@]}" \
             --threads 1 --out "$work/run" > /dev/null ;;
    esac
    local line
    line=$(tail -n 1 "$work/run/log.csv" | awk -F, '{ print $5, $7 }')
    best=$(printf '%s\n%s\n' "$best" "$line" | sort -g -k1,1 | tail -n 1)
  done
  echo "$best"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| model | 1 x 1 thread | 1 x 2 threads | 2 ranks x 1 thread | 2 threads / 1 | 2 ranks / 1 | comm share (2 ranks) | 1 x 1, B=16 | 2 x (B=16) / 1 |"
echo "|---|---|---|---|---|---|---|---|---|"
for model in "rnn 512" "rnn 1024" "lstm 256"; do
  set -- $model
  read -r one _ < <(run 1x1 "$1" "$2")
  read -r threads _ < <(run 1x2 "$1" "$2")
  read -r ranks comm < <(run 2x1 "$1" "$2")
  read -r half _ < <(run 1x1 "$1" "$2" 16)
  awk -v m="$1 H=$2" -v a="$one" -v b="$threads" -v c="$ranks" -v s="$comm" -v h="$half" 'BEGIN {
    printf "| %s | %.0f | %.0f | %.0f | %.2fx | %.2fx | %.1f %% | %.0f | %.2fx |\n", m, a, b, c,
      b / a, c / a, 100 * s, h, 2 * h / a }'
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
