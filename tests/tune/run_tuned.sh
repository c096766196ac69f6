#!/usr/bin/env bash
# arecipe run with calibration data on the example model: SignRound and opt-RTN end
# to end (JSON report, perplexity, model card), byte-identical reruns, resume after
# kill -9 and after Ctrl-C at a random block, and a full disk (RLIMIT_FSIZE) that
# must leave nothing that looks like a finished export.
source "$(dirname "$0")/../e2e/lib.sh"
unset ARECIPE_TEST_KILL_AFTER_BLOCK ARECIPE_TEST_SIGINT_AFTER_BLOCK
WORK=out/test-run-tuned-$$
mkdir -p "$WORK"
trap 'rm -rf "$TMP" "$WORK"' EXIT

recipe() {  # recipe FILE BITS TUNING-FLOW-MAPPING
  cat > "$1" <<YAML
arecipe: 1
name: tuned-test
description: run_tuned.sh
model: examples/tiny-qwen3/model
scheme: {preset: W$2A16, group_size: 32}
tuning: $3
calibration:
  - {file: "examples/tiny-qwen3/calibration.txt:concat=true"}
eval: {datasets: [examples/tiny-qwen3/heldout.txt], seqlen: 64, max_tokens: 630}
export: [auto_round, fake]
output: $WORK/out
YAML
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$@"; }

recipe "$TMP/sr.yaml" 2 "{iters: 6, nsamples: 8, seqlen: 64, batch_size: 4}"

# 1. Uninterrupted SignRound run: the reference output.
if "$ARECIPE" run "$TMP/sr.yaml" --json -q > "$TMP/a.json"; then pass "signround run"; else bad "signround run"; fi
mv "$WORK/out" "$WORK/ref"
[[ $(json "$TMP/a.json" "len(d['blocks'])") == 4 ]] && pass "4 blocks reported" || bad "blocks: $(cat "$TMP/a.json")"
[[ $(json "$TMP/a.json" "all(b['best_loss'] <= b['rtn_loss'] for b in d['blocks'])") == True ]] \
  && pass "best loss <= RTN loss in every block" || bad "losses: $(cat "$TMP/a.json")"
[[ $(json "$TMP/a.json" "d['ppl']['fp'] > 1 and d['ppl']['quantized'] > d['ppl']['fp']") == True ]] \
  && pass "ppl fp/quantized reported" || bad "ppl: $(cat "$TMP/a.json")"
[[ $(json "$TMP/a.json" "abs(d['avg_weight_bits'] - 2) < 1e-9 and sorted(d['formats']) == ['auto_round', 'fake']") == True ]] \
  && pass "avg_bits and formats" || bad "avg_bits/formats: $(cat "$TMP/a.json")"
for f in README.md block_loss.svg arecipe.lock.json config.json; do
  [[ -s $WORK/ref/auto-round/$f ]] && pass "auto_round has $f" || bad "auto_round lacks $f"
done
grep -q "| 3 |" "$WORK/ref/auto-round/README.md" && grep -q "Perplexity (measured after export)" "$WORK/ref/auto-round/README.md" \
  && pass "model card has losses and perplexity" || bad "model card: $(cat "$WORK/ref/auto-round/README.md")"
[[ ! -e $WORK/out.arecipe-work ]] && pass "resume state removed after success" || bad "work dir left behind"

# 2. Determinism: a second run writes byte-identical files.
"$ARECIPE" run "$TMP/sr.yaml" -q > /dev/null 2>&1
if diff -r "$WORK/ref" "$WORK/out" > "$TMP/diff" 2>&1; then pass "rerun is byte-identical"; else bad "rerun differs: $(head -5 "$TMP/diff")"; fi
rm -rf "$WORK/out"

# 3. kill -9 after a random block, then --resume: identical output.
k=$((RANDOM % 3))
ARECIPE_TEST_KILL_AFTER_BLOCK=$k "$ARECIPE" run "$TMP/sr.yaml" -q > /dev/null 2>&1; rc=$?
[[ $rc -eq 137 ]] && pass "killed after block $k (rc $rc)" || bad "kill after block $k: rc $rc"
[[ ! -e $WORK/out && -e $WORK/out.arecipe-work/state.json ]] && pass "no finished-looking output after kill" \
  || bad "after kill: $(ls "$WORK")"
expect_error "a second run without --resume is refused" "interrupted run" "--resume" -- "$ARECIPE" run "$TMP/sr.yaml" -q
if "$ARECIPE" run "$TMP/sr.yaml" --resume --json -q > "$TMP/r.json" 2>/dev/null; then pass "resume"; else bad "resume failed"; fi
[[ $(json "$TMP/r.json" "d['resumed_blocks']") == $((k + 1)) ]] && pass "resumed $((k + 1)) blocks" || bad "resumed: $(cat "$TMP/r.json")"
if diff -r "$WORK/ref" "$WORK/out" > "$TMP/diff" 2>&1; then pass "resumed output is byte-identical"; else bad "resumed output differs: $(head -5 "$TMP/diff")"; fi
[[ -z $(ls -d "$WORK"/out.tmp-* 2>/dev/null) ]] && pass "no stale temp dirs after resume" || bad "stale: $(ls -d "$WORK"/out.tmp-*)"
rm -rf "$WORK/out"

# 4. Ctrl-C stops at a block boundary; --resume finishes identically.
k=$((RANDOM % 3))
ARECIPE_TEST_SIGINT_AFTER_BLOCK=$k "$ARECIPE" run "$TMP/sr.yaml" -q > /dev/null 2> "$TMP/int.err"; rc=$?
[[ $rc -eq 130 ]] && grep -q -- "--resume" "$TMP/int.err" && pass "Ctrl-C after block $k stops cleanly" \
  || bad "Ctrl-C: rc $rc $(cat "$TMP/int.err")"
"$ARECIPE" run "$TMP/sr.yaml" --resume -q > /dev/null 2>&1
if diff -r "$WORK/ref" "$WORK/out" > "$TMP/diff" 2>&1; then pass "output after Ctrl-C + resume is byte-identical"; else bad "differs after Ctrl-C: $(head -5 "$TMP/diff")"; fi
rm -rf "$WORK/out"

# 5. opt-RTN at W2 beats plain RTN on held-out text.
recipe "$TMP/rtn.yaml" 2 "{preset: rtn}"
recipe "$TMP/opt.yaml" 2 "{preset: opt_rtn, nsamples: 16, seqlen: 64}"
"$ARECIPE" run "$TMP/rtn.yaml" --json -q > "$TMP/rtn.json" 2>/dev/null && rm -rf "$WORK/out"
"$ARECIPE" run "$TMP/opt.yaml" --json -q > "$TMP/opt.json" 2>/dev/null && rm -rf "$WORK/out"
rtn=$(json "$TMP/rtn.json" "d['ppl']['quantized']"); opt=$(json "$TMP/opt.json" "d['ppl']['quantized']")
python3 -c "import sys; sys.exit(0 if $opt < $rtn else 1)" && pass "W2 opt-RTN ppl $opt < RTN $rtn" || bad "opt-RTN $opt vs RTN $rtn"

# 6. A calibration set smaller than the batch: a warning, and the run completes.
printf 'In the beginning God created the heaven and the earth.\n' > "$TMP/tiny.txt"
recipe "$TMP/small.yaml" 4 "{iters: 2, nsamples: 8, seqlen: 8, batch_size: 4}"
sed -i "s|examples/tiny-qwen3/calibration.txt:concat=true|$TMP/tiny.txt:concat=true|" "$TMP/small.yaml"
"$ARECIPE" run "$TMP/small.yaml" > /dev/null 2> "$TMP/small.err"; rc=$?
[[ $rc -eq 0 ]] && grep -q "fewer than batch_size" "$TMP/small.err" && pass "small calibration set warns" \
  || bad "small calibration set: rc $rc $(cat "$TMP/small.err")"
rm -rf "$WORK/out"

# 7. iters 0 with tuning options: a warning naming the ignored option.
recipe "$TMP/warn.yaml" 4 "{preset: rtn, lr: 0.01}"
"$ARECIPE" run "$TMP/warn.yaml" > /dev/null 2> "$TMP/warn.err"
grep -q "tuning.lr has no effect with iters 0" "$TMP/warn.err" && pass "iters 0 + lr warns" || bad "no warning: $(cat "$TMP/warn.err")"
rm -rf "$WORK/out"

# 8. A full disk mid-export (file size limit): error, nothing under the final name.
(trap '' XFSZ; ulimit -f 2048; "$ARECIPE" run "$TMP/rtn.yaml" -q > /dev/null 2> "$TMP/full.err"); rc=$?
[[ $rc -eq 1 && ! -e $WORK/out ]] && pass "full disk: clean error ($(head -c 160 "$TMP/full.err"))" \
  || bad "full disk: rc $rc, $(ls "$WORK"), $(cat "$TMP/full.err")"
[[ -z $(ls -d "$WORK"/out/*.tmp-* "$WORK"/out.tmp-* 2>/dev/null) ]] && pass "full disk: temp dirs removed" \
  || bad "full disk left: $(ls -d "$WORK"/out/*.tmp-* "$WORK"/out.tmp-* 2>/dev/null)"
# 9. stories260K, W4 G32 RTN, all four int formats in one run, perplexity in the JSON;
# its 172-wide MLP layers stay 16-bit as upstream keeps them (one warning).
cat > "$TMP/stories.yaml" <<YAML
arecipe: 1
name: stories-all-formats
description: run_tuned.sh
model: ../shared/fixtures/models/stories260K/hf
scheme: {preset: W4A16, group_size: 32}
tuning: {preset: rtn}
eval: {datasets: [../shared/fixtures/corpora/tinystories_valid_head794k.txt], seqlen: 512, max_tokens: 5110}
export: [auto_round, auto_gptq, auto_awq, fake]
output: $WORK/stories
YAML
"$ARECIPE" run "$TMP/stories.yaml" --json --allow-output-anywhere > "$TMP/st.json" 2> "$TMP/st.err"; rc=$?
[[ $rc -eq 0 && $(json "$TMP/st.json" "sorted(d['formats']) == ['auto_awq', 'auto_gptq', 'auto_round', 'fake'] and d['quantized_layers'] == 20 and d['ppl']['quantized'] > d['ppl']['fp'] > 1") == True ]] \
  && pass "stories260K: four formats, ppl $(json "$TMP/st.json" "d['ppl']")" || bad "stories260K all formats: rc $rc $(cat "$TMP/st.json" "$TMP/st.err")"
grep -q "15 int layer(s) kept in 16 bits" "$TMP/st.err" && pass "172-wide layers kept with one warning" || bad "no keep warning: $(cat "$TMP/st.err")"
for f in auto-round auto-gptq auto-awq fake; do
  [[ -s $WORK/stories/$f/config.json && -s $WORK/stories/$f/arecipe.lock.json ]] && pass "stories $f written" || bad "stories $f missing"
done
# 10. export: [gguf:q4_k_m] through run: the same bytes as `arecipe gguf` (itself
# byte-identical to llama-quantize, tests/gguf), perplexity of the GGUF in the JSON.
cat > "$TMP/gguf.yaml" <<YAML
arecipe: 1
name: tiny-q4km
description: run_tuned.sh
model: examples/tiny-qwen3/model
scheme: GGUF:Q4_K
tuning: {preset: rtn}
eval: {datasets: [examples/tiny-qwen3/heldout.txt], seqlen: 64, max_tokens: 630}
export: ["gguf:q4_k_m"]
output: $WORK/gguf
YAML
"$ARECIPE" run "$TMP/gguf.yaml" --json -q > "$TMP/gguf.json" 2>&1 && "$ARECIPE" gguf examples/tiny-qwen3/model --type q4_k_m -o "$TMP/cli.gguf" -q \
  && cmp -s "$TMP/cli.gguf" "$WORK/gguf/tiny-q4km-q4_k_m.gguf" && [[ $(json "$TMP/gguf.json" "d['ppl']['quantized'] > d['ppl']['fp'] > 1") == True ]] \
  && pass "run gguf:q4_k_m = arecipe gguf, ppl $(json "$TMP/gguf.json" "d['ppl']")" || bad "run gguf: $(cat "$TMP/gguf.json")"
rm -rf "$WORK/gguf"

# 11. Recipe rules override a tensor's GGUF type: a rule giving attn_v GGUF:Q8_0 writes
# the bytes of `arecipe gguf --tensor-type attn_v=q8_0`.
sed 's|^export:|rules:\n  - {name: v in q8_0, match: {role: attn_v}, scheme: "GGUF:Q8_0"}\nexport:|' "$TMP/gguf.yaml" > "$TMP/rule.yaml"
"$ARECIPE" run "$TMP/rule.yaml" -q > /dev/null 2>&1 \
  && "$ARECIPE" gguf examples/tiny-qwen3/model --type q4_k_m --tensor-type attn_v=q8_0 -o "$TMP/rule.gguf" -q > /dev/null \
  && cmp -s "$TMP/rule.gguf" "$WORK/gguf/tiny-q4km-q4_k_m.gguf" && ! cmp -s "$TMP/rule.gguf" "$TMP/cli.gguf" \
  && pass "recipe rule overrides attn_v to q8_0 in the GGUF" || bad "recipe rule override: $(ls "$WORK/gguf" 2>&1)"
rm -rf "$WORK/gguf"

# 12. Tuned GGUF (Q2_K_S): SignRound over llama.cpp's frozen scales. opt-RTN (iters 0)
# is exactly `arecipe gguf --imatrix` with the calibration imatrix the run writes beside
# the file (the bytes tuning starts from); SignRound improves the block loss and
# changes the bytes; a rerun and a kill -9 + --resume give the identical file.
sed -e 's|^scheme: .*|scheme: GGUF:Q2_K|' -e 's|q4_k_m|q2_k_s|' -e 's|^name: .*|name: tg|' \
    -e '/^export:/i calibration: [{file: "examples/tiny-qwen3/calibration.txt:concat=true"}]' "$TMP/gguf.yaml" > "$TMP/tg.yaml"
G=$WORK/gguf/tg-q2_k_s.gguf
sed 's|^tuning: .*|tuning: {preset: opt_rtn, nsamples: 8, seqlen: 64}|' "$TMP/tg.yaml" > "$TMP/tg-opt.yaml"
sed -i 's|^tuning: .*|tuning: {iters: 8, nsamples: 8, seqlen: 64, batch_size: 4}|' "$TMP/tg.yaml"
"$ARECIPE" run "$TMP/tg-opt.yaml" -q > /dev/null 2>&1 \
  && (A=$(realpath "$ARECIPE"); M=$(realpath examples/tiny-qwen3/model); cd "$WORK/gguf" &&  # same imatrix path string
      "$A" gguf "$M" --type q2_k_s --imatrix tg-imatrix.gguf -o "$TMP/rtn-im.gguf" -q > /dev/null) \
  && cmp -s "$TMP/rtn-im.gguf" "$G" && pass "tuned GGUF at iters 0 = arecipe gguf with the run's imatrix" \
  || bad "opt-RTN GGUF vs arecipe gguf --imatrix: $(ls "$WORK/gguf" 2>&1)"
mv "$G" "$TMP/opt.gguf"; rm -rf "$WORK/gguf"
"$ARECIPE" run "$TMP/tg.yaml" --json -q > "$TMP/tg.json" 2>/dev/null; rc=$?
[[ $rc -eq 0 && $(json "$TMP/tg.json" "len(d['blocks']) == 4 and all(b['best_loss'] <= b['rtn_loss'] for b in d['blocks']) and any(b['best_loss'] < b['rtn_loss'] * 0.999 for b in d['blocks'])") == True ]] \
  && pass "tuned GGUF: block losses improve on llama.cpp's RTN" || bad "tuned GGUF run: rc $rc $(cat "$TMP/tg.json")"
[[ $(json "$TMP/tg.json" "d['ppl']['quantized'] > d['ppl']['fp'] > 1") == True ]] && pass "tuned GGUF evaluated, ppl $(json "$TMP/tg.json" "d['ppl']")" \
  || bad "tuned GGUF ppl: $(cat "$TMP/tg.json")"
[[ -s $G ]] && ! cmp -s "$G" "$TMP/opt.gguf" && [[ $(stat -c %s "$G") == $(stat -c %s "$TMP/opt.gguf") ]] \
  && pass "tuned bytes differ from RTN, same layout size" || bad "tuned GGUF file: $(ls -l "$WORK/gguf" 2>&1)"
[[ ! -e $WORK/gguf.arecipe-work ]] && pass "tuned GGUF: work dir removed" || bad "tuned GGUF left its work dir"
mv "$WORK/gguf" "$WORK/tg-ref"
k=$((RANDOM % 3))
ARECIPE_TEST_KILL_AFTER_BLOCK=$k "$ARECIPE" run "$TMP/tg.yaml" -q > /dev/null 2>&1; rc=$?
[[ $rc -eq 137 && ! -e $WORK/gguf ]] && pass "tuned GGUF killed after block $k" || bad "tuned GGUF kill: rc $rc"
"$ARECIPE" run "$TMP/tg.yaml" --resume -q > /dev/null 2>&1
cmp -s "$WORK/tg-ref/tg-q2_k_s.gguf" "$G" && cmp -s "$WORK/tg-ref/tg-imatrix.gguf" "$WORK/gguf/tg-imatrix.gguf" \
  && pass "tuned GGUF after kill + resume is byte-identical" || bad "tuned GGUF resume differs"
rm -rf "$WORK/gguf"
# llama architecture (stories260K): the tuned rows of attn_q/attn_k get llama's Q/K row
# permutation in the exporter exactly as values do (opt-RTN = arecipe gguf --imatrix).
cat > "$TMP/ts.yaml" <<YAML
arecipe: 1
name: ts
description: run_tuned.sh
model: ../shared/fixtures/models/stories260K/hf
scheme: GGUF:Q4_0
tuning: {preset: opt_rtn, nsamples: 8, seqlen: 64}
calibration: [{file: "../shared/fixtures/corpora/tinystories_valid_head794k.txt:concat=true"}]
rules:
  - {name: ffn_down rows are 172 wide, match: {role: mlp_down}, keep: true}
export: ["gguf:q4_0"]
output: $WORK/ts
YAML
"$ARECIPE" run "$TMP/ts.yaml" -q --allow-output-anywhere > /dev/null 2>&1 \
  && (A=$(realpath "$ARECIPE"); M=$(realpath ../shared/fixtures/models/stories260K/hf); cd "$WORK/ts" &&
      "$A" gguf "$M" --type q4_0 --imatrix ts-imatrix.gguf -o "$TMP/ts.gguf" -q > /dev/null) \
  && cmp -s "$TMP/ts.gguf" "$WORK/ts/ts-q4_0.gguf" && pass "llama arch: tuned-path rows permuted like llama-quantize's" \
  || bad "stories260K GGUF via the tuned path: $(ls "$WORK/ts" 2>&1)"
rm -rf "$WORK/ts"
finish
