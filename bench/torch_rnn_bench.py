#!/usr/bin/python3
"""PyTorch twin of bench/bench_rnn.cpp: the same character-level models, tokens/s per training step.

one-hot(V=28) -> nn.RNN / nn.GRU / nn.LSTM (hidden H, L layers) -> nn.Linear(H, V), batch B=32,
T=35 steps. One training step: forward, CrossEntropyLoss, backward, clip_grad_norm_(0.25), SGD
step. "infer" is the forward (recurrent layers + decoder logits) under torch.no_grad().
Prints one line per configuration with the median tokens/s of --repetitions runs (wall clock, and
per CPU-second of the process: the fairer figure on a loaded machine) and, at the end,
the peak resident memory of this process (resource.getrusage). Use --only to measure the peak of
a single configuration in a fresh process.

Run it with the Debian interpreter and without the OpenBLAS overrides (they halve its speed):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
      /usr/bin/python3 bench/torch_rnn_bench.py --threads 1
"""
import argparse
import resource
import statistics
import time

import torch

V, B, T = 28, 32, 35

CONFIGS = [  # name, cell, H, layers, train
    ("rnn_tanh/H:256/L:1", "rnn", 256, 1, True),
    ("rnn_tanh/H:512/L:1", "rnn", 512, 1, True),
    ("rnn_tanh/H:256/L:2", "rnn", 256, 2, True),
    ("rnn_tanh/H:1024/L:1", "rnn", 1024, 1, True),
    ("lstm/H:256/L:1", "lstm", 256, 1, True),
    ("gru/H:256/L:1", "gru", 256, 1, True),
    ("infer/rnn_tanh/H:256/L:1", "rnn", 256, 1, False),
]


class CharModel(torch.nn.Module):
    def __init__(self, cell, hidden, layers):
        super().__init__()
        rnn = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
        self.rnn = rnn(V, hidden, layers)
        self.decoder = torch.nn.Linear(hidden, V)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.decoder(out.reshape(T * B, -1))


def measure(cell, hidden, layers, train, min_time):
    torch.manual_seed(1)
    model = CharModel(cell, hidden, layers)
    ids = torch.randint(0, V, (T, B))
    x = torch.nn.functional.one_hot(ids, V).float()
    targets = torch.randint(0, V, (T * B,))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step():
        if train:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            opt.step()
        else:
            with torch.no_grad():
                model(x)

    for _ in range(3):  # warm-up
        step()
    iters, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while True:
        step()
        iters += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return iters * T * B / elapsed, iters * T * B / (time.process_time() - cpu_start)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--min-time", type=float, default=1.0, help="seconds per repetition")
    p.add_argument("--only", help="run only the configuration with this name (for its peak RSS)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for name, cell, hidden, layers, train in CONFIGS:
        if args.only and name != args.only:
            continue
        runs = [measure(cell, hidden, layers, train, args.min_time) for _ in range(args.repetitions)]
        wall = [r[0] for r in runs]
        cpu = [r[1] for r in runs]
        print(f"{name:28s} {statistics.median(wall):10.0f} tokens/s  (runs: "
              + ", ".join(f"{r:.0f}" for r in wall)
              + f"; per CPU-second: {statistics.median(cpu):.0f})", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
