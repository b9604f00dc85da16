#!/usr/bin/env bash
# Deterministic A/B of the training step for two builds of wengert_bench: the instructions executed
# inside BM_rnn_train's loop (zero_grad, forward, cross_entropy, backward, clip, step), counted by
# callgrind and divided by the iterations run. Machine load does not change the count, so this is
# the check that still works on a busy machine; bench/ab_compare.sh measures time. Model set-up is
# outside the count. Needs valgrind; one row takes 1-3 minutes (H=1024: about 10).
#   bench/ab_instructions.sh OLD_BENCH NEW_BENCH ['BM_rnn_train/lstm/H:256/L:1/thr:1/' ...]
set -euo pipefail
old=$1 new=$2
shift 2
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=('BM_rnn_train/rnn_tanh/H:256/L:1/thr:1/' 'BM_rnn_train/rnn_tanh/H:256/L:2/thr:1/'
  'BM_rnn_train/lstm/H:256/L:1/thr:1/' 'BM_rnn_train/gru/H:256/L:1/thr:1/')
out=$(mktemp -d)
count() {  # count BIN ROW -> instructions per iteration
  OMP_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
    --toggle-collect='*SGD::zero_grad*' --toggle-collect='*cross_entropy*' \
    --toggle-collect='*CharModel::forward*' --toggle-collect='*Var::backward*' \
    --toggle-collect='*clip_grad_norm*' --toggle-collect='*SGD::step*' \
    "$1" --benchmark_filter="$2" --benchmark_format=json --benchmark_out="$out/json" \
    > /dev/null 2> "$out/log"
  python3 - "$out" <<'PY'
import json, re, sys
folder = sys.argv[1]
refs = int(re.search(r"I\s+refs:\s+([\d,]+)", open(f"{folder}/log").read()).group(1).replace(",", ""))
iterations = json.load(open(f"{folder}/json"))["benchmarks"][0]["iterations"]
print(refs / iterations)
PY
}
printf '%-45s %14s %14s %8s\n' row old new new/old
for row in "${rows[@]}"; do
  a=$(count "$old" "$row")
  b=$(count "$new" "$row")
  python3 -c "import sys; a, b = float(sys.argv[2]), float(sys.argv[3]); print(f'{sys.argv[1]:45s} {a:14,.0f} {b:14,.0f} {b / a:8.4f}')" "$row" "$a" "$b"
done
