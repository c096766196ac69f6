#!/usr/bin/env python3
"""transformers + auto-round on our DeepSeek int2-mixed exports (tests/e2e/deepseek_int2_mixed.sh).

Usage: deepseek_int2_mixed_hf.py --packed DIR --tokens IDS.json --seqlen N
  --packed  our auto_round export, loaded through auto-round's loader (AutoRoundConfig:
            its QuantLinear dequantizes our packed int2/int4 tensors with the per-layer
            bits of extra_config), then cast to fp32 with the checkpoint's float tensors
            reloaded (hf_reference)
  --tokens  token ids (JSON list, BOS removed), as `arecipe eval --tokens` reads them
Prints one JSON object:
  quantized_modules   QuantLinear modules auto-round built (every packed linear)
  bits                {bits: count} over those modules
  ppl, windows, tokens   perplexity by docs/perplexity.md's method, to compare with
                      `arecipe eval --tokens` of the same directory

Why not transformers on our fake export: transformers 5 runs DeepSeek's routed experts
fused (one bmm for all experts) while auto-round's loader and arecipe run them per
expert; with quantized weights a few router top-k near-ties then flip on float rounding,
which measured 1.4e-4 relative ppl over 8 windows, noise rather than a signal.
"""
import argparse
import contextlib
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoRoundConfig, AutoTokenizer

from hf_reference import to_fp32_with_checkpoint_floats, window_perplexity


def load(d):
    with contextlib.redirect_stdout(sys.stderr):
        m = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, device_map="cpu", attn_implementation="eager",
                                                 quantization_config=AutoRoundConfig(backend="auto")).eval()
    return to_fp32_with_checkpoint_floats(m, d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--packed", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--seqlen", type=int, required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    ids = json.load(open(a.tokens))
    tok = AutoTokenizer.from_pretrained(a.packed)
    bos = tok.bos_token_id
    packed = load(a.packed)
    quant = [m for m in packed.modules() if hasattr(m, "qweight")]
    bits = {}
    for m in quant:
        bits[str(m.bits)] = bits.get(str(m.bits), 0) + 1
    ppl, n, count = window_perplexity(packed, ids, bos, True, a.seqlen)
    print(json.dumps({"quantized_modules": len(quant), "bits": bits, "ppl": ppl, "windows": n, "tokens": count}))


if __name__ == "__main__":
    main()
