#!/usr/bin/env python3
"""Scales the per-expert costs measured by run.sh to the real DeepSeek-R1 recipe run
(docs/deepseek-r1-estimate.md shows this output). Usage: derive.py WORK [E4K2_I5_DIR]
Reads WORK/run-e{E}k{K}-i{I}-s128.{json,time} for (2,2,5), (4,1,5), (4,2,10) and the
(4,2,5) run from E4K2_I5_DIR (default WORK)."""
import json
import sys

W = sys.argv[1]
W42 = sys.argv[2] if len(sys.argv) > 2 else W


def load(E, K, I, d=W):
    j = json.load(open(f"{d}/run-e{E}k{K}-i{I}-s128.json"))
    wall, rss = open(f"{d}/run-e{E}k{K}-i{I}-s128.time").read().split()
    return [b["seconds"] for b in j["blocks"]], float(wall), int(rss) / 1024


H, IE, ID = 7168, 2048, 18432
ATTN = H * 1536 + 1536 * 128 * 192 + H * 576 + 512 * 128 * 256 + 128 * 128 * H
EXP, DENSE_TINY, DENSE = 3 * H * IE, 3 * H * 2048, 3 * H * ID
S22, w22, r22 = load(2, 2, 5)
S41, w41, r41 = load(4, 1, 5)
S42, w42, r42 = load(4, 2, 5, W42)
S42b, w42b, r42b = load(4, 2, 10)
for n, s, w, r in (("E2K2 i5", S22, w22, r22), ("E4K1 i5", S41, w41, r41), ("E4K2 i5", S42, w42, r42),
                   ("E4K2 i10", S42b, w42b, r42b)):
    print(f"{n}: dense block {s[0]:.1f} s, MoE block {s[1]:.1f} s, wall {w:.1f} s, peak RSS {r:.0f} MiB")
T, STEP, IT = 8 * 128, 4 * 128, 5          # calibration tokens, tokens per step, iters (tiny runs)
p = (S42[1] - S22[1]) / 2                  # s per extra expert (same routed tokens), 5-iter run
q = (S42[1] - S41[1]) / T                  # s per extra routed token (one more expert slot each), 5-iter run
A = S22[1] - 2 * p - 2 * T * q             # MoE block minus routed experts: attention, shared expert, router
slope = (S42b[1] - S42[1]) / 5             # MoE block E4K2: s per iteration
once = S42[1] - IT * slope                 # iteration-independent part (RTN, forwards, checkpoint, packing)
f_it = IT * slope / S42[1]
print(f"per expert p = ({S42[1]:.1f} - {S22[1]:.1f})/2 = {p:.2f} s; per routed token q = ({S42[1]:.1f} - {S41[1]:.1f})/{T} = {q*1e3:.2f} ms; "
      f"rest A = {S22[1]:.1f} - 2p - 2*{T}*q = {A:.1f} s")
print(f"iteration slope ({S42b[1]:.1f} - {S42[1]:.1f})/5 = {slope:.2f} s/iter; once = {once:.1f} s; per-iteration share at 5 iters f = {f_it:.2f}")
dmem = (r42 - r22) / 2
print(f"RSS per expert ({r42:.0f} - {r22:.0f})/2 = {dmem:.0f} MiB = {dmem * 2**20 / EXP:.1f} B/param")

# Real MoE block: 400 iters, 2048 tokens per step (batch 4 x 512), 262144 calibration tokens,
# 256 experts, top-8. Iteration part scales with iters (x80) and tokens per step (x4) for
# token costs; the once part with calibration tokens (x256) for token costs, x1 for param costs.
ITR, STEPR, TR = 400, 4 * 512, 512 * 512
def scale(cost, tok_step_ratio, tok_once_ratio):
    return cost * f_it * (ITR / IT) * tok_step_ratio + cost * (1 - f_it) * tok_once_ratio
e_real = scale(p, 1, 1)                                    # per expert, param side
tok_real = scale(q * T, STEPR / STEP, TR / T) * 8          # routed tokens: 8 slots x all tokens, per slot
A_real = scale(A, STEPR / STEP, TR / T)                    # attention + shared expert + router
moe_block = 256 * e_real + tok_real + A_real
dense_tiny = sum(s[0] for s in (S22, S41, S42)) / 3
dense_block = scale(dense_tiny, STEPR / STEP, TR / T) * (ATTN + DENSE) / (ATTN + DENSE_TINY)
total = 58 * moe_block + 3 * dense_block
print(f"real MoE block: experts param side 256 x {e_real:.0f} s = {256*e_real/3600:.1f} h; routed tokens {tok_real/3600:.1f} h; "
      f"attention+shared {A_real/3600:.1f} h; block {moe_block/3600:.1f} h")
print(f"real dense block: {dense_tiny:.1f} s x params {(ATTN+DENSE)/(ATTN+DENSE_TINY):.2f} scaled = {dense_block/3600:.1f} h")
print(f"total 58 MoE + 3 dense at 2 threads: {total/3600:.0f} h = {total/86400:.0f} days; {2*total/3600:.0f} core-hours")
for cores in (64, 128, 224):
    print(f"  perfectly spread over {cores} cores: {2*total/cores/3600:.0f} h")
mem_block = (ATTN + 257 * EXP) * dmem * 2**20 / EXP
print(f"RAM, tuning state of one MoE block at {dmem * 2**20 / EXP:.1f} B/param: {mem_block/2**30:.0f} GiB")
