#!/usr/bin/env python3
"""Reference perplexity evaluator (transformers, float32, eager attention, CPU).

Method (identical to arecipe's evaluator):
  1. tokenize the whole text once with the model's tokenizer (special tokens on);
     if the tokenizer adds a BOS, remove it;
  2. cut the ids into consecutive non-overlapping windows of seqlen-1 tokens when
     the model has a BOS token (seqlen tokens when it has none); drop the trailing
     partial window; keep the first K windows (--windows);
  3. evaluate each window as [BOS] + window (window alone if no BOS);
  4. score every next-token prediction (seqlen-1 per window);
     ppl = exp(mean NLL over all scored tokens).

Usage:
    python3 examples/tiny-qwen3/eval_ppl.py --model examples/tiny-qwen3/model \
        --text examples/tiny-qwen3/heldout.txt --seqlen 256 --windows 40
Prints JSON: {"ppl": ..., "windows": ..., "tokens": ...}
"""

import argparse
import json
import math

import torch


def load_ids(tokenizer, text):
    ids = list(tokenizer(text).input_ids)
    bos = tokenizer.bos_token_id
    probe = tokenizer("a").input_ids
    adds_bos = bos is not None and len(probe) > 0 and probe[0] == bos
    if adds_bos and ids and ids[0] == bos:
        ids = ids[1:]
    return ids, bos


@torch.no_grad()
def perplexity(model, ids, bos, seqlen, max_windows=None, batch=8):
    w = seqlen - 1 if bos is not None else seqlen
    n = len(ids) // w
    if max_windows is not None:
        n = min(n, max_windows)
    if n == 0:
        raise SystemExit(f"text too short: {len(ids)} tokens < one window of {w}")
    data = torch.tensor(ids[:n * w], dtype=torch.long).view(n, w)
    if bos is not None:
        data = torch.cat([torch.full((n, 1), bos, dtype=torch.long), data], dim=1)
    nll, count = 0.0, 0
    for i in range(0, n, batch):
        x = data[i:i + batch]
        logits = model(input_ids=x, use_cache=False).logits.float()
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        tgt = x[:, 1:]
        nll -= logp.gather(-1, tgt.unsqueeze(-1)).double().sum().item()
        count += tgt.numel()
    return math.exp(nll / count), n, count


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="HF model directory (config, weights, tokenizer)")
    ap.add_argument("--text", required=True, help="UTF-8 text file")
    ap.add_argument("--seqlen", type=int, required=True)
    ap.add_argument("--windows", type=int, default=None, help="use only the first K windows")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=8, help="windows per forward (does not change the result)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer
    transformers.logging.set_verbosity_error()  # no "sequence longer than model_max_length" warning
    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    ids, bos = load_ids(tok, text)
    ppl, n, count = perplexity(model, ids, bos, args.seqlen, args.windows, args.batch)
    print(json.dumps({"ppl": ppl, "windows": n, "tokens": count}))


if __name__ == "__main__":
    main()
