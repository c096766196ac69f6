#!/usr/bin/env python3
"""RTN quantize-dequantize throughput (weights/s) of one 4096x4096 fp32 layer:
auto-round 0.16.1's own functions, called as its RTN flow calls them
(quant_tensor_rtn_sym, quant_tensor_asym, quant_mx, nv_fp4 with v=0, scales 1),
against bench_rtn (arecipe) on the same tensor in the same invocation, single
thread and all threads. Prints weights/s and the ratio arecipe/auto-round.

    python bench/qdq/bench_rtn_upstream.py --binary build/bench/qdq/bench_rtn [--threads N]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import torch
from safetensors.torch import save_file

from auto_round.data_type.int import quant_tensor_asym, quant_tensor_rtn_sym
from auto_round.data_type.mxfp import quant_mx
from auto_round.data_type.nvfp import calculate_gparam, nv_fp4

UNWRAP = dict(v=torch.tensor(0.0), min_scale=torch.tensor(1.0), max_scale=torch.tensor(1.0))
CASES = {
    "int_w4g128_sym": lambda w: quant_tensor_rtn_sym(w, bits=4, group_size=128, **UNWRAP),
    "int_w4g32_asym": lambda w: quant_tensor_asym(w, bits=4, group_size=32, **UNWRAP),
    "mxfp4": lambda w: quant_mx(w, bits=4, group_size=32, data_type="mx_fp4", v=UNWRAP["v"],
                                max_scale=UNWRAP["max_scale"]),
    "nvfp4": lambda w: nv_fp4(w, bits=4, group_size=16, v=UNWRAP["v"], global_scale=calculate_gparam(w, 16),
                              max_scale=UNWRAP["max_scale"]),
}


def upstream(w, threads, reps):
    torch.set_num_threads(threads)
    out = {"threads": threads, "weights": w.numel()}
    with torch.no_grad():
        for name, fn in CASES.items():
            fn(w)
            secs = []
            for _ in range(reps):
                t0 = time.perf_counter()
                fn(w)
                secs.append(time.perf_counter() - t0)
            out[name] = w.numel() / statistics.median(secs)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--size", type=int, default=4096)
    args = ap.parse_args()
    torch.manual_seed(0)
    w = torch.randn(args.size, args.size) * 0.02
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "w.safetensors")
        save_file({"w": w.contiguous()}, path)
        for threads in sorted({1, args.threads}):
            ours = json.loads(subprocess.check_output(
                [args.binary, path, "--threads", str(threads), "--reps", str(args.reps)], text=True))
            theirs = upstream(w, threads, args.reps)
            print(f"== RTN qdq throughput, {args.size}x{args.size} fp32, {threads} thread(s), weights/s")
            print(f"{'scheme':16} {'arecipe':>12} {'auto-round':>12} {'ratio':>7}")
            for name in CASES:
                print(f"{name:16} {ours[name]:12.3e} {theirs[name]:12.3e} {ours[name] / theirs[name]:6.2f}x")


if __name__ == "__main__":
    main()
