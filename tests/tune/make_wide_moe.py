#!/usr/bin/env python3
"""Writes a random DeepSeek-V3 model with many routed experts, stored the way the real
checkpoint stores them (every block linear FP8 e4m3 with 128x128 `weight_scale_inv`
blocks), for the streamed-experts memory test (tests/tune/streamed_experts.sh).

Standard library only, so the test runs offline without the reference venv: the
weights are random FP8 codes, not a trained model. The tokenizer is the tiny
DeepSeek fixture's (tests/golden/moe/deepseek-v3-int2mixed-fp8).

usage: make_wide_moe.py OUT_DIR [--experts 64] [--blocks 3]
"""
import argparse
import json
import os
import random
import shutil
import struct

FIXTURE = "tests/golden/moe/deepseek-v3-int2mixed-fp8"
HIDDEN, DENSE, MOE, Q_RANK, KV_RANK, NOPE, ROPE, V, HEADS, VOCAB = 256, 256, 512, 128, 128, 32, 32, 32, 4, 512


def fp8_codes(n, rng):
    # Random e4m3 codes with exponents 4..8 (|w| in [2^-3, 2^1.9] before the scale):
    # no NaN code (0x7f/0xff), no subnormals.
    table = bytes(((v & 0x80) | ((4 + ((v >> 3) & 7) % 5) << 3) | (v & 7)) for v in range(256))
    return rng.randbytes(n).translate(table)


def bf16(values):
    return b"".join(struct.pack("<f", v)[2:] for v in values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--experts", type=int, default=64)
    ap.add_argument("--blocks", type=int, default=3)
    a = ap.parse_args()
    rng = random.Random(1234)
    tensors = {}  # name -> (dtype, shape, bytes)

    def linear(name, out_f, in_f):
        tensors[name + ".weight"] = ("F8_E4M3", [out_f, in_f], fp8_codes(out_f * in_f, rng))
        rows, cols = -(-out_f // 128), -(-in_f // 128)
        scale = struct.pack(f"<{rows * cols}f", *([0.02] * (rows * cols)))
        tensors[name + ".weight_scale_inv"] = ("F32", [rows, cols], scale)

    def ones(name, n):
        tensors[name] = ("BF16", [n], bf16([1.0] * n))

    def mlp(prefix, width):
        linear(prefix + "gate_proj", width, HIDDEN)
        linear(prefix + "up_proj", width, HIDDEN)
        linear(prefix + "down_proj", HIDDEN, width)

    tensors["model.embed_tokens.weight"] = ("BF16", [VOCAB, HIDDEN], bf16(rng.gauss(0, 0.5) for _ in range(VOCAB * HIDDEN)))
    tensors["lm_head.weight"] = ("BF16", [VOCAB, HIDDEN], bf16(rng.gauss(0, 0.05) for _ in range(VOCAB * HIDDEN)))
    ones("model.norm.weight", HIDDEN)
    for b in range(a.blocks):
        p = f"model.layers.{b}."
        ones(p + "input_layernorm.weight", HIDDEN)
        ones(p + "post_attention_layernorm.weight", HIDDEN)
        s = p + "self_attn."
        linear(s + "q_a_proj", Q_RANK, HIDDEN)
        ones(s + "q_a_layernorm.weight", Q_RANK)
        linear(s + "q_b_proj", HEADS * (NOPE + ROPE), Q_RANK)
        linear(s + "kv_a_proj_with_mqa", KV_RANK + ROPE, HIDDEN)
        ones(s + "kv_a_layernorm.weight", KV_RANK)
        linear(s + "kv_b_proj", HEADS * (NOPE + V), KV_RANK)
        linear(s + "o_proj", HIDDEN, HEADS * V)
        if b == 0:
            mlp(p + "mlp.", DENSE)
            continue
        tensors[p + "mlp.gate.weight"] = ("BF16", [a.experts, HIDDEN],
                                          bf16(rng.gauss(0, 0.1) for _ in range(a.experts * HIDDEN)))
        tensors[p + "mlp.gate.e_score_correction_bias"] = ("F32", [a.experts], struct.pack(f"<{a.experts}f", *([0.0] * a.experts)))
        for e in range(a.experts):
            mlp(f"{p}mlp.experts.{e}.", MOE)
        mlp(p + "mlp.shared_experts.", MOE)

    os.makedirs(a.out, exist_ok=True)
    header, offset = {}, 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(a.out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for _, _, data in tensors.values():
            f.write(data)

    config = json.load(open(os.path.join(FIXTURE, "config.json")))
    config.update({"hidden_size": HIDDEN, "intermediate_size": DENSE, "moe_intermediate_size": MOE,
                   "num_hidden_layers": a.blocks, "first_k_dense_replace": 1, "n_routed_experts": a.experts,
                   "num_experts_per_tok": 4, "n_group": 8, "topk_group": 4, "n_shared_experts": 1,
                   "q_lora_rank": Q_RANK, "kv_lora_rank": KV_RANK, "qk_nope_head_dim": NOPE,
                   "qk_rope_head_dim": ROPE, "qk_head_dim": NOPE + ROPE, "v_head_dim": V,
                   "num_attention_heads": HEADS, "num_key_value_heads": HEADS, "vocab_size": VOCAB})
    json.dump(config, open(os.path.join(a.out, "config.json"), "w"), indent=2)
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(os.path.join(FIXTURE, f), a.out)


if __name__ == "__main__":
    main()
