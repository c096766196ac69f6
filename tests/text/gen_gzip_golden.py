#!/usr/bin/env python3
"""Regenerates tests/text/golden/gzip/: gzip-compressed calibration sources written by
Python's gzip module (not by arecipe), and expected.json with the texts Python's json
module reads from them. Standard library only; deterministic (mtime 0).
    python3 tests/text/gen_gzip_golden.py
"""
import gzip
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "gzip")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def main():
    os.makedirs(OUT, exist_ok=True)
    texts = [
        "In the beginning was the Word.",
        "Ünïcödé, 中文, emoji \U0001F600 and a tab\there.",
        "A longer record. " * 40,
        "line one\nline two",
    ]
    jsonl = "".join(json.dumps({"text": t, "id": i}, ensure_ascii=False) + "\n" for i, t in enumerate(texts))
    expected = {}

    # Two gzip members, as `cat a.gz b.gz` or a parallel compressor writes them.
    half = jsonl.encode().split(b"\n", 2)
    first, rest = half[0] + b"\n" + half[1] + b"\n", half[2]
    open(os.path.join(OUT, "docs.jsonl.gz"), "wb").write(gz(first) + gz(rest))
    expected["docs.jsonl.gz"] = [json.loads(l)["text"] for l in gzip.decompress(open(os.path.join(OUT, "docs.jsonl.gz"), "rb").read()).decode().splitlines()]

    # allenai/c4's layout: JSON Lines in a .json.gz, records with text, timestamp and url.
    c4 = "".join(json.dumps({"text": t, "timestamp": "2019-04-25T12:57:54Z", "url": f"https://example.org/{i}"}) + "\n"
                 for i, t in enumerate(texts))
    open(os.path.join(OUT, "c4-train.00000-of-00001.json.gz"), "wb").write(gz(c4.encode()))
    expected["c4-train.00000-of-00001.json.gz"] = [json.loads(l)["text"] for l in c4.splitlines()]

    # One JSON document (an array of records).
    arr = json.dumps([{"text": t} for t in texts], ensure_ascii=False, indent=1)
    open(os.path.join(OUT, "records.json.gz"), "wb").write(gz(arr.encode()))
    expected["records.json.gz"] = [r["text"] for r in json.loads(arr)]

    # Plain text, one document per line (txt_split=lines).
    lines = "\n".join(t.replace("\n", " ") for t in texts) + "\n"
    open(os.path.join(OUT, "lines.txt.gz"), "wb").write(gz(lines.encode()))
    expected["lines.txt.gz"] = lines.splitlines()

    json.dump(expected, open(os.path.join(OUT, "expected.json"), "w"), ensure_ascii=False, indent=1)
    open(os.path.join(OUT, "expected.json"), "a").write("\n")


if __name__ == "__main__":
    main()
