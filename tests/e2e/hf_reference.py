"""Shared helpers of the reference scripts in this folder (transformers side):
perplexity by the method of docs/perplexity.md, and loading auto-round's quantized
checkpoints back in fp32 so they compare with arecipe's fp32 forward.
"""
import glob
import math
import os

import torch

PACKED_SUFFIXES = (".qweight", ".qzeros", ".scales", ".g_idx")


def to_fp32_with_checkpoint_floats(model, model_dir):
    """The loaded model in fp32: auto-round's CPU loader cast everything to fp16, which
    rounded the float tensors (embeddings, norms, unquantized linears) and the rotary
    embedding's inv_freq; cast back, reload the former from the checkpoint and rebuild
    the latter. The QuantLinear buffers stay as loaded (packed ints; fp16 scales, exact
    in fp32)."""
    from safetensors import safe_open
    model = torch.nn.Module.float(model)  # transformers refuses .float() on quantized models
    state = {}
    for shard in glob.glob(os.path.join(model_dir, "*.safetensors")):
        with safe_open(shard, "pt") as f:
            for k in f.keys():
                if not k.endswith(PACKED_SUFFIXES):
                    state[k] = f.get_tensor(k).float()
    _, unexpected = model.load_state_dict(state, strict=False)
    if unexpected:
        raise RuntimeError(f"checkpoint tensors the model does not have: {unexpected}")
    rebuilt = 0
    for name, m in list(model.named_modules()):
        if name.endswith("rotary_emb"):
            parent = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            setattr(parent, name.rsplit(".", 1)[-1], type(m)(config=model.config))
            rebuilt += 1
    if rebuilt == 0:
        raise RuntimeError("no rotary embedding found to rebuild in fp32")
    return model


def window_perplexity(model, ids, bos, adds_bos, seqlen, windows=0):
    """ids: BOS already removed. Consecutive windows of seqlen-1 tokens (seqlen without
    a BOS), each scored as [BOS] + window; returns (ppl, windows, scored tokens)."""
    body = seqlen - 1 if adds_bos else seqlen
    n = len(ids) // body
    if windows:
        n = min(n, windows)
    nll, count = 0.0, 0
    with torch.no_grad():
        for w in range(n):
            seq = ([bos] if adds_bos else []) + ids[w * body:(w + 1) * body]
            x = torch.tensor([seq])
            logp = torch.log_softmax(model(x).logits[0, :-1].double(), -1)
            nll -= logp.gather(-1, x[0, 1:, None]).sum().item()
            count += len(seq) - 1
    return math.exp(nll / count), n, count
