#!/usr/bin/env bash
# SignRound on a fast configuration, against the PyPI auto-round run with the same
# model, scheme, settings and calibration file: stories260K, W2 G32 sym, 30 iterations,
# 16 samples x 128 tokens. Both exports are scored by `arecipe eval` on held-out text.
# The band is looser than docs/tuning.md's full-size table (30 iterations are noisy):
# ours within 5% of upstream's perplexity (or better), and both better than RTN.
source "$(dirname "$0")/../e2e/lib.sh"
PY=${ARECIPE_PYTHON:?set ARECIPE_PYTHON to the reference venv python (make test does)}
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
MODEL=../shared/fixtures/models/stories260K/hf
TEXT=../shared/fixtures/corpora/tinystories_valid_head794k.txt
WORK=$TMP/w
mkdir -p "$WORK"
# Stories joined into documents longer than seqlen (one calibration sample each).
# auto-round reads local calibration data only as JSON, so both tools get this list.
head -c 200000 "$TEXT" > "$WORK/calib.txt"
python3 bench/signround/paragraphs_to_json.py "$WORK/calib.txt" "$WORK/calib.json" --min-chars 1000 2>/dev/null
tail -c 100000 "$TEXT" > "$WORK/heldout.txt"
ppl() { "$ARECIPE" eval --model "$1" --text "$WORK/heldout.txt" --seqlen 128 --threads 1 --json -q |
        python3 -c "import json,sys; print(json.load(sys.stdin)['ppl'])"; }
recipe() {  # name tuning
  cat > "$WORK/$1.yaml" <<YAML
arecipe: 1
name: $1
description: signround_vs_upstream.sh
model: $MODEL
scheme: {preset: W2A16, group_size: 32}
tuning: $2
calibration: [{file: "$WORK/calib.json"}]
export: [fake]
output: $WORK/$1
YAML
  "$ARECIPE" run "$WORK/$1.yaml" --threads 1 --allow-output-anywhere -q > /dev/null || bad "arecipe run $1"
}
recipe rtn "{preset: rtn}"
recipe ours "{iters: 30, nsamples: 16, seqlen: 128, batch_size: 8}"
"$PY" bench/signround/upstream_tune.py --model "$MODEL" --bits 2 --iters 30 --nsamples 16 --seqlen 128 \
  --batch-size 8 --dataset "$WORK/calib.json" --out "$WORK/upstream" --threads 1 > "$WORK/up.json" 2> "$WORK/up.log" \
  || { bad "upstream run: $(tail -5 "$WORK/up.log")"; finish; }
up_dir=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['out'])" "$WORK/up.json")
rtn=$(ppl "$WORK/rtn") ours=$(ppl "$WORK/ours") up=$(ppl "$up_dir")
echo "perplexity: RTN $rtn, arecipe $ours, auto-round $up"
python3 -c "import sys; sys.exit(0 if $ours <= 1.05 * $up else 1)" && pass "arecipe $ours within 5% of auto-round $up" \
  || bad "arecipe $ours vs auto-round $up"
python3 -c "import sys; sys.exit(0 if $ours < $rtn and $up < $rtn else 1)" && pass "both beat RTN $rtn" \
  || bad "RTN $rtn, arecipe $ours, auto-round $up"
finish
