#!/usr/bin/env python3
"""Per-layer delta-loss scores: arecipe (`arecipe probe --json`) against upstream
auto-round's AutoScheme (upstream_autoscheme.py --scores). Per option: Spearman rank
correlation over layers, median and max relative error |ours - theirs| / theirs; then
whether the calibration ids were identical (arecipe's cache file records their
sha256, upstream_autoscheme.py the same hash of the ids upstream fed).

    compare_scores.py ARECIPE.json UPSTREAM.json [--cache-dir DIR] [--min-spearman R]
        [--max-rel-err E]
Exits 1 when a rank correlation is below --min-spearman, a relative error above
--max-rel-err or the calibration ids differ (with --cache-dir); default: report only.
"""
import argparse
import glob
import json
import os
import sys


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):  # ties share their mean rank
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va > 0 and vb > 0 else float("nan")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ours")
    p.add_argument("theirs")
    p.add_argument("--cache-dir")
    p.add_argument("--min-spearman", type=float)
    p.add_argument("--max-rel-err", type=float)
    a = p.parse_args()
    ours = json.load(open(a.ours))
    theirs = json.load(open(a.theirs))
    mine = {l["name"]: l["scores"] for l in ours["layers"]}
    worst = 1.0
    worst_rel = 0.0
    failed = False
    print(f"{'option':<12} {'layers':>6} {'spearman':>9} {'median rel err':>15} {'max rel err':>12}  worst layer")
    for opt, up in theirs["scores"].items():
        names = [n for n in mine if n in up and opt in mine[n]]
        if not names:
            print(f"{opt:<12} no common layers")
            continue
        x = [mine[n][opt] for n in names]
        y = [up[n] for n in names]
        rel = sorted((abs(u - v) / abs(v) if v else abs(u), n) for n, u, v in zip(names, x, y))
        rho = spearman(x, y)
        worst = min(worst, rho)
        worst_rel = max(worst_rel, rel[-1][0])
        print(f"{opt:<12} {len(names):>6} {rho:>9.4f} {rel[len(rel) // 2][0]:>15.2e} {rel[-1][0]:>12.2e}  {rel[-1][1]}")
    # All (layer, option) pairs at once: what the allocator actually compares.
    xs, ys = [], []
    for opt, up in theirs["scores"].items():
        for n in mine:
            if n in up and opt in mine[n]:
                xs.append(mine[n][opt])
                ys.append(up[n])
    if xs:
        print(f"all pairs: {len(xs)}, spearman {spearman(xs, ys):.4f}")
    if a.cache_dir:
        hashes = set()
        for f in glob.glob(os.path.join(a.cache_dir, "*.json")):
            hashes.add(json.load(open(f)).get("calibration_sha256"))
        same = hashes == {theirs.get("calibration_sha256")}
        print(f"calibration ids identical: {'yes' if same else 'NO'} "
              f"(arecipe {sorted(h[:12] for h in hashes if h)}, upstream {str(theirs.get('calibration_sha256'))[:12]})")
        failed |= not same
    if a.min_spearman is not None and worst < a.min_spearman:
        print(f"rank correlation {worst:.4f} below {a.min_spearman}")
        failed = True
    if a.max_rel_err is not None and worst_rel > a.max_rel_err:
        print(f"relative error {worst_rel:.2e} above {a.max_rel_err}")
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
