#!/usr/bin/env bash
# Upstream auto-round's own RTN exports of stories260K (auto_round sym, auto_gptq sym,
# auto_round asym with an 8-bit layer) load in `arecipe eval`, which dequantizes the
# packed tensors, and give the perplexity upstream's own evaluation of the same export
# gives (transformers + auto-round's CPU QuantLinear, same windows):
#   - vs upstream in fp32 (the loaded model cast back to fp32, float tensors reloaded
#     from the checkpoint; see upstream_exports_ppl.py): |Δppl|/ppl < 1e-6 (measured
#     2e-8 .. 4e-8, as close as the float model itself agrees with transformers)
#   - vs upstream as it loads on CPU (cast to fp16 by auto-round): |Δppl|/ppl < 1e-3
#     (measured 5e-5 .. 1.2e-4)
# and the quantized perplexity differs from the float model's (the export is not
# silently read as float).
source "$(dirname "$0")/lib.sh"
PY=${ARECIPE_PYTHON:?set ARECIPE_PYTHON to the reference venv python (make test does)}
MODEL=../shared/fixtures/models/stories260K/hf
TEXT=../shared/fixtures/corpora/tinystories_valid_head794k.txt
SEQLEN=128
WINDOWS=16

ref=$("$PY" tests/e2e/upstream_exports_ppl.py --model $MODEL --text $TEXT --seqlen $SEQLEN --windows $WINDOWS \
        --out "$TMP/up" 2>"$TMP/up.log") || { cat "$TMP/up.log" >&2; bad "upstream export/eval failed"; finish; }
fp=$("$ARECIPE" eval -q --threads 1 --model $MODEL --text $TEXT --seqlen $SEQLEN --windows $WINDOWS --json) \
  || bad "eval of the float model failed"

for c in auto_round_w4g32_sym auto_gptq_w4g32_sym auto_round_w4g32_asym_mixed; do
  dir=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]]["dir"])' "$ref" $c)
  "$ARECIPE" inspect "$dir" | grep -q "quantized .* 20 of 35 linears packed" && pass "$c: inspect says quantized" \
    || bad "$c: inspect does not report the quantization"
  ours=$("$ARECIPE" eval -q --threads 1 --model "$dir" --text $TEXT --seqlen $SEQLEN --windows $WINDOWS --json) \
    || { bad "$c: arecipe eval failed"; continue; }
  python3 - "$c" "$ref" "$ours" "$fp" <<'PY' || failures=$((failures + 1))
import json, sys
case, ref, ours, fp = sys.argv[1], json.loads(sys.argv[2])[sys.argv[1]], json.loads(sys.argv[3]), json.loads(sys.argv[4])
rel32 = abs(ours["ppl"] - ref["ppl"]) / ref["ppl"]
rel16 = abs(ours["ppl"] - ref["ppl_as_loaded"]) / ref["ppl_as_loaded"]
same_windows = ours["windows"] == ref["windows"] and ours["tokens"] == ref["tokens"]
quantized = ref["quantized_modules"] == 20 and abs(ours["ppl"] - fp["ppl"]) / fp["ppl"] > 1e-4
ok = rel32 < 1e-6 and rel16 < 1e-3 and same_windows and quantized
print(("ok   " if ok else "FAIL ") + f"{case} ({ref['packing_format'] or ref['quant_method']}, {ref['quant_linear'][0].split('.')[-2]}): "
      f"arecipe {ours['ppl']:.6f}, upstream fp32 {ref['ppl']:.6f} (rel {rel32:.1e}), "
      f"upstream as loaded ({ref['loaded_dtype']}) {ref['ppl_as_loaded']:.6f} (rel {rel16:.1e}); "
      f"float model {fp['ppl']:.6f}; {ours['windows']} windows, {ours['tokens']} tokens")
sys.exit(0 if ok else 1)
PY
done
finish
