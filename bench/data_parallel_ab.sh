#!/usr/bin/env bash
# Alternating A/B of data-parallel speed: rounds of (one process x 1 thread with NEW, two
# independent processes x 1 thread on 16 streams each side by side with NEW, 2 MPI processes x 1
# thread with OLD, the same with NEW), one epoch of TOKENS (40,000) tokens of The Time Machine (no
# validation), RNN H=HIDDEN (1024), batch 32 x 35, so that the machine's drift hits all four alike.
# Prints each round's tokens/s, comm_share and the ratios to one process, then their medians, and
# new / old paired by round. The side-by-side pair (their tokens/s summed) is what the two vCPUs
# deliver at that moment with no synchronisation at all: the ceiling of any data-parallel scheme,
# so new / pair is the share of it that the 2 MPI processes reach.
#   bench/data_parallel_ab.sh OLD_WENGERT_LM NEW_WENGERT_LM [ROUNDS] [HIDDEN] [TOKENS]
#   e.g. bench/data_parallel_ab.sh /tmp/old/wengert-lm build/release/lm/wengert-lm 8 1024
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 rounds=${3:-8} hidden=${4:-1024} tokens=${5:-40000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
args=(train --corpus data/timemachine.txt --cell rnn --hidden "$hidden" --steps 35
      --epochs 1 --max-tokens "$tokens" --val-fraction 0 --threads 1)
# "tokens_per_s comm_share" of the run folder's epoch
read_run() { tail -n 1 "$1/log.csv" | awk -F, '{ print $5, $7 }'; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= rounds; ++r)); do
  rm -rf "$work"/one "$work"/old "$work"/new "$work"/pair1 "$work"/pair2
  "$new" "${args[@]}" --batch 32 --out "$work/one" > /dev/null
  "$new" "${args[@]}" --batch 16 --out "$work/pair1" > /dev/null &
  "$new" "${args[@]}" --batch 16 --out "$work/pair2" > /dev/null
  wait
  mpirun -np 2 --oversubscribe --bind-to none "$old" "${args[@]}" --batch 32 --out "$work/old" > /dev/null
  mpirun -np 2 --oversubscribe --bind-to none "$new" "${args[@]}" --batch 32 --out "$work/new" > /dev/null
  echo "$(read_run "$work/one") $(read_run "$work/old") $(read_run "$work/new")" \
       "$(read_run "$work/pair1") $(read_run "$work/pair2")"
done | awk '{ pair = $7 + $9
             printf "one %.0f  pair %.0f  old %.0f (comm %.1f %%)  new %.0f (comm %.1f %%)  pair/one %.2fx  old/one %.2fx  new/one %.2fx  new/pair %.2f\n",
                    $1, pair, $3, 100 * $4, $5, 100 * $6, pair / $1, $3 / $1, $5 / $1, $5 / pair
             a[NR] = $3 / $1; b[NR] = $5 / $1; p[NR] = $5 / $3; c[NR] = pair / $1; e[NR] = $5 / pair
             sum_old += $3; sum_new += $5 }
           function median(v, n,   i, j, t) {
             for (i = 1; i <= n; ++i) for (j = i + 1; j <= n; ++j) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
             return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
           END { printf "median old/one %.2fx, new/one %.2fx over %d rounds\n", median(a, NR), median(b, NR), NR
                 printf "median pair/one %.2fx (the ceiling), new/pair %.2f\n", median(c, NR), median(e, NR)
                 printf "new/old: median of the rounds %.3f, ratio of the means %.3f\n", median(p, NR), sum_new / sum_old }'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
