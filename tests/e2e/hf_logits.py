#!/usr/bin/env python3
"""Logits of a (quantized) checkpoint with transformers + auto-round's inference backend.

Usage: hf_logits.py --model DIR --ids IDS.json --out OUT.safetensors
IDS.json: a list of equal-length lists of token ids. Writes
  logits            fp32 [B, T, V], the loaded model cast to fp32 (.float())
  logits_as_loaded  fp32 [B, T, V], the model as auto-round leaves it on CPU (its torch
                    backends force fp16 compute)
and metadata {"quant_linear": class names, "quantized_modules": n, "loaded_dtype"}.
auto-round's loader (AutoRoundConfig) handles auto_round, gptq and awq checkpoints; a
checkpoint without quantization_config loads as a plain model.
"""
import argparse
import contextlib
import json
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoRoundConfig



from hf_reference import to_fp32_with_checkpoint_floats  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    ids = torch.tensor(json.load(open(a.ids)), dtype=torch.long)
    cfg = json.load(open(f"{a.model}/config.json"))
    kwargs = {"quantization_config": AutoRoundConfig(backend="auto")} if "quantization_config" in cfg else {}
    with contextlib.redirect_stdout(sys.stderr):
        model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, device_map="cpu",
                                                     attn_implementation="eager", **kwargs).eval()
    quant = sorted({f"{type(m).__module__}.{type(m).__name__}" for m in model.modules() if hasattr(m, "qweight")})
    n_quant = sum(1 for m in model.modules() if hasattr(m, "qweight"))
    loaded_dtype = str(model.dtype)
    with torch.no_grad():
        as_loaded = model(ids).logits.float()
        model = to_fp32_with_checkpoint_floats(model, a.model)
        fp32 = model(ids).logits.float()
    save_file({"logits": fp32.contiguous(), "logits_as_loaded": as_loaded.contiguous()}, a.out,
              metadata={"quant_linear": json.dumps(quant), "quantized_modules": str(n_quant),
                        "loaded_dtype": loaded_dtype})
    print(json.dumps({"quant_linear": quant, "quantized_modules": n_quant, "loaded_dtype": loaded_dtype}))


if __name__ == "__main__":
    main()
