#!/usr/bin/env python3
"""Encode throughput: arecipe's C++ tokenizer vs HF `tokenizers`, both single-threaded.

Both sides cut the corpus into the same blocks (16 lines, newlines kept), encode every
block with special tokens from a freshly loaded tokenizer (cold word cache), take the best
of --repeat runs, and check they produced the same number of tokens. HF is pinned to one
thread with RAYON_NUM_THREADS=1 and encodes block by block (encode_batch would use Rayon).

    python bench/bench_tokenizer.py --binary build/bench/text/bench_tokenizer \\
        [--model ../shared/fixtures/tokenizers/qwen3] \\
        [--corpus ../shared/fixtures/corpora/wikitext2_raw_test_hfjoined.txt]
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from tokenizers import Tokenizer  # noqa: E402  (after pinning the thread count)
from tokenizers.implementations import ByteLevelBPETokenizer  # noqa: E402


def blocks_of(text, lines_per_block):
    blocks, start, seen = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "\n":
            seen += 1
            if seen == lines_per_block:
                blocks.append(text[start:i + 1])
                start, seen = i + 1, 0
    if start < len(text):
        blocks.append(text[start:])
    return blocks


def load_hf(model):
    path = os.path.join(model, "tokenizer.json")
    if os.path.exists(path):
        return Tokenizer.from_file(path)
    return ByteLevelBPETokenizer(os.path.join(model, "vocab.json"), os.path.join(model, "merges.txt"))


def bench_hf(model, text, block_lines, repeat):
    blocks = blocks_of(text, block_lines)
    best, tokens = float("inf"), 0
    for _ in range(repeat):
        tok = load_hf(model)
        start = time.perf_counter()
        tokens = sum(len(tok.encode(b).ids) for b in blocks)
        best = min(best, time.perf_counter() - start)
    size = len(text.encode("utf-8"))
    return {"impl": "hf-tokenizers", "threads": 1, "bytes": size, "blocks": len(blocks),
            "tokens": tokens, "seconds": best, "mb_per_s": size / best / 1e6}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", default="build/bench/text/bench_tokenizer")
    p.add_argument("--model", default="../shared/fixtures/tokenizers/qwen3")
    p.add_argument("--corpus", default="../shared/fixtures/corpora/wikitext2_raw_test_hfjoined.txt")
    p.add_argument("--block-lines", type=int, default=16)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    with open(args.corpus, encoding="utf-8", newline="") as f:
        text = f.read()
    ours = json.loads(subprocess.run(
        [args.binary, "--model", args.model, "--corpus", args.corpus,
         "--block-lines", str(args.block_lines), "--repeat", str(args.repeat)],
        check=True, capture_output=True, text=True).stdout)
    theirs = bench_hf(args.model, text, args.block_lines, args.repeat)
    print(f"== tokenizer encode throughput, {os.path.basename(args.model)} on "
          f"{os.path.basename(args.corpus)}, single-threaded, {args.block_lines}-line blocks")
    print("arecipe        ", json.dumps(ours))
    print("hf-tokenizers  ", json.dumps(theirs))
    if ours["tokens"] != theirs["tokens"]:
        print(f"MISMATCH: arecipe produced {ours['tokens']} tokens, HF {theirs['tokens']}")
        sys.exit(1)
    print(f"ratio arecipe/hf-tokenizers: {ours['mb_per_s'] / theirs['mb_per_s']:.2f}x")


if __name__ == "__main__":
    main()
