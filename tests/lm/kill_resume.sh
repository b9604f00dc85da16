#!/bin/sh
# Crash consistency of a run folder (run by CTest): a tiny 3-epoch run is killed (SIGKILL, by
# strace's fault injection) at its 1st, 2nd, ... call of every syscall that changes the folder:
# write, fsync, rename, unlink/unlinkat/rmdir. After each kill, `train --resume` (or the original
# command, when the kill came before config.json existed) must end byte-identical to the
# uninterrupted run: the exported weights, the checkpoint's weights, optimizer state and carried
# state (tensor data and header, minus the random checkpoint id), and log.csv without its
# wall-clock columns. Usage: kill_resume.sh WENGERT_LM CORPUS WORKDIR [STRIDE]
# STRIDE > 1 kills only at every STRIDE-th call (the sanitizer build, where a run is slower).
set -eu
bin=$1
corpus=$2
work=$3
stride=${4:-1}
command -v strace > /dev/null || { echo "kill_resume: strace is not installed (scripts/install-deps.sh)"; exit 1; }
rm -rf "$work"
mkdir -p "$work"
head -c 2000 "$corpus" > "$work/tiny.txt"
train() {
  "$bin" train --corpus "$work/tiny.txt" --hidden 8 --batch 4 --steps 8 --epochs 3 --threads 1 \
    --optimizer adam --out "$1"
}
train "$work/ref" > /dev/null

# A safetensors file as "<header without the checkpoint id>" + its data section.
canonical() {
  hlen=$(od -An -t u8 -N8 "$1" | tr -d ' ')
  head -c $((hlen + 8)) "$1" | tail -c "$hlen" | sed 's/"wengert\.checkpoint_id":"[^"]*",\{0,1\}//'
  tail -c +$((hlen + 9)) "$1"
}
same_run() {  # $1: run folder; compares it with ref
  cmp -s "$1/model.safetensors" "$work/ref/model.safetensors" || { echo "model.safetensors differs"; return 1; }
  for f in model.safetensors model.optim.safetensors state.safetensors; do
    canonical "$1/checkpoint/$f" > "$work/a.bin"
    canonical "$work/ref/checkpoint/$f" > "$work/b.bin"
    cmp -s "$work/a.bin" "$work/b.bin" || { echo "checkpoint/$f differs"; return 1; }
  done
  cut -d, -f1-3,6 "$1/log.csv" > "$work/a.csv"
  cut -d, -f1-3,6 "$work/ref/log.csv" > "$work/b.csv"
  cmp -s "$work/a.csv" "$work/b.csv" || { echo "log.csv differs"; return 1; }
  for f in checkpoint.tmp checkpoint.old; do
    ! test -e "$1/$f" || { echo "$f left behind"; return 1; }
  done
}

kills=0
for call in write fsync rename unlink,unlinkat,rmdir; do
  n=1
  while :; do
    run="$work/run"
    rm -rf "$run"
    status=0
    # (LeakSanitizer cannot run under strace: it needs ptrace itself)
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -o /dev/null -e trace="$call" -e inject="$call":signal=KILL:when=$n \
      "$bin" train --corpus "$work/tiny.txt" --hidden 8 --batch 4 --steps 8 --epochs 3 \
      --threads 1 --optimizer adam --out "$run" > /dev/null 2>&1 || status=$?
    if [ "$status" -eq 0 ]; then break; fi  # fewer than n such calls: this kind is done
    kills=$((kills + 1))
    if ! "$bin" train --out "$run" --resume > "$work/resume.txt" 2>&1; then
      if grep -q "holds no run to resume" "$work/resume.txt"; then
        train "$run" > "$work/resume.txt" 2>&1 || { echo "restart after kill at $call #$n failed:"; cat "$work/resume.txt"; exit 1; }
      else
        echo "resume after kill at $call #$n failed:"; cat "$work/resume.txt"; exit 1
      fi
    fi
    same_run "$run" || { echo "after a kill at $call #$n, the resumed run differs"; exit 1; }
    n=$((n + stride))
  done
  echo "$call: killed at calls 1..$((n - 1)) (every $stride), all resumed identically"
done
test "$kills" -gt $((100 / stride)) || { echo "only $kills kills: the fault injection did not work"; exit 1; }
echo "kill_resume: $kills kills, every resumed run identical to the uninterrupted one"
