#!/usr/bin/python3
"""Reference numbers for bench/bench_text.cpp: sentencepiece BPE on the same file and vocabulary
size. For measurement only (CI never runs it): apt-get install -y python3-sentencepiece, then
    /usr/bin/python3 scripts/bench_sentencepiece.py [data/tinyshakespeare.txt] [2260 8260]
Vocabulary sizes match ours: 4 reserved + 256 byte tokens + merges (2,000 -> 2260, 8,000 -> 8260);
sentencepiece is given byte_fallback too. Times are CPU seconds (time.process_time) and wall
seconds; training uses one thread, as ours does.
Each size is trained twice: with sentencepiece's default normalization (nmt_nfkc, whitespace runs
collapsed: newlines become spaces, so decode cannot restore them) and lossless (identity rule,
whitespace kept, like ours), where newlines cost tokens as they do in ours.
"""
import os
import sys
import tempfile
import time

import sentencepiece as spm


def best_of(repeats, fn):
    best_cpu, best_wall, result = float("inf"), float("inf"), None
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best_cpu, best_wall, result


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "data", "tinyshakespeare.txt")
    sizes = [int(s) for s in sys.argv[2:]] or [2260, 8260]
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    mb = len(text.encode("utf-8")) / 1e6
    print(f"file: {path} ({mb:.3f} MB, {len(text)} chars), sentencepiece {spm.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        for vocab_size, lossless in [(v, l) for v in sizes for l in (False, True)]:
            prefix = os.path.join(tmp, f"bpe{vocab_size}{'-lossless' if lossless else ''}")
            normalization = dict(normalization_rule_name="identity", remove_extra_whitespaces=False,
                                 split_by_whitespace=True) if lossless else {}

            def train():
                spm.SentencePieceTrainer.train(
                    input=path, model_prefix=prefix, model_type="bpe", vocab_size=vocab_size,
                    character_coverage=1.0, byte_fallback=True, num_threads=1,
                    max_sentence_length=1 << 20, input_sentence_size=0, minloglevel=2,
                    **normalization)

            train_cpu, train_wall, _ = best_of(1, train)
            sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
            # Encoding: the whole file as one string, and line by line (one call, one thread).
            whole_cpu, whole_wall, ids = best_of(3, lambda: sp.encode(text))
            lines_cpu, lines_wall, line_ids = best_of(3, lambda: sp.encode(lines, num_threads=1))
            line_tokens = sum(len(x) for x in line_ids)
            if lossless:
                assert sp.decode(sp.encode(text)) == text, "lossless model does not round-trip"
            print(f"vocab {vocab_size}{' lossless' if lossless else ' default'}: train {train_cpu:.2f} s CPU ({train_wall:.2f} s wall); "
                  f"encode whole file {mb / whole_cpu:.1f} MB/s CPU ({mb / whole_wall:.1f} wall), "
                  f"{len(ids) / len(text):.4f} tokens/char; "
                  f"encode by line {mb / lines_cpu:.1f} MB/s CPU ({mb / lines_wall:.1f} wall), "
                  f"{line_tokens / len(text):.4f} tokens/char")


if __name__ == "__main__":
    main()
