#!/usr/bin/env bash
# `arecipe plan` with a target on the bundled tiny Qwen3, end to end through the CLI:
# scores from a file (no probe), then the sensitivity probe itself when asked
# (PROBE=1). Checks the table, the lock file, the HTML report and the infeasible error.
set -euo pipefail
BIN=$(realpath "$1")
MODEL=$(realpath examples/tiny-qwen3/model)
CALIB=$(realpath examples/tiny-qwen3/calibration.txt)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$T/r.yaml" <<YAML
arecipe: 1
name: tiny-target
model: $MODEL
scheme: {preset: W4A16, group_size: 32}
target: {avg_bits: 3.5, options: [W2A16G32, W4A16G32, W8A16G32]}
calibration:
  - {file: $CALIB}
export: [auto_round]
YAML

# Synthetic scores: deeper blocks and MLPs more sensitive, error /4 per extra bit.
{
  echo '{"method": "synthetic", "options": ["W2A16G32", "W4A16G32", "W8A16G32"], "scores": {'
  first=1
  for b in 0 1 2 3; do
    for p in self_attn.q_proj self_attn.k_proj self_attn.v_proj self_attn.o_proj mlp.gate_proj mlp.up_proj mlp.down_proj; do
      w=$(( (b + 1) * (${#p} % 5 + 1) ))
      [ $first = 1 ] || echo ','
      first=0
      awk -v b=$b -v p=$p -v w=$w 'BEGIN { printf "\"model.layers.%s.%s\": [%d, %.6f, %.9f]\n", b, p, w, w / 16, w / 4096 }'
    done
  done
  echo '}}'
} > "$T/scores.json"

cd "$T"
"$BIN" plan r.yaml --scores scores.json > plan.txt 2> plan.err || { cat plan.err; fail "plan exited $?"; }
grep -q "scores (W2A16G32 W4A16G32 W8A16G32; \* chosen)" plan.txt || { cat plan.txt; fail "no scores column"; }
grep -q "target allocator (" plan.txt || fail "no allocator origin"
grep -q "^allocator: .* units, scores synthetic, achieved " plan.txt || { cat plan.txt; fail "no allocator summary"; }
[ -f arecipe.lock.json ] || fail "no lock file"
[ -f arecipe.plan.html ] || fail "no HTML report beside the lock"
grep -q '"option":"W' arecipe.lock.json || grep -q '"option": "W' arecipe.lock.json || fail "lock has no per-layer option"
grep -q '"allocation"' arecipe.lock.json || fail "lock has no allocation"
grep -q "<svg" arecipe.plan.html || fail "HTML has no chart"
! grep -q "<script" arecipe.plan.html || fail "HTML has a script"
# The achieved average, from --json, is at most the target.
"$BIN" plan r.yaml --scores scores.json --json --no-lock > plan.json 2>/dev/null
achieved=$(grep -o '"achieved_avg_bits": [0-9.e+-]*' plan.json | head -1 | awk '{print $2}')
[ -n "$achieved" ] || fail "no achieved_avg_bits in --json"
awk -v a="$achieved" 'BEGIN { exit !(a <= 3.5) }' || fail "achieved $achieved above the target 3.5"
# An unreachable target names the range.
if "$BIN" plan r.yaml --scores scores.json --no-lock --set target.avg_bits=2.0 > /dev/null 2> err.txt; then
  fail "unreachable target accepted"
fi
grep -q "avg_bits 2.0000 is out of reach" err.txt || { cat err.txt; fail "unexpected error text"; }

if [ "${PROBE:-0}" = 1 ]; then
  # The real probe: upstream's delta loss on the tiny model, small settings.
  "$BIN" plan r.yaml --nsamples 4 --seqlen 64 --batch-size 2 --no-probe-cache --write-scores probed.json \
    --lock probed.lock.json > probed.txt 2> probed.err || { cat probed.err; fail "probe plan exited $?"; }
  grep -q "scores delta_loss, achieved " probed.txt || { cat probed.txt; fail "no probed allocation"; }
  [ -f probed.plan.html ] || fail "no HTML beside probed.lock.json"
  grep -q '"model.layers.3.mlp.down_proj"' probed.json || fail "probed scores miss a layer"
fi
echo OK
