#!/usr/bin/env python3
"""Calibration documents for comparisons with upstream: auto-round reads local
calibration data only as .json/.jsonl, so a text file is split into paragraphs
(blocks separated by blank lines) and written as a JSON list of strings, which
arecipe and auto-round then both read as the same documents.

    paragraphs_to_json.py IN.txt OUT.json [--min-chars N]   (shorter paragraphs are joined)
"""
import json
import re
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    min_chars = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--min-chars" else 0
    docs, cur = [], ""
    for para in re.split(r"\n[ \t\r\f\v]*\n", open(src, encoding="utf-8").read()):
        para = para.strip()
        if not para:
            continue
        cur = f"{cur} {para}" if cur else para
        if len(cur) >= min_chars:
            docs.append(cur)
            cur = ""
    json.dump(docs, open(dst, "w", encoding="utf-8"), ensure_ascii=False)
    print(f"{len(docs)} documents -> {dst}", file=sys.stderr)


if __name__ == "__main__":
    main()
