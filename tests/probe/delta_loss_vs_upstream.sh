#!/usr/bin/env bash
# Golden check against the PyPI auto-round AutoScheme: the per-layer delta-loss scores
# `arecipe probe` computes for W2/W4/W8 G32 on the example model must equal upstream's
# (get_score_for_scheme, captured by bench/autoscheme/upstream_autoscheme.py) on the
# same calibration ids: rank correlation >= 0.999 and every score within 1e-4 relative
# (fp32 on both sides; measured ~1e-7, bench/autoscheme/README.md).
source "$(dirname "$0")/../e2e/lib.sh"
PY=${ARECIPE_PYTHON:?set ARECIPE_PYTHON to the reference venv python (make test does)}
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
MODEL=examples/tiny-qwen3/model
OPTIONS=W2A16G32,W4A16G32,W8A16G32
[[ -f examples/tiny-qwen3/corpus/train.txt ]] || examples/tiny-qwen3/make_corpus.sh >/dev/null
# auto-round reads local calibration data only as JSON: both tools get the same list.
python3 bench/signround/paragraphs_to_json.py examples/tiny-qwen3/corpus/train.txt "$TMP/calib.json" 2>/dev/null
cat > "$TMP/r.yaml" <<YAML
arecipe: 1
name: probe-vs-upstream
model: $MODEL
calibration: [{file: "$TMP/calib.json"}]
output: $TMP/unused
YAML
"$ARECIPE" probe "$TMP/r.yaml" --allow-output-anywhere --options $OPTIONS --nsamples 8 --seqlen 128 --batch-size 4 \
  --cache-dir "$TMP/cache" --threads 1 --json -q > "$TMP/ours.json" || bad "arecipe probe"
"$PY" bench/autoscheme/upstream_autoscheme.py --model "$MODEL" --options $OPTIONS --avg-bits 3 --nsamples 8 \
  --seqlen 128 --batch-size 4 --dataset "$TMP/calib.json" --threads 1 --scores "$TMP/up.json" \
  > "$TMP/up.out" 2> "$TMP/up.log" || { bad "upstream run: $(tail -5 "$TMP/up.log")"; finish; }
if "$PY" bench/autoscheme/compare_scores.py "$TMP/ours.json" "$TMP/up.json" --cache-dir "$TMP/cache" \
     --min-spearman 0.999 --max-rel-err 1e-4; then
  pass "delta loss equals upstream's"
else
  bad "delta loss differs from upstream's"
fi
finish
