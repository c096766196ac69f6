#!/usr/bin/env bash
# Measures arecipe's tuning cost of real-width DeepSeek-V3 blocks (docs/deepseek-r1-estimate.md).
# Usage (repository root): [CONFIGS="4x2 2x2 4x1"] [EXPERTS=auto|joint|streamed] bench/moe/estimate/run.sh [WORK=/tmp/r1est] [ITERS=5] [SEQLEN=128]
# Generates 2-block models (block 0 dense, block 1 MoE; hidden 7168, expert width 2048, real
# MLA) with E routed experts / top-K (CONFIGS: ExK ...), runs the unchanged int2-mixed recipe
# with a small tuning config on each (one at a time: nothing else may run, timings are per
# block), and prints wall seconds and peak RSS; per-block seconds are in WORK/run-*.json.
# The numbers in docs/deepseek-r1-estimate.md:
#   bench/moe/estimate/run.sh /tmp/r1est 5 128
#   CONFIGS=4x2 bench/moe/estimate/run.sh /tmp/r1est 10 128
#   build/venv/bin/python bench/moe/estimate/derive.py /tmp/r1est
# Streamed experts against joint, same model (docs/tuning.md):
#   for x in joint streamed; do CONFIGS=4x2 EXPERTS=$x bench/moe/estimate/run.sh /tmp/r1est-$x 5 128; done
# Needs ~12 GB RAM (peak RSS of the 4x2 run: 11.3 GiB), 2 cores, ~0.8 GB disk per model
# (kept in WORK for reuse); ~11 min for the four runs on 2 cores.
set -euo pipefail
WORK=${1:-/tmp/r1est}; ITERS=${2:-5}; SEQLEN=${3:-128}
PY=${PY:-build/venv/bin/python}; ARECIPE=${ARECIPE:-build/arecipe}
CORPUS=../shared/fixtures/corpora/tinystories_valid_head794k.txt
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$WORK"
for EK in ${CONFIGS:-4x2 2x2 4x1}; do  # E routed experts x top-K
  E=${EK%x*}; K=${EK#*x}; M=$WORK/e${E}k${K}
  [ -f "$M/model.safetensors" ] || "$PY" bench/moe/estimate/gen_model.py "$M" "$E" "$K" >/dev/null 2>&1
  LOG=$WORK/run-e${E}k${K}-i${ITERS}-s${SEQLEN}
  /usr/bin/time -f "%e %M" -o "$LOG.time" "$ARECIPE" run -v --json recipes/deepseek-r1-int2-mixed.yaml \
    --set model="$M" --set tuning.iters="$ITERS" --set tuning.nsamples=8 --set tuning.seqlen="$SEQLEN" \
    --set tuning.batch_size=4 --set tuning.experts="${EXPERTS:-auto}" --set rules.2.match.blocks=0 \
    --set "calibration=[{file: $CORPUS}]" \
    --output "$WORK/out-e${E}k${K}" --allow-output-anywhere --force --threads 2 >"$LOG.json" 2>"$LOG.log"
  read -r WALL RSS <"$LOG.time"
  echo "E=$E K=$K iters=$ITERS seqlen=$SEQLEN: wall ${WALL}s peak RSS $((RSS / 1024)) MiB"
  rm -rf "$WORK/out-e${E}k${K}"
done
