#!/usr/bin/env python3
"""End-to-end export goldens: auto-round's own RTN flow (iters=0, pure RTN) and
exporters on the stories260K fixture, as a user would run them. Keeps only what our
exporter must reproduce: every packed tensor (qweight/qzeros/scales/g_idx) and the
quantization_config. Run from the repository root with the pinned reference packages:

    python tests/qdq/gen_export_golden.py [--model DIR]

Writes tests/qdq/golden/export/<case>.safetensors and <case>.quantization_config.json.
"""
import argparse
import glob
import json
import os
import tempfile

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

import auto_round
from auto_round import AutoRound

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODEL = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "models", "stories260K", "hf")
MIXED = {"model.layers.1.self_attn.k_proj": {"bits": 8}}

# case: (format, sym, layer_config)
CASES = {
    "auto_round_w4g32_sym_mixed": ("auto_round", True, MIXED),    # auto_round:auto_gptq packing
    "auto_round_w4g32_asym": ("auto_round", False, {}),           # auto_round:auto_awq packing
    "auto_round_w4g32_asym_mixed": ("auto_round", False, MIXED),  # plain auto_round packing
    "auto_gptq_w4g32_sym_mixed": ("auto_gptq", True, MIXED),
    "auto_awq_w4g32_asym": ("auto_awq", False, {}),
}
PACKED_SUFFIXES = (".qweight", ".qzeros", ".scales", ".g_idx")


def export(model_dir, fmt, sym, layer_config, out_dir):
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(model_dir)
    ar = AutoRound(model, tok, bits=4, group_size=32, sym=sym, iters=0, disable_opt_rtn=True, nsamples=1,
                   seqlen=32, layer_config=dict(layer_config))
    ar.quantize_and_save(out_dir, format=fmt)
    (sub,) = glob.glob(os.path.join(out_dir, "*", "config.json"))
    return os.path.dirname(sub)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--out", default=os.path.join(HERE, "golden", "export"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for case, (fmt, sym, layer_config) in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            d = export(args.model, fmt, sym, layer_config, tmp)
            tensors = {}
            for shard in glob.glob(os.path.join(d, "*.safetensors")):
                with safe_open(shard, "pt") as f:
                    for k in f.keys():
                        if k.endswith(PACKED_SUFFIXES):
                            tensors[k] = f.get_tensor(k)
            save_file(tensors, os.path.join(args.out, f"{case}.safetensors"),
                      metadata={"auto_round": auto_round.__version__})
            with open(os.path.join(d, "config.json")) as f:
                config = json.load(f)
            with open(os.path.join(args.out, f"{case}.quantization_config.json"), "w") as f:
                json.dump(config["quantization_config"], f, indent=2, sort_keys=True)
                f.write("\n")
            print(case, len(tensors), "packed tensors")


if __name__ == "__main__":
    main()
