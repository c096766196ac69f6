#!/usr/bin/env python3
"""Golden fixtures for FP8 weight quantize-dequantize (tests/qdq/test_fp8_qdq.cpp):
auto-round's own quant_fp8_sym (FPW8A16 per tensor, per channel) and
quant_block_fp_sym (FP8_BLOCK, 2-D 128x128 blocks) on fixed weights in fp32, bf16 and
fp16, called as its RTN flow calls them (v=tensor(0.), max_scale=tensor(1.)), and its
FP8 packer (export_to_fp8.pack_layer) on the results. Run from the repository root
with the pinned reference packages:

    python tests/qdq/gen_fp8_golden.py

Writes tests/qdq/golden/fp8_golden.safetensors; names are "<case>/<field>" (inputs:
"weights/random_<dtype>", "weights/stories_down"), float8 tensors as raw bytes (uint8).
"""
import os

import torch
from safetensors import safe_open
from safetensors.torch import save_file

import auto_round
from auto_round.data_type.fp8 import quant_block_fp_sym, quant_fp8_sym
from auto_round.export.export_to_autoround.export_to_fp8 import pack_layer

HERE = os.path.dirname(os.path.abspath(__file__))
STORIES = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "models", "stories260K", "hf",
                       "model.safetensors")
UNWRAP = dict(v=torch.tensor(0.0), max_scale=torch.tensor(1.0))
DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}

out = {}


def random_weight():
    """[200, 300]: both dims pad to 256 x 384 for 128x128 blocks; outliers of both signs,
    an all-zero row (the minimum scale), tiny values (e4m3 subnormals)."""
    g = torch.Generator().manual_seed(4321)
    w = torch.randn(200, 300, generator=g) * 0.02
    w[3, 17] = 0.31
    w[150, 299] = -0.5
    w[7] = 0.0
    w[9] = torch.randn(300, generator=g) * 1e-6
    return w


class Holder(torch.nn.Module):
    def __init__(self, layer, dtype):
        super().__init__()
        self.layer = layer
        self._dtype = dtype

    @property
    def dtype(self):
        return self._dtype


def pack(case, w, qdq, scale, group_size):
    lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False, dtype=w.dtype)
    lin.weight.data = qdq.clone()
    lin.scale = scale
    lin.zp = None
    lin.bits, lin.group_size, lin.data_type, lin.sym, lin.act_bits = 8, group_size, "fp", True, 16
    holder = Holder(lin, w.dtype)
    pack_layer("layer", holder, "fp", device="cpu")
    q = holder.layer
    out[f"{case}/packed_weight"] = q.weight.data.view(torch.uint8).contiguous()
    s = q.weight_scale_inv if isinstance(group_size, tuple) else q.weight_scale
    out[f"{case}/packed_scale"] = s.contiguous().clone()


def case(name, key, w, group_size):
    """The input is stored once, as weights/<key>."""
    out.setdefault(f"weights/{key}", w.contiguous().clone())
    if isinstance(group_size, tuple):
        qdq, scale, _ = quant_block_fp_sym(w, group_size=group_size, **UNWRAP)
    else:
        qdq, scale, _ = quant_fp8_sym(w, group_size=group_size, **UNWRAP)
    out[f"{name}/qdq"] = qdq.contiguous().clone()
    out[f"{name}/scale"] = scale.contiguous().clone()
    pack(name, w, qdq, scale, group_size)


def main():
    w = random_weight()
    with safe_open(STORIES, "pt") as f:
        down = f.get_tensor("model.layers.0.mlp.down_proj.weight")  # [64, 172]
    for dn, dt in DTYPES.items():
        case(f"tensor_{dn}", f"random_{dn}", w.to(dt), 0)
        case(f"channel_{dn}", f"random_{dn}", w.to(dt), -1)
        case(f"block_{dn}", f"random_{dn}", w.to(dt), (128, 128))
    case("block_stories_down_f32", "stories_down", down, (128, 128))
    case("channel_stories_down_f32", "stories_down", down, -1)
    save_file(out, os.path.join(HERE, "golden", "fp8_golden.safetensors"),
              metadata={"auto_round": auto_round.__version__, "torch": torch.__version__})
    print(len(out), "tensors")


if __name__ == "__main__":
    main()
