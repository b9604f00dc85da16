#!/usr/bin/python3
"""Writes the PyTorch reference fixtures of tests/nn/test_torch_fixtures.cpp.

Run by hand (CI does not need torch):  /usr/bin/python3 scripts/make_nn_fixtures.py
Each fixture is one JSON file in tests/nn/fixtures/: a config plus named tensors, each
{"shape": [...], "data": [flat row-major f64 values]}. For the recurrent layers (options bias,
batch_first and bidirectional in the config; D = 2 directions when bidirectional, else 1):
  inputs   x [T,B,I] ([B,T,I] when batch_first), h0 [L*D,B,H], c0 [L*D,B,H] (LSTM), the weights
           named as in torch.nn.RNN/GRU/LSTM (..._reverse for the reverse direction, no bias_*
           when bias=False)
  outputs  output [T,B,D*H] ([B,T,D*H]), h_n [L*D,B,H], c_n [L*D,B,H] (LSTM), loss
  grads    "grad.<name>" for x, h0, c0 and every weight, of the scalar
           loss = sum(output * proj_output) + sum(h_n * proj_h) + sum(c_n * proj_c)
For Linear + cross-entropy: x [N,in], targets [N], weight, bias, logits, loss and the grads.
For LayerNorm: x, weight, bias (random, not the ones/zeros init), y and the grads of
  loss = sum(y * proj).
Everything is computed in float64.
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "nn", "fixtures")


def entry(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def write(name, config, tensors):
    path = os.path.join(OUT, name + ".json")
    doc = {"config": config, "tensors": {k: entry(v) for k, v in tensors.items()}}
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"{path}: {os.path.getsize(path)} bytes")


def recurrent(name, kind, layers, seed, T=3, B=2, I=3, H=4, bias=True, batch_first=False,
              bidirectional=False):
    torch.manual_seed(seed)
    options = {"bias": bias, "batch_first": batch_first, "bidirectional": bidirectional}
    if kind in ("rnn_tanh", "rnn_relu"):
        m = torch.nn.RNN(I, H, layers, nonlinearity=kind[4:], **options)
    elif kind == "gru":
        m = torch.nn.GRU(I, H, layers, **options)
    else:
        m = torch.nn.LSTM(I, H, layers, **options)
    m = m.double()
    lstm = kind == "lstm"
    D = 2 if bidirectional else 1
    x_shape = (B, T, I) if batch_first else (T, B, I)
    out_shape = (B, T, D * H) if batch_first else (T, B, D * H)
    x = torch.randn(*x_shape, dtype=torch.float64, requires_grad=True)
    h0 = (0.5 * torch.randn(layers * D, B, H, dtype=torch.float64)).requires_grad_()
    c0 = (0.5 * torch.randn(layers * D, B, H, dtype=torch.float64)).requires_grad_()
    proj_output = torch.randn(*out_shape, dtype=torch.float64)
    proj_h = torch.randn(layers * D, B, H, dtype=torch.float64)
    proj_c = torch.randn(layers * D, B, H, dtype=torch.float64)
    if lstm:
        output, (h_n, c_n) = m(x, (h0, c0))
    else:
        output, h_n = m(x, h0)
    loss = (output * proj_output).sum() + (h_n * proj_h).sum()
    if lstm:
        loss = loss + (c_n * proj_c).sum()
    loss.backward()

    tensors = {"x": x, "h0": h0, "proj_output": proj_output, "proj_h": proj_h}
    if lstm:
        tensors.update({"c0": c0, "proj_c": proj_c})
    for pname, p in m.named_parameters():
        tensors[pname] = p
    tensors.update({"output": output, "h_n": h_n, "loss": loss})
    if lstm:
        tensors["c_n"] = c_n
    tensors["grad.x"] = x.grad
    tensors["grad.h0"] = h0.grad
    if lstm:
        tensors["grad.c0"] = c0.grad
    for pname, p in m.named_parameters():
        tensors["grad." + pname] = p.grad
    config = {"kind": kind, "input_size": I, "hidden_size": H, "num_layers": layers,
              "seq_len": T, "batch": B, **options}
    write(name, config, tensors)


def linear_cross_entropy(seed, N=6, IN=5, C=7):
    torch.manual_seed(seed)
    lin = torch.nn.Linear(IN, C).double()
    x = torch.randn(N, IN, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(0, C, (N,))
    logits = lin(x)
    loss = torch.nn.functional.cross_entropy(logits, targets)
    loss.backward()
    tensors = {"x": x, "targets": targets, "weight": lin.weight, "bias": lin.bias,
               "logits": logits, "loss": loss, "grad.x": x.grad,
               "grad.weight": lin.weight.grad, "grad.bias": lin.bias.grad}
    write("linear_cross_entropy", {"in": IN, "out": C, "n": N}, tensors)


def layer_norm(name, shape, normalized, seed):
    torch.manual_seed(seed)
    ln = torch.nn.LayerNorm(normalized).double()
    with torch.no_grad():
        ln.weight.copy_(torch.randn(normalized, dtype=torch.float64))
        ln.bias.copy_(torch.randn(normalized, dtype=torch.float64))
    x = (3 * torch.randn(*shape, dtype=torch.float64) + 1).requires_grad_()
    proj = torch.randn(*shape, dtype=torch.float64)
    y = ln(x)
    loss = (y * proj).sum()
    loss.backward()
    tensors = {"x": x, "weight": ln.weight, "bias": ln.bias, "proj": proj, "y": y, "loss": loss,
               "grad.x": x.grad, "grad.weight": ln.weight.grad, "grad.bias": ln.bias.grad}
    write(name, {"normalized_shape": list(normalized), "eps": ln.eps}, tensors)


def main():
    os.makedirs(OUT, exist_ok=True)
    recurrent("rnn_tanh_l1", "rnn_tanh", 1, seed=1)
    recurrent("rnn_tanh_l2", "rnn_tanh", 2, seed=2)
    recurrent("rnn_relu_l1", "rnn_relu", 1, seed=3)
    recurrent("rnn_relu_l2", "rnn_relu", 2, seed=4)
    recurrent("gru_l1", "gru", 1, seed=5)
    recurrent("gru_l2", "gru", 2, seed=6)
    recurrent("lstm_l1", "lstm", 1, seed=7)
    recurrent("lstm_l2", "lstm", 2, seed=8)
    # The layer options, each on a 2-layer stack (the second layer's input is D*H wide).
    for i, kind in enumerate(("rnn_tanh", "gru", "lstm")):
        recurrent(kind + "_nobias_l2", kind, 2, seed=20 + i, bias=False)
        recurrent(kind + "_batch_first_l2", kind, 2, seed=30 + i, batch_first=True)
        recurrent(kind + "_bidir_l2", kind, 2, seed=40 + i, T=4, bidirectional=True)
        recurrent(kind + "_bidir_nobias_batch_first_l2", kind, 2, seed=50 + i, T=4, bias=False,
                  batch_first=True, bidirectional=True)
    linear_cross_entropy(seed=9)
    layer_norm("layer_norm_1d", (4, 3, 6), [6], seed=10)
    layer_norm("layer_norm_2d", (5, 3, 4), [3, 4], seed=11)


if __name__ == "__main__":
    main()
