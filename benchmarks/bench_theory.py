"""Theory numbers and timings: precision-limited critical n, rounding variants, margin refinement.

Run:  python benchmarks/bench_theory.py [--quick] [--json OUT]

1. Precision table: largest n with the construction exact for every n' <= n, per curve (trig,
   poly), k = 2, 3, 4, dtype (float64, float32, float16, bfloat16) and accumulation (sequential,
   torch matmul), with the wall time of each scan; float64 spot checks at n = 500, 1000, 2000.
2. Rounding variants for k = 2, d = 4, float32 (why the issue saw first ties anywhere in 165..184).
3. Margin refinement: the trig construction with max-margin queries and re-weighted harmonics,
   float32 exactness on a grid of n, for top-2 sets in d = 4, 6, 8 (the paper's free-embedding
   critical n there: 10, 19, 28).
4. LIMIT-small overfit margins (d = 4) and the free optimiser started from the construction.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from limitkit._provenance import record, write_json  # noqa: E402
from limitkit.cli.theory import markdown_table  # noqa: E402
from limitkit.theory.constructions import construct  # noqa: E402
from limitkit.theory.precision import precision_table  # noqa: E402
from limitkit.theory.refine import keeps_construction, overfit_qrels, refined_scan, unit_margins  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def rounding_variants(n_lo: int = 150, n_hi: int = 200) -> list[dict]:
    """First failing n (k=2 trig, float32) under different rounding/accumulation choices."""
    import torch

    def ok(Q, D, mm, idx):
        if mm == "numpy":
            s = Q @ D.T
        elif mm == "torch":
            s = (torch.from_numpy(Q) @ torch.from_numpy(D).T).numpy()
        else:
            s = Q[:, None, 0] * D[None, :, 0]
            for j in range(1, Q.shape[1]):
                s = s + Q[:, None, j] * D[None, :, j]
        a = np.zeros(s.shape, dtype=bool)
        a[np.arange(len(s))[:, None], idx] = True
        return (np.where(a, s, np.inf).min(1) > np.where(a, -np.inf, s).max(1)).all()

    variants = {
        "unit queries, sequential": ("unit", "seq"), "unit queries, numpy matmul": ("unit", "numpy"),
        "unit queries, torch matmul": ("unit", "torch"), "coefficient queries, sequential": ("coef", "seq"),
        "coefficient queries, numpy matmul": ("coef", "numpy"), "raw curve (no 1/sqrt2), numpy matmul": ("raw", "numpy"),
    }
    first = {}
    for n in range(n_lo, n_hi + 1):
        c = construct(n, 2)
        idx = c.qrels.relevant_index_array()
        for name, (scale, mm) in variants.items():
            if name in first:
                continue
            U, V = c.U, c.V
            if scale == "unit":
                U = U / np.linalg.norm(U, axis=1, keepdims=True)
            elif scale == "raw":
                U, V = U / np.sqrt(2), V * np.sqrt(2)
            if not ok(U.astype(np.float32), V.astype(np.float32), mm, idx):
                first[name] = n
    return [{"variant": k, "first_failure": first.get(k)} for k in variants]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller scans (about a minute)")
    ap.add_argument("--json", default=None, help="write every number with provenance")
    args = ap.parse_args()
    started = time.perf_counter()
    out: dict = {}

    caps = {2: 200, 3: 80, 4: 50} if args.quick else {2: 400, 3: 120, 4: 60}
    t = time.perf_counter()
    rows = precision_table((2, 3, 4), ("float64", "float32", "float16", "bfloat16"), ("trig", "poly"),
                           n_max=caps, accumulate=("sequential", "matmul"), progress=True)
    out["precision_table"] = rows
    print(f"## 1. Precision-limited critical n ({time.perf_counter() - t:.1f} s)\n")
    shown = [{**r, "limit": f">= {r['limit']}" if r["censored"] else r["limit"]} for r in rows]
    print(markdown_table(shown, ["curve", "k", "d", "dtype", "accumulate", "limit", "first_failure", "wall_s"],
                         ["curve", "k", "d", "dtype", "accumulate", "exact for all n <=", "first failure", "wall s"]))

    from limitkit.theory.precision import realised

    spots = []
    for n in ([500, 1000] if args.quick else [500, 1000, 2000]):
        t = time.perf_counter()
        rep = realised(construct(n, 2), "float64", accumulate="matmul")
        spots.append({"n": n, "queries": rep.m, "exact": rep.exact, "min_unit_margin": rep.min_margin,
                      "(1-cos(2pi/n))^2": (1 - np.cos(2 * np.pi / n)) ** 2, "wall_s": round(time.perf_counter() - t, 1)})
    out["float64_spot_checks"] = spots
    print("\nfloat64 spot checks beyond the scan (k=2 trig, torch matmul, unit queries):\n")
    print(markdown_table(spots, list(spots[0])))

    t = time.perf_counter()
    out["rounding_variants"] = rounding_variants()
    print(f"\n## 2. k=2, d=4, float32: first failing n per rounding variant ({time.perf_counter() - t:.1f} s)\n")
    print(markdown_table(out["rounding_variants"], ["variant", "first_failure"]))
    from limitkit.theory.precision import precision_scan

    other = []
    for curve, k, lo in (("poly", 2, 60), ("trig", 3, 40)):
        for unit in (True, False):
            for acc in ("sequential", "matmul"):
                sc = precision_scan(k, "float32", curve, 120, n_min=lo, accumulate=acc, unit_queries=unit)
                other.append({"curve": curve, "k": k, "queries": "unit" if unit else "coefficients",
                              "accumulate": acc, "limit": sc.limit, "first_failure": sc.first_failure})
    out["rounding_variants_other"] = other
    print("\nThe issue's other reference points (poly k=2 to n=83, trig k=3 to n=60) under the same variants:\n")
    print(markdown_table(other, ["curve", "k", "queries", "accumulate", "limit", "first_failure"]))

    print("\n## 3. Refined constructions, top-2 sets, float32 (max-margin queries, re-weighted harmonics)\n")
    grids = {4: [160, 180, 200, 210, 220, 225, 230, 235, 240, 260],
             6: [200, 250, 300, 320, 340, 360, 380, 400, 440],
             8: [300, 350, 400, 420, 440, 460, 480, 520]}
    if args.quick:
        grids = {4: [200, 220, 240], 6: [250, 300], 8: [300, 350]}
    refined = []
    for d, ns in grids.items():
        for acc in ("sequential", "matmul"):
            t = time.perf_counter()
            res = refined_scan(ns, k=2, d=d, dtype="float32", accumulate=acc, progress=True)
            res["wall_s"] = round(time.perf_counter() - t, 1)
            refined.append(res)
            fails = [r["n"] for r in res["rows"] if not r["exact"]]
            print(f"d={d} {acc}: weights {tuple(round(w, 4) for w in res['weights'] or ())}; exact at every tested "
                  f"n <= {res['limit']}; failing tested n: {fails}; {res['wall_s']} s")
            print(markdown_table(res["rows"], ["n", "margin_initial", "margin", "exact", "n_failed"],
                                 ["n", "construction margin", "refined margin", "float32 exact", "failed queries"]))
            print()
    out["refined"] = refined

    print("## 4. LIMIT-small overfit (d=4) and the free optimiser from the construction\n")
    if (SHARED / "limit-small").is_dir():
        from limitkit.data.io import load_dataset

        q = load_dataset(SHARED / "limit-small").qrel_matrix()
        c = overfit_qrels(q, 4)
        m = unit_margins(c.U, c.V, q)
        out["limit_small"] = {"min_margin": float(m.min()), "median_margin": float(np.median(m))}
        print(f"LIMIT-small: min unit margin {m.min():.4g}, median {np.median(m):.4g}")
    k = keeps_construction(20, 2, steps=5)
    out["keeps_construction"] = {"accuracy": k.accuracy, "margin": k.margin, "engine": k.engine,
                                 "full_run": k.full_run}
    print(f"free optimiser from the construction (n=20, d=4, {k.engine}): accuracy per step "
          f"{[round(a, 4) for a in k.accuracy]}; full run {k.full_run}")
    if args.json:
        write_json(args.json, {"provenance": record({"quick": args.quick}, started=started), "result": out})
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
