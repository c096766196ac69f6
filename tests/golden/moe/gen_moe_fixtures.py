#!/usr/bin/env python3
"""Golden fixtures for the MoE adapters (DeepSeek-V3 and Qwen3-MoE), bf16 and FP8 sources.

For each architecture a tiny random model is built by transformers from a shrunken copy
of the real config (tests/configs/<model>/config.json: same rope scaling, routing
switches and layer pattern, small widths), rounded to bf16 and saved with
save_pretrained (per-expert 2-D linears, as HF checkpoints store them). Then:

  <name>-bf16/   config.json, model.safetensors (BF16), expected.safetensors
  <name>-fp8/    the same weights with every block linear stored the way DeepSeek's
                 checkpoint stores them: `X.weight` F8_E4M3 + `X.weight_scale_inv` F32
                 [ceil(out/128), ceil(in/128)] (dequantized = fp8 * scale of its
                 128x128 block), config.json with quantization_config {quant_method: fp8,
                 fmt: e4m3, activation_scheme: dynamic, weight_block_size: [128, 128]};
                 router, norms, embeddings and lm_head stay BF16 (router bias F32).

expected.safetensors = {input_ids: I64 [2, 16], logits: F32 [2, 16, vocab]} from the
transformers forward in float32 (eager attention) over the file's weights: for bf16 the
directory is reloaded with dtype=float32; transformers cannot load the FP8 variant on
CPU, so its reference is the dequantized weights (written to a scratch directory in the
plain layout and loaded the same way).

Routing is discrete: a token whose k-th and (k+1)-th expert scores nearly tie could
pick another expert under float rounding differences. The script therefore checks the
router margins of every token (top-k and, for DeepSeek, group selection) and rejects a
seed whose smallest margin is below MARGIN. It also checks that the fixture is
sensitive to each routing ingredient (correction bias, grouping, scaling factor,
top-k normalisation): a wrong router must move the logits far beyond the tolerance.

Usage (repository root, project venv):  python3 tests/golden/moe/gen_moe_fixtures.py
Deterministic for a given torch/transformers version.
"""

import copy
import json
import math
import os
import shutil
import sys
import tempfile

import torch
from safetensors import safe_open
from safetensors.torch import save_file

import transformers
from transformers import AutoModelForCausalLM, DeepseekV3Config, DeepseekV3ForCausalLM, Qwen3MoeConfig, Qwen3MoeForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
BATCH, SEQ = 2, 16
BLOCK = 128          # DeepSeek's weight_block_size
MARGIN = 1e-4        # smallest accepted router score gap (fp32 rounding is ~1e-7)
TOL = 1e-4           # the C++ test's tolerance; sensitivity checks need >> this

def real_config(model):
    with open(os.path.join(REPO, "tests", "configs", model, "config.json")) as f:
        return json.load(f)


def deepseek_kwargs():
    """DeepSeek-V3's config with widths shrunk; routing and rope exactly as released."""
    r = real_config("deepseek-v3")
    keep = ["attention_bias", "bos_token_id", "eos_token_id", "hidden_act", "max_position_embeddings",
            "norm_topk_prob", "rms_norm_eps", "routed_scaling_factor", "tie_word_embeddings", "n_shared_experts"]
    kw = {k: r[k] for k in keep}
    kw.update(
        # Every width a multiple of 32 so the released int2-mixed recipe plans on it
        # (auto_round packs only such linears); 160 and 192 end in ragged FP8 blocks.
        vocab_size=128, hidden_size=64, intermediate_size=160,
        moe_intermediate_size=32, num_hidden_layers=3, first_k_dense_replace=1,
        num_attention_heads=4, num_key_value_heads=4,  # MLA expands the latent to every head
        q_lora_rank=32, kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=32, v_head_dim=16,
        n_routed_experts=16, num_experts_per_tok=4, n_group=4, topk_group=2,
        initializer_range=0.08,
        rope_parameters=dict(rope_type="yarn", rope_theta=float(r["rope_theta"]),
                             **{k: v for k, v in r["rope_scaling"].items() if k != "type"}),
    )
    return kw


def qwen3_moe_kwargs():
    r = real_config("qwen3-30b-a3b")
    keep = ["attention_bias", "hidden_act", "norm_topk_prob", "rms_norm_eps",
            "tie_word_embeddings", "use_sliding_window", "decoder_sparse_step"]
    kw = {k: r[k] for k in keep}
    kw.update(
        bos_token_id=1, eos_token_id=2,  # the real ids (151643/5) lie outside the tiny vocab
        vocab_size=128, hidden_size=64, intermediate_size=160, moe_intermediate_size=32,
        num_hidden_layers=3, mlp_only_layers=[1],  # block 1 dense, 0 and 2 sparse
        num_attention_heads=4, num_key_value_heads=2, head_dim=32, max_position_embeddings=64,
        num_experts=8, num_experts_per_tok=2, initializer_range=0.08,
        rope_parameters=dict(rope_type="default", rope_theta=float(r["rope_theta"])),
    )
    return kw


def deepseek_plain_q_kwargs():
    """The other DeepSeek-V3 switches, bf16 only (kept tiny): q_proj instead of the
    q LoRA (q_lora_rank null, as DeepSeek-V2-Lite), attention biases, plain
    (not interleaved) RoPE without scaling."""
    kw = deepseek_kwargs()
    kw.update(vocab_size=64, hidden_size=32, intermediate_size=64, moe_intermediate_size=16,
              num_hidden_layers=2, q_lora_rank=None, kv_lora_rank=16, qk_nope_head_dim=8,
              qk_rope_head_dim=8, v_head_dim=8, n_routed_experts=8, num_experts_per_tok=2,
              n_group=2, topk_group=1, attention_bias=True, rope_interleave=False,
              rope_parameters=dict(rope_type="default", rope_theta=10000.0))
    return kw


SPECS = {
    # name: (config class, model class, seed, kwargs builder, with an FP8 variant)
    "deepseek-v3": (DeepseekV3Config, DeepseekV3ForCausalLM, 3001, deepseek_kwargs, True),
    "qwen3-moe": (Qwen3MoeConfig, Qwen3MoeForCausalLM, 3002, qwen3_moe_kwargs, True),
    "deepseek-v3-plain-q": (DeepseekV3Config, DeepseekV3ForCausalLM, 3003, deepseek_plain_q_kwargs, False),
}


def meta():
    return {"generator": f"tests/golden/moe/gen_moe_fixtures.py; torch {torch.__version__}; "
                         f"transformers {transformers.__version__}"}


@torch.no_grad()
def perturb(model, gen):
    """Norms away from 1, biases and the router correction bias non-zero, so each one matters."""
    for name, p in model.named_parameters():
        if name.endswith("norm.weight"):
            p.copy_(1.0 + 0.5 * torch.randn(p.shape, generator=gen))
        elif name.endswith(".bias"):
            p.copy_(0.2 * torch.randn(p.shape, generator=gen))
    for name, b in model.named_buffers():
        if name.endswith("e_score_correction_bias"):
            b.copy_(0.05 * torch.randn(b.shape, generator=gen))


def load_fp32(d):
    return AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()


@torch.no_grad()
def logits_of(model, ids):
    return model(input_ids=ids, use_cache=False).logits.float().contiguous()


@torch.no_grad()
def router_margin(model, ids):
    """Smallest gap, over tokens and MoE blocks, at every discrete routing decision."""
    cfg = model.config
    inputs = []
    hooks = [m.register_forward_hook(lambda mod, a, out: inputs.append((mod, a[0].reshape(-1, a[0].shape[-1]).float())))
             for n, m in model.named_modules() if n.endswith("mlp.gate")]
    model(input_ids=ids, use_cache=False)
    for h in hooks:
        h.remove()
    margin = math.inf
    for mod, x in inputs:
        logits = x @ mod.weight.float().T
        if hasattr(mod, "e_score_correction_bias"):
            s = logits.sigmoid() + mod.e_score_correction_bias.float()
            g = s.view(-1, cfg.n_group, s.shape[1] // cfg.n_group).topk(2, dim=-1)[0].sum(-1)
            gs = g.sort(dim=-1, descending=True)[0]
            margin = min(margin, (gs[:, cfg.topk_group - 1] - gs[:, cfg.topk_group]).min().item())
            keep = torch.zeros_like(g).scatter_(1, g.topk(cfg.topk_group, dim=-1)[1], 1)
            keep = keep.repeat_interleave(s.shape[1] // cfg.n_group, dim=1).bool()
            s = s.masked_fill(~keep, -math.inf)
        else:
            s = logits.softmax(-1)
        ss = s.sort(dim=-1, descending=True)[0]
        k = cfg.num_experts_per_tok
        margin = min(margin, (ss[:, k - 1] - ss[:, k]).min().item())
    return margin


def block_quantize_fp8(w):
    """DeepSeek's layout: per 128x128 block, scale = amax/448; weight = fp8(w/scale)."""
    out, inp = w.shape
    rb, cb = -(-out // BLOCK), -(-inp // BLOCK)
    pad = torch.zeros(rb * BLOCK, cb * BLOCK, dtype=torch.float32)
    pad[:out, :inp] = w.float()
    blocks = pad.view(rb, BLOCK, cb, BLOCK)
    amax = blocks.abs().amax(dim=(1, 3)).clamp(min=1e-12)
    scale = (amax / 448.0).float()
    q = (blocks / scale[:, None, :, None]).view(rb * BLOCK, cb * BLOCK)[:out, :inp].to(torch.float8_e4m3fn)
    return q.contiguous(), scale.contiguous()


def dequantize_fp8(q, scale):
    out, inp = q.shape
    s = scale.repeat_interleave(BLOCK, 0)[:out].repeat_interleave(BLOCK, 1)[:, :inp]
    return q.float() * s


def is_fp8_linear(name, t):
    # Every linear inside the blocks except the router (mlp.gate), as in DeepSeek-V3's release.
    return (name.startswith("model.layers.") and name.endswith("_proj.weight") and t.dim() == 2)


def read_all(path):
    with safe_open(path, "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def write_dir(d, config, tensors):
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    save_file(tensors, os.path.join(d, "model.safetensors"), metadata=meta())


def sensitivity(name, model_dir, ids, ref):
    """Each routing ingredient must change the logits by far more than the tolerance."""
    variants = {"norm_topk_prob": lambda c: c.update(norm_topk_prob=not c["norm_topk_prob"])}
    if name == "deepseek-v3-plain-q":
        variants["topk_group=n_group"] = lambda c: c.update(topk_group=c["n_group"])
        variants["rope_interleave=true"] = lambda c: c.update(rope_interleave=True)
    elif name == "deepseek-v3":
        variants.update({
            "topk_group=n_group": lambda c: c.update(topk_group=c["n_group"]),
            "routed_scaling_factor=1": lambda c: c.update(routed_scaling_factor=1.0),
            "no mscale": lambda c: c["rope_parameters"].update(mscale_all_dim=0),
            "rope_interleave=false": lambda c: c.update(rope_interleave=False),
        })
    else:
        variants["num_experts_per_tok=3"] = lambda c: c.update(num_experts_per_tok=3)
    with open(os.path.join(model_dir, "config.json")) as f:
        base = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        for v, edit in variants.items():
            c = copy.deepcopy(base)
            edit(c)
            for fn in ("model.safetensors",):
                shutil.copy(os.path.join(model_dir, fn), os.path.join(tmp, fn))
            with open(os.path.join(tmp, "config.json"), "w") as f:
                json.dump(c, f)
            d = (logits_of(load_fp32(tmp), ids) - ref).abs().max().item()
            assert d > 100 * TOL, f"{name}: {v} moves logits by only {d}"
            print(f"    sensitivity {v:26s} max|dlogit| = {d:.3f}")
        if name.startswith("deepseek"):  # the correction bias lives in the weights, not the config
            t = read_all(os.path.join(model_dir, "model.safetensors"))
            t = {k: (torch.zeros_like(v) if k.endswith("e_score_correction_bias") else v) for k, v in t.items()}
            save_file(t, os.path.join(tmp, "model.safetensors"))
            with open(os.path.join(tmp, "config.json"), "w") as f:
                json.dump(base, f)
            d = (logits_of(load_fp32(tmp), ids) - ref).abs().max().item()
            assert d > 100 * TOL, f"{name}: zero correction bias moves logits by only {d}"
            print(f"    sensitivity {'e_score_correction_bias=0':26s} max|dlogit| = {d:.3f}")


def build(name, cfg_cls, model_cls, seed, kwargs, with_fp8):
    for attempt in range(50):
        s = seed + 100 * attempt
        torch.manual_seed(s)
        cfg = cfg_cls(**kwargs())
        cfg._attn_implementation = "eager"
        model = model_cls(cfg).eval()
        gen = torch.Generator().manual_seed(s + 7)
        perturb(model, gen)
        model = model.to(torch.bfloat16)
        ids = torch.randint(0, cfg.vocab_size, (BATCH, SEQ), generator=gen, dtype=torch.int64)
        m = router_margin(model.float(), ids)
        if m >= MARGIN:
            break
        print(f"  {name}: seed {s} router margin {m:.2e} < {MARGIN}, next seed")
    else:
        sys.exit(f"{name}: no seed with router margin >= {MARGIN}")
    model = model.to(torch.bfloat16)

    with tempfile.TemporaryDirectory() as tmp:
        # ---- bf16 ----
        model.save_pretrained(tmp, safe_serialization=True)
        with open(os.path.join(tmp, "config.json")) as f:
            config = json.load(f)
        tensors = read_all(os.path.join(tmp, "model.safetensors"))
        d16 = os.path.join(HERE, name + "-bf16")
        write_dir(d16, config, tensors)
        ref16 = logits_of(load_fp32(d16), ids)
        assert router_margin(load_fp32(d16), ids) >= MARGIN
        save_file({"input_ids": ids.contiguous(), "logits": ref16}, os.path.join(d16, "expected.safetensors"),
                  metadata=meta())

        if not with_fp8:
            print(f"{name}: seed {s}, router margin {m:.2e}, logits std {ref16.std().item():.3f}")
            sensitivity(name, d16, ids, ref16)
            dirs = (d16,)
        else:
            dirs = (d16, build_fp8(name, config, tensors, ids, ref16, tmp))
            print(f"{name}: seed {s}, router margin {m:.2e}, logits std {ref16.std().item():.3f}")
            sensitivity(name, d16, ids, ref16)
    for d in dirs:
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        print(f"  {os.path.basename(d):22s} {size / 1024:.0f} KiB")


def build_fp8(name, config, tensors, ids, ref16, tmp):
    """The FP8 variant in DeepSeek's layout; reference from the dequantized weights."""
    fp8, plain = {}, {}
    for k, t in tensors.items():
        if is_fp8_linear(k, t):
            q, scale = block_quantize_fp8(t)
            fp8[k], fp8[k + "_scale_inv"] = q, scale
            plain[k] = dequantize_fp8(q, scale)
        else:
            fp8[k] = t
            plain[k] = t.float()
    d8 = os.path.join(HERE, name + "-fp8")
    qconfig = dict(config, quantization_config={"activation_scheme": "dynamic", "fmt": "e4m3",
                                                "quant_method": "fp8", "weight_block_size": [BLOCK, BLOCK]})
    write_dir(d8, qconfig, fp8)
    deq = os.path.join(tmp, "dequantized")
    write_dir(deq, config, plain)
    ref8 = logits_of(load_fp32(deq), ids)
    assert router_margin(load_fp32(deq), ids) >= MARGIN
    save_file({"input_ids": ids.contiguous(), "logits": ref8}, os.path.join(d8, "expected.safetensors"),
              metadata=meta())

    print(f"  {name}-fp8: fp8 vs bf16 max|dlogit| {(ref8 - ref16).abs().max().item():.3f}")
    return d8


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for name, (cfg_cls, model_cls, seed, kw, with_fp8) in SPECS.items():
        build(name, cfg_cls, model_cls, seed, kw, with_fp8)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")


if __name__ == "__main__":
    main()
