#!/usr/bin/env bash
# A/B check of two builds of wengert_bench in one run: the binaries take turns (A B A B ...), so
# that machine noise hits both alike, and the median of each row is compared.
#   bench/ab_compare.sh OLD_BENCH NEW_BENCH 'BM_rnn_train.*thr:1|BM_autograd_bookkeeping' [rounds]
# Prints one line per row: old and new median real time, and new/old (below 1 is faster).
set -euo pipefail
old=$1 new=$2 filter=$3 rounds=${4:-3}
out=$(mktemp -d)
for r in $(seq "$rounds"); do
  for side in old new; do
    bin=$old; [ "$side" = new ] && bin=$new
    OMP_WAIT_POLICY=passive "$bin" --benchmark_filter="$filter" --benchmark_format=json \
      --benchmark_out="$out/$side.$r.json" --benchmark_out_format=json > /dev/null
  done
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
folder, rounds = sys.argv[1], int(sys.argv[2])
times = {"old": {}, "new": {}}
for side in times:
    for r in range(1, rounds + 1):
        for b in json.load(open(f"{folder}/{side}.{r}.json"))["benchmarks"]:
            times[side].setdefault(b["name"], []).append(b["real_time"])
print(f"{'benchmark':70s} {'old':>12s} {'new':>12s} {'new/old':>8s}")
for name, old in times["old"].items():
    new = times["new"].get(name)
    if not new:
        continue
    a, b = statistics.median(old), statistics.median(new)
    print(f"{name:70s} {a:12.1f} {b:12.1f} {b / a:8.3f}")
PY
