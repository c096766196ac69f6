#!/usr/bin/env python3
"""Golden fixtures for tests/qdq: auto-round's own quantize-dequantize functions and
packing classes applied to fixed weights. Run with a Python that has the pinned
reference packages (scripts/requirements-reference.txt), from the repository root:

    python tests/qdq/gen_golden.py [--stories PATH_TO_model.safetensors]

Writes tests/qdq/golden/qdq_golden.safetensors. Tensor names are
"<case>/<field>"; the C++ test (tests/qdq/test_qdq_golden.cpp) knows the cases.
We call the functions exactly as auto-round's RTN flow does (WrapperLinear.unwrapper:
v=tensor(0.), min_scale=max_scale=tensor(1.)) and pack exactly as its exporters do.
"""
import argparse
import os

import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import save_file

import auto_round
from auto_round.data_type.int import (quant_tensor_asym, quant_tensor_opt_rtn_sym, quant_tensor_rtn_sym,
                                     quant_tensor_sym)
from auto_round.data_type.mxfp import quant_mx
from auto_round.data_type.nvfp import calculate_gparam, nv_fp4
from auto_round.export.export_to_awq.utils import WQLinear_GEMM
from auto_round_extension.torch.qlinear_torch import QuantLinear as QuantLinearNoOffset
from auto_round_extension.torch.qlinear_torch_zp import QuantLinear as QuantLinearZpMinus1

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_STORIES = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "models", "stories260K", "hf",
                               "model.safetensors")
UNWRAP = dict(v=torch.tensor(0.0), min_scale=torch.tensor(1.0), max_scale=torch.tensor(1.0))

out = {}


def put(name, t):
    out[name] = t.detach().contiguous().clone()


def put_weight(case, w):
    """Inputs are shared by many cases: store each once under weights/<id>, and name
    it from the case (<case>/input holds the id as bytes) to keep the fixture small."""
    key = {id(v): k for k, v in WEIGHTS.items()}[id(w)]
    out.setdefault(f"weights/{key}", w.detach().contiguous().clone())
    out[f"{case}/input"] = torch.tensor(list(key.encode()), dtype=torch.uint8)


WEIGHTS = {}


def random_weight():
    """[32, 256] fp32 with features that matter: outliers of both signs (the sym scale
    sign), an all-zero row (q_scale_thresh), a row of one sign only, exact ties."""
    g = torch.Generator().manual_seed(1234)
    w = torch.randn(32, 256, generator=g) * 0.02
    w[3, 17] = 0.31
    w[5, 200] = -0.27
    w[7] = 0.0
    w[9] = w[9].abs()
    w[11] = -w[11].abs()
    w[13, :32] = torch.linspace(-0.08, 0.07, 32)
    return w


def linear_with(weight):
    lin = nn.Linear(weight.shape[1], weight.shape[0], bias=False)
    lin.weight.data = weight.clone()
    return lin


def int_case(name, w, bits, gs, sym, pack):
    if sym:
        qdq, scale, zp = quant_tensor_rtn_sym(w, bits=bits, group_size=gs, **UNWRAP)
        zp_t = torch.full((w.shape[0], scale.numel() // w.shape[0]), zp, dtype=torch.int32)
    else:
        qdq, scale, zp = quant_tensor_asym(w, bits=bits, group_size=gs, **UNWRAP)
        zp = zp.reshape(w.shape[0], -1)
        zp_t = zp.to(torch.int32)
    scale = scale.reshape(w.shape[0], -1)
    put_weight(name, w)
    put(f"{name}/qdq", qdq)
    put(f"{name}/scale", scale)
    put(f"{name}/zp", zp_t.to(torch.uint8))
    # Codes as upstream's packers derive them (round(W/s + zp) on the fake-quant weight).
    eff_gs = gs if gs != -1 else w.shape[1]
    rs = scale.repeat_interleave(eff_gs, 1)[:, : w.shape[1]]
    rz = zp_t.repeat_interleave(eff_gs, 1)[:, : w.shape[1]] if not sym else zp
    put(f"{name}/codes", torch.round(qdq / rs + rz).clamp(0, 2**bits - 1).to(torch.uint8))
    if not pack:
        return
    zeros = zp if sym else zp.to(torch.float32)
    n, k = w.shape
    # auto_round:auto_gptq and auto_gptq (zp - 1); the latter adds g_idx.
    q = QuantLinearZpMinus1(bits, gs, k, n, False, g_idx=True)
    q.device = torch.device("cpu")
    q.pack(linear_with(qdq), scale, zeros, None)
    put(f"{name}/gptq/qweight", q.qweight)
    put(f"{name}/gptq/qzeros", q.qzeros)
    put(f"{name}/gptq/scales", q.scales)
    put(f"{name}/gptq/g_idx", q.g_idx)
    # auto_round (asym, zp as is).
    if not sym and bits in (2, 4, 8):
        q = QuantLinearNoOffset(bits, gs, k, n, False)
        q.device = torch.device("cpu")  # pack_layer sets it too
        q.pack(linear_with(qdq), scale, zeros, None)
        put(f"{name}/autoround/qweight", q.qweight)
        put(f"{name}/autoround/qzeros", q.qzeros)
        put(f"{name}/autoround/scales", q.scales)
    if bits == 4:
        awq_zeros = zp if sym else zp.t().contiguous().to(torch.float32)
        q = WQLinear_GEMM.from_linear(linear_with(qdq), bits, gs, scales=scale.t().contiguous(), zeros=awq_zeros)
        put(f"{name}/awq/qweight", q.qweight)
        put(f"{name}/awq/qzeros", q.qzeros)
        put(f"{name}/awq/scales", q.scales)


def tuning_case(name, w, bits, gs, sym):
    """SignRound's qdq (int_sym / int_asym) with non-trivial V, alpha, beta and the
    original weight's group min/max passed in, as the tuner calls it every step."""
    g = torch.Generator().manual_seed(bits * 100 + gs)
    grouped = w.reshape(-1, gs)
    v = torch.rand(grouped.shape, generator=g) - 0.5
    alpha = torch.rand(grouped.shape[0], generator=g) * 0.5 + 0.5
    beta = torch.rand(grouped.shape[0], generator=g) * 0.5 + 0.5
    wmin = torch.clamp(grouped.min(-1)[0], max=0)
    wmax = torch.clamp(grouped.max(-1)[0], min=0)
    f = quant_tensor_sym if sym else quant_tensor_asym
    qdq, scale, zp = f(w, bits=bits, group_size=gs, v=v, min_scale=alpha, max_scale=beta, tensor_min=wmin,
                       tensor_max=wmax)
    put_weight(name, w)
    for k, t in (("v", v), ("alpha", alpha), ("beta", beta), ("wmin", wmin), ("wmax", wmax), ("qdq", qdq)):
        put(f"{name}/{k}", t)
    put(f"{name}/scale", scale.reshape(w.shape[0], -1))
    if not sym:
        put(f"{name}/zp", zp.reshape(w.shape[0], -1))


def fp32_scale_case(name, w, bits, gs):
    """scale_dtype fp32 (GGUF's choice) with its q_scale_thresh 1e-8."""
    qdq, scale, _ = quant_tensor_rtn_sym(w, bits=bits, group_size=gs, scale_dtype=torch.float32, q_scale_thresh=1e-8,
                                         **UNWRAP)
    put_weight(name, w)
    put(f"{name}/qdq", qdq)
    put(f"{name}/scale", scale.reshape(w.shape[0], -1))


def opt_rtn_case(name, w, bits, gs, imatrix):
    qdq, scale, _ = quant_tensor_opt_rtn_sym(w, bits=bits, group_size=gs, imatrix=imatrix)
    put_weight(name, w)
    if imatrix is not None:
        put(f"{name}/imatrix", imatrix)
    put(f"{name}/qdq", qdq)
    put(f"{name}/scale", scale.reshape(w.shape[0], -1))


def mx_case(name, w, data_type):
    qdq, shared_exp, _ = quant_mx(w, bits=int(data_type[-1]), group_size=32, data_type=data_type, **{
        "v": UNWRAP["v"], "max_scale": UNWRAP["max_scale"]})
    put_weight(name, w)
    put(f"{name}/qdq", qdq)
    put(f"{name}/shared_exp", shared_exp.reshape(w.shape[0], -1))


def nv_case(name, w):
    gs = calculate_gparam(w, 16)
    qdq, scale, _ = nv_fp4(w, bits=4, group_size=16, v=UNWRAP["v"], global_scale=gs, max_scale=UNWRAP["max_scale"])
    put_weight(name, w)
    put(f"{name}/qdq", qdq)
    put(f"{name}/block_scale", scale.reshape(w.shape[0], -1))
    put(f"{name}/global_scale", gs.reshape(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stories", default=DEFAULT_STORIES)
    ap.add_argument("--out", default=os.path.join(HERE, "golden", "qdq_golden.safetensors"))
    args = ap.parse_args()
    torch.manual_seed(0)

    w = WEIGHTS["random"] = random_weight()
    WEIGHTS["random_bf16"] = w.to(torch.bfloat16)
    for bits, gs in ((4, 32), (2, 32), (8, -1), (3, 32), (4, 128)):
        for sym in (True, False):
            int_case(f"int_w{bits}g{gs}_{'sym' if sym else 'asym'}", w, bits, gs, sym, pack=True)
    # bf16 weights: the scale is fp16, so upstream's ops promote to fp32 mid-way.
    int_case("int_w4g128_sym_bf16", WEIGHTS["random_bf16"], 4, 128, True, pack=False)
    int_case("int_w4g32_asym_bf16", WEIGHTS["random_bf16"], 4, 32, False, pack=False)

    with safe_open(args.stories, "pt") as f:
        down = WEIGHTS["stories_down"] = f.get_tensor("model.layers.0.mlp.down_proj.weight")  # [64,172]: padding
        gate = WEIGHTS["stories_gate"] = f.get_tensor("model.layers.1.mlp.gate_proj.weight")  # [172, 64]
    for bits, gs, sym in ((4, 32, True), (4, 32, False), (3, 32, True), (2, 32, False), (8, 128, True)):
        int_case(f"stories_down_w{bits}g{gs}_{'sym' if sym else 'asym'}", down, bits, gs, sym, pack=False)
    int_case("stories_gate_w4g32_sym", gate, 4, 32, True, pack=False)

    tuning_case("tune_w4g32_sym", w, 4, 32, True)
    tuning_case("tune_w2g32_asym", w, 2, 32, False)
    fp32_scale_case("fp32scale_w4g32_sym", w, 4, 32)

    g = torch.Generator().manual_seed(7)
    imatrix = torch.rand(256, generator=g) * 2 + 0.01
    imatrix_zeros = imatrix.clone()
    imatrix_zeros[40:60] = 0.0  # more than half of group 1 zero, a few in group 2
    opt_rtn_case("optrtn_w4g32", w, 4, 32, None)
    opt_rtn_case("optrtn_w4g32_imatrix", w, 4, 32, imatrix)
    opt_rtn_case("optrtn_w2g32_imatrix", w, 2, 32, imatrix)
    opt_rtn_case("optrtn_w3g32_imatrix_zeros", w, 3, 32, imatrix_zeros)
    opt_rtn_case("optrtn_stories_down_w4g32", down, 4, 32, torch.rand(172, generator=g) + 0.1)

    mx_case("mxfp4", w, "mx_fp4")
    mx_case("mxfp8", w, "mx_fp8")
    mx_case("mxfp4_stories_gate", gate, "mx_fp4")
    nv_case("nvfp4", w)
    nv_case("nvfp4_stories_gate", gate)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    save_file(out, args.out, metadata={"auto_round": auto_round.__version__, "torch": torch.__version__})
    print(f"{args.out}: {len(out)} tensors, {os.path.getsize(args.out)} bytes, auto-round {auto_round.__version__}")


if __name__ == "__main__":
    main()
