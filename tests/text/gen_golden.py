#!/usr/bin/env python3
"""Writes the golden expectations of tests/text from HF `tokenizers` and auto-round.

Run from the repository root with a Python that has `tokenizers` (and, for the calibration
golden, `auto-round`, `transformers`, `datasets`):

    python tests/text/gen_golden.py [--shared ../shared]

Tokenizer goldens (tests/text/golden/tok_<name>.json), per fixture tokenizer:
  * every corpus in <shared>/fixtures/corpora is cut into blocks of BLOCK_LINES lines
    (newlines kept, so newline handling is exercised) and encoded with special tokens;
    we store the SHA-256 of all ids (one block per line: ids joined by ',' + '\\n'), one
    hash per HASH_GROUP blocks (to localize a failure), the token count, the SHA-256 of the
    decoded blocks (same framing), and the full ids of a few sample blocks;
  * hard strings (stored as hex bytes: some are invalid UTF-8, which Python decodes with
    errors="replace", as our C++ encode does) with full ids, with and without specials, and
    their decodings.
The calibration golden is written by gen_calibration_golden.py.
"""
import argparse
import hashlib
import json
import os

from tokenizers import Tokenizer
from tokenizers.implementations import ByteLevelBPETokenizer

BLOCK_LINES = 16
HASH_GROUP = 512
SAMPLE_EVERY = 997

TOKENIZERS = {
    "qwen3": "fixtures/tokenizers/qwen3",
    "llama2-32k": "fixtures/tokenizers/llama2-32k",
    "gpt2": "fixtures/tokenizers/gpt2",
    "stories260K": "fixtures/models/stories260K/hf",
    "llama3-regex": "fixtures/tokenizers/qwen3",
}

# No Llama-3 tokenizer is among the fixtures, so this variant puts Llama-3's split pattern
# (digits in runs of up to three) and its ignore_merges=true onto Qwen3's vocabulary, without
# Qwen's NFC normalizer. The C++ test applies the same patch (the "patch" field).
LLAMA3_PATCH = {
    "pattern": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    "ignore_merges": True,
}

HARD_STRINGS = [
    b"",
    b"Hello world",
    b" Hello world",
    b"  leading spaces",
    b"trailing spaces   ",
    b"\t\ttabs\tand\nnewlines\n\n\nend",
    b"\r\n windows\r\nline endings\r\n",
    b"a  \n  b \n\n c",
    b"   \n\n\t  ",
    "你好，世界！这是一个测试。".encode(),
    "日本語のテキスト、カタカナとひらがな".encode(),
    "한국어 텍스트 조합 \u1100\u1161\u11a8".encode(),
    "👍🏽 family: 👨‍👩‍👧‍👦 flag: 🇯🇵 ❤️ 🫠".encode(),
    "e\u0301 café vs cafe\u0301 and A\u030a vs \u00c5 and \u212b".encode(),
    "\u2126 ohm, ﬁ ligature, ｆｕｌｌｗｉｄｔｈ".encode(),
    "q\u0307\u0323 \u1e0b\u0323 combining order".encode(),
    b"1234567890 12 345 3.14159 1,000,000 2024-01-01",
    "٣٤٥ ๑๒๓ ⅻ ½ ²".encode(),
    b"I'm, you're, it's, we'll, they'd, I've, can't, DON'T, I'M, We'Ll",
    "'\u017f and \u2019s curly".encode(),
    b"<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    b"text<|endoftext|>more text",
    b"<s>hi</s> there",
    b" <s> spaced </s> ",
    b"<think>\nreason\n</think>\n\nanswer",
    b"abc\xff\xfedef",
    b"\xe2\x82 truncated",
    b"\xc3\x28 bad continuation",
    b"\xed\xa0\x80 surrogate",
    b"\xf0\x9f\x98 truncated emoji \xf0\x9f\x98\x80",
    "a\u00a0b\u3000c\u2028d\u0085e\u200bf".encode(),
    b"a" * 300,
    b"antidisestablishmentarianism HTTPServerError404NotFound_v2.json",
    b"!!!???... ---- ==== $$$ foo.bar(baz) {x: 1}; // comment",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and \x00\x01\x7f control".encode(),
    "\u2581 already metaspace \u2581\u2581 and \u0120hello".encode(),
    b"def f(x):\n    return x**2  # square\n\n\n\tpass",
]


def load(shared, name):
    path = os.path.join(shared, TOKENIZERS[name])
    if name == "llama3-regex":
        with open(os.path.join(path, "tokenizer.json"), encoding="utf-8") as f:
            d = json.load(f)
        d["normalizer"] = None
        d["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = LLAMA3_PATCH["pattern"]
        d["model"]["ignore_merges"] = LLAMA3_PATCH["ignore_merges"]
        return Tokenizer.from_str(json.dumps(d))
    if os.path.exists(os.path.join(path, "tokenizer.json")):
        return Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
    # GPT-2 ships vocab.json + merges.txt only: HF's ByteLevelBPETokenizer reading.
    return ByteLevelBPETokenizer(os.path.join(path, "vocab.json"), os.path.join(path, "merges.txt"))


def blocks_of(text):
    lines = text.split("\n")
    if text.endswith("\n"):
        lines = lines[:-1]
    blocks = []
    for i in range(0, len(lines), BLOCK_LINES):
        group = lines[i:i + BLOCK_LINES]
        last = i + BLOCK_LINES >= len(lines)
        blocks.append("\n".join(group) + ("\n" if not last or text.endswith("\n") else ""))
    return blocks


def ids_line(ids):
    return (",".join(str(i) for i in ids) + "\n").encode()


def corpus_golden(tok, text):
    blocks = blocks_of(text)
    encodings = tok.encode_batch(blocks, add_special_tokens=True)
    all_ids = [e.ids for e in encodings]
    whole = hashlib.sha256()
    groups = []
    for g in range(0, len(all_ids), HASH_GROUP):
        h = hashlib.sha256()
        for ids in all_ids[g:g + HASH_GROUP]:
            h.update(ids_line(ids))
            whole.update(ids_line(ids))
        groups.append(h.hexdigest())
    decoded = tok.decode_batch(all_ids, skip_special_tokens=False)
    dec = hashlib.sha256()
    for d in decoded:
        dec.update(d.encode("utf-8") + b"\n")
    return {
        "blocks": len(blocks),
        "tokens": sum(len(i) for i in all_ids),
        "ids_sha256": whole.hexdigest(),
        "group_sha256": groups,
        "decoded_sha256": dec.hexdigest(),
        "samples": [{"block": i, "ids": all_ids[i]} for i in range(0, len(blocks), SAMPLE_EVERY)],
    }


def hard_golden(tok):
    out = []
    for raw in HARD_STRINGS:
        text = raw.decode("utf-8", errors="replace")
        ids = tok.encode(text, add_special_tokens=True).ids
        plain = tok.encode(text, add_special_tokens=False).ids
        out.append({
            "hex": raw.hex(),
            "ids": ids,
            "ids_no_special": plain,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default="../shared")
    parser.add_argument("--only", default=None, help="one tokenizer name")
    args = parser.parse_args()
    corpora_dir = os.path.join(args.shared, "fixtures/corpora")
    corpora = sorted(f for f in os.listdir(corpora_dir) if f.endswith(".txt"))
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
    os.makedirs(out_dir, exist_ok=True)
    import tokenizers
    for name in TOKENIZERS:
        if args.only and name != args.only:
            continue
        tok = load(args.shared, name)
        golden = {
            "generator": f"tests/text/gen_golden.py with tokenizers {tokenizers.__version__}",
            "tokenizer": TOKENIZERS[name],
            "patch": LLAMA3_PATCH if name == "llama3-regex" else None,
            "block_lines": BLOCK_LINES,
            "hash_group": HASH_GROUP,
            "corpora": {},
            "hard": hard_golden(tok),
        }
        for c in corpora:
            with open(os.path.join(corpora_dir, c), encoding="utf-8", newline="") as f:
                golden["corpora"][c] = corpus_golden(tok, f.read())
        path = os.path.join(out_dir, f"tok_{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(golden, f, ensure_ascii=True, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
