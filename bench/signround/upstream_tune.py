#!/usr/bin/env python3
"""Upstream auto-round (PyPI, pinned in scripts/requirements-reference.txt) on the
same model, scheme, settings and calibration file as an arecipe recipe, on CPU in
fp32 (amp off), exporting the fake-quant checkpoint so that `arecipe eval` measures
both with the same code. Used by bench/signround/run (time, peak RSS) and
bench/signround/accuracy (perplexity table in docs/tuning.md).

    upstream_tune.py --model DIR --bits 2 --group-size 32 --iters 200 --nsamples 128 \
        --seqlen 256 --batch-size 8 --dataset FILE[:concat=true] --out DIR [--threads N]
Prints one JSON line: {"seconds": tuning+export wall time, "out": fake export dir}.
"""
import argparse
import glob
import json
import os
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from auto_round import AutoRound


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--bits", type=int, required=True)
    p.add_argument("--group-size", type=int, default=32)
    p.add_argument("--asym", action="store_true")
    p.add_argument("--iters", type=int, default=200)
    p.add_argument("--nsamples", type=int, default=128)
    p.add_argument("--seqlen", type=int, default=2048)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--dataset", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--disable-opt-rtn", action="store_true")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(a.model)
    start = time.time()
    kwargs = {}
    if a.iters == 0:
        kwargs["disable_opt_rtn"] = a.disable_opt_rtn
    ar = AutoRound(model, tokenizer=tok, scheme=f"W{a.bits}A16", bits=a.bits, group_size=a.group_size,
                   sym=not a.asym, iters=a.iters, nsamples=a.nsamples, seqlen=a.seqlen,
                   batch_size=a.batch_size, dataset=a.dataset, amp=False, seed=42, device_map="cpu", **kwargs)
    ar.quantize_and_save(a.out, format="fake")
    seconds = time.time() - start
    configs = glob.glob(os.path.join(a.out, "**", "config.json"), recursive=True)
    out = os.path.dirname(sorted(configs)[0]) if configs else a.out
    print(json.dumps({"seconds": seconds, "out": out}))


if __name__ == "__main__":
    main()
