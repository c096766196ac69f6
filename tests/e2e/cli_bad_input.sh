#!/usr/bin/env bash
# Every class of bad model input exits non-zero with one clear line naming the file.
source "$(dirname "$0")/lib.sh"
GOOD=tests/golden/fixtures/arch/qwen3

mk() { mkdir -p "$TMP/$1"; cp "$GOOD/config.json" "$TMP/$1/"; echo "$TMP/$1"; }

d=$(mk truncated); head -c 3000 "$GOOD/model.safetensors" > "$d/model.safetensors"
expect_error "truncated safetensors" "$d/model.safetensors" "past the end" -- "$ARECIPE" inspect "$d"

d=$(mk hdrlen); python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<Q', 10**6) + b'{}')" > "$d/model.safetensors"
expect_error "header length larger than file" "$d/model.safetensors" "larger than the file" -- "$ARECIPE" inspect "$d"

d=$(mk overlap)
python3 - "$d/model.safetensors" <<'PY'
import json, struct, sys
h = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + bytes(12))
PY
expect_error "overlapping offsets" "$d/model.safetensors" "overlap" -- "$ARECIPE" inspect "$d"

d=$(mk dtype)
python3 - "$d/model.safetensors" <<'PY'
import json, struct, sys
h = json.dumps({"a": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}}).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + bytes(8))
PY
expect_error "unknown dtype" "$d/model.safetensors" "unknown dtype 'Q4'" -- "$ARECIPE" inspect "$d"

d=$(mk index); cp "$GOOD/model.safetensors" "$d/shard1.safetensors"
python3 - "$d" <<'PY'
import json, sys
json.dump({"weight_map": {"model.embed_tokens.weight": "shard1.safetensors",
                          "model.layers.0.mlp.up_proj.weight": "shard1.safetensors",
                          "model.layers.9.mlp.up_proj.weight": "shard1.safetensors"}},
          open(sys.argv[1] + "/model.safetensors.index.json", "w"))
PY
expect_error "tensor missing from shard" "shard1.safetensors" "model.layers.9.mlp.up_proj.weight" "missing" -- "$ARECIPE" inspect "$d"

d=$(mk nofield); cp "$GOOD/model.safetensors" "$d/"
python3 -c "import json,sys; c=json.load(open('$GOOD/config.json')); del c['hidden_size']; json.dump(c, open('$d/config.json','w'))"
expect_error "config missing field" "$d/config.json" "missing field 'hidden_size'" -- "$ARECIPE" inspect "$d"

d=$(mk arch); cp "$GOOD/model.safetensors" "$d/"
python3 -c "import json; c=json.load(open('$GOOD/config.json')); c['architectures']=['FalconForCausalLM']; json.dump(c, open('$d/config.json','w'))"
expect_error "unsupported architecture" "$d/config.json" "unsupported architecture 'FalconForCausalLM'" -- "$ARECIPE" inspect "$d"
echo '[1,2,3]' > "$TMP/ids.json"
expect_error "unsupported architecture (eval)" "$d/config.json" "FalconForCausalLM" -- "$ARECIPE" eval --model "$d" --tokens "$TMP/ids.json"

d=$(mk yarn); cp "$GOOD/model.safetensors" "$d/"
python3 -c "import json; c=json.load(open('$GOOD/config.json')); c['rope_parameters']={'rope_type':'yarn','factor':4.0,'rope_theta':10000.0}; json.dump(c, open('$d/config.json','w'))"
expect_error "unsupported rope type" "$d/config.json" "unsupported rope scaling type 'yarn'" -- "$ARECIPE" eval --model "$d" --tokens "$TMP/ids.json"

expect_error "missing model dir" "$TMP/nowhere" -- "$ARECIPE" inspect "$TMP/nowhere"
echo '[1, "x"]' > "$TMP/bad-ids.json"
expect_error "non-integer token ids" "$TMP/bad-ids.json" "integers" -- "$ARECIPE" eval --model "$GOOD" --tokens "$TMP/bad-ids.json"
echo '[1, 99999]' > "$TMP/oov-ids.json"
expect_error "token outside vocabulary" "$TMP/oov-ids.json" "99999" -- "$ARECIPE" eval --model "$GOOD" --tokens "$TMP/oov-ids.json"
finish
