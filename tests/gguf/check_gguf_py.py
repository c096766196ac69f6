#!/usr/bin/env python3
"""Reads an arecipe GGUF with the PyPI `gguf` package (gguf-py, llama.cpp's own Python
reader) and checks it against the F16 GGUF it was quantized from: same tensor names and
shapes, the ggml type names arecipe reported, and gguf-py's dequantization within a
per-type error bound of the source values (so gguf-py decodes our block layouts as we
meant them). Prints 'N passed, M failed' and exits non-zero on any failure.

usage: check_gguf_py.py QUANTIZED.gguf SOURCE_F16.gguf
"""
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

# Relative RMSE bounds per type (spec: Gaussian weights give Q2_K 30%, Q3_K 15%, ...).
BOUND = {"F32": 1e-6, "F16": 1e-3, "BF16": 8e-3, "Q8_0": 0.02, "Q6_K": 0.05, "Q5_K": 0.08, "Q5_1": 0.08,
         "Q5_0": 0.08, "Q4_K": 0.15, "Q4_1": 0.15, "Q4_0": 0.18, "Q3_K": 0.3, "Q2_K": 0.6}


def values(t):
    return dequantize(t.data, t.tensor_type).astype(np.float64).reshape(-1)


def main():
    q, src = GGUFReader(sys.argv[1]), GGUFReader(sys.argv[2])
    sref = {t.name: t for t in src.tensors}
    ok = bad = 0
    arch = q.fields["general.architecture"]
    if bytes(arch.parts[arch.data[0]]).decode() not in ("llama", "qwen2", "qwen3"):
        print("unexpected architecture"); bad += 1
    for t in q.tensors:
        s = sref.get(t.name)
        if s is None or list(t.shape) != list(s.shape):
            print(f"{t.name}: missing in source or shape differs"); bad += 1; continue
        x, y = values(s), values(t)
        rel = np.sqrt(np.mean((x - y) ** 2) / max(np.mean(x ** 2), 1e-30))
        if rel > BOUND[t.tensor_type.name]:
            print(f"{t.name} {t.tensor_type.name}: relative RMSE {rel:.4f} > {BOUND[t.tensor_type.name]}"); bad += 1
        else:
            ok += 1
    if len(q.tensors) != len(src.tensors):
        print("tensor count differs"); bad += 1
    print(f"{ok} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
