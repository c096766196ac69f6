#!/usr/bin/env python3
"""Reference forward-pass throughput of a HF model with transformers on CPU.

Loads MODEL_DIR (float32, eager attention), sets torch.set_num_threads(N), runs
`--warmup` untimed forwards then `--iters` timed forwards over a fixed batch of
random token ids (seed 0, uniform in [0, vocab)), no KV cache, no grad.

    python3 bench/bench_forward_hf.py MODEL_DIR [--threads N] [--batch 4] [--seqlen 256]

Prints one JSON line on stdout, e.g.
    {"tokens_per_s": 1234.5, "threads": 1, "batch": 4, "seqlen": 256, "iters": 3,
     "best_s": 0.81, "median_s": 0.83, "model": "..."}
tokens_per_s = batch * seqlen / median forward time.
"""

import argparse
import json
import statistics
import time

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help="HF model directory")
    ap.add_argument("--model", dest="model_opt", help="HF model directory (alternative to the positional)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seqlen", type=int, default=256)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--iters", type=int, default=3)
    args = ap.parse_args()
    model_dir = args.model_opt or args.model
    if not model_dir:
        ap.error("model directory required")

    torch.set_num_threads(args.threads)
    import transformers
    from transformers import AutoModelForCausalLM
    transformers.logging.set_verbosity_error()
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (args.batch, args.seqlen), generator=gen, dtype=torch.long)

    times = []
    with torch.inference_mode():
        for i in range(args.warmup + args.iters):
            t0 = time.perf_counter()
            model(input_ids=ids, use_cache=False)
            dt = time.perf_counter() - t0
            if i >= args.warmup:
                times.append(dt)
    med = statistics.median(times)
    print(json.dumps({
        "tokens_per_s": args.batch * args.seqlen / med,
        "threads": args.threads,
        "batch": args.batch,
        "seqlen": args.seqlen,
        "iters": args.iters,
        "best_s": min(times),
        "median_s": med,
        "model": model_dir,
    }))


if __name__ == "__main__":
    main()
