#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets, fuzz/corpus/<target>/: small valid files in each
format the loaders read, and slightly broken ones (truncated, lying sizes, wrong types, too
deep). Standard library only. Run from anywhere: python3 fuzz/make_seeds.py"""
import json
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def deep(levels):
    return "{\"a\":" + "[" * levels + "]" * levels + "}"


# --- safetensors: 8-byte little-endian header length, JSON header, packed little-endian data ---
def safetensors(tensors, metadata=None, header_patch=None):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if header_patch:
        header_patch(header)
    text = dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(*xs):
    return struct.pack("<%df" % len(xs), *xs)


def f64(*xs):
    return struct.pack("<%dd" % len(xs), *xs)


def i64(*xs):
    return struct.pack("<%dq" % len(xs), *xs)


def safetensors_seeds():
    t = "safetensors"
    good = [("w", "F32", [2, 3], f32(1, 2, 3, 4, 5, 6)), ("b", "F64", [3], f64(0.5, -1, 2)),
            ("step", "I64", [], i64(7))]
    valid = safetensors(good, {"epoch": "1", "wengert.checkpoint_id": "abc"})
    write(t, "valid.safetensors", valid)
    write(t, "empty.safetensors", safetensors([]))
    write(t, "zero_size.safetensors", safetensors([("z", "F32", [0, 4], b"")]))
    write(t, "truncated.safetensors", valid[:-5])
    write(t, "header_too_long.safetensors", struct.pack("<Q", 1 << 40) + valid[8:])
    write(t, "bad_dtype.safetensors", safetensors([("x", "BF16", [2], b"\0" * 4)]))
    write(t, "nan.safetensors", safetensors([("x", "F32", [2], f32(float("nan"), float("inf")))]))

    def overlap(h):
        h["b"]["data_offsets"] = [0, 24]
    write(t, "overlap.safetensors", safetensors(good, header_patch=overlap))

    def huge(h):  # 0 bytes, but [0, 2^62, 2^62] elements overflow a naive stride product
        h["z"] = {"dtype": "F32", "shape": [0, 1 << 62, 1 << 62], "data_offsets": [0, 0]}
    write(t, "huge_zero_size.safetensors", safetensors([], header_patch=huge))
    text = deep(70).encode()
    write(t, "deep.safetensors", struct.pack("<Q", len(text)) + text)


# --- wengert tokenizer files: {"format": "wengert.tokenizer", "version": 1, "kind": ...} ---
def vocab(tokens, frequencies, num_reserved, unk="<unk>"):
    return {"tokens": tokens, "frequencies": frequencies, "num_reserved": num_reserved,
            "unk_token": unk}


def tokenizer(kind, **fields):
    return dumps({"format": "wengert.tokenizer", "version": 1, "kind": kind, **fields})


BYTE_TOKENS = ["<0x%02X>" % b for b in range(256)]
RESERVED = ["<pad>", "<bos>", "<eos>", "<unk>"]


def gpt2_byte_to_unicode():
    """GPT-2's bytes_to_unicode (openai/gpt-2 encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def gpt2_model():
    """The 256 byte tokens and a few merges, in GPT-2's alphabet ("Ġ" is the space)."""
    u = gpt2_byte_to_unicode()
    vocab = {u[b]: b for b in range(256)}
    merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "w"), ("o", "r"),
              ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    return vocab, merges


def tokenizer_seeds():
    t = "tokenizer_json"
    chars = ["a", "b", " ", "\u00e9", "\u20ac"]
    write(t, "char.json", tokenizer("char", vocab=vocab(["<unk>"] + chars, [0, 5, 4, 3, 2, 1], 1),
                                    byte_fallback=False))
    write(t, "char_fallback.json",
          tokenizer("char", vocab=vocab(RESERVED + BYTE_TOKENS + chars,
                                        [0] * 4 + [0] * 256 + [5, 4, 3, 2, 1], 4),
                    byte_fallback=True))
    write(t, "char_not_a_char.json",
          tokenizer("char", vocab=vocab(["<unk>", "ab"], [0, 1], 1), byte_fallback=False))
    write(t, "word.json", tokenizer("word", vocab=vocab(["<unk>", "the", "time", ",", "don't"],
                                                        [0, 9, 5, 3, 1], 1)))
    write(t, "word_duplicate.json", tokenizer("word", vocab=vocab(["<unk>", "a", "a"], [0, 1, 1], 1)))
    # bpe ids: the reserved tokens, the bytes (id = 4 + byte), then one id per merge
    b = lambda ch: 4 + ord(ch)
    merges = [[b("t"), b("h")], [260, b("e")], [b(" "), 261], [b("i"), b("n")]]
    write(t, "bpe.json", tokenizer("bpe", reserved=RESERVED, pretokenizer="wengert-chunks-v1",
                                   merges=merges))
    write(t, "bpe_no_reserved.json", tokenizer("bpe", reserved=[], pretokenizer="wengert-chunks-v1",
                                               merges=[[ord("a"), ord("b")], [256, 256]]))
    write(t, "bpe_forward_ref.json", tokenizer("bpe", reserved=RESERVED,
                                               pretokenizer="wengert-chunks-v1",
                                               merges=[[300, 301]]))
    doubling = [[b("a"), b("a")]] + [[260 + k - 1, 260 + k - 1] for k in range(1, 32)]
    write(t, "bpe_doubling.json", tokenizer("bpe", reserved=RESERVED,
                                            pretokenizer="wengert-chunks-v1", merges=doubling))
    vocab_g, merges_g = gpt2_model()
    write(t, "gpt2.json", tokenizer("gpt2", vocab=vocab_g, merges=[a + " " + b for a, b in merges_g]))
    duplicate_id = dict(vocab_g, **{"Ġworld": vocab_g["Ġt"]})  # two tokens, one id
    write(t, "gpt2_duplicate_id.json", tokenizer("gpt2", vocab=duplicate_id,
                                                 merges=[a + " " + b for a, b in merges_g]))
    huge_id = dict(vocab_g, **{"Ġworld": (1 << 31) - 2})  # an id range of 2^31 strings
    write(t, "gpt2_huge_id.json", tokenizer("gpt2", vocab=huge_id,
                                            merges=[a + " " + b for a, b in merges_g]))
    write(t, "vocab.json", dumps({"format": "wengert.vocab", "version": 1,
                                  **vocab(["<unk>", "x", "y"], [0, 2, 1], 1)}))
    write(t, "wrong_version.json", dumps({"format": "wengert.tokenizer", "version": 2,
                                          "kind": "char"}))
    write(t, "not_an_object.json", "[1, 2, 3]")
    write(t, "deep.json", deep(70))


def gpt2_seeds():
    t = "gpt2_loader"
    vocab_g, merges_g = gpt2_model()
    hf = {"version": "1.0", "model": {"type": "BPE", "vocab": vocab_g,
                                      "merges": [a + " " + b for a, b in merges_g]}}
    write(t, "hf_strings.json", b"\0" + dumps(hf).encode())
    hf["model"]["merges"] = [[a, b] for a, b in merges_g]
    write(t, "hf_pairs.json", b"\0" + dumps(hf).encode())
    hf["model"]["type"] = "WordPiece"
    write(t, "hf_wordpiece.json", b"\0" + dumps(hf).encode())
    bpe = "#version: 0.2\n" + "".join(a + " " + b + "\n" for a, b in merges_g)
    write(t, "files.bin", b"\1" + dumps(vocab_g).encode() + b"\0" + bpe.encode())
    missing = dict(vocab_g)
    del missing["Ġt"]
    write(t, "files_missing_token.bin", b"\1" + dumps(missing).encode() + b"\0" + bpe.encode())
    write(t, "files_bad_merge.bin", b"\1" + dumps(vocab_g).encode() + b"\0a b c\r\n")


TEXTS = {
    "english.txt": "The Time Traveller (for so it will be convenient to speak of him)\nwas "
                   "expounding a recondite matter to us. It's 1895, isn't it?\n",
    "utf8.txt": "caf\u00e9 na\u00efve \u20ac5 \u0391\u0392\u0393 \u041f\u0440\u0438\u0432\u0435"
                "\u0442 \U0001F600 \u3001\u3002 \u00a0\u2028end\r\nnext\rline\n",
    "invalid.txt": b"ok \xff \xc0\x80 overlong, \xed\xa0\x80 surrogate, \xf4\x90\x80\x80 too high,"
                   b" \xe2\x82 truncated, \x80 lone\n",
    "bom_crlf.txt": b"\xef\xbb\xbfFirst line\r\n\r\n  Second, line  \r\nthird\r",
    "runs.txt": "a" * 300 + " " * 40 + "1234567890" * 5 + "!?" * 30 + "\t\n" * 10,
    "empty.txt": "",
}


def text_seeds():
    for target in ("bpe_roundtrip", "corpus"):
        for name, data in TEXTS.items():
            write(target, name, data)


def run_config():
    return {"format": "wengert.lm.run", "version": 1,
            "model": {"cell": "lstm", "vocab_size": 28, "embedding": 0, "hidden": 32,
                      "layers": 2, "dropout": 0.1},
            "train": {"steps": 35, "batch": 32, "epochs": 10, "optimizer": "sgd", "lr": 1.0,
                      "clip": 1.0, "partition": "sequential", "truncation": "fixed",
                      "unbiased": False, "val_streams": 0, "seed": 42, "on_nonfinite": "stop"},
            "data": {"corpus": "data/timemachine.txt", "tokenizer": "char", "merges": 0,
                     "normalize": "letters", "reserved": "unk", "val_fraction": 0.1,
                     "max_tokens": 0, "invalid_utf8": "error"},
            "threads": 1, "corpus_fnv1a": 123, "tokenizer_fnv1a": 456}


def run_config_seeds():
    t = "run_config"
    write(t, "valid.json", dumps(run_config()))
    c = run_config()
    c["model"]["hidden"] = 1 << 62
    write(t, "huge_hidden.json", dumps(c))
    c = run_config()
    c["train"]["lr"] = "0.5"
    write(t, "lr_string.json", dumps(c))
    c = run_config()
    c["data"]["invalid_utf8"] = "ignore"
    write(t, "bad_invalid_utf8.json", dumps(c))
    c = run_config()
    c["version"] = "1"
    write(t, "version_string.json", dumps(c))
    write(t, "minimal.json", dumps({"format": "wengert.lm.run", "version": 1,
                                    "model": {"vocab_size": 5}}))
    write(t, "deep.json", deep(70))


def checkpoint_seeds():
    """trainer.json / state.safetensors of fuzz_checkpoint.cpp's run: a 2-layer LSTM, V=5, H=3,
    steps 4, batch 2, stopped after the first batch. The first byte picks the file (0: trainer.json,
    1: state.safetensors)."""
    t = "checkpoint"
    rng = [1, 2, 3, 4]
    trainer = {"format": "wengert.lm.checkpoint", "version": 1,
               "model": {"cell": "lstm", "vocab_size": 5, "embedding": 0, "hidden": 3,
                         "layers": 2, "dropout": 0.0},
               "train": {"steps": 4, "batch": 2, "epochs": 2, "optimizer": "sgd", "lr": 1.0,
                         "clip": 1.0, "partition": "sequential", "truncation": "fixed",
                         "unbiased": False, "val_streams": 0, "seed": 42,
                         "on_nonfinite": "stop"},
               "epoch": 0, "batch": 1, "data_rng": rng, "dropout_rng": rng,
               "data_rng_at_epoch_start": rng, "dropout_rng_at_epoch_start": rng,
               "nll_sum": 12.5, "tokens": 8, "carried_batches": 0, "seconds": 0.01,
               "history": []}
    write(t, "trainer.json", b"\0" + dumps(trainer).encode())
    one_epoch = dict(trainer, epoch=1, batch=0, history=[
        {"epoch": 1, "train_loss": 1.5, "train_ppl": 4.48, "val_loss": None, "val_ppl": None,
         "seconds": 0.1, "tokens_per_s": 100.0, "lr": 1.0, "tokens": 112, "batches": 14,
         "carried_batches": 13}])
    write(t, "trainer_epoch1.json", b"\0" + dumps(one_epoch).encode())
    write(t, "trainer_zero_rng.json", b"\0" + dumps(dict(trainer, data_rng=[0, 0, 0, 0])).encode())
    write(t, "trainer_history_short.json", b"\0" + dumps(dict(trainer, epoch=3)).encode())
    state = [(f"{kind}.{layer}", "F32", [2, 3], f32(*[0.1 * i for i in range(6)]))
             for kind in "hc" for layer in range(2)]
    write(t, "state.safetensors", b"\1" + safetensors(state))
    write(t, "state_nan.safetensors",
          b"\1" + safetensors([(n, d, s, f32(float("nan"), *[0.0] * 5)) for n, d, s, _ in state]))
    write(t, "state_bad_name.safetensors", b"\1" + safetensors([("z.0", "F32", [2, 3], f32(*[0] * 6))]))
    write(t, "state_bad_c_shape.safetensors", b"\1" + safetensors(
        [(n, d, [3, 2] if n.startswith("c") else s, r) for n, d, s, r in state]))
    write(t, "state_f64.safetensors", b"\1" + safetensors(
        [(n, "F64", s, f64(*[0.1] * 6)) for n, _, s, _ in state]))
    write(t, "state_i64.safetensors", b"\1" + safetensors(
        [(n, "I64", s, i64(*[1] * 6)) for n, _, s, _ in state]))
    write(t, "state_bad_shape.safetensors", b"\1" + safetensors([(n, d, [3, 2], r) for n, d, _, r in state]))


if __name__ == "__main__":
    shutil.rmtree(ROOT, ignore_errors=True)
    safetensors_seeds()
    tokenizer_seeds()
    gpt2_seeds()
    text_seeds()
    run_config_seeds()
    checkpoint_seeds()
