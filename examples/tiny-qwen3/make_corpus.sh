#!/bin/sh
# Build the tiny-qwen3 training corpus from the King James Bible (public domain)
# as packaged by Debian (bible-kjv + bible-kjv-text):
#     apt-get install -y bible-kjv bible-kjv-text
#
# Usage: examples/tiny-qwen3/make_corpus.sh [OUTDIR]    (default: examples/tiny-qwen3/corpus)
# Writes OUTDIR/train.txt and OUTDIR/heldout.txt.
#
# Format: verse text only (no references), one verse per line, chapters separated
# by one blank line; each file ends with a newline.
# Split (deterministic): the 1,189 chapters of Gen 1 .. Rev 22 are numbered
# 0..1188 in canonical order; chapter n goes to heldout.txt if n % 20 == 19
# (59 chapters: the 20th, 40th, ... chapter), otherwise to train.txt.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/corpus}
command -v bible >/dev/null 2>&1 || {
    echo "make_corpus.sh: 'bible' not found; apt-get install -y bible-kjv bible-kjv-text" >&2; exit 1; }
mkdir -p "$OUT"
# -f turns pretty-printing OFF: one verse per line, "Ref text" (e.g. "Ge1:1 In the beginning ...").
bible -f "gen1:1-rev22:21" | LC_ALL=C awk -v train="$OUT/train.txt" -v held="$OUT/heldout.txt" '
{
    ref = $1
    if (!match(ref, /[0-9]+:[0-9]+$/)) { print "bad line: " $0 > "/dev/stderr"; exit 2 }
    chap = substr(ref, 1, RSTART - 1) ":" substr(ref, RSTART, index(substr(ref, RSTART), ":") - 1)
    text = substr($0, length(ref) + 2)
    if (chap != cur) {
        if (cur != "") n++
        cur = chap
        f = (n % 20 == 19) ? held : train
        if (f in started) printf "\n" > f
        started[f] = 1
    }
    print text > f
}
END {
    if (n + 1 != 1189) { print "expected 1189 chapters, got " n + 1 > "/dev/stderr"; exit 3 }
}'
wc -c "$OUT/train.txt" "$OUT/heldout.txt" >&2
