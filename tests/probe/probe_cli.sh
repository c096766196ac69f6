#!/usr/bin/env bash
# `arecipe probe` end to end on the example model: the JSON table (every free layer,
# every option, 16-bit options at 0), the text table, a second identical call served
# from the cache, and one-line errors for bad requests.
source "$(dirname "$0")/../e2e/lib.sh"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
cat > "$TMP/r.yaml" <<YAML
arecipe: 1
name: probe-cli
model: examples/tiny-qwen3/model
scheme: {preset: W4A16G32}
rules:
  - {match: "model.layers.0.mlp.down_proj", scheme: {preset: W8A16}}
calibration: [{file: "examples/tiny-qwen3/calibration.txt:concat=true"}]
output: $TMP/unused
YAML
probe() { "$ARECIPE" probe "$TMP/r.yaml" --allow-output-anywhere --nsamples 4 --seqlen 64 --batch-size 2 \
  --cache-dir "$TMP/cache" --threads 1 "$@"; }
if probe --options W2A16G32,W8A16G32,BF16 --json -q > "$TMP/a.json"; then
  python3 - "$TMP/a.json" <<'PY' && pass "json table" || bad "json table: $(head -c 300 "$TMP/a.json")"
import json, sys
j = json.load(open(sys.argv[1]))
names = [l["name"] for l in j["layers"]]
assert j["method"] == "delta_loss" and j["options"] == ["W2A16G32", "W8A16G32", "BF16"], j["options"]
assert len(names) == 27 and "model.layers.0.mlp.down_proj" not in names, names  # pinned by a rule
for l in j["layers"]:
    s = l["scores"]
    assert s["BF16"] == 0 and s["W2A16G32"] > s["W8A16G32"] > 0, l
PY
else
  bad "arecipe probe --json"
fi
start=$(date +%s%N)
probe --options W2A16G32,W8A16G32,BF16 --json > "$TMP/b.json" 2> "$TMP/b.log" || bad "second probe"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
same() { python3 -c "import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); a.pop('seconds'); b.pop('seconds'); sys.exit(a!=b)" "$@"; }
if same "$TMP/a.json" "$TMP/b.json" && [[ $(grep -c "cached" "$TMP/b.log") -eq 2 ]]; then
  pass "second call identical ($ms ms, from the cache)"
else
  bad "second call differs"
fi
[[ $(ls "$TMP/cache" | wc -l) -eq 2 ]] && pass "one cache file per scored option" || bad "cache files: $(ls "$TMP/cache")"
out=$(probe --options W4A16G32 --method block_mse -q) && [[ $out == *"model.layers.3.mlp.up_proj"* && $out == *"block_mse scores of 27 layers"* ]] \
  && pass "text table" || bad "text table: $out"
expect_error "activation option" "MXFP4" "activation" -- probe --options MXFP4
expect_error "unknown option" "unknown option 'W9A16'" -- probe --options W9A16
expect_error "no target" "no target" "--options" -- probe
expect_error "gguf option" "GGUF" -- probe --options Q4_K_M
finish
