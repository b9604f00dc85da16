#!/bin/sh
# `mpirun -np 2 wengert-lm train` against one process (run by CTest in a build with MPI): the same
# per-epoch training and validation losses (trainer.json keeps them to 17 digits) in f64 to 1e-9
# relative and in f32 to 1e-5; a run started on 2 processes resumed on 1 (and the other way round)
# ends like an uninterrupted one; SIGUSR1 and Ctrl-C on mpirun save a checkpoint that resumes; a
# rank killed ends the job; a batch that does not divide among the ranks is a clear error.
# Usage: cli_mpi.sh WENGERT_LM MPIEXEC CORPUS WORKDIR
set -eu
bin=$1
mpiexec=$2
corpus=$3
work=$4
rm -rf "$work"
mkdir -p "$work"
head -c 8000 "$corpus" > "$work/slice.txt"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
train() {  # train NP OUT ARGS...: a tiny model on NP processes (NP 0: without mpirun)
  np=$1
  out=$2
  shift 2
  if [ "$np" -eq 0 ]; then
    "$bin" train --corpus "$work/slice.txt" --hidden 24 --batch 8 --steps 16 --threads 1 \
      --out "$work/$out" "$@" > "$work/$out.log"
  else
    "$mpiexec" -np "$np" --oversubscribe "$bin" train --corpus "$work/slice.txt" --hidden 24 \
      --batch 8 --steps 16 --threads 1 --out "$work/$out" "$@" > "$work/$out.log"
  fi
}
# start_in_background NAME PATTERN ARGS...: the tiny model on 2 processes into $work/NAME, mpirun in
# the background ($launcher); returns once its log matches PATTERN (or mpirun has ended).
start_in_background() {
  name=$1
  pattern=$2
  shift 2
  "$mpiexec" -np 2 --oversubscribe "$bin" train --corpus "$work/slice.txt" --hidden 24 --batch 8 \
    --steps 16 --threads 1 --out "$work/$name" "$@" > "$work/$name.log" 2>&1 &
  launcher=$!
  while ! grep -q "$pattern" "$work/$name.log" && kill -0 "$launcher" 2> /dev/null; do
    sleep 0.1
  done
}
# The "train_loss" and "val_loss" of every epoch in a run's checkpoint, one per line.
losses() { grep -E '"(train|val)_loss"' "$work/$1/checkpoint/trainer.json" | sed 's/.*: *//; s/,$//'; }
same() {  # same RUN_A RUN_B TOLERANCE
  losses "$1" > "$work/a.txt"
  losses "$2" > "$work/b.txt"
  test "$(wc -l < "$work/a.txt")" -ge 4 || { echo "$1: too few losses"; exit 1; }
  paste "$work/a.txt" "$work/b.txt" | awk -v tol="$3" -v what="$1 vs $2" '
    { d = ($1 - $2) / $2; if (d < 0) d = -d; if (d > worst) worst = d; n++ }
    END { printf "%s: %d losses, largest relative difference %.3g (tolerance %g)\n", what, n, worst, tol
          exit !(n > 0 && worst <= tol) }'
}

for dtype in f64 f32; do
  train 0 one-$dtype --epochs 2 --dtype $dtype
  train 2 two-$dtype --epochs 2 --dtype $dtype
  grep -q "data parallel: 2 processes, 4 of the 8 streams" "$work/two-$dtype.log"
  test -f "$work/two-$dtype/model.safetensors"
  test "$(wc -l < "$work/two-$dtype/log.csv")" -eq 3
done
same two-f64 one-f64 1e-9
same two-f32 one-f32 1e-5

# Resume with another number of processes: 2 then 1, and 1 then 2, against 3 epochs in one.
train 0 full --epochs 3 --dtype f64 --accumulate 2
train 2 down --epochs 1 --dtype f64 --accumulate 2
train 1 down --epochs 3 --resume
train 0 up --epochs 2 --dtype f64 --accumulate 2
train 2 up --epochs 3 --resume
same down full 1e-9
same up full 1e-9

# A stop on mpirun (SIGUSR1, which mpirun forwards to every rank): all ranks stop at the same
# batch, rank 0 saves a checkpoint, all exit with 130; resumed in one process, the run ends like
# the uninterrupted one. (Should the run end before the signal, the resume has nothing to do and
# the comparison still holds.)
train 0 whole --epochs 6 --dtype f64
start_in_background stopped "^epoch 1/6" --epochs 6 --dtype f64
kill -USR1 "$launcher" 2> /dev/null || true
status=0
wait "$launcher" || status=$?
if [ "$status" -ne 0 ]; then
  test "$status" -eq 130 || { cat "$work/stopped.log"; exit 1; }
  grep -q "^interrupted in epoch" "$work/stopped.log" || { cat "$work/stopped.log"; exit 1; }
fi
echo "mpirun after SIGUSR1: exit $status; $(grep "^interrupted" "$work/stopped.log" || echo "finished first")"
train 1 stopped --resume
same stopped whole 1e-9

# Ctrl-C on mpirun (SIGINT to the launcher alone, as a terminal sends it: the ranks are in process
# groups of their own). Open MPI 4.1's mpirun then sends the ranks SIGCONT, SIGTERM after
# odls_base_sigkill_timeout (1 s) and SIGKILL after as long again: a rank takes SIGTERM as a stop
# request, all stop at the next update, rank 0 saves a checkpoint, and the run resumes from it.
start_in_background ctrlc "^epoch 2/" --epochs 100000 --dtype f64
kill -INT "$launcher"
status=0
wait "$launcher" || status=$?
test "$status" -ne 0 || { cat "$work/ctrlc.log"; exit 1; }
interrupted=$(grep "^interrupted in epoch" "$work/ctrlc.log") || { cat "$work/ctrlc.log"; exit 1; }
echo "mpirun after Ctrl-C: exit $status; $interrupted"
epoch=$(echo "$interrupted" | sed 's/^interrupted in epoch \([0-9]*\).*/\1/')
train 1 ctrlc --resume --epochs "$epoch"
test "$(wc -l < "$work/ctrlc/log.csv")" -eq $((epoch + 1))

# A process that dies (kill -9 of one rank) ends the job within a bounded time, not a hang: Open
# MPI's default error handling aborts the others.
start_in_background killed "^epoch 1/" --epochs 100000
victim=$(pgrep -P "$launcher" | tail -n 1)
test -n "$victim" || { echo "no rank process under mpirun $launcher"; exit 1; }
kill -9 "$victim"
waited=0
while kill -0 "$launcher" 2> /dev/null && [ "$waited" -lt 300 ]; do
  sleep 0.1
  waited=$((waited + 1))
done
if kill -0 "$launcher" 2> /dev/null; then
  echo "mpirun still runs 30 s after one rank was killed"
  kill -9 "$launcher"
  exit 1
fi
status=0
wait "$launcher" || status=$?
test "$status" -ne 0 || { cat "$work/killed.log"; exit 1; }
echo "mpirun after kill -9 of one rank: exit $status after $((waited / 10)).$((waited % 10)) s"

# B % N != 0: a one-line error naming both, and no run folder.
if "$mpiexec" -np 2 --oversubscribe "$bin" train --corpus "$work/slice.txt" --batch 7 \
  --out "$work/odd" > /dev/null 2> "$work/odd.err"; then
  echo "expected a failure for --batch 7 on 2 processes"
  exit 1
fi
grep -Eq "wengert-lm: error: rank [01] of 2: --batch 7 does not divide among 2 processes" "$work/odd.err" ||
  { cat "$work/odd.err"; exit 1; }
test ! -e "$work/odd/config.json"
rm -rf "$work"
echo "cli mpi: ok"
