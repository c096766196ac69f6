#!/usr/bin/env bash
# `arecipe run` on a recipe with a `target:` applies the same allocation as `arecipe plan`:
# the per-layer schemes in plan's lock file equal those in the run's lock file and in
# its auto_round export's quantization_config (global bits + extra_config). Scores from
# a file (fast); with PROBE=1 the real delta-loss probe, plan filling the probe cache
# and run reusing it (the log must say the scores came from the cache).
set -euo pipefail
BIN=$(realpath "$1")
MODEL=$(realpath examples/tiny-qwen3/model)
CALIB=$(realpath examples/tiny-qwen3/calibration.txt)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_WAIT_POLICY=PASSIVE

cat > "$T/r.yaml" <<YAML
arecipe: 1
name: tiny-target-run
model: $MODEL
scheme: {preset: W4A16, group_size: 32}
target: {avg_bits: 3.0, options: [W2A16G32, W4A16G32, W8A16G32], count_scale_bits: false}
tuning: {preset: rtn}
calibration:
  - {file: $CALIB}
export: [auto_round]
output: out
YAML

# Scores that make the allocation far from uniform: MLPs of the later blocks cheap to
# quantize, attention and block 0 expensive.
{
  echo '{"method": "synthetic", "options": ["W2A16G32", "W4A16G32", "W8A16G32"], "scores": {'
  first=1
  for b in 0 1 2 3; do
    for p in self_attn.q_proj self_attn.k_proj self_attn.v_proj self_attn.o_proj mlp.gate_proj mlp.up_proj mlp.down_proj; do
      case $p in self_attn.*) w=$((9 - b)) ;; *) w=$((1 + (b == 0) * 6)) ;; esac
      [ $first = 1 ] || echo ','
      first=0
      awk -v b=$b -v p=$p -v w=$w 'BEGIN { printf "\"model.layers.%s.%s\": [%.6f, %.6f, %.9f]\n", b, p, w, w / 16, w / 4096 }'
    done
  done
  echo '}}'
} > "$T/scores.json"

# compare LOCK_A LOCK_B_OR_CONFIG: per-layer bits/group_size equal, and not all one scheme
compare() {
  python3 - "$1" "$2" <<'PY' || exit 1
import json, sys
def layers(path):
    d = json.load(open(path))
    if "layer_config" in d:  # lock file
        return {k: (v["bits"], v["group_size"]) for k, v in d["layer_config"].items() if v.get("bits", 16) < 16}
    q = d["quantization_config"]
    g = (q["bits"], q["group_size"])
    out = {}
    for i in range(4):
        for p in ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                  "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]:
            n = f"model.layers.{i}.{p}"
            e = q.get("extra_config", {}).get(n, {})
            out[n] = (e.get("bits", g[0]), e.get("group_size", g[1]))
    return out
a, b = layers(sys.argv[1]), layers(sys.argv[2])
if len(a) != 28:
    sys.exit(f"FAIL: {sys.argv[1]} has {len(a)} quantized layers, expected 28")
diff = [(k, a[k], b.get(k)) for k in a if a[k] != b.get(k)]
if diff:
    sys.exit(f"FAIL: {len(diff)} layers differ between plan and run, e.g. {diff[:3]}")
if len(set(a.values())) < 2:
    sys.exit("FAIL: the allocation is uniform; the test would not tell run from a run without allocation")
PY
}

cd "$T"
SCORE_ARGS=(--scores scores.json)
RUN_SCORE_ARGS=(--scores scores.json)
if [ "${PROBE:-0}" = 1 ]; then
  SCORE_ARGS=(--nsamples 4 --seqlen 64 --batch-size 2 --probe-cache "$T/cache")
  RUN_SCORE_ARGS=(--probe-nsamples 4 --probe-seqlen 64 --probe-batch-size 2 --probe-cache "$T/cache")
fi
OMP_NUM_THREADS=1 "$BIN" plan r.yaml "${SCORE_ARGS[@]}" --lock plan.lock.json > plan.txt 2> plan.err \
  || { cat plan.err; fail "plan exited $?"; }
grep -q "target allocator (" plan.txt || { cat plan.txt; fail "plan did not allocate"; }
"$BIN" run r.yaml "${RUN_SCORE_ARGS[@]}" --threads 1 --json > run.json 2> run.err || { cat run.err; fail "run exited"; }
grep -q "not allocated" run.err && { cat run.err; fail "run did not allocate"; }
run_lock=$(find out -name arecipe.lock.json | sort | head -1)
[ -n "$run_lock" ] || { ls -R out; fail "run wrote no lock file"; }
compare plan.lock.json "$run_lock"
config=$(find out -name config.json | sort | head -1)
[ -n "$config" ] || { ls -R out; fail "run wrote no config.json"; }
compare plan.lock.json "$config"
# --json: the achieved average weight bits is the target's (within 0.01, not above).
python3 - <<'PY' || fail "run --json average"
import json
j = json.load(open("run.json"))
w = j["avg_weight_bits"]
assert 2.99 <= w <= 3.0, w
PY
if [ "${PROBE:-0}" = 1 ]; then
  grep -q "cached" run.err || { cat run.err; fail "run re-probed instead of reusing plan's cached scores"; }
fi
echo "ok: run applied plan's allocation ($(python3 -c "import json; print(json.load(open('run.json'))['avg_weight_bits'])") weight bits)"
