#!/usr/bin/env python3
"""Writes tests/text/golden/calibration.json: calibration sample sets drawn by upstream
auto-round (PyPI `auto-round`, auto_round.calib_dataset.get_dataset) from plain-text
fixture corpora, plus reference draws of the two random generators and chat-template
renderings from transformers.

Upstream's local-file loader takes .json/.jsonl only, so each case first cuts the .txt
corpus into documents with the same rule our C++ reader uses for .txt (paragraphs: runs of
non-blank lines; lines: every non-blank line; "blank" = only spaces, tabs, CR, FF, VT),
writes them as {"text": ...} records to a temporary .jsonl and hands that to upstream's real
get_dataset. Everything after the document list is upstream's own code path.
No concat=true case: upstream's concat crashes on local files (concat_dataset_element
expects torch tensors but the local loader yields lists, and with tensors its 2-D attention
mask then fails the column cast), so concat is covered by a C++ unit test instead.

Run from the repository root:  python tests/text/gen_calibration_golden.py [--shared ../shared]
"""
import argparse
import json
import os
import random
import tempfile

os.environ["AR_DISABLE_DATASET_SUBPROCESS"] = "1"
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import datasets  # noqa: E402
import numpy as np  # noqa: E402
from transformers import AutoTokenizer, PreTrainedTokenizerFast  # noqa: E402

from auto_round.calib_dataset import get_dataset  # noqa: E402

datasets.disable_caching()

BLANK = set(" \t\r\f\v")


def txt_documents(path, split):
    with open(path, encoding="utf-8", newline="") as f:
        content = f.read()
    lines = content.split("\n")
    if content.endswith("\n"):
        lines = lines[:-1]
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    docs, para = [], []
    for line in lines:
        if all(c in BLANK for c in line):
            if para:
                docs.append("\n".join(para))
            para = []
            continue
        if split == "lines":
            docs.append(line)
        else:
            para.append(line)
    if para:
        docs.append("\n".join(para))
    return docs


def load_tokenizer(shared, kind):
    if kind == "qwen3":
        return AutoTokenizer.from_pretrained(os.path.join(shared, "fixtures/tokenizers/qwen3"))
    # stories260K through its tokenizer.json as HF tokenizers reads it (transformers v5's
    # LlamaTokenizer would rebuild the pre-tokenizer differently; see docs/text.md).
    path = os.path.join(shared, "fixtures/models/stories260K/hf/tokenizer.json")
    return PreTrainedTokenizerFast(tokenizer_file=path, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


CASES = [
    {"name": "qwen3_shakespeare_paragraphs", "tokenizer": "qwen3",
     "sources": [{"corpus": "tinyshakespeare_input.txt", "split": "paragraphs"}],
     "seqlen": 64, "nsamples": 24, "seed": 42},
    {"name": "stories_tinystories_lines_bos", "tokenizer": "stories260K",
     "sources": [{"corpus": "tinystories_valid_head794k.txt", "split": "lines"}],
     "seqlen": 128, "nsamples": 16, "seed": 42},
    {"name": "qwen3_wikitext_lines_seed7", "tokenizer": "qwen3",
     "sources": [{"corpus": "wikitext2_raw_test_hfjoined.txt", "split": "lines"}],
     "seqlen": 96, "nsamples": 20, "seed": 7},
    {"name": "qwen3_mix_two_sources", "tokenizer": "qwen3",
     "sources": [{"corpus": "tinyshakespeare_input.txt", "split": "paragraphs", "options": ":num=5"},
                 {"corpus": "tinystories_valid_head794k.txt", "split": "lines"}],
     "seqlen": 32, "nsamples": 12, "seed": 42},
    {"name": "qwen3_mix_no_shares", "tokenizer": "qwen3",
     "sources": [{"corpus": "kjv_bible.txt", "split": "lines"},
                 {"corpus": "tinyshakespeare_input.txt", "split": "paragraphs"}],
     "seqlen": 48, "nsamples": 10, "seed": 3},
    {"name": "qwen3_chat_template", "tokenizer": "qwen3",
     "sources": [{"corpus": "tinyshakespeare_input.txt", "split": "paragraphs", "options": ":apply_chat_template"}],
     "seqlen": 64, "nsamples": 8, "seed": 42},
]

CHAT_CASES = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "2+2?"},
     {"role": "assistant", "content": "<think>\nadd\n</think>\n\n4"}, {"role": "user", "content": "and 3+3?"}],
    [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
]


def run_case(shared, case, tmp):
    tok = load_tokenizer(shared, case["tokenizer"])
    names = []
    for k, src in enumerate(case["sources"]):
        docs = txt_documents(os.path.join(shared, "fixtures/corpora", src["corpus"]), src["split"])
        path = os.path.join(tmp, f"{case['name']}_{k}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
        names.append(path + src.get("options", ""))
    ds = get_dataset(tok, case["seqlen"], ",".join(names), seed=case["seed"], nsamples=case["nsamples"])
    samples = [[int(x) for x in row["input_ids"]] for row in ds]
    return {k: v for k, v in case.items()} | {"samples": samples}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default="../shared")
    args = parser.parse_args()
    import auto_round
    out = {"generator": f"tests/text/gen_calibration_golden.py with auto-round {auto_round.__version__}",
           "cases": [], "numpy_permutation": [], "python_shuffle": [], "chat": []}
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            out["cases"].append(run_case(args.shared, case, tmp))
            print(case["name"], len(out["cases"][-1]["samples"]), "samples")
    for seed, n in [(42, 10), (0, 50), (7, 1000), (2**40 + 5, 33)]:
        out["numpy_permutation"].append({"seed": seed, "n": n, "perm": np.random.default_rng(seed).permutation(n).tolist()})
        x = list(range(n))
        random.Random(seed).shuffle(x)
        out["python_shuffle"].append({"seed": seed, "n": n, "perm": x})
    qwen = AutoTokenizer.from_pretrained(os.path.join(args.shared, "fixtures/tokenizers/qwen3"))
    for messages in CHAT_CASES:
        for gen in (True, False):
            out["chat"].append({"messages": messages, "add_generation_prompt": gen,
                                "rendered": qwen.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "calibration.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
