#!/usr/bin/env bash
# `arecipe pull` against a loopback fake hub (tests/hub/fake_hub.py): layout of the shared
# HF cache, resume after a dropped connection, sha256 verification, no re-download, offline
# and unreachable-hub fallbacks, tokens, pickle-only and missing repositories.
#   test_pull.sh ARECIPE_BINARY
set -euo pipefail
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
MODEL=$HERE/../../examples/tiny-qwen3/model
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
COMMIT=0123456789abcdef0123456789abcdef01234567

serve() {  # serve NAME DIR [fake_hub flags...] -> sets PORT
  local name=$1 dir=$2; shift 2
  python3 "$HERE/fake_hub.py" --repo "$name" --dir "$dir" --commit "$COMMIT" --log "$T/server.log" "$@" > "$T/port" &
  PIDS+=($!)
  for _ in $(seq 100); do [[ -s $T/port ]] && break; sleep 0.1; done
  PORT=$(head -1 "$T/port")
  [[ -n $PORT ]] || fail "fake hub did not start"
  export HF_ENDPOINT=http://127.0.0.1:$PORT
}
stop() { kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; : > "$T/port"; }

mkdir "$T/repo"
cp "$MODEL"/config.json "$MODEL"/model.safetensors "$MODEL"/tokenizer*.json "$T/repo/"
echo "not wanted" > "$T/repo/notes.txt"
export HF_HUB_CACHE=$T/cache
unset HF_TOKEN HF_HUB_OFFLINE
export HF_HOME=$T/hf-home

# 1. A dropped connection half way through the weights: the error says how to resume,
#    the part stays, and the second call continues with a Range request.
serve test-org/tiny-qwen3 "$T/repo" --truncate-once model.safetensors
if "$BIN" pull test-org/tiny-qwen3 -q > "$T/out1" 2> "$T/err1"; then fail "a truncated download succeeded"; fi
grep -q "resume" "$T/err1" || fail "no resume hint: $(cat "$T/err1")"
ls "$T"/cache/models--test-org--tiny-qwen3/blobs/*.incomplete > /dev/null || fail "partial download not kept"
"$BIN" pull test-org/tiny-qwen3 --json -q > "$T/out2"
grep -q "^GET /cdn/.* bytes=[1-9]" "$T/server.log" || fail "second call did not resume with a Range request"
SNAP=$T/cache/models--test-org--tiny-qwen3/snapshots/$COMMIT
python3 - "$T/out2" "$SNAP" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert out["dir"] == sys.argv[2], out
assert out["commit"] == "0123456789abcdef0123456789abcdef01234567"
assert "notes.txt" not in out["files"] and "model.safetensors" in out["files"], out["files"]
# config.json came in the first call, before the weights broke off
assert "model.safetensors" in out["downloaded"] and "config.json" not in out["downloaded"], out["downloaded"]
PY
for f in config.json model.safetensors tokenizer.json; do
  cmp "$SNAP/$f" "$T/repo/$f" || fail "$f differs from the served file"
  [[ -L $SNAP/$f ]] || fail "$f is not a symlink into blobs/"
done
[[ $(cat "$T/cache/models--test-org--tiny-qwen3/refs/main") == "$COMMIT" ]] || fail "refs/main not written"
[[ -z $(ls "$T"/cache/models--test-org--tiny-qwen3/blobs/ | grep incomplete || true) ]] || fail "part file left"

# 2. Everything cached: a third call downloads nothing, and the model is usable.
"$BIN" pull test-org/tiny-qwen3 --json -q | python3 -c 'import json,sys; assert json.load(sys.stdin)["downloaded"] == []'
"$BIN" inspect "$SNAP" > /dev/null || fail "inspect cannot read the pulled model"
# A recipe naming the hub id plans against the cached snapshot.
cat > "$T/r.yaml" <<YAML
arecipe: 1
name: hub-model
model: test-org/tiny-qwen3
scheme: W4A16
output: $T/out
YAML
"$BIN" plan "$T/r.yaml" --allow-output-anywhere > "$T/plan.txt" 2>&1 || fail "plan with a hub id: $(cat "$T/plan.txt")"
stop
# Not cached, hub down: the error points at the recipe line and says what to do.
if HF_HUB_CACHE=$T/empty "$BIN" plan "$T/r.yaml" --allow-output-anywhere 2> "$T/err-plan"; then fail "plan without model"; fi
grep -q "r.yaml:3:8" "$T/err-plan" && grep -q "arecipe pull test-org/tiny-qwen3" "$T/err-plan" || fail "plan error: $(cat "$T/err-plan")"

# 3. Hub unreachable: the cached snapshot is used with a warning; offline mode needs no hub.
"$BIN" pull test-org/tiny-qwen3 > "$T/out3" 2> "$T/err3" || fail "no fallback to the cache: $(cat "$T/err3")"
[[ $(cat "$T/out3") == "$SNAP" ]] || fail "fallback gave $(cat "$T/out3")"
grep -q "using the cached snapshot" "$T/err3" || fail "no warning on fallback"
[[ $(HF_HUB_OFFLINE=1 "$BIN" pull test-org/tiny-qwen3 -q) == "$SNAP" ]] || fail "offline mode"
if HF_HUB_OFFLINE=1 "$BIN" pull test-org/other -q 2> "$T/err4"; then fail "offline miss succeeded"; fi
grep -q "not in the cache" "$T/err4" || fail "offline miss message: $(cat "$T/err4")"

# 4. A corrupt transfer is caught by the sha256 and deleted.
serve test-org/tiny-qwen3 "$T/repo" --corrupt model.safetensors
if HF_HUB_CACHE=$T/cache2 "$BIN" pull test-org/tiny-qwen3 -q 2> "$T/err5"; then fail "corrupt download accepted"; fi
grep -q "sha256 .* does not match" "$T/err5" || fail "corruption message: $(cat "$T/err5")"
[[ -z $(find "$T/cache2" -path "*blobs*" -size +1M) ]] || fail "corrupt blob kept"
stop

# 5. Gated repositories: 401 without the token, success with it (HF_TOKEN or the token file).
serve test-org/tiny-qwen3 "$T/repo" --token s3cret
if HF_HUB_CACHE=$T/cache3 "$BIN" pull test-org/tiny-qwen3 -q 2> "$T/err6"; then fail "401 ignored"; fi
grep -q "gated or private" "$T/err6" || fail "401 message: $(cat "$T/err6")"
HF_TOKEN=s3cret HF_HUB_CACHE=$T/cache3 "$BIN" pull test-org/tiny-qwen3 -q > /dev/null || fail "HF_TOKEN not sent"
mkdir -p "$HF_HOME" && echo s3cret > "$HF_HOME/token"
HF_HUB_CACHE=$T/cache4 "$BIN" pull test-org/tiny-qwen3 --config-only -q > /dev/null || fail "token file not read"
[[ ! -e $T/cache4/models--test-org--tiny-qwen3/snapshots/$COMMIT/model.safetensors ]] || fail "--config-only fetched weights"
rm "$HF_HOME/token"
stop

# 6. Pickle-only and missing repositories are refused with the reason.
mkdir "$T/pickle" && cp "$MODEL/config.json" "$T/pickle/"
serve test-org/old "$T/pickle" --extra-file pytorch_model.bin
if "$BIN" pull test-org/old -q 2> "$T/err7"; then fail "pickle-only repo accepted"; fi
grep -q "never loads" "$T/err7" || fail "pickle message: $(cat "$T/err7")"
if "$BIN" pull test-org/missing -q 2> "$T/err8"; then fail "missing repo accepted"; fi
grep -q "HTTP 404.*no such repository" "$T/err8" || fail "404 message: $(cat "$T/err8")"
if "$BIN" pull "../etc/passwd" -q 2> "$T/err9"; then fail "bad repo id accepted"; fi
grep -q "not a hub repo id" "$T/err9" || fail "repo id message: $(cat "$T/err9")"
stop

# 7. Interop: huggingface_hub (when installed) finds our snapshot in the shared cache.
if [[ -n ${ARECIPE_PYTHON:-} ]] && "$ARECIPE_PYTHON" -c "import huggingface_hub" 2>/dev/null; then
  got=$(HF_HUB_OFFLINE=1 "$ARECIPE_PYTHON" -c "
import huggingface_hub as h
print(h.snapshot_download('test-org/tiny-qwen3', cache_dir='$T/cache', local_files_only=True))")
  [[ $got == "$SNAP" ]] || fail "huggingface_hub resolved $got"
  echo "huggingface_hub $("$ARECIPE_PYTHON" -c 'import huggingface_hub as h; print(h.__version__)') reads the cache"
fi
echo "hub pull: all checks passed"
