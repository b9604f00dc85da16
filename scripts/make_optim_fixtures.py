#!/usr/bin/python3
"""Writes the PyTorch reference fixtures for wengert's optimizers, gradient clipping, LR schedules
and safetensors loader (tests/nn/fixtures/). Run by hand: /usr/bin/python3 scripts/make_optim_fixtures.py
(needs torch). `--read FILE` instead prints a safetensors file read by the minimal reader below,
e.g. one written by wengert's save_safetensors, to check it interchanges."""
import json
import math
import os
import struct
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "nn", "fixtures")
SHAPES = [[3, 4], [5], [2, 2]]
STEPS = 3
# Param 2 has no gradient at step 2 (index 1): optimizers must skip it, and its per-parameter
# step count (Adam) must lag behind the others.
MISSING = {(1, 2)}


def as_list(t):
    return t.detach().reshape(-1).tolist()  # float32 values become exact Python doubles


def optimizer_case(make_opt, dtype):
    gen = torch.Generator().manual_seed(1234)
    params = [torch.randn(s, generator=gen, dtype=torch.float64).to(dtype).requires_grad_()
              for s in SHAPES]
    init = [as_list(p) for p in params]
    opt = make_opt(params)
    grads, after = [], []
    for step in range(STEPS):
        row = []
        for i, p in enumerate(params):
            if (step, i) in MISSING:
                p.grad = None
                row.append(None)
            else:
                g = torch.randn(p.shape, generator=gen, dtype=torch.float64).to(dtype)
                p.grad = g.clone()
                row.append(as_list(g))
        grads.append(row)
        opt.step()
        after.append([as_list(p) for p in params])
    return {"dtype": "f32" if dtype == torch.float32 else "f64", "shapes": SHAPES,
            "init": init, "grads": grads, "after": after}


def write(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(path))


def optimizer_fixtures():
    configs = {
        "sgd_plain": ("sgd", {"lr": 0.1}),
        "sgd_momentum": ("sgd", {"lr": 0.1, "momentum": 0.9}),
        "sgd_nesterov": ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        "sgd_weight_decay": ("sgd", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3,
                                     "weight_decay": 0.05}),
        "adam": ("adam", {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8}),
        "adam_weight_decay": ("adam", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6,
                                       "weight_decay": 0.1}),
        "adamw": ("adamw", {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8,
                            "weight_decay": 0.1}),
    }
    classes = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    for name, (kind, opts) in configs.items():
        kwargs = dict(opts)
        if "betas" in kwargs:
            kwargs["betas"] = tuple(kwargs["betas"])
        cases = [optimizer_case(lambda ps: classes[kind](ps, **kwargs), dt)
                 for dt in (torch.float32, torch.float64)]
        write(f"optim_{name}.json", {"optimizer": kind, "options": opts, "cases": cases})


def clip_fixture():
    cases = []
    for dtype in (torch.float32, torch.float64):
        for max_norm in (0.5, 100.0):  # clips / leaves the gradients alone
            gen = torch.Generator().manual_seed(99)
            params = [torch.zeros(s, dtype=dtype, requires_grad=True) for s in SHAPES]
            for p in params:
                p.grad = torch.randn(p.shape, generator=gen, dtype=torch.float64).to(dtype)
            grads = [as_list(p.grad) for p in params]
            norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
            cases.append({"dtype": "f32" if dtype == torch.float32 else "f64", "shapes": SHAPES,
                          "max_norm": max_norm, "grads": grads, "norm": float(norm),
                          "clipped": [as_list(p.grad) for p in params]})
    # clip_grad_value_: elementwise clamp to [-v, v]
    gen = torch.Generator().manual_seed(7)
    p = torch.zeros([6], dtype=torch.float64, requires_grad=True)
    p.grad = torch.randn([6], generator=gen, dtype=torch.float64)
    before = as_list(p.grad)
    torch.nn.utils.clip_grad_value_([p], 0.5)
    write("optim_clip.json", {"norm_cases": cases,
                              "value_case": {"clip_value": 0.5, "grads": before,
                                             "clipped": as_list(p.grad)}})


def schedule_fixture():
    def closed_form(make, epochs):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        lrs = []
        for _ in range(epochs):
            lrs.append(sched._get_closed_form_lr()[0])
            opt.step()
            sched.step()
        return lrs

    write("optim_schedule.json", {
        "step": {"base_lr": 0.1, "step_size": 3, "gamma": 0.5,
                 "lrs": closed_form(lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5), 12)},
        "cosine": {"base_lr": 0.1, "total_epochs": 10, "min_lr": 0.001,
                   "lrs": closed_form(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
                       o, T_max=10, eta_min=0.001), 11)},
    })


def groups_fixture():
    """AdamW and SGD with two parameter groups (own lr, weight decay, betas / momentum) under
    SequentialLR(LinearLR warmup, CosineAnnealingLR), stepped once per optimizer step: the lr of
    each group at every step and the parameters after it."""
    warmup, total, start_factor, eta_min = 3, 5, 0.1, 1e-4
    configs = {
        "adamw": (torch.optim.AdamW,
                  [{"lr": 0.02, "weight_decay": 0.1, "betas": (0.9, 0.999)},
                   {"lr": 0.005, "weight_decay": 0.0, "betas": (0.8, 0.99)}], {"eps": 1e-8}),
        "sgd": (torch.optim.SGD,
                [{"lr": 0.1, "weight_decay": 0.05, "momentum": 0.9},
                 {"lr": 0.03, "weight_decay": 0.0, "momentum": 0.5}], {}),
    }
    out = {"warmup": warmup, "total": total, "start_factor": start_factor, "eta_min": eta_min,
           "groups": [[0, 1], [2]], "optimizers": {}}
    for name, (cls, group_opts, common) in configs.items():
        cases = []
        for dtype in (torch.float32, torch.float64):
            gen = torch.Generator().manual_seed(4321)
            params = [torch.randn(s, generator=gen, dtype=torch.float64).to(dtype)
                      .requires_grad_() for s in SHAPES]
            init = [as_list(p) for p in params]
            groups = [dict(params=[params[i] for i in idx], **o)
                      for idx, o in zip(out["groups"], group_opts)]
            opt = cls(groups, **common)
            sched = torch.optim.lr_scheduler.SequentialLR(opt, [
                torch.optim.lr_scheduler.LinearLR(opt, start_factor=start_factor,
                                                  total_iters=warmup),
                torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=eta_min)],
                milestones=[warmup])
            grads, after, lrs = [], [], []
            for step in range(warmup + total):
                lrs.append([g["lr"] for g in opt.param_groups])
                row = []
                for p in params:
                    g = torch.randn(p.shape, generator=gen, dtype=torch.float64).to(dtype)
                    p.grad = g.clone()
                    row.append(as_list(g))
                grads.append(row)
                opt.step()
                sched.step()
                after.append([as_list(p) for p in params])
            cases.append({"dtype": "f32" if dtype == torch.float32 else "f64", "shapes": SHAPES,
                          "init": init, "grads": grads, "after": after, "lrs": lrs})
        opts = [{k: list(v) if isinstance(v, tuple) else v for k, v in o.items()}
                for o in group_opts]
        out["optimizers"][name] = {"groups": opts, "common": common, "cases": cases}
    write("optim_groups.json", out)


# --- safetensors, by hand: struct + json, the layout torch's safetensors package writes ---
DTYPES = {"F32": ("<f", 4, torch.float32), "F64": ("<d", 8, torch.float64),
          "I64": ("<q", 8, torch.int64)}


def write_safetensors(path, tensors, metadata):
    header, data = {}, b""
    for name, (dtype, t) in tensors.items():
        fmt, size, _ = DTYPES[dtype]
        raw = struct.pack("<%d%s" % (t.numel(), fmt[1]), *t.reshape(-1).tolist())
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # safetensors pads the header to 8-byte alignment
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        fmt, size, dtype = DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        count = (e - b) // size
        assert count == math.prod(info["shape"]), name
        values = struct.unpack("<%d%s" % (count, fmt[1]), data[b:e])
        out[name] = torch.tensor(values, dtype=dtype).reshape(info["shape"])
    return out, header.get("__metadata__", {})


def safetensors_fixture():
    path = os.path.join(OUT, "torch_written.safetensors")
    tensors = {
        "weight": ("F32", torch.tensor([[1.5, -2.25, 3.0], [0.1, 1e-30, -0.0]])),
        "bias": ("F64", torch.tensor([math.pi, -1e300], dtype=torch.float64)),
        "ids": ("I64", torch.tensor([0, -1, 2**40], dtype=torch.int64)),
        "step": ("I64", torch.tensor(7, dtype=torch.int64)),
    }
    write_safetensors(path, tensors, {"format": "pt", "epoch": "3"})
    back, meta = read_safetensors(path)
    for name, (_, t) in tensors.items():
        assert torch.equal(back[name], t), name
    print("wrote", os.path.relpath(path), meta)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--read":
        tensors, meta = read_safetensors(sys.argv[2])
        print("metadata", meta)
        for name, t in tensors.items():
            print(name, t.dtype, list(t.shape), t.reshape(-1).tolist()[:8])
        sys.exit(0)
    torch.set_printoptions(precision=10)
    os.makedirs(OUT, exist_ok=True)
    optimizer_fixtures()
    clip_fixture()
    schedule_fixture()
    groups_fixture()
    safetensors_fixture()
