#!/usr/bin/env bash
# The real trained stories260K loads and lists its 35 quantizable linears.
source "$(dirname "$0")/lib.sh"
out=$("$ARECIPE" inspect ../shared/fixtures/models/stories260K/hf --json) || bad "inspect failed"
n=$(printf '%s' "$out" | python3 -c "import json,sys; j=json.load(sys.stdin); print(len(j['quantizable_linears']))")
[[ $n == 35 ]] && pass "35 quantizable linears" || bad "expected 35 quantizable linears, got $n"
arch=$(printf '%s' "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['architecture'])")
[[ $arch == LlamaForCausalLM ]] && pass "architecture" || bad "architecture $arch"
finish
