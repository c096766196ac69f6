#!/usr/bin/env python3
"""Generate golden fixtures for the C++ model runtime.

Creates tiny random HF models (float32, eager attention, fixed seeds) for
several architectures, saves them in HF layout (config.json +
model.safetensors) under tests/golden/fixtures/arch/<name>/, together with
expected.safetensors = {input_ids: I64 [2, 24], logits: F32 [2, 24, vocab]}
computed by the transformers forward pass.

Also writes tests/golden/fixtures/stories260K/expected.safetensors
({input_ids: I64 [1, 32], logits: F32 [1, 32, 512]}) for the real model in
<shared>/fixtures/models/stories260K/hf (weights are not copied).

Usage (from the repository root):
    python3 tests/golden/gen_arch_fixtures.py [--stories DIR] [--out DIR]

Output is deterministic for a given torch/transformers version.
"""

import argparse
import json
import os
import shutil
import sys

import torch
from safetensors.torch import save_file

import transformers
from transformers import (
    AutoModelForCausalLM,
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen3Config,
    Qwen3ForCausalLM,
)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.join(HERE, "fixtures")
DEFAULT_STORIES = "/work/shared/fixtures/models/stories260K/hf"

BATCH, SEQ = 2, 24
STORIES_SEQ = 32

COMMON = dict(
    hidden_size=64,
    num_hidden_layers=2,
    max_position_embeddings=64,
    rms_norm_eps=1e-5,
    hidden_act="silu",
    initializer_range=0.08,  # larger than default so logits are not ~uniform
    bos_token_id=1,
    eos_token_id=2,
)


def fixture_specs():
    """name -> (config class, model class, seed, config kwargs).

    Sizes are chosen so that each fixture directory stays below 300 KB.
    """
    return {
        "llama-rope-llama3": (
            LlamaConfig, LlamaForCausalLM, 1001,
            dict(COMMON, vocab_size=120, intermediate_size=64,
                 num_attention_heads=4, num_key_value_heads=2,
                 attention_bias=True, mlp_bias=True, tie_word_embeddings=False,
                 rope_parameters=dict(rope_type="llama3", rope_theta=10000.0, factor=4.0,
                                      low_freq_factor=1.0, high_freq_factor=4.0,
                                      original_max_position_embeddings=32)),
        ),
        "llama-rope-linear": (
            LlamaConfig, LlamaForCausalLM, 1002,
            # 8 query heads of head_dim 8, 2 KV heads (GQA 4:1)
            dict(COMMON, vocab_size=128, intermediate_size=96,
                 num_attention_heads=8, num_key_value_heads=2,
                 attention_bias=False, mlp_bias=False, tie_word_embeddings=True,
                 rope_parameters=dict(rope_type="linear", rope_theta=10000.0, factor=2.0)),
        ),
        "qwen2": (
            Qwen2Config, Qwen2ForCausalLM, 1003,
            dict(COMMON, vocab_size=128, intermediate_size=64,
                 num_attention_heads=4, num_key_value_heads=2,
                 tie_word_embeddings=False, use_sliding_window=False,
                 rope_parameters=dict(rope_type="default", rope_theta=1000000.0)),
        ),
        "qwen3": (
            Qwen3Config, Qwen3ForCausalLM, 1004,
            # explicit head_dim (24) != hidden/heads (16): q width 96 > hidden 64;
            # 4 query heads, 1 KV head; attention_bias false (Qwen3 default)
            dict(COMMON, vocab_size=128, intermediate_size=64,
                 num_attention_heads=4, num_key_value_heads=1, head_dim=24,
                 tie_word_embeddings=True, attention_bias=False, use_sliding_window=False,
                 rope_parameters=dict(rope_type="default", rope_theta=1000000.0)),
        ),
        "mistral": (
            MistralConfig, MistralForCausalLM, 1005,
            dict(COMMON, vocab_size=128, intermediate_size=64,
                 num_attention_heads=4, num_key_value_heads=2,
                 tie_word_embeddings=False, sliding_window=8,
                 rope_parameters=dict(rope_type="default", rope_theta=10000.0)),
        ),
    }


def meta(model=None):
    # A single metadata key: safetensors serializes a multi-key metadata map in
    # random order, which would make the files non-reproducible byte-wise.
    info = f"tests/golden/gen_arch_fixtures.py; torch {torch.__version__}; transformers {transformers.__version__}"
    if model:
        info += f"; model {model}"
    return {"generator": info}


@torch.no_grad()
def perturb(model, gen):
    """Make norms and biases non-trivial so a missed bias/norm is visible."""
    for name, p in model.named_parameters():
        if name.endswith("norm.weight"):  # input/post_attention/final norm, q_norm, k_norm
            p.copy_(1.0 + 0.5 * torch.randn(p.shape, generator=gen))
        elif name.endswith(".bias"):
            p.copy_(0.2 * torch.randn(p.shape, generator=gen))


def forward_logits(model, input_ids):
    with torch.no_grad():
        out = model(input_ids=input_ids, use_cache=False)
    return out.logits.float().contiguous()


def build_arch(name, cfg_cls, model_cls, seed, kw, out_root):
    torch.manual_seed(seed)
    cfg = cfg_cls(**kw)
    cfg._attn_implementation = "eager"
    model = model_cls(cfg).to(torch.float32).eval()
    gen = torch.Generator().manual_seed(seed + 7)
    perturb(model, gen)
    ids = torch.randint(0, cfg.vocab_size, (BATCH, SEQ), generator=gen, dtype=torch.int64)

    d = os.path.join(out_root, "arch", name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    model.save_pretrained(d, safe_serialization=True)
    gc = os.path.join(d, "generation_config.json")
    if os.path.exists(gc):
        os.remove(gc)

    # Reload from disk so the expected logits come from exactly what was saved.
    m2 = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    logits = forward_logits(m2, ids)
    ref = forward_logits(model, ids)
    assert torch.equal(logits, ref), f"{name}: reload mismatch"

    extra = ""
    if name == "mistral":
        # Verify the sliding window actually changes the result in this transformers version.
        m3 = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
        m3.config.sliding_window = None
        full = forward_logits(m3, ids)
        diff_early = (full[:, :cfg.sliding_window] - logits[:, :cfg.sliding_window]).abs().max().item()
        diff_late = (full[:, cfg.sliding_window:] - logits[:, cfg.sliding_window:]).abs().max().item()
        assert diff_early < 1e-5, diff_early
        assert diff_late > 1e-3, f"sliding window had no effect (max diff {diff_late})"
        extra = f" sliding-window effect: max|dlogit| pos<{cfg.sliding_window}={diff_early:.2e}, later={diff_late:.3f}"

    save_file({"input_ids": ids.contiguous(), "logits": logits}, os.path.join(d, "expected.safetensors"),
              metadata=meta())
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f"{name:20s} vocab={cfg.vocab_size} layers={cfg.num_hidden_layers} "
          f"logits std={logits.std().item():.3f} dir={size/1024:.1f} KiB{extra}")


def build_stories(stories_dir, out_root):
    if not os.path.isdir(stories_dir):
        print(f"stories260K: {stories_dir} not found, skipped", file=sys.stderr)
        return
    model = AutoModelForCausalLM.from_pretrained(stories_dir, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    gen = torch.Generator().manual_seed(2024)
    ids = torch.randint(0, model.config.vocab_size, (1, STORIES_SEQ), generator=gen, dtype=torch.int64)
    ids[0, 0] = model.config.bos_token_id if model.config.bos_token_id is not None else 1
    logits = forward_logits(model, ids)
    d = os.path.join(out_root, "stories260K")
    os.makedirs(d, exist_ok=True)
    save_file({"input_ids": ids.contiguous(), "logits": logits}, os.path.join(d, "expected.safetensors"),
              metadata=meta("stories260K/hf"))
    print(f"{'stories260K':20s} logits {tuple(logits.shape)} std={logits.std().item():.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--stories", default=os.environ.get("ARECIPE_STORIES260K", DEFAULT_STORIES))
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for name, (cfg_cls, model_cls, seed, kw) in fixture_specs().items():
        build_arch(name, cfg_cls, model_cls, seed, kw, args.out)
    build_stories(args.stories, args.out)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")


if __name__ == "__main__":
    main()
