#!/usr/bin/env bash
# `arecipe tokenize` prints the same ids as HF tokenizers, for a model dir and a
# tokenizer file, a string and a text file.
source "$(dirname "$0")/lib.sh"
PY=${ARECIPE_PYTHON:?set ARECIPE_PYTHON to the reference venv python (make test does)}
STORIES=../shared/fixtures/models/stories260K/hf
QWEN=../shared/fixtures/tokenizers/qwen3/tokenizer.json
printf 'Once upon a time,  there was\ta <s> little 日本語 girl 👩‍👩‍👧 named Lily.\n\nThe end 12345!' > "$TMP/text.txt"

hf_ids() {  # tokenizer.json, file
  "$PY" -c "import json,sys; from tokenizers import Tokenizer; t=Tokenizer.from_file(sys.argv[1]); print(json.dumps(t.encode(open(sys.argv[2], encoding='utf-8').read()).ids))" "$1" "$2"
}
our_ids() {  # arecipe tokenize output (--json) → the ids list
  python3 -c "import json,sys; j=json.load(sys.stdin); print(json.dumps(j['ids'] if isinstance(j, dict) else j))"
}
check() {  # label, ours, theirs
  if [[ $2 == "$3" && -n $2 ]]; then pass "$1 ($(printf '%s' "$2" | cut -c1-60)...)"; else bad "$1: ours $2, HF $3"; fi
}

theirs=$(hf_ids $STORIES/tokenizer.json "$TMP/text.txt")
ours=$("$ARECIPE" tokenize --model $STORIES --text "$TMP/text.txt" --json | our_ids)
check "stories260K, --model, --text FILE" "$ours" "$theirs"

theirs=$(hf_ids $QWEN "$TMP/text.txt")
ours=$("$ARECIPE" tokenize --tokenizer $QWEN --text "$TMP/text.txt" --json | our_ids)
check "qwen3, --tokenizer, --text FILE" "$ours" "$theirs"

printf 'Hello world' > "$TMP/s.txt"
theirs=$(hf_ids $QWEN "$TMP/s.txt")
ours=$("$ARECIPE" tokenize --tokenizer $QWEN --json "Hello world" | our_ids)
check "qwen3, STRING argument" "$ours" "$theirs"
finish
