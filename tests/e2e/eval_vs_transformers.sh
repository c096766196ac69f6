#!/usr/bin/env bash
# `arecipe eval` agrees with transformers computing the same method to 4 significant
# digits, on the real stories260K and its in-domain text.
source "$(dirname "$0")/lib.sh"
PY=${ARECIPE_PYTHON:?set ARECIPE_PYTHON to the reference venv python (make test does)}
MODEL=../shared/fixtures/models/stories260K/hf
TEXT=../shared/fixtures/corpora/tinystories_valid_head794k.txt

# The acceptance command of the text issue: the whole corpus, seqlen 512.
ref=$("$PY" tests/e2e/reference_ppl.py --model $MODEL --text $TEXT --seqlen 512 --ids-out "$TMP/ids.json" 2>/dev/null) \
  || { bad "reference run failed"; finish; }
ours=$("$ARECIPE" eval -q --threads 1 --model $MODEL --tokens "$TMP/ids.json" --seqlen 512 --json) || bad "eval --tokens failed"
compare() {  # label, our json
  python3 - "$1" "$ref" "$2" <<'PY'
import json, sys
label, ref, ours = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
ok = f"{ref['ppl']:.4g}" == f"{ours['ppl']:.4g}" and ref["windows"] == ours["windows"] and ref["tokens"] == ours["tokens"]
print(("ok   " if ok else "FAIL ") + f"{label}: ours {ours['ppl']:.6f} ({ours['windows']} windows, {ours['tokens']} tokens), "
      f"transformers {ref['ppl']:.6f} ({ref['windows']} windows, {ref['tokens']} tokens)")
sys.exit(0 if ok else 1)
PY
}
compare "eval --tokens" "$ours" || failures=$((failures + 1))
ours=$("$ARECIPE" eval -q --threads 1 --model $MODEL --text $TEXT --seqlen 512 --json) || bad "eval --text failed"
compare "eval --text (whole corpus)" "$ours" || failures=$((failures + 1))
finish
