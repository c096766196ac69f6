#!/usr/bin/env python3
"""Upstream auto-round (PyPI 0.16.1) AutoScheme, end to end: AutoRound(model,
scheme=AutoScheme(avg_bits, options, ...), iters=...) on CPU in fp32 (amp off), tuned
and exported as the fake-quant checkpoint so that `arecipe eval` measures it with the
same code as arecipe's outputs. The per-layer choice AutoScheme made is recorded
(the layer config returned by its _gen_auto_scheme, wrapped, not changed).
Used by bench/autoscheme/accuracy.

    accuracy_upstream.py --model DIR --options W2A16G32,W4A16G32,W8A16G32 --avg-bits 3
        --dataset FILE.json --iters 100 --nsamples 32 --seqlen 256 --batch-size 8
        [--scheme-nsamples 16 --scheme-seqlen 256 --scheme-batch-size 8]
        [--ignore-scale-zp-bits] --out DIR [--threads N]
Prints one JSON line: {"seconds", "out": fake export dir, "layers": {name: {bits, group_size, sym}}}.
"""
import argparse
import glob
import json
import os
import tempfile
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--options", required=True)
    p.add_argument("--avg-bits", type=float, required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--iters", type=int, default=100)
    p.add_argument("--nsamples", type=int, default=32)
    p.add_argument("--seqlen", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--scheme-nsamples", type=int, default=16)
    p.add_argument("--scheme-seqlen", type=int, default=256)
    p.add_argument("--scheme-batch-size", type=int, default=8)
    p.add_argument("--ignore-scale-zp-bits", action="store_true")
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    # A fresh score cache: upstream scores every option in this run.
    os.environ["AR_AUTO_SCHEME_CACHE"] = tempfile.mkdtemp(prefix="ar-autoscheme-cache-")
    from auto_round import AutoRound, AutoScheme

    start = time.time()
    options = [o.strip() for o in a.options.split(",") if o.strip()]
    scheme = AutoScheme(avg_bits=a.avg_bits, options=options, ignore_scale_zp_bits=a.ignore_scale_zp_bits,
                        nsamples=a.scheme_nsamples, seqlen=a.scheme_seqlen, batch_size=a.scheme_batch_size)
    ar = AutoRound(a.model, scheme=scheme, iters=a.iters, nsamples=a.nsamples, seqlen=a.seqlen,
                   batch_size=a.batch_size, dataset=a.dataset, amp=False, seed=42, device_map="cpu")
    method = "_gen_auto_scheme" if hasattr(type(ar), "_gen_auto_scheme") else "_resolve_auto_scheme"
    orig_gen = getattr(type(ar), method)
    layer_config = {}

    def gen_wrapper(self, *args, **kw):
        r = orig_gen(self, *args, **kw)
        layer_config.update(r or {})
        return r

    setattr(type(ar), method, gen_wrapper)
    ar.quantize_and_save(a.out, format="fake")
    seconds = time.time() - start
    if not layer_config:
        raise SystemExit(f"AutoScheme's layer config was not captured ({method})")
    configs = glob.glob(os.path.join(a.out, "**", "config.json"), recursive=True)
    out = os.path.dirname(sorted(configs)[0]) if configs else a.out
    layers = {k: {kk: v[kk] for kk in ("bits", "group_size", "sym", "data_type") if kk in v}
              for k, v in layer_config.items() if isinstance(v, dict)}
    print(json.dumps({"seconds": seconds, "out": out, "layers": layers}))


if __name__ == "__main__":
    main()
