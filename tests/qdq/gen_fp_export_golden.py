#!/usr/bin/env python3
"""End-to-end goldens for the auto_round export of floating-point schemes: auto-round
0.16.1's own RTN flow (iters=0) and exporter on stories260K with the MXFP4, MXFP8,
NVFP4, FPW8A16 and FP8_BLOCK presets. Keeps what our exporter must reproduce: every
tensor of every quantized layer (float8 tensors as their raw bytes, uint8) and the
quantization_config. NVFP4's static activation scheme needs calibration
(input_global_scale from activation maxima): a fixed short text list is its dataset.
Run from the repository root with the pinned reference packages:

    python tests/qdq/gen_fp_export_golden.py

Writes tests/qdq/golden/export/fp_<scheme>.safetensors and .quantization_config.json.
"""
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
MODEL = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "models", "stories260K", "hf")
SCHEMES = ["MXFP4", "MXFP8", "NVFP4", "FPW8A16", "FP8_BLOCK"]
CALIB = ["Once upon a time there was a little girl named Lily. She liked to play in the park with her dog. " * 4] * 4
SUFFIXES = (".weight_packed", ".weight_scale", ".weight_scale_inv", ".weight_global_scale", ".input_global_scale")


def main():
    out_dir = os.path.join(HERE, "golden", "export")
    os.makedirs(out_dir, exist_ok=True)
    for scheme in SCHEMES:
        with tempfile.TemporaryDirectory() as tmp:
            model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)
            tok = AutoTokenizer.from_pretrained(MODEL)
            ar = AutoRound(model, tok, scheme=scheme, iters=0, disable_opt_rtn=True, nsamples=1, seqlen=32,
                           dataset=CALIB)
            ar.quantize_and_save(tmp, format="auto_round")
            (cfg,) = glob.glob(os.path.join(tmp, "*", "config.json"))
            d = os.path.dirname(cfg)
            tensors = {}
            for shard in glob.glob(os.path.join(d, "*.safetensors")):
                with safe_open(shard, "pt") as f:
                    for k in f.keys():
                        t = f.get_tensor(k)
                        if t.dtype == torch.float8_e4m3fn:
                            tensors[k] = t.view(torch.uint8).contiguous()
                        elif k.endswith(SUFFIXES):
                            tensors[k] = t.contiguous()
            save_file(tensors, os.path.join(out_dir, f"fp_{scheme.lower()}.safetensors"),
                      metadata={"auto_round": auto_round.__version__})
            with open(cfg) as f:
                qc = json.load(f)["quantization_config"]
            with open(os.path.join(out_dir, f"fp_{scheme.lower()}.quantization_config.json"), "w") as f:
                json.dump(qc, f, indent=2, sort_keys=True)
                f.write("\n")
            print(scheme, len(tensors), "tensors")


if __name__ == "__main__":
    main()
