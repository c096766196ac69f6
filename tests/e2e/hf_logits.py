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
import glob
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoRoundConfig



PACKED_SUFFIXES = (".qweight", ".qzeros", ".scales", ".g_idx")


def to_fp32_with_checkpoint_floats(model, model_dir):
    """The loaded model in fp32: auto-round's CPU loader cast everything to fp16, which
    rounded the float tensors (embeddings, norms, unquantized linears) and the rotary
    embedding's inv_freq; cast back, reload the former from the checkpoint and rebuild
    the latter. The QuantLinear buffers stay as loaded (packed ints; fp16 scales, exact
    in fp32)."""
    from safetensors import safe_open
    model = torch.nn.Module.float(model)  # transformers refuses .float() on quantized models
    state = {}
    for shard in glob.glob(os.path.join(model_dir, "*.safetensors")):
        with safe_open(shard, "pt") as f:
            for k in f.keys():
                if not k.endswith(PACKED_SUFFIXES):
                    state[k] = f.get_tensor(k).float()
    _, unexpected = model.load_state_dict(state, strict=False)
    if unexpected:
        raise RuntimeError(f"checkpoint tensors the model does not have: {unexpected}")
    rebuilt = 0
    for name, m in list(model.named_modules()):
        if name.endswith("rotary_emb"):
            parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            setattr(parent, name.rsplit(".", 1)[-1], type(m)(config=model.config))
            rebuilt += 1
    if rebuilt == 0:
        raise RuntimeError("no rotary embedding found to rebuild in fp32")
    return model

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
