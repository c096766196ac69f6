#!/usr/bin/env python3
"""The tiny DeepSeek-V3 that recipes/deepseek-r1-int2-mixed.yaml runs on end to end
(tests/e2e/deepseek_int2_mixed.sh).

Built by transformers from the shrunken released config (gen_moe_fixtures.deepseek_kwargs:
same routing switches and yarn rope), but shaped like the real model where the recipe
looks: first_k_dense_replace 3 with 4 blocks, so blocks 0-2 are dense and block 3 is MoE
(router, routed experts, shared expert). Every in_features of an int4 G128 linear
(attention, dense MLPs, shared expert) is 128 and of an int2 G64 linear (routed experts)
a multiple of 64, every out_features a multiple of 32, so auto_round packs every linear.
Block linears are stored the way DeepSeek's checkpoint stores them (F8_E4M3 +
weight_scale_inv, config quantization_config fp8); router, norms, embeddings and lm_head
BF16. The tokenizer is stories260K's (vocab 512, copied from the shared fixtures) so that
calibration text tokenizes into the model's vocabulary.

Usage (repository root, project venv):
  python3 tests/golden/moe/gen_int2_mixed_model.py [OUT_DIR]
OUT_DIR defaults to tests/golden/moe/deepseek-v3-int2mixed-fp8 (committed, ~1.5 MB).
Deterministic for a given torch/transformers version.
"""

import json
import os
import shutil
import sys
import tempfile

import torch

from gen_moe_fixtures import (HERE, REPO, BLOCK, block_quantize_fp8, deepseek_kwargs, is_fp8_linear, perturb,
                              read_all, write_dir)
from transformers import DeepseekV3Config, DeepseekV3ForCausalLM

TOKENIZER = os.path.join(REPO, "..", "shared", "fixtures", "models", "stories260K", "hf")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
SEED = 3101


def kwargs():
    kw = deepseek_kwargs()
    kw.update(
        vocab_size=512, bos_token_id=1, eos_token_id=2,  # stories260K's tokenizer
        hidden_size=128, intermediate_size=128, moe_intermediate_size=128,
        num_hidden_layers=4, first_k_dense_replace=3,
        num_attention_heads=4, num_key_value_heads=4,
        q_lora_rank=128, kv_lora_rank=128, qk_nope_head_dim=32, qk_rope_head_dim=32, v_head_dim=32,
        n_routed_experts=8, num_experts_per_tok=2, n_group=4, topk_group=2, n_shared_experts=1,
    )
    return kw


def main():
    out = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(HERE, "deepseek-v3-int2mixed-fp8")
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    cfg = DeepseekV3Config(**kwargs())
    model = DeepseekV3ForCausalLM(cfg).eval()
    perturb(model, torch.Generator().manual_seed(SEED + 7))
    model = model.to(torch.bfloat16)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        with open(os.path.join(tmp, "config.json")) as f:
            config = json.load(f)
        tensors = read_all(os.path.join(tmp, "model.safetensors"))
    fp8 = {}
    for k, t in tensors.items():
        if is_fp8_linear(k, t):
            fp8[k], fp8[k + "_scale_inv"] = block_quantize_fp8(t)
        else:
            fp8[k] = t
    config["quantization_config"] = {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                                     "weight_block_size": [BLOCK, BLOCK]}
    write_dir(out, config, fp8)
    for f in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(TOKENIZER, f), os.path.join(out, f))  # not the read-only mode
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    n_fp8 = sum(1 for k in fp8 if k.endswith("_scale_inv"))
    print(f"{out}: {n_fp8} FP8 linears, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
