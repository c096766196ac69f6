#!/usr/bin/env bash
# A recipe calibrating on a hub dataset (`dataset: someone/tiny-calib`) against a loopback
# fake hub (tests/hub/fake_hub.py): only the split's files are fetched into the shared HF
# cache (datasets--someone--tiny-calib), the calibration report counts that split's
# documents, a second run works offline from the cache, a loading script and a missing
# split are refused with one-line errors, and huggingface_hub shares the cache. A
# second dataset in the hub's Parquet layout (fixtures from gen_calib_parquet.py) is
# served as LFS files (sha256-verified) and read by the Parquet reader; a third in
# allenai/c4's layout (config folder, gzip-compressed JSON Lines named .json.gz).
#   test_calibration_dataset.sh ARECIPE_BINARY      ($ARECIPE_PYTHON: optional interop)
set -euo pipefail
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d)
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
COMMIT=89abcdef0123456789abcdef0123456789abcdef
SNAP=$T/cache/datasets--someone--tiny-calib/snapshots/$COMMIT

# Documents of ~100 tokens cut from the example's calibration text, each tagged with its
# split so the report's counts tell which files were read.
python3 - "$ROOT/examples/tiny-qwen3/calibration.txt" "$T" <<'PY'
import json, os, sys
text = open(sys.argv[1]).read().split()
t = sys.argv[2]
def write(path, docs, tag, start):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for i in range(docs):
            words = text[(start + i) * 120:(start + i + 1) * 120]
            f.write(json.dumps({"text": " ".join(words), "split_tag": tag}) + "\n")
calib = t + "/tiny-calib"
write(calib + "/train/part-0.jsonl", 5, "train", 0)
write(calib + "/train/part-1.jsonl", 4, "train", 5)
write(calib + "/test/part-0.jsonl", 3, "test", 20)
open(calib + "/README.md", "w").write("---\nlicense: cc0\n---\n# tiny-calib\n")
scripted = t + "/scripted"
write(scripted + "/data.jsonl", 5, "train", 30)
open(scripted + "/scripted.py", "w").write("raise SystemExit('a loading script must never run')\n")
PY
mkdir -p "$T/tiny-parquet/data"
cp "$HERE/fixtures/calib-train.parquet" "$T/tiny-parquet/data/train-00000-of-00001-5f3a2c.parquet"
cp "$HERE/fixtures/calib-test.parquet" "$T/tiny-parquet/data/test-00000-of-00001-9b1d7e.parquet"
echo "# tiny-parquet" > "$T/tiny-parquet/README.md"
# allenai/c4's layout: a config folder of gzip-compressed JSON Lines named .json.gz
# (the fixture is Python's gzip output, tests/text/gen_gzip_golden.py).
mkdir -p "$T/tiny-c4/en"
for s in train validation; do
  cp "$ROOT/tests/text/golden/gzip/c4-train.00000-of-00001.json.gz" "$T/tiny-c4/en/c4-$s.00000-of-00001.json.gz"
done

serve() {
  : > "$T/port"
  python3 "$HERE/fake_hub.py" --commit "$COMMIT" --log "$T/server.log" \
    --dataset someone/tiny-calib="$T/tiny-calib" --dataset someone/scripted="$T/scripted" \
    --dataset someone/tiny-parquet="$T/tiny-parquet" --dataset someone/tiny-c4="$T/tiny-c4" > "$T/port" &
  PID=$!
  for _ in $(seq 100); do [[ -s $T/port ]] && break; sleep 0.1; done
  [[ -s $T/port ]] || fail "fake hub did not start"
  export HF_ENDPOINT=http://127.0.0.1:$(head -1 "$T/port")
}
serve
export HF_HUB_CACHE=$T/cache HF_HOME=$T/hf-home TMPDIR=$T/tmp
mkdir "$TMPDIR"
unset HF_TOKEN HF_HUB_OFFLINE

recipe() {  # recipe FILE DATASET SPLIT OUT
  cat > "$1" <<YAML
arecipe: 1
name: hub-calibration
model: $ROOT/examples/tiny-qwen3/model
scheme: {preset: W4A16, group_size: 32}
tuning: {iters: 2, nsamples: 4, seqlen: 64, batch_size: 4}
calibration:
  - {dataset: $2, split: $3, field: text}
export: [fake]
output: $4
YAML
}
run() { "$BIN" run "$1" --threads 1 --allow-output-anywhere; }

# 1. Online: the train split's two files are fetched, the test split's are not.
recipe "$T/r1.yaml" someone/tiny-calib train "$T/out1"
run "$T/r1.yaml" > "$T/run1.out" 2> "$T/run1.err" || fail "run with a hub dataset: $(tail -5 "$T/run1.err")"
grep -q "someone/tiny-calib split train (2 files in $SNAP): train/part-0.jsonl, train/part-1.jsonl" "$T/run1.err" ||
  fail "no split file listing: $(grep -i calibration "$T/run1.err")"
grep -q "someone/tiny-calib split train (2 files .*): 9 documents" "$T/run1.err" ||
  fail "the report does not count the train split's 9 documents: $(grep -i calibration "$T/run1.err")"
[[ -L $SNAP/train/part-0.jsonl && -L $SNAP/train/part-1.jsonl ]] || fail "train files are not symlinks into blobs/"
cmp "$SNAP/train/part-1.jsonl" "$T/tiny-calib/train/part-1.jsonl" || fail "train/part-1.jsonl differs from the served file"
[[ ! -e $SNAP/test && ! -e $SNAP/README.md ]] || fail "files outside the train split were fetched"
! grep -q "/test/" "$T/server.log" || fail "the server saw a request for the test split"
grep -q "GET /api/datasets/someone/tiny-calib/revision/main" "$T/server.log" || fail "dataset API not used"
grep -q "/datasets/someone/tiny-calib/resolve/$COMMIT/train/part-0.jsonl" "$T/server.log" || fail "dataset resolve URL not used"
[[ $(cat "$T/cache/datasets--someone--tiny-calib/refs/main") == "$COMMIT" ]] || fail "refs/main not written"
[[ -d $T/out1 ]] || fail "no export written"
[[ -z $(ls "$TMPDIR" | grep arecipe-calibration || true) ]] || fail "the temporary split folder was left behind"

# 1b. The hub's Parquet layout: data/train-*.parquet is the train split, fetched through
#     the LFS redirect and stored under its sha256; the test shard is not fetched.
recipe "$T/rp.yaml" someone/tiny-parquet train "$T/outp"
run "$T/rp.yaml" > /dev/null 2> "$T/runp.err" || fail "run with a parquet dataset: $(tail -5 "$T/runp.err")"
grep -q "someone/tiny-parquet split train (1 file in .*): data/train-00000-of-00001-5f3a2c.parquet" "$T/runp.err" ||
  fail "no parquet file listing: $(grep -i calibration "$T/runp.err")"
grep -q "someone/tiny-parquet split train (1 file .*): 7 documents" "$T/runp.err" ||
  fail "the report does not count the parquet train split's 7 rows: $(grep -i calibration "$T/runp.err")"
PSNAP=$T/cache/datasets--someone--tiny-parquet
[[ -f $PSNAP/blobs/$(sha256sum "$HERE/fixtures/calib-train.parquet" | cut -d" " -f1) ]] || fail "parquet blob not named by its sha256"
grep -q "GET /cdn/" "$T/server.log" || fail "the parquet file did not come through the LFS redirect"
[[ ! -e $PSNAP/snapshots/$COMMIT/data/test-00000-of-00001-9b1d7e.parquet ]] || fail "the parquet test shard was fetched"

# 1c. Gzip-compressed JSON Lines in a config folder: only en/c4-train.* is fetched and
#     its 4 records are read.
sed -e "s|{dataset: someone/tiny-calib, split: train, field: text}|{dataset: someone/tiny-c4, config: en, split: train}|" \
    -e "s|output: .*|output: $T/outc4|" "$T/r1.yaml" > "$T/rc4.yaml"
grep -q "someone/tiny-c4, config: en" "$T/rc4.yaml" || fail "c4 recipe not written"
run "$T/rc4.yaml" > /dev/null 2> "$T/runc4.err" || fail "run with a .json.gz dataset: $(tail -5 "$T/runc4.err")"
grep -q "someone/tiny-c4/en split train (1 file .*): en/c4-train.00000-of-00001.json.gz" "$T/runc4.err" ||
  fail "no c4 file listing: $(grep -i calibration "$T/runc4.err")"
grep -q "someone/tiny-c4/en split train (1 file .*): 4 documents" "$T/runc4.err" ||
  fail "the report does not count the 4 gzip-compressed records: $(grep -i calibration "$T/runc4.err")"
! grep -q "c4-validation" "$T/server.log" || fail "the validation shard was fetched"

# 2. Offline: the same recipe runs from the cache with the hub stopped.
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
recipe "$T/r2.yaml" someone/tiny-calib train "$T/out2"
HF_HUB_OFFLINE=1 run "$T/r2.yaml" > /dev/null 2> "$T/run2.err" || fail "offline run: $(tail -5 "$T/run2.err")"
grep -q "someone/tiny-calib split train (2 files .*): 9 documents" "$T/run2.err" || fail "offline report: $(grep -i calibration "$T/run2.err")"
weights() { (cd "$1" && find . -name "*.safetensors" -exec sha256sum {} + | sort); }
[[ -n $(weights "$T/out1") ]] || fail "no safetensors exported"
[[ $(weights "$T/out1") == "$(weights "$T/out2")" ]] || fail "the offline run exported different weights"
# Offline, a split that was never fetched is an error naming the recipe line.
recipe "$T/r3.yaml" someone/tiny-calib test "$T/out3"
if HF_HUB_OFFLINE=1 run "$T/r3.yaml" > /dev/null 2> "$T/run3.err"; then fail "offline run of an uncached split"; fi
grep -q "r3.yaml:7:.*no split 'test' (available splits: train)" "$T/run3.err" || fail "offline missing split: $(cat "$T/run3.err")"

# 3. Refusals, one line each, pointing at the recipe's dataset: line.
serve
recipe "$T/r4.yaml" someone/scripted train "$T/out4"
if run "$T/r4.yaml" > /dev/null 2> "$T/run4.err"; then fail "a dataset with a loading script was accepted"; fi
grep "error" "$T/run4.err" > "$T/run4.line"
[[ $(wc -l < "$T/run4.line") -eq 1 ]] || fail "script refusal is not one line: $(cat "$T/run4.err")"
grep -q "r4.yaml:7:.*someone/scripted: the dataset has a loading script (scripted.py), which arecipe never runs" "$T/run4.line" ||
  fail "script refusal: $(cat "$T/run4.line")"
! grep -q "scripted.py\|data.jsonl" <(grep -v "/api/" "$T/server.log" | grep scripted) || fail "files of a scripted dataset were fetched"
recipe "$T/r5.yaml" someone/tiny-calib validation "$T/out5"
if run "$T/r5.yaml" > /dev/null 2> "$T/run5.err"; then fail "a missing split was accepted"; fi
grep -q "r5.yaml:7:.*no split 'validation' (available splits: train, test)" "$T/run5.err" || fail "missing split: $(cat "$T/run5.err")"
[[ $(grep -c "error" "$T/run5.err") -eq 1 ]] || fail "missing-split error is not one line: $(cat "$T/run5.err")"

# 4. Interop, both ways (when huggingface_hub is installed): it resolves the dataset
#    snapshot arecipe wrote, and arecipe runs offline from a cache huggingface_hub filled
#    with the whole repository (both splits, README.md, its trees/ listing).
if [[ -n ${ARECIPE_PYTHON:-} ]] && "$ARECIPE_PYTHON" -c "import huggingface_hub" 2>/dev/null; then
  got=$(HF_HUB_OFFLINE=1 "$ARECIPE_PYTHON" -c "
import huggingface_hub as h
print(h.snapshot_download('someone/tiny-calib', repo_type='dataset', cache_dir='$T/cache', local_files_only=True))")
  [[ $got == "$SNAP" ]] || fail "huggingface_hub resolved $got"
  "$ARECIPE_PYTHON" -c "
import huggingface_hub as h
h.snapshot_download('someone/tiny-calib', repo_type='dataset', cache_dir='$T/hf-cache')" > /dev/null 2>&1 ||
    fail "huggingface_hub could not download from the fake hub"
  [[ -e $T/hf-cache/datasets--someone--tiny-calib/snapshots/$COMMIT/test/part-0.jsonl ]] || fail "huggingface_hub fetched no test split"
  recipe "$T/r6.yaml" someone/tiny-calib train "$T/out6"
  HF_HUB_OFFLINE=1 HF_HUB_CACHE=$T/hf-cache run "$T/r6.yaml" > /dev/null 2> "$T/run6.err" ||
    fail "offline run on huggingface_hub's cache: $(tail -3 "$T/run6.err")"
  grep -q "someone/tiny-calib split train (2 files .*): 9 documents" "$T/run6.err" ||
    fail "on huggingface_hub's cache: $(grep -i calibration "$T/run6.err")"
  echo "huggingface_hub $("$ARECIPE_PYTHON" -c 'import huggingface_hub as h; print(h.__version__)') shares the dataset cache both ways"
fi
echo "hub calibration dataset: all checks passed"
