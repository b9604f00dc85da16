#!/usr/bin/env python3
"""Predicted speedup of data-parallel training (wengert-lm under mpirun) on N machines.

The model (README, "Training on several machines"), per update of the global batch:
  compute   t_c(N) = t_1 / N          t_1: one process's time for the global batch (measured)
  allreduce t_a(N) = 2 (N - 1) / N * bytes / bandwidth + 2 ceil(log2 N) * latency * buckets
            bytes = 4 x parameters (f32 gradients). Rabenseifner's allreduce, which
            wengert::dist asks Open MPI's non-blocking allreduce to use: a reduce-scatter by
            recursive halving, then an all-gather by recursive doubling, each moving (N - 1) / N
            of the bytes through every link (as a ring does) in ceil(log2 N) steps (a ring needs
            N - 1). Plus two scalar allreduces per minibatch (loss sum, stop flag), 2 ceil(log2 N)
            latencies each.
  speedup   S(N) = t_1 / (t_c(N) + t_a(N) / K)   with --accumulate K (one allreduce per K
            minibatches; the scalar allreduces stay per minibatch).
No overlap of the allreduce with the backward sweep is assumed: the recurrent layer hands over
its weight gradients (the bulk of the bytes) only when its whole backward sweep is done, so only
the decoder's small bucket can overlap. Compute per token is taken as constant in the batch per
process; in practice small per-process batches run less efficiently, so the table is an upper
bound, and the global batch must hold at least N streams (here 64 x 35 tokens).
Usage: scripts/scaling_model.py   (plain Python 3, no dependencies; prints a Markdown table)
"""
import math

V = 28            # char vocabulary of The Time Machine (letters + space + <unk>)
BATCH, STEPS = 64, 35
BUCKET_BYTES = 4 << 20
LATENCY = 25e-6   # seconds per message on Ethernet with TCP (MPI over 10-100 Gbit/s)

# name, gates (1 RNN, 3 GRU, 4 LSTM), H, tokens/s of one process x 1 thread training at batch
# 32 x 35 on this machine (one core of an AMD EPYC Zen 3), from the README's Performance table
# (bench/bench_rnn.cpp, a quiet machine).
MODELS = [
    ("RNN H=256", 1, 256, 325e3),
    ("RNN H=512", 1, 512, 91.3e3),
    ("RNN H=1024", 1, 1024, 22.0e3),
    ("LSTM H=256", 4, 256, 89.8e3),
]


def parameters(gates, hidden):
    # recurrent: gates*H x (V + H) weights + 2 gates*H biases; decoder: H x V + V
    return gates * hidden * (V + hidden) + 2 * gates * hidden + hidden * V + V


def allreduce_seconds(n, nbytes, bandwidth_bits, latency=LATENCY):
    if n == 1:
        return 0.0
    buckets = max(1, math.ceil(nbytes / BUCKET_BYTES))
    return (2 * (n - 1) / n * nbytes / (bandwidth_bits / 8) +
            2 * math.ceil(math.log2(n)) * latency * buckets)


def scalar_seconds(n, latency=LATENCY):
    return 0.0 if n == 1 else 2 * 2 * math.ceil(math.log2(n)) * latency


def speedup(n, t1, nbytes, bandwidth_bits, k=1):
    return t1 / (t1 / n + allreduce_seconds(n, nbytes, bandwidth_bits) / k + scalar_seconds(n))


def main():
    ns = [2, 4, 8, 16, 32, 64]
    print(f"Global batch {BATCH} x {STEPS} tokens, f32 gradients, latency {LATENCY * 1e6:.0f} us,"
          f" {BUCKET_BYTES >> 20} MiB buckets.\n")
    print("| model | parameters | MB per allreduce | t_1 per update | Gbit/s | "
          + " | ".join(f"N={n}" for n in ns) + " | N=64, K=4 |")
    print("|---|---|---|---|---|" + "---|" * (len(ns) + 1))
    for name, gates, hidden, tokens_per_s in MODELS:
        p = parameters(gates, hidden)
        nbytes = 4 * p
        t1 = BATCH * STEPS / tokens_per_s
        for gbit in (10, 25, 100):
            bw = gbit * 1e9
            cells = " | ".join(f"{speedup(n, t1, nbytes, bw):.1f}" for n in ns)
            print(f"| {name} | {p:,} | {nbytes / 1e6:.2f} | {t1 * 1e3:.0f} ms | {gbit} | {cells} | "
                  f"{speedup(64, t1, nbytes, bw, 4):.1f} |")


if __name__ == "__main__":
    main()
