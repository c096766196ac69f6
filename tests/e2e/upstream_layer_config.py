#!/usr/bin/env python3
"""Per-layer schemes auto-round's loader resolves from a quantization_config.

Usage: upstream_layer_config.py --model DIR --configs CONFIGS.json
CONFIGS.json: {name: quantization_config}. Prints {name: {layer: "W<bits> G<gs> sym|asym"
or "float"}} for every Linear under model.* , from auto_round.inference.convert_model.
get_layer_config (what replaces each Linear by a QuantLinear when loading).
"""
import argparse
import contextlib
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoRoundConfig

from auto_round.inference.convert_model import get_layer_config
from auto_round.utils import check_to_quantized


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--configs", required=True)
    a = ap.parse_args()
    configs = json.load(open(a.configs))
    with contextlib.redirect_stdout(sys.stderr):
        model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32)
    linears = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and n.startswith("model.")]
    out = {}
    for name, qc in configs.items():
        with contextlib.redirect_stdout(sys.stderr):
            layer_configs = get_layer_config(model, AutoRoundConfig.from_dict(dict(qc)))
        res = {}
        for n in linears:
            c = layer_configs.get(n)
            if c is None or not check_to_quantized(c):
                res[n] = "float"
            else:
                res[n] = f"W{c['bits']} G{c['group_size']} {'sym' if c['sym'] else 'asym'}"
        out[name] = res
    print(json.dumps(out))


if __name__ == "__main__":
    main()
