#!/usr/bin/python3
"""PyTorch twin of `wengert-lm train` for one configuration, to cross-check training curves:
char-level, d2l cleaning (lowercase, runs of non-letters -> one space), one-hot inputs,
nn.RNN(tanh) -> nn.Linear, sequential partitioning with a random offset per epoch and the state
carried (detached) across batches, SGD lr 1, clip_grad_norm 1, last 10 % of tokens held out.
Prints one CSV row per epoch: epoch,train_ppl,val_ppl,seconds. Measurement only; CI never runs it.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 \\
      /usr/bin/python3 scripts/torch_lm_reference.py data/timemachine.txt --hidden 512 --epochs 250
"""
import argparse
import math
import re
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--epochs", type=int, default=250)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=35)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    text = re.sub("[^A-Za-z]+", " ", open(a.corpus).read()).lower()
    chars = sorted(set(text))
    ids = torch.tensor([chars.index(c) for c in text])
    n_val = int(len(ids) * 0.1)
    train, val = ids[: len(ids) - n_val], ids[len(ids) - n_val :]
    V, H, B, T = len(chars), a.hidden, a.batch, a.steps
    rnn, dec = torch.nn.RNN(V, H), torch.nn.Linear(H, V)
    params = list(rnn.parameters()) + list(dec.parameters())
    opt = torch.optim.SGD(params, lr=a.lr)
    loss_fn = torch.nn.CrossEntropyLoss()

    def streams(data, offset):
        rows = (len(data) - offset - 1) // B
        x = data[offset : offset + rows * B].view(B, rows)
        y = data[offset + 1 : offset + 1 + rows * B].view(B, rows)
        return x, y, rows

    print("epoch,train_ppl,val_ppl,seconds", flush=True)
    for epoch in range(1, a.epochs + 1):
        start = time.time()
        x, y, rows = streams(train, int(torch.randint(0, T, (1,))))
        h, total, count = None, 0.0, 0
        for c in range(0, rows - T + 1, T):
            xb = torch.nn.functional.one_hot(x[:, c : c + T].T, V).float()
            out, h = rnn(xb, h)
            h = h.detach()
            loss = loss_fn(dec(out).reshape(-1, V), y[:, c : c + T].T.reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            total += loss.item() * T * B
            count += T * B
        with torch.no_grad():
            vx, vy, vrows = streams(val, 0)
            xb = torch.nn.functional.one_hot(vx[:, : (vrows // T) * T].T, V).float()
            out, _ = rnn(xb)
            vl = loss_fn(dec(out).reshape(-1, V), vy[:, : (vrows // T) * T].T.reshape(-1)).item()
        print(f"{epoch},{math.exp(total / count):.4f},{math.exp(vl):.4f},{time.time() - start:.2f}",
              flush=True)


if __name__ == "__main__":
    main()
