#!/usr/bin/env python3
"""Upstream auto-round's AutoScheme (PyPI 0.16.1) on a model, with its per-layer delta-loss
scores captured: the reference for `arecipe probe` (golden comparison and benchmark).

    upstream_autoscheme.py --model DIR --options W2A16G32,W4A16G32,W8A16G32 --avg-bits 3
        --dataset FILE.json [--nsamples 16 --seqlen 256 --batch-size 8] [--threads N]
        [--scores OUT.json]

Runs AutoRound(model, scheme=AutoScheme(...), iters=0) the way a user would, on CPU in
fp32 with amp off, and stops once the AutoScheme layer choice exists (model load,
calibration, the scoring passes and the DP; the quantization that would follow is not run),
with upstream's score cache pointed at a fresh temporary directory so every option is
really scored. get_score_for_scheme (auto_round/auto_scheme/delta_loss.py, the function
that returns {layer: [bits, score]} for one option) is wrapped to record its result, and
get_dataloader to record the calibration ids it fed (their sha256 over int64 bytes is
what arecipe's probe cache records as calibration_sha256, so the data can be checked
to be identical). Writes {"options", "scores": {option: {layer: score}}, "seconds",
"scoring_seconds", "calibration_sha256", "layer_config"}.
"""
import argparse
import hashlib
import json
import os
import tempfile
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--options", required=True)
    p.add_argument("--avg-bits", type=float, default=3.0)
    p.add_argument("--dataset", required=True)
    p.add_argument("--nsamples", type=int, default=16)
    p.add_argument("--seqlen", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--scores")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    cache = tempfile.mkdtemp(prefix="ar-autoscheme-cache-")
    os.environ["AR_AUTO_SCHEME_CACHE"] = cache  # read by auto_round.envs at use time

    start = time.time()
    import auto_round.auto_scheme.delta_loss as dl
    from auto_round import AutoRound, AutoScheme

    options = [o.strip() for o in a.options.split(",") if o.strip()]
    recorded = []  # one {layer: score} per scored option, in scoring order
    ids_hash = []
    scoring = [0.0]
    orig_score, orig_loader = dl.get_score_for_scheme, dl.get_dataloader

    def score_wrapper(*args, **kw):
        t = time.time()
        s = orig_score(*args, **kw)
        scoring[0] += time.time() - t
        recorded.append({k: float(v[1]) for k, v in s.items()})
        return s

    def loader_wrapper(*args, **kw):
        loader = orig_loader(*args, **kw)
        ids = torch.cat([b["input_ids"] for b in loader if b is not None], 0).to(torch.int64).contiguous()
        ids_hash.append(hashlib.sha256(ids.numpy().tobytes()).hexdigest())
        return loader

    dl.get_score_for_scheme, dl.get_dataloader = score_wrapper, loader_wrapper

    scheme = AutoScheme(avg_bits=a.avg_bits, options=options, nsamples=a.nsamples, seqlen=a.seqlen,
                        batch_size=a.batch_size)
    ar = AutoRound(a.model, scheme=scheme, iters=0, nsamples=a.nsamples, seqlen=a.seqlen, dataset=a.dataset,
                   amp=False, seed=42, device_map="cpu")
    # quantize() resolves the AutoScheme layer config (scoring + DP) first, then
    # quantizes; stop right after the layer config exists: only AutoScheme is measured.
    layer_config = {}
    # The model-backed compressors generate it in _gen_auto_scheme; the model-free
    # route (iters=0 with RTN) in _resolve_auto_scheme. Either scores with
    # get_score_for_scheme.
    method = "_gen_auto_scheme" if hasattr(type(ar), "_gen_auto_scheme") else "_resolve_auto_scheme"
    orig_gen = getattr(type(ar), method)

    class Done(Exception):
        pass

    def gen_wrapper(self):
        layer_config.update(orig_gen(self) or {})
        raise Done()

    setattr(type(ar), method, gen_wrapper)
    try:
        ar.quantize()
    except Done:
        pass
    seconds = time.time() - start

    # BF16-like options are not scored (no call); map the calls onto the quantized options.
    scored = [o for o in options if not o.upper().startswith("BF16")]
    out = {
        "options": options,
        "scores": {o: s for o, s in zip(scored, recorded)},
        "seconds": seconds,
        "scoring_seconds": scoring[0],
        "calibration_sha256": ids_hash[0] if ids_hash else None,
        "layer_config": {k: {kk: vv for kk, vv in v.items() if isinstance(vv, (int, float, str, bool))}
                         for k, v in layer_config.items() if isinstance(v, dict)},
    }
    if len(recorded) != len(scored):
        raise SystemExit(f"expected {len(scored)} scoring passes, saw {len(recorded)}")
    if a.scores:
        with open(a.scores, "w") as f:
            json.dump(out, f, indent=1)
    print(json.dumps({"seconds": seconds, "scoring_seconds": scoring[0], "calibration_sha256": out["calibration_sha256"]}))


if __name__ == "__main__":
    main()
