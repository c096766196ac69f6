#!/usr/bin/env python3
"""Regenerates data/codec_golden.bin: rows quantized by llama.cpp's ggml_quantize_chunk
(arecipe-ggml-quantize from scripts/build-llama-cpp) for every type, with and without
importance weights, so test_ggml_codec checks byte equality offline.

usage: tests/gguf/gen_codec_golden.py BUILD_DIR   (after scripts/build-llama-cpp BUILD_DIR)
Format (little-endian): b"AGGC", u32 n, u32 rows, f32 x[rows*n], f32 imp[n], u32 cases,
then per case: u32 type, u32 imatrix, u64 nbytes, bytes.
"""
import math, os, random, struct, subprocess, sys, tempfile

TYPES = [2, 3, 6, 7, 8, 10, 11, 12, 13, 14, 1, 30]  # q4_0 q4_1 q5_0 q5_1 q8_0 q2_K..q6_K f16 bf16
N, ROWS = 512, 10


def rows():
    rng = random.Random(7)
    x = []
    for r in range(ROWS):
        kind = r % 5
        for i in range(N):
            g = rng.gauss(0, 1)
            if kind == 0:
                v = 0.02 * g
            elif kind == 1:
                v = 0.05 * g * (40 if rng.random() < 0.01 else 1)
            elif kind == 2:
                v = abs(g) + 0.1
            elif kind == 3:
                grp = (i // 16) % 4
                v = 0.0 if grp == 0 else 0.25 if grp == 1 else g
            else:
                v = g * math.exp(2 * rng.gauss(0, 1))
            x.append(v)
    imp = [rng.lognormvariate(0, 1.5) for _ in range(N)]
    return x, imp


def main():
    tool = os.path.join(sys.argv[1], "llama.cpp/bin/arecipe-ggml-quantize")
    x, imp = rows()
    out = bytearray(b"AGGC" + struct.pack("<II", N, ROWS))
    out += struct.pack(f"<{len(x)}f", *x) + struct.pack(f"<{N}f", *imp)
    cases = []
    with tempfile.TemporaryDirectory() as d:
        xf, wf, of = (os.path.join(d, n) for n in ("x.f32", "w.f32", "o.bin"))
        open(xf, "wb").write(struct.pack(f"<{len(x)}f", *x))
        open(wf, "wb").write(struct.pack(f"<{N}f", *imp))
        for t in TYPES:
            for im in (0, 1):
                subprocess.run([tool, str(t), str(N), xf, of] + ([wf] if im else []), check=True)
                cases.append((t, im, open(of, "rb").read()))
    out += struct.pack("<I", len(cases))
    for t, im, b in cases:
        out += struct.pack("<IIQ", t, im, len(b)) + b
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "codec_golden.bin")
    open(path, "wb").write(out)
    print(f"wrote {path}: {len(out)} bytes, {len(cases)} cases")


if __name__ == "__main__":
    main()
