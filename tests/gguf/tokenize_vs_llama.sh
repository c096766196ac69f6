#!/usr/bin/env bash
# Reference: the tokenizer metadata arecipe writes makes llama.cpp tokenize exactly as
# the HF tokenizer (arecipe's tokenizer, itself checked against HF tokenizers) does:
# byte-level BPE with `pre` = qwen2 (tiny-qwen3) and SentencePiece-style BPE with
# merge-rank scores (stories260K), on corpus text and on an edge-case string.
source "$(dirname "$0")/../e2e/lib.sh"
BUILD=${2:?usage: $0 ARECIPE BUILD_DIR}
LT=$BUILD/llama.cpp/bin/llama-tokenize
printf 'Hello world!  It'"'"'s 2026, numbers 12345 and \xc3\xa9migr\xc3\xa9 caf\xc3\xa9 \xe2\x80\x94 ok?\n\nNew  lines\ttabs' >"$TMP/odd.txt"
head -c 3000 ../shared/fixtures/corpora/tinystories_valid_head794k.txt >"$TMP/stories.txt"
head -c 3000 examples/tiny-qwen3/heldout.txt >"$TMP/kjv.txt"
for model in examples/tiny-qwen3/model ../shared/fixtures/models/stories260K/hf; do
  "$ARECIPE" gguf -q "$model" --type f16 -o "$TMP/m.gguf" >/dev/null || { bad "export $model"; continue; }
  for f in odd stories kjv; do
    theirs=$("$LT" -m "$TMP/m.gguf" -f "$TMP/$f.txt" --ids --log-disable 2>/dev/null | tail -1 | tr -d '[] ')
    ours=$("$ARECIPE" tokenize -q --model "$model" --text "$TMP/$f.txt" --json |
      python3 -c "import json,sys; print(','.join(map(str, json.load(sys.stdin)['ids'])))")
    [[ -n $ours && $theirs == "$ours" ]] && pass "$model $f: $(tr ',' '\n' <<<"$ours" | wc -l) ids identical" ||
      bad "$model $f: llama.cpp ${theirs:0:120} vs arecipe ${ours:0:120}"
  done
done
finish
