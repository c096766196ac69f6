#!/usr/bin/env bash
# Tuned GGUF judged by llama.cpp (reference): a fast Q4_K_M run of the example model.
#  * iters 0 (opt-RTN with the run's calibration imatrix) has, tensor for tensor, the
#    bytes llama-quantize writes from the F32 GGUF of the same weights with the
#    imatrix file the run wrote: the starting point of tuning is llama.cpp's own RTN;
#  * the SignRound file loads and runs in llama.cpp (llama-perplexity, finite and
#    close to the RTN file's), its bytes differ from RTN's, and the PyPI gguf reader
#    parses it and decodes every tensor close to the source weights.
# usage: tuned_vs_llama.sh ARECIPE BUILD_DIR   (env ARECIPE_PYTHON: the reference venv)
source "$(dirname "$0")/../e2e/lib.sh"
BUILD=${2:?usage: $0 ARECIPE BUILD_DIR}
LLAMA=$BUILD/llama.cpp/bin
PY=${ARECIPE_PYTHON:?set ARECIPE_PYTHON to the reference venv python (make test does)}
export OMP_WAIT_POLICY=PASSIVE
recipe() {  # FILE TUNING
  cat > "$1" <<YAML
arecipe: 1
name: tq
description: tuned_vs_llama.sh
model: examples/tiny-qwen3/model
scheme: GGUF:Q4_K
tuning: $2
calibration: [{file: "examples/tiny-qwen3/calibration.txt:concat=true"}]
export: ["gguf:q4_k_m"]
output: $TMP/out
YAML
}
recipe "$TMP/opt.yaml" "{preset: opt_rtn, nsamples: 8, seqlen: 64}"
recipe "$TMP/sr.yaml" "{iters: 6, nsamples: 8, seqlen: 64, batch_size: 4}"
"$ARECIPE" run "$TMP/opt.yaml" --threads 1 --allow-output-anywhere -q > /dev/null 2> "$TMP/err" || bad "opt-RTN run: $(cat "$TMP/err")"
mv "$TMP/out" "$TMP/opt"
"$ARECIPE" run "$TMP/sr.yaml" --threads 1 --allow-output-anywhere -q > /dev/null 2> "$TMP/err" || bad "SignRound run: $(cat "$TMP/err")"
"$ARECIPE" gguf examples/tiny-qwen3/model --type f32 -o "$TMP/f32.gguf" -q
"$LLAMA/llama-quantize" --imatrix "$TMP/opt/tq-imatrix.gguf" "$TMP/f32.gguf" "$TMP/llama.gguf" Q4_K_M 1 > "$TMP/q.log" 2>&1 \
  || bad "llama-quantize: $(tail -3 "$TMP/q.log")"

# Tensor data (metadata aside: llama-quantize records its own imatrix path). Prints
# "differ N of M" (N tensors whose type or bytes differ); anything else is a failure.
cat > "$TMP/same.py" <<'PY'
import sys
from gguf import GGUFReader
a, b = GGUFReader(sys.argv[1]), GGUFReader(sys.argv[2])
ta, tb = {t.name: t for t in a.tensors}, {t.name: t for t in b.tensors}
assert set(ta) == set(tb), "tensor names differ"
diff = [n for n in ta if ta[n].tensor_type != tb[n].tensor_type or ta[n].data.tobytes() != tb[n].data.tobytes()]
print(f"differ {len(diff)} of {len(ta)}", diff[:4])
PY
out=$("$PY" "$TMP/same.py" "$TMP/opt/tq-q4_k_m.gguf" "$TMP/llama.gguf" 2>&1)
[[ $out == "differ 0 of 46 []" ]] && pass "iters 0 = llama-quantize with the run's imatrix, every tensor" || bad "opt-RTN vs llama-quantize: $out"
# SignRound moved codes in at least one block (7 linears).
out=$("$PY" "$TMP/same.py" "$TMP/out/tq-q4_k_m.gguf" "$TMP/llama.gguf" 2>&1)
[[ $out =~ ^differ\ ([0-9]+)\ of\ 46 ]] && ((BASH_REMATCH[1] >= 7)) \
  && pass "SignRound changed the codes of the tuned tensors ($out)" || bad "tuned vs llama-quantize: $out"

# (its final lines reach only the log file: the console logger is not flushed at exit)
ppl() { rm -f "$TMP/ppl.log"; "$LLAMA/llama-perplexity" -m "$1" -f examples/tiny-qwen3/heldout.txt -c 128 --chunks 8 -t 1 --log-file "$TMP/ppl.log" \
          > /dev/null 2>&1; sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p' "$TMP/ppl.log"; }
p_rtn=$(ppl "$TMP/llama.gguf"); p_sr=$(ppl "$TMP/out/tq-q4_k_m.gguf")
python3 -c "import sys; r, s = float('${p_rtn:-nan}'), float('${p_sr:-nan}'); sys.exit(0 if 1 < s < 1.1 * r else 1)" \
  && pass "llama.cpp runs the tuned file: ppl $p_sr (RTN $p_rtn)" || bad "llama-perplexity: tuned '$p_sr', RTN '$p_rtn'"
out=$("$PY" tests/gguf/check_gguf_py.py "$TMP/out/tq-q4_k_m.gguf" "$TMP/f32.gguf") \
  && pass "gguf-py reads the tuned file: $out" || bad "gguf-py: $out"
finish
