#!/usr/bin/env bash
# The per-layer schemes `arecipe inspect` resolves from a quantization_config (what
# Model::open dequantizes) equal what auto-round's own loader resolves (get_layer_config)
# on stories260K, for configs exercising every rule: block lists, extra_config exact
# names and regexes in file order, GPTQ modules_in_block_to_quantize and `dynamic`,
# AWQ modules_to_not_convert, and the committed upstream export configs.
source "$(dirname "$0")/lib.sh"
PY=${ARECIPE_PYTHON:?set ARECIPE_PYTHON to the reference venv python (make test does)}
MODEL=../shared/fixtures/models/stories260K/hf
GOLDEN=tests/qdq/golden/export

python3 - "$TMP/configs.json" "$GOLDEN" <<'PY'
import glob, json, os, sys
out, golden = sys.argv[1], sys.argv[2]
configs = {
  "auto_round_regex_order": {"quant_method": "auto-round", "packing_format": "auto_round", "bits": 4, "group_size": 32,
    "sym": False, "extra_config": {".*mlp.*": {"bits": 16, "data_type": "fp"},
    "model.layers.0.self_attn.q_proj": {"bits": 2, "group_size": 64}, ".*q_proj": {"bits": 8}},
    "modules_to_not_convert": ["layers.4.self_attn.o_proj"]},
  "auto_round_block_list": {"quant_method": "auto-round", "packing_format": "auto_round:auto_gptq", "bits": 3,
    "group_size": 64, "sym": True, "block_name_to_quantize": "model.layers.1,model.layers.3",
    "extra_config": {"model.layers.3.mlp.down_proj": {"bits": 8, "group_size": -1}}},
  "gptq_dynamic": {"quant_method": "gptq", "bits": 4, "group_size": 128, "sym": True, "desc_act": False,
    "modules_in_block_to_quantize": [["self_attn.q_proj", "self_attn.k_proj"]],
    "dynamic": {"+:.*layers\\.1\\..*": {"bits": 8, "group_size": 32}, "+:.*k_proj": {"bits": 2},
                "-:.*layers\\.2\\..*": {}}},
}
for f in sorted(glob.glob(os.path.join(golden, "auto_*.quantization_config.json"))):  # the int formats
    configs["golden_" + os.path.basename(f).split(".")[0]] = json.load(open(f))
json.dump(configs, open(out, "w"))
PY
ref=$("$PY" tests/e2e/upstream_layer_config.py --model $MODEL --configs "$TMP/configs.json" 2>"$TMP/py.log") \
  || { cat "$TMP/py.log" >&2; bad "upstream get_layer_config failed"; finish; }
printf '%s' "$ref" > "$TMP/ref.json"

for name in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$TMP/configs.json"); do
  d="$TMP/$name"; mkdir -p "$d"
  ln -s "$(realpath $MODEL/model.safetensors)" "$d/model.safetensors"
  python3 - "$MODEL/config.json" "$TMP/configs.json" "$name" "$d/config.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1])); cfg["quantization_config"] = json.load(open(sys.argv[2]))[sys.argv[3]]
json.dump(cfg, open(sys.argv[4], "w"), indent=1)
PY
  ours=$("$ARECIPE" inspect "$d" --json) || { bad "$name: inspect failed"; continue; }
  python3 - "$name" "$TMP/ref.json" "$ours" <<'PY' || failures=$((failures + 1))
import json, sys
name, ref, ours = sys.argv[1], json.load(open(sys.argv[2]))[sys.argv[1]], json.loads(sys.argv[3])
got = {l["name"]: l["scheme"] for l in ours["quantizable_linears"]}
diff = {n: (got.get(n), s) for n, s in ref.items() if got.get(n) != s}
packed = sum(s != "float" for s in ref.values())
ok = not diff and packed > 0 and len(got) == len(ref)
print(("ok   " if ok else "FAIL ") + f"{name}: {packed} of {len(ref)} linears packed"
      + ("" if ok else f"; differs (ours, upstream): {diff}"))
sys.exit(0 if ok else 1)
PY
done
finish
