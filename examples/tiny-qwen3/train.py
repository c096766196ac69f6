#!/usr/bin/env python3
"""Train the tiny-qwen3 example model (byte-level BPE tokenizer + Qwen3ForCausalLM) on
the King James Bible, on CPU.

    examples/tiny-qwen3/make_corpus.sh               # -> examples/tiny-qwen3/corpus/{train,heldout}.txt
    python3 examples/tiny-qwen3/train.py             # -> examples/tiny-qwen3/model/

Deterministic: fixed seeds, 1 CPU thread by default, fixed number of steps
(the cosine schedule spans --steps). Only train.txt is used for the tokenizer and
the model; heldout.txt is only read for the final perplexity report.

Each training sequence is [<|endoftext|>] + 255 consecutive tokens of the training
token stream (random offset), i.e. exactly the shape the perplexity evaluator
(eval_ppl.py) uses: BOS + (seqlen - 1) tokens.
"""

import argparse
import json
import math
import os
import sys
import time

import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
BOS = "<|endoftext|>"
# Qwen2 / Qwen3 pre-tokenization regex.
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def log(msg, fh=None):
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if fh:
        fh.write(line + "\n")
        fh.flush()


def train_tokenizer(train_file, vocab_size):
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train([train_file], trainer)
    bos_id = tok.token_to_id(BOS)
    # Prepend <|endoftext|> as BOS (documented in README.md; eval_ppl.py strips it).
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A",
        pair=f"{BOS} $A {BOS} $B:1",
        special_tokens=[(BOS, bos_id)],
    )
    return tok


def write_tokenizer(tok, out_dir, model_max_length):
    tok.save(os.path.join(out_dir, "tokenizer.json"))
    added = {}
    for t in SPECIAL_TOKENS:
        added[str(tok.token_to_id(t))] = {
            "content": t, "lstrip": False, "normalized": False, "rstrip": False,
            "single_word": False, "special": True,
        }
    cfg = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "added_tokens_decoder": added,
        "bos_token": BOS,
        "eos_token": BOS,
        "pad_token": BOS,
        "unk_token": None,
        "add_bos_token": True,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": model_max_length,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": BOS, "eos_token": BOS, "pad_token": BOS}, f, indent=2)
        f.write("\n")


def encode_stream(tok, path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    ids = tok.encode(text).ids
    assert ids[0] == tok.token_to_id(BOS)
    return torch.tensor(ids[1:], dtype=torch.long)


def make_config(args, vocab_size, bos_id):
    from transformers import Qwen3Config
    return Qwen3Config(
        vocab_size=vocab_size,
        hidden_size=args.hidden,
        intermediate_size=args.intermediate,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads,
        head_dim=args.head_dim,
        hidden_act="silu",
        max_position_embeddings=512,
        initializer_range=0.02,
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        attention_bias=False,
        attention_dropout=0.0,
        use_sliding_window=False,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        bos_token_id=bos_id,
        eos_token_id=bos_id,
        pad_token_id=bos_id,
    )


@torch.no_grad()
def quick_eval(model, stream, bos_id, seqlen, windows):
    """Same windowing as eval_ppl.py: [BOS] + (seqlen-1)-token non-overlapping windows."""
    model.eval()
    w = seqlen - 1
    n = min(windows, len(stream) // w)
    nll, cnt = 0.0, 0
    for i in range(0, n, 8):
        b = min(8, n - i)
        x = torch.stack([stream[(i + j) * w:(i + j + 1) * w] for j in range(b)])
        x = torch.cat([torch.full((b, 1), bos_id, dtype=torch.long), x], dim=1)
        logits = model(input_ids=x, use_cache=False).logits.float()
        lp = torch.log_softmax(logits[:, :-1], dim=-1)
        tgt = x[:, 1:]
        nll -= lp.gather(-1, tgt.unsqueeze(-1)).sum().item()
        cnt += tgt.numel()
    model.train()
    return math.exp(nll / cnt), n, cnt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus"), help="dir with train.txt, heldout.txt")
    ap.add_argument("--out", default=os.path.join(HERE, "model"))
    ap.add_argument("--log", default=None, help="log file (default: <out>/../train.log)")
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--intermediate", type=int, default=768)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=32)
    ap.add_argument("--seqlen", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--min-lr-ratio", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--save-dtype", choices=["float32", "bfloat16"], default="float32")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    logf = open(args.log or os.path.join(os.path.dirname(os.path.abspath(args.out)), "train.log"), "a")
    log(f"args: {vars(args)}", logf)
    log(f"torch {torch.__version__}", logf)

    train_txt = os.path.join(args.corpus, "train.txt")
    held_txt = os.path.join(args.corpus, "heldout.txt")
    t0 = time.time()
    tok = train_tokenizer(train_txt, args.vocab)
    bos_id = tok.token_to_id(BOS)
    write_tokenizer(tok, args.out, 512)
    train_ids = encode_stream(tok, train_txt)
    held_ids = encode_stream(tok, held_txt)
    log(f"tokenizer: vocab {tok.get_vocab_size()} bos_id {bos_id}; train tokens {len(train_ids)}, "
        f"heldout tokens {len(held_ids)} ({time.time() - t0:.1f}s)", logf)

    from transformers import GenerationConfig, Qwen3ForCausalLM
    cfg = make_config(args, tok.get_vocab_size(), bos_id)
    cfg._attn_implementation = "sdpa"  # training speed; eager gives the same math
    model = Qwen3ForCausalLM(cfg).float()
    model.train()
    nparams = sum(p.numel() for p in model.parameters())
    log(f"model params {nparams} ({nparams * 4 / 1e6:.2f} MB f32)", logf)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        p = (step - args.warmup) / max(1, args.steps - args.warmup)
        r = args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * p))
        return args.lr * r

    gen = torch.Generator().manual_seed(args.seed + 1)
    w = args.seqlen - 1
    bos_col = torch.full((args.batch, 1), bos_id, dtype=torch.long)
    t_train = time.time()
    ema = None
    for step in range(args.steps):
        offs = torch.randint(0, len(train_ids) - w, (args.batch,), generator=gen)
        x = torch.stack([train_ids[o:o + w] for o in offs.tolist()])
        x = torch.cat([bos_col, x], dim=1)
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        out = model(input_ids=x, labels=x, use_cache=False)
        loss = out.loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        lv = loss.item()
        ema = lv if ema is None else 0.95 * ema + 0.05 * lv
        if step % 10 == 0 or step == args.steps - 1:
            el = time.time() - t_train
            log(f"step {step + 1}/{args.steps} loss {lv:.4f} ema {ema:.4f} lr {lr_at(step):.2e} "
                f"elapsed {el:.0f}s ({el / (step + 1):.2f}s/step)", logf)
        if args.eval_every and (step + 1) % args.eval_every == 0 and step + 1 < args.steps:
            ppl, n, cnt = quick_eval(model, held_ids, bos_id, args.seqlen, 40)
            log(f"step {step + 1} heldout ppl {ppl:.3f} ({n} windows, {cnt} tokens)", logf)
    train_s = time.time() - t_train
    log(f"training done: {args.steps} steps, {train_s:.0f}s, last loss {lv:.4f}, ema {ema:.4f}", logf)

    # Final train loss on a fixed sample of 32 training windows (deterministic).
    model.eval()
    with torch.no_grad():
        g2 = torch.Generator().manual_seed(7)
        offs = torch.randint(0, len(train_ids) - w, (32,), generator=g2)
        x = torch.cat([torch.full((32, 1), bos_id, dtype=torch.long),
                       torch.stack([train_ids[o:o + w] for o in offs.tolist()])], dim=1)
        tl = sum(model(input_ids=x[i:i + 8], labels=x[i:i + 8], use_cache=False).loss.item()
                 for i in range(0, 32, 8)) / 4
    ppl, n, cnt = quick_eval(model, held_ids, bos_id, args.seqlen, 40)
    log(f"final: train loss (32 fixed windows) {tl:.4f}; heldout ppl {ppl:.3f} ({n} windows, {cnt} tokens)", logf)

    model.config._attn_implementation = "eager"
    if args.save_dtype == "bfloat16":
        model = model.to(torch.bfloat16)
    model.save_pretrained(args.out, safe_serialization=True)
    GenerationConfig(bos_token_id=bos_id, eos_token_id=bos_id, pad_token_id=bos_id,
                     do_sample=True, temperature=0.8, top_p=0.95, max_new_tokens=128
                     ).save_pretrained(args.out)
    with open(os.path.join(args.out, "..", "train_summary.json"), "w") as f:
        json.dump({"steps": args.steps, "train_seconds": round(train_s, 1), "last_loss": round(lv, 4),
                   "ema_loss": round(ema, 4), "train_loss_fixed32": round(tl, 4),
                   "heldout_ppl_train_py": round(ppl, 4), "params": nparams,
                   "train_tokens": len(train_ids), "heldout_tokens": len(held_ids),
                   "args": vars(args), "torch": torch.__version__}, f, indent=2)
        f.write("\n")
    log(f"saved to {args.out}", logf)


if __name__ == "__main__":
    main()
