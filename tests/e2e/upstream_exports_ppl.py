#!/usr/bin/env python3
"""Upstream auto-round exports and upstream's own evaluation of them.

Runs auto-round's RTN (iters=0, disable_opt_rtn=True) on a model and exports each case
below, then loads every export with transformers + auto-round's inference backend on
CPU (auto-round replaces each quantized Linear by its QuantLinear, which dequantizes
qweight/qzeros/scales itself) and measures perplexity by the method of
docs/perplexity.md (same windows as tests/e2e/reference_ppl.py and `arecipe eval`).

Usage: upstream_exports_ppl.py --model DIR --text FILE --seqlen N --windows K --out DIR
Prints one JSON object: {case: {"dir", "ppl", "ppl_as_loaded", "windows", "tokens",
"packing_format", "quant_linear": [class names], "quantized_modules": n}}.

On CPU auto-round's torch backends declare fp16/bf16 compute and its loader casts the
whole model to fp16 ("Forced model to torch.float16"): that is "ppl_as_loaded". `arecipe
eval` computes in fp32, so "ppl" is the same loaded model back in fp32: the same
QuantLinear modules dequantizing the same packed tensors (fp16 scales are exact in
fp32), with the checkpoint's float tensors and fp32 activations
(to_fp32_with_checkpoint_floats).
"""
import argparse
import contextlib
import glob
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from auto_round import AutoRound
from transformers import AutoRoundConfig

MIXED = {"model.layers.1.self_attn.k_proj": {"bits": 8}}

# case: (format, sym, layer_config). The asym case mixes bits so that auto-round picks
# its plain `auto_round` packing (GPTQ layout, zero points as is), which its CPU torch
# backend runs; a pure W4 asym export would use the AWQ layout, which on CPU needs the
# separate auto-round-lib kernel package (not in scripts/requirements-reference.txt).
CASES = {
    "auto_round_w4g32_sym": ("auto_round", True, {}),            # auto_round:auto_gptq
    "auto_gptq_w4g32_sym": ("auto_gptq", True, {}),               # gptq, zp - 1
    "auto_round_w4g32_asym_mixed": ("auto_round", False, MIXED),  # auto_round (zp as is)
}



from hf_reference import to_fp32_with_checkpoint_floats, window_perplexity  # noqa: E402


def export(model_dir, fmt, sym, layer_config, out_dir):
    found = glob.glob(os.path.join(out_dir, "*", "config.json"))
    if found:  # an earlier run's export (same inputs): reuse
        return os.path.dirname(found[0])
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(model_dir)
    ar = AutoRound(model, tok, bits=4, group_size=32, sym=sym, iters=0, disable_opt_rtn=True, nsamples=1,
                   seqlen=32, layer_config=dict(layer_config))
    ar.quantize_and_save(out_dir, format=fmt)
    (cfg,) = glob.glob(os.path.join(out_dir, "*", "config.json"))
    return os.path.dirname(cfg)


def perplexity(model, tok, text, seqlen, windows):
    ids = tok(text)["input_ids"]
    bos = tok.bos_token_id
    adds_bos = bos is not None and len(ids) > 0 and ids[0] == bos
    return window_perplexity(model, ids[1:] if adds_bos else ids, bos, adds_bos, seqlen, windows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--text", required=True)
    ap.add_argument("--seqlen", type=int, default=128)
    ap.add_argument("--windows", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    text = open(a.text, encoding="utf-8").read()
    result = {}
    for case, (fmt, sym, layer_config) in CASES.items():
        with contextlib.redirect_stdout(sys.stderr):  # auto-round logs to stdout too
            d = export(a.model, fmt, sym, layer_config, os.path.join(a.out, case))
            # AutoRoundConfig: auto-round's loader for auto_round, and for gptq/awq
            # checkpoints too (instead of transformers' own GPTQ/AWQ integrations).
            model = AutoModelForCausalLM.from_pretrained(
                d, dtype=torch.float32, device_map="cpu", attn_implementation="eager",
                quantization_config=AutoRoundConfig(backend="auto")).eval()
        tok = AutoTokenizer.from_pretrained(d)
        quant = sorted({f"{type(m).__module__}.{type(m).__name__}" for m in model.modules() if hasattr(m, "qweight")})
        n_quant = sum(1 for m in model.modules() if hasattr(m, "qweight"))
        ppl_as_loaded, _, _ = perplexity(model, tok, text, a.seqlen, a.windows)
        loaded_dtype = str(model.dtype)
        model = to_fp32_with_checkpoint_floats(model, d)
        ppl, n, count = perplexity(model, tok, text, a.seqlen, a.windows)
        qc = json.load(open(os.path.join(d, "config.json")))["quantization_config"]
        result[case] = {"dir": d, "ppl": ppl, "ppl_as_loaded": ppl_as_loaded, "loaded_dtype": loaded_dtype,
                        "windows": n, "tokens": count,
                        "quant_method": qc.get("quant_method"), "packing_format": qc.get("packing_format"),
                        "quant_linear": quant, "quantized_modules": n_quant}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
