#!/usr/bin/env python3
"""Golden fixture for tests/qdq/test_fused_fake_quant.cpp: auto-round's own SignRound
fake-quant (quant_tensor_sym / quant_tensor_asym in auto_round/data_type/int.py) inside
a small linear layer, with the forward output and the .grad of value / min_scale /
max_scale after loss.backward(). Run with the pinned reference packages
(scripts/requirements-reference.txt), from the repository root:

    python tests/qdq/gen_fused_golden.py

Writes tests/qdq/golden/fused_grad_golden.safetensors; tensor names are
"<case>/<field>". The loss is the tuner's: MSE of the layer output against the
full-precision output, times 1000. The gradient reaching the fake-quant weight
(qdq_grad) is stored too, so the C++ test can feed exactly it into our kernels and
compare the quantizer's gradients alone.
"""
import argparse
import os

import torch
from safetensors.torch import save_file

import auto_round
from auto_round.data_type.int import quant_tensor_asym, quant_tensor_sym
from auto_round.data_type.nvfp import calculate_gparam, nv_fp4
from auto_round.data_type.utils import reshape_pad_tensor_by_group_size

HERE = os.path.dirname(os.path.abspath(__file__))

# (name, bits, group_size, sym, weight dtype); K=200 is not a multiple of 32 or 128.
CASES = [
    ("w4g32_sym", 4, 32, True, torch.float32),
    ("w4g128_asym", 4, 128, False, torch.float32),
    ("w2g32_asym", 2, 32, False, torch.float32),
    ("w2g32_sym", 2, 32, True, torch.float32),
    ("w3gm1_sym", 3, -1, True, torch.float32),
    ("w8g32_asym", 8, 32, False, torch.float32),
    ("w4g128_sym_bf16", 4, 128, True, torch.bfloat16),
    ("w4g32_asym_bf16", 4, 32, False, torch.bfloat16),
]


def case(out, name, bits, gs, sym, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    w = (torch.randn(24, 200, generator=g) * 0.02).to(dtype)
    w[1, 5] = 0.2  # an outlier of each sign: both sym scale signs occur
    w[2, 150] = -0.2
    x = torch.randn(16, 200, generator=g)
    grouped = reshape_pad_tensor_by_group_size(w, gs)[0]
    # As WrapperLinear: group min/max of the original weight, V in [-0.5, 0.5] (its
    # reachable range) and alpha/beta already clamped to [0, 1].
    wmin = torch.clamp(grouped.min(1)[0], max=0)
    wmax = torch.clamp(grouped.max(1)[0], min=0)
    v = (torch.rand(grouped.shape, generator=g) - 0.5).requires_grad_()
    alpha = (torch.rand(grouped.shape[0], generator=g) * 0.5 + 0.5).requires_grad_()
    beta = (torch.rand(grouped.shape[0], generator=g) * 0.5 + 0.5).requires_grad_()
    f = quant_tensor_sym if sym else quant_tensor_asym
    qdq, _, _ = f(w, bits=bits, group_size=gs, v=v, min_scale=alpha, max_scale=beta, scale_dtype=torch.float16,
                  tensor_min=wmin, tensor_max=wmax, q_scale_thresh=1e-5)
    qdq.retain_grad()
    ref = x @ w.float().t()
    loss = torch.nn.functional.mse_loss(x @ qdq.float().t(), ref) * 1000
    loss.backward()
    fields = {"weight": w, "wmin": wmin, "wmax": wmax, "v": v, "alpha": alpha, "beta": beta, "qdq": qdq,
              "qdq_grad": qdq.grad, "v_grad": v.grad, "alpha_grad": alpha.grad, "beta_grad": beta.grad}
    for k, t in fields.items():
        out[f"{name}/{k}"] = t.detach().contiguous().clone()


# NVFP4 (nv_fp4 in auto_round/data_type/nvfp.py): value and max_scale are tuned.
NV_CASES = [("nvfp4", torch.float32), ("nvfp4_bf16", torch.bfloat16)]


def nv_case(out, name, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    w = (torch.randn(24, 200, generator=g) * 0.02).to(dtype)
    w[1, 5] = 0.2
    x = torch.randn(16, 200, generator=g)
    grouped = reshape_pad_tensor_by_group_size(w, 16)[0]
    gs = calculate_gparam(w, 16)
    # V beyond +-0.5 so that the +-6 clamp and the top fp4 value are reached.
    v = (torch.rand(grouped.shape, generator=g) * 2 - 1).requires_grad_()
    beta = (torch.rand(grouped.shape[0], generator=g) * 0.5 + 0.5).requires_grad_()
    qdq, _, _ = nv_fp4(w, bits=4, group_size=16, v=v, global_scale=gs, max_scale=beta)
    qdq.retain_grad()
    loss = torch.nn.functional.mse_loss(x @ qdq.float().t(), x @ w.float().t()) * 1000
    loss.backward()
    fields = {"weight": w, "global_scale": gs.reshape(1), "v": v, "beta": beta, "qdq": qdq, "qdq_grad": qdq.grad,
              "v_grad": v.grad, "beta_grad": beta.grad}
    for k, t in fields.items():
        out[f"{name}/{k}"] = t.detach().contiguous().clone()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "golden", "fused_grad_golden.safetensors"))
    args = ap.parse_args()
    torch.manual_seed(0)
    out = {}
    for i, (name, bits, gs, sym, dtype) in enumerate(CASES):
        case(out, name, bits, gs, sym, dtype, seed=1000 + i)
    for i, (name, dtype) in enumerate(NV_CASES):
        nv_case(out, name, dtype, seed=2000 + i)
    save_file(out, args.out, metadata={"auto_round": auto_round.__version__, "torch": torch.__version__})
    print(f"wrote {len(out)} tensors to {args.out}")


if __name__ == "__main__":
    main()
