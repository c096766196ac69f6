#!/usr/bin/env bash
# `arecipe gguf` and `arecipe eval --model FILE.gguf` through the binary: export and
# requantize the example model, evaluate the GGUF, and every user error as one clear
# line on stderr. Offline (no llama.cpp needed).
source "$(dirname "$0")/../e2e/lib.sh"
MODEL=examples/tiny-qwen3/model
TEXT=examples/tiny-qwen3/heldout.txt
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }

out=$("$ARECIPE" gguf -q "$MODEL" --type q4_k_m -o "$TMP/q4km.gguf" --json) || bad "gguf q4_k_m failed"
counts=$(printf '%s' "$out" | json_get "sorted(d['type_counts'].items())")
[[ $counts == "[('f32', 17), ('q4_K', 24), ('q6_K', 5)]" ]] && pass "q4_k_m types $counts" || bad "q4_k_m types: $counts"

"$ARECIPE" gguf -q "$MODEL" --type f16 -o "$TMP/f16.gguf" >/dev/null || bad "gguf f16 failed"
out=$("$ARECIPE" gguf -q "$TMP/f16.gguf" --type q8_0 --tensor-type 'ffn_down=q4_k' -o "$TMP/q8.gguf" --json) || bad "requantize failed"
t=$(printf '%s' "$out" | json_get "d['tensors']['blk.0.ffn_down.weight'] + ' ' + d['tensors']['blk.0.ffn_up.weight']")
[[ $t == "q4_K q8_0" ]] && pass "requantize with --tensor-type ($t)" || bad "override types: $t"

out=$("$ARECIPE" gguf -q "$TMP/f16.gguf" --type q4_k_m --pure -o "$TMP/pure.gguf" --json) || bad "--pure failed"
counts=$(printf '%s' "$out" | json_get "sorted(d['type_counts'].items())")
[[ $counts == "[('f32', 17), ('q4_K', 29)]" ]] && pass "--pure types $counts" || bad "--pure types: $counts"

fp=$("$ARECIPE" eval -q --model "$MODEL" --text "$TEXT" --windows 2 --seqlen 256 --json | json_get "d['ppl']")
q=$("$ARECIPE" eval -q --model "$TMP/q8.gguf" --text "$TEXT" --tokenizer "$MODEL" --windows 2 --seqlen 256 --json | json_get "d['ppl']")
python3 -c "import sys; fp, q = map(float, sys.argv[1:]); sys.exit(0 if abs(q / fp - 1) < 0.05 and q != fp else 1)" "$fp" "$q" \
  && pass "eval GGUF ppl $q vs FP $fp" || bad "eval GGUF ppl $q vs FP $fp"

expect_error "unknown type" "unknown GGUF type 'q9_k'" -- "$ARECIPE" gguf "$MODEL" --type q9_k -o "$TMP/x.gguf"
expect_error "bad override" "must be PATTERN=TYPE" -- "$ARECIPE" gguf "$MODEL" --type q4_0 --tensor-type attn_v -o "$TMP/x.gguf"
expect_error "q2_k_s needs imatrix" "needs an importance matrix" -- "$ARECIPE" gguf "$MODEL" --type q2_k_s -o "$TMP/x.gguf"
mkdir -p "$TMP/neox" && sed 's/"qwen3"/"gpt_neox"/' "$MODEL/config.json" >"$TMP/neox/config.json" && cp "$MODEL/model.safetensors" "$TMP/neox/"
expect_error "unsupported architecture" "does not support model_type 'gpt_neox'" -- "$ARECIPE" gguf "$TMP/neox" --type f16 -o "$TMP/x.gguf"
[[ ! -e $TMP/x.gguf ]] && pass "no output left behind" || bad "failed export left $TMP/x.gguf"
head -c 100000 "$TMP/q4km.gguf" >"$TMP/cut.gguf"
expect_error "truncated GGUF" "cut.gguf" "truncated" -- "$ARECIPE" gguf "$TMP/cut.gguf" --type q8_0 -o "$TMP/x.gguf"
expect_error "truncated GGUF eval" "truncated" -- "$ARECIPE" eval --model "$TMP/cut.gguf" --tokens /dev/null
expect_error "GGUF eval --text needs a tokenizer" "needs --tokenizer" -- "$ARECIPE" eval --model "$TMP/q8.gguf" --text "$TEXT"
finish
