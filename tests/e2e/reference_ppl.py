"""Perplexity with HF transformers, by the method of docs/perplexity.md.

Usage: reference_ppl.py --model DIR --text FILE --seqlen N [--windows K] [--ids-out FILE]
Prints {"ppl", "windows", "tokens"} as JSON; --ids-out also writes the token ids
(BOS removed) so that `arecipe eval --tokens` can be run on exactly the same ids.
"""
import argparse
import json

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from hf_reference import window_perplexity


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--text", required=True)
    ap.add_argument("--seqlen", type=int, default=512)
    ap.add_argument("--windows", type=int, default=0)
    ap.add_argument("--ids-out")
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)  # tests run in parallel; oversubscribed threads only slow down
    tok = AutoTokenizer.from_pretrained(a.model)
    ids = tok(open(a.text, encoding="utf-8").read())["input_ids"]
    bos = tok.bos_token_id
    adds_bos = bos is not None and len(ids) > 0 and ids[0] == bos
    if adds_bos:
        ids = ids[1:]
    if a.ids_out:
        json.dump(ids, open(a.ids_out, "w"))
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, attn_implementation="eager").eval()
    ppl, n, count = window_perplexity(model, ids, bos, adds_bos, a.seqlen, a.windows)
    print(json.dumps({"ppl": ppl, "windows": n, "tokens": count}))


if __name__ == "__main__":
    main()
