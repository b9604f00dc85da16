#!/usr/bin/python3
"""Writes tests/nn/fixtures/hvp.json, the PyTorch reference for second derivatives
(tests/nn/test_torch_hvp.cpp).

Run by hand (CI does not need torch):  /usr/bin/python3 scripts/make_hvp_fixtures.py
For each case, f(inputs) is a small expression of one op family (or one recurrent cell step),
w a projection of its output and v_i one direction per input. Stored, in float64:
  "in.<i>", "w", "v.<i>"     the inputs and projections
  "grad.<i>"                 g_i = d sum(f * w) / d in_i            (torch.autograd.grad, create_graph)
  "hvp.<i>"                  d (sum_j sum(g_j * v_j)) / d in_i      (Hessian-vector products)
The C++ test writes the same f with wengert's ops and compares both to 1e-9 relative.
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "nn", "fixtures")
D = torch.float64


def randn(*shape):
    return torch.randn(list(shape), dtype=D)


def pos(*shape):
    return 0.5 + 1.5 * torch.rand(list(shape), dtype=D)


def elementwise(a, b):
    return (torch.exp(a) * b + torch.log(b) * a - torch.sqrt(b) / (a * a + 1.0) + torch.pow(b, a)
            + torch.tanh(a) * torch.sigmoid(a * b) - 2.0 / b + (a - b) ** 3.0)


def nonsmooth(a, b):
    return (torch.relu(a) * a + torch.abs(a) * b + torch.clamp(a, -0.5, 0.5) * a * a
            + torch.maximum(a, b) * torch.minimum(a, b))


def reductions(a):
    return (a.pow(2).sum(1, keepdim=True) * a.amax(1, keepdim=True)
            + torch.logsumexp(a * a, 0) + torch.softmax(a, -1) * F.log_softmax(a * 2.0, 0)
            + (a * a).mean())


IDS = torch.tensor([1, 4, 1, 0], dtype=torch.int64)
GATHER = torch.tensor([[0, 2], [1, 1], [2, 0], [1, 2]], dtype=torch.int64)


def linalg(x, w, e):
    h = torch.tanh(x @ w)                      # [4, 3]
    emb = e.index_select(0, IDS)               # [4, 3]
    return torch.gather(h * emb, 1, GATHER) @ (w[:2, 1:] * w[:2, 1:]).t()   # [4, 2] @ [2, 2]


def shapes(a, b):
    c = torch.cat([a * a, b.reshape(2, 3)], 0)               # [4, 3]
    s = c[1:4:2].permute(1, 0).reshape(6)                    # [6]
    t = torch.stack([s * a.reshape(6), torch.tanh(s)], 1)    # [6, 2]
    return t.expand(3, 6, 2) * a[1].unsqueeze(1).unsqueeze(2) + c[:, 1].sum() * t


def activations(a):
    return (torch.log1p(a * a) * torch.expm1(a) + torch.sin(a) * torch.cos(a * 2.0) + torch.erf(a)
            + (torch.round(a * 3.0) + torch.floor(a) - torch.ceil(a)) * a
            + F.silu(a) * a + F.leaky_relu(a, 0.2) * a + F.elu(a, 1.5) * a
            + F.softplus(a, 2.0, 1.0) * a + F.gelu(a) * a + F.gelu(a, approximate="tanh")
            + torch.clamp(a, min=-0.3) * a + torch.clamp(a, max=0.2) * a)


def statistics(a):
    return (a.amin(1, keepdim=True) * a.var(1, unbiased=True, keepdim=True)
            + a.var(0, unbiased=False) * a.std() + torch.cumsum(a * a, 1) + torch.tril(a * a, 1)
            + torch.triu(a, -1) * a + torch.max(a * a, 1, keepdim=True).values * a
            + torch.min(a, 0).values)


TARGETS = torch.tensor([2, -100, 0, 3], dtype=torch.int64)
CLASS_WEIGHT = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.25], dtype=D)


def losses(x):
    return (F.cross_entropy(x * x, TARGETS, ignore_index=-100)
            + F.cross_entropy(torch.tanh(x), TARGETS.clamp(min=1), reduction="sum")
            + F.nll_loss(F.log_softmax(x * 0.5, -1), TARGETS, ignore_index=-100)
            + (F.cross_entropy(x, TARGETS.clamp(min=0), reduction="none") * x[:, 0]).sum()
            + F.cross_entropy(x * x, TARGETS, weight=CLASS_WEIGHT, label_smoothing=0.15)
            + (F.cross_entropy(torch.sin(x), TARGETS, weight=CLASS_WEIGHT, reduction="none") * x[:, 1]).sum()
            + F.cross_entropy(x, TARGETS, label_smoothing=0.3, reduction="sum"))


def cell(kind):
    def f(x, h, c, w_ih, w_hh, b_ih, b_hh):
        if kind == "rnn_tanh":
            return torch.tanh(x @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh)
        gi, gh = x @ w_ih.t() + b_ih, h @ w_hh.t() + b_hh
        if kind == "gru":
            ir, iz, i_n = gi.chunk(3, 1)
            hr, hz, hn = gh.chunk(3, 1)
            r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
            n = torch.tanh(i_n + r * hn)
            return (1 - z) * n + z * h
        i, fg, g, o = (gi + gh).chunk(4, 1)
        c2 = torch.sigmoid(fg) * c + torch.sigmoid(i) * torch.tanh(g)
        return (torch.sigmoid(o) * torch.tanh(c2)) * c2
    return f


def cell_inputs(gates, B=2, I=3, H=2):
    return [randn(B, I), 0.5 * randn(B, H), 0.5 * randn(B, H), 0.5 * randn(gates * H, I),
            0.5 * randn(gates * H, H), 0.5 * randn(gates * H), 0.5 * randn(gates * H)]


def case(f, inputs):
    inputs = [t.clone().requires_grad_() for t in inputs]
    out = f(*inputs)
    w = randn(*out.shape)
    vs = [randn(*t.shape) for t in inputs]
    grads = torch.autograd.grad((out * w).sum(), inputs, create_graph=True, allow_unused=True)
    grads = [g if g is not None else torch.zeros_like(t) for g, t in zip(grads, inputs)]
    total = sum((g * v).sum() for g, v in zip(grads, vs))
    hvps = torch.autograd.grad(total, inputs, allow_unused=True)
    hvps = [h if h is not None else torch.zeros_like(t) for h, t in zip(hvps, inputs)]
    tensors = {"w": w}
    for i, (t, v, g, h) in enumerate(zip(inputs, vs, grads, hvps)):
        tensors.update({f"in.{i}": t, f"v.{i}": v, f"grad.{i}": g, f"hvp.{i}": h})
    return tensors


def entry(t):
    t = t.detach().to(D).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def main():
    torch.manual_seed(10)
    cases = {
        "elementwise": case(elementwise, [randn(2, 3), pos(3)]),
        "nonsmooth": case(nonsmooth, [randn(3, 4), randn(4)]),
        "reductions": case(reductions, [randn(3, 4)]),
        "linalg": case(linalg, [randn(4, 3), randn(3, 3), randn(5, 3)]),
        "shapes": case(shapes, [randn(2, 3), randn(6)]),
        "losses": case(losses, [randn(4, 5)]),
        "activations": case(activations, [randn(3, 4)]),
        "statistics": case(statistics, [randn(3, 4)]),
        "rnn_tanh_cell": case(cell("rnn_tanh"), cell_inputs(1)),
        "gru_cell": case(cell("gru"), cell_inputs(3)),
        "lstm_cell": case(cell("lstm"), cell_inputs(4)),
    }
    doc = {name: {k: entry(v) for k, v in tensors.items()} for name, tensors in cases.items()}
    path = os.path.join(OUT, "hvp.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
