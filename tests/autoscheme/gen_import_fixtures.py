#!/usr/bin/env python3
"""Regenerates tests/autoscheme/fixtures/import/: mixed-precision checkpoints made by the
real `auto-round` package (PyPI; version pinned below) on a tiny random Llama, one per
export format. For each format it commits the checkpoint's config.json (whose
quantization_config `arecipe import` reads) and expected_layers.json: every linear's
bits / group size as they are *stored in model.safetensors* (derived from the packed
tensor shapes, not from the config), which the import golden test compares against
`plan` of the imported recipe.

Usage: python tests/autoscheme/gen_import_fixtures.py   (needs torch, transformers,
auto-round==0.16.1; RTN only, a few seconds on CPU)
"""
import json
import os
import shutil
import struct
import sys
import tempfile

import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

import auto_round
from auto_round import AutoRound

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "fixtures", "import")
TOKENIZER = os.path.join(ROOT, "..", "shared", "fixtures", "tokenizers", "llama2-32k", "tokenizer.json")

# Per format: the default scheme arguments and a layer_config that mixes precisions the
# format can hold (AWQ holds only 4-bit, so there the mix is 4-bit + kept layers).
CASES = {
    "auto_round": dict(
        scheme="W4A16", group_size=32,
        layer_config={
            "model.layers.0.self_attn.v_proj": {"bits": 8},
            "model.layers.1.mlp.down_proj": {"bits": 2, "group_size": 64},
            "mlp.gate_proj": {"bits": 8},  # not a layer name: upstream treats it as a regex
            "model.layers.1.self_attn.o_proj": {"bits": 16},
        }),
    "auto_gptq": dict(
        scheme="W4A16", group_size=32,
        layer_config={
            "model.layers.0.self_attn.v_proj": {"bits": 8},
            "model.layers.1.mlp.down_proj": {"bits": 2, "group_size": 64},
            "model.layers.1.self_attn.o_proj": {"bits": 16},
        }),
    "auto_awq": dict(
        scheme="W4A16", group_size=32, sym=False,
        layer_config={
            "model.layers.0.mlp.down_proj": {"bits": 16},
            "model.layers.1.self_attn.o_proj": {"bits": 16},
        }),
}


def safetensors_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def stored_layers(ckpt, config):
    """Each linear's storage as the tensors show it: bits and group size from the packed
    qweight / scales shapes, or 16 when a plain `.weight` is stored."""
    header = {}
    for name in sorted(os.listdir(ckpt)):
        if name.endswith(".safetensors"):
            header.update(safetensors_header(os.path.join(ckpt, name)))
    quant = config["quantization_config"]
    awq = quant.get("quant_method") == "awq"
    layers = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if key.endswith(".qweight"):
            layer = key[: -len(".qweight")]
            rows, cols = info["shape"]
            scales = header[layer + ".scales"]["shape"]
            if awq:  # [K, N*b/32], scales [K/g, N]
                in_features, out_features = rows, scales[1]
                bits = cols * 32 // out_features
            else:  # GPTQ layout: [K*b/32, N], scales [ceil(K/g), N]
                out_features = cols
                in_features = header[layer + ".g_idx"]["shape"][0] if layer + ".g_idx" in header else None
                if in_features is None:
                    in_features = in_features_of(layer, config)
                bits = rows * 32 // in_features
            layers[layer] = {"bits": bits, "group_size": in_features // scales[0]}
        elif key.endswith(".weight") and ("_proj" in key or key == "lm_head.weight"):
            layers[key[: -len(".weight")]] = {"bits": 16}
    return dict(sorted(layers.items()))


def in_features_of(layer, config):
    h, f = config["hidden_size"], config["intermediate_size"]
    heads, hd = config["num_attention_heads"], config["hidden_size"] // config["num_attention_heads"]
    if layer.endswith("down_proj"):
        return f
    if layer.endswith("o_proj"):
        return heads * hd
    return h


def main():
    print("auto-round", auto_round.__version__)
    torch.manual_seed(0)
    cfg = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
                      num_key_value_heads=2, vocab_size=256, tie_word_embeddings=False,
                      architectures=["LlamaForCausalLM"])
    tok = PreTrainedTokenizerFast(tokenizer_file=TOKENIZER)
    for fmt, case in CASES.items():
        model = LlamaForCausalLM(cfg)
        args = dict(case)
        layer_config = args.pop("layer_config")
        with tempfile.TemporaryDirectory() as tmp:
            ar = AutoRound(model, tok, iters=0, disable_opt_rtn=True, nsamples=1, seqlen=8,
                           layer_config=layer_config, **args)
            ar.quantize_and_save(tmp, format=fmt)
            ckpt = os.path.dirname(next(os.path.join(d, f) for d, _, fs in os.walk(tmp) for f in fs if f == "config.json"))
            with open(os.path.join(ckpt, "config.json")) as f:
                config = json.load(f)
            dest = os.path.join(OUT, fmt)
            os.makedirs(dest, exist_ok=True)
            shutil.copy(os.path.join(ckpt, "config.json"), os.path.join(dest, "config.json"))
            with open(os.path.join(dest, "expected_layers.json"), "w") as f:
                json.dump(stored_layers(ckpt, config), f, indent=1)
                f.write("\n")
        print("wrote", dest)


if __name__ == "__main__":
    sys.exit(main())
