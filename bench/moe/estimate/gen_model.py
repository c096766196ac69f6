#!/usr/bin/env python3
"""A DeepSeek-V3-shaped model with the REAL layer widths of DeepSeek-V3/R1 but few blocks and
experts, for measuring per-expert tuning cost (docs/deepseek-r1-estimate.md).

Real: hidden 7168, MLA (128 heads, q_lora 1536, kv_lora 512, nope 128 / rope 64 / v 128),
moe_intermediate 2048, 1 shared expert, routing switches as released (sigmoid, noaux_tc).
Shrunk: 2 blocks (block 0 dense with intermediate DENSE, default 2048 instead of 18432;
block 1 MoE with E routed experts, top-K, one expert group), vocab 512 (stories260K's
tokenizer, as tests/golden/moe/gen_int2_mixed_model.py). Block linears are written as
DeepSeek's checkpoint stores them (F8_E4M3 + weight_scale_inv [128,128] blocks).

Weights are random (N(0, 0.02), transformers' init); the cost of tuning does not depend on
their values. Peak RAM ~ 2x the fp32 model (~7 GB for E=8).

Usage: python gen_model.py OUT_DIR E K [DENSE]
"""
import json
import os
import shutil
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "golden", "moe"))
from gen_moe_fixtures import BLOCK, block_quantize_fp8, is_fp8_linear, read_all, real_config, write_dir  # noqa: E402
from transformers import DeepseekV3Config, DeepseekV3ForCausalLM  # noqa: E402

TOKENIZER = os.path.join(REPO, "..", "shared", "fixtures", "models", "stories260K", "hf")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def main():
    out, E, K = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    dense = int(sys.argv[4]) if len(sys.argv) > 4 else 2048
    r = real_config("deepseek-v3")
    keep = ["attention_bias", "hidden_act", "max_position_embeddings", "norm_topk_prob", "rms_norm_eps",
            "routed_scaling_factor", "tie_word_embeddings", "n_shared_experts", "hidden_size",
            "moe_intermediate_size", "num_attention_heads", "num_key_value_heads", "q_lora_rank",
            "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "initializer_range"]
    kw = {k: r[k] for k in keep}
    kw.update(vocab_size=512, bos_token_id=1, eos_token_id=2, intermediate_size=dense,
              num_hidden_layers=2, first_k_dense_replace=1,
              n_routed_experts=E, num_experts_per_tok=K, n_group=1, topk_group=1,
              rope_parameters=dict(rope_type="yarn", rope_theta=float(r["rope_theta"]),
                                   **{k: v for k, v in r["rope_scaling"].items() if k != "type"}))
    torch.manual_seed(9)
    model = DeepseekV3ForCausalLM(DeepseekV3Config(**kw)).eval().to(torch.bfloat16)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(out)) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        del model
        with open(os.path.join(tmp, "config.json")) as f:
            config = json.load(f)
        tensors = {}
        for fn in sorted(os.listdir(tmp)):
            if fn.endswith(".safetensors"):
                tensors.update(read_all(os.path.join(tmp, fn)))
    fp8 = {}
    for k in list(tensors):
        t = tensors.pop(k)
        if is_fp8_linear(k, t):
            fp8[k], fp8[k + "_scale_inv"] = block_quantize_fp8(t)
        else:
            fp8[k] = t
    config["quantization_config"] = {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                                     "weight_block_size": [BLOCK, BLOCK]}
    write_dir(out, config, fp8)
    for f in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(TOKENIZER, f), os.path.join(out, f))
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f"{out}: E={E} K={K} dense={dense}, {size / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
