"""`limitkit theory bounds | check | construct | precision | refine | overfit | keep | plot`.

Each subcommand prints markdown tables and, with ``--json OUT``, writes the result together with
its provenance (version, config, data checksums, timing, machine). Flags map one-to-one onto the
frozen config dataclasses below.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from typing import Any, Sequence


# ---- configs (one field per flag) ----------------------------------------------------------
@dataclass(frozen=True)
class BoundsConfig:
    ns: tuple[int, ...] = tuple(10 ** e for e in range(2, 12))
    ks: tuple[int, ...] = (2, 10, 100, 1000)
    gamma: float = 0.1


@dataclass(frozen=True)
class CheckConfig:
    qrels: str | None = None
    data_dir: str | None = None
    n: int | None = None
    k: int = 2


@dataclass(frozen=True)
class ConstructConfig:
    n: int = 30
    k: int = 2
    curve: str = "trig"
    dtypes: tuple[str, ...] = ("float64", "float32", "float16", "bfloat16")
    accumulate: str = "sequential"


@dataclass(frozen=True)
class PrecisionConfig:
    ks: tuple[int, ...] = (2, 3, 4)
    dtypes: tuple[str, ...] = ("float64", "float32", "float16", "bfloat16")
    curves: tuple[str, ...] = ("trig", "poly")
    accumulate: tuple[str, ...] = ("sequential",)
    n_max: int | None = None
    scan_past: int = 0
    time_budget_s: float | None = None


@dataclass(frozen=True)
class RefineConfig:
    n: int = 60
    k: int = 2
    d: int | None = None
    dtype: str = "float32"
    accumulate: str = "sequential"
    steps: int = 0


@dataclass(frozen=True)
class OverfitConfig:
    source: str = ""
    data_dir: str | None = None
    d: int = 4


@dataclass(frozen=True)
class KeepConfig:
    n: int = 20
    k: int = 2
    steps: int = 10
    engine: str = "auto"


@dataclass(frozen=True)
class PlotConfig:
    out: str = "critical_n.png"
    store: str | None = None
    paper_json: str | None = None
    precision_json: str | None = None
    accumulate: str = "sequential"
    fit_degree: int = 3


# ---- registration --------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction) -> None:
    from ..theory.constructions import CURVES
    from ..theory.precision import ACCUMULATE, DTYPES

    top = subparsers.add_parser("theory", help="rank bounds, exact constructions, precision limits",
                                description="Theory toolkit: bounds, exact constructions and their limits.")
    sub = top.add_subparsers(dest="theory_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("bounds", help="margin dimension bound table (paper Table 1) and unit-margin ceiling")
    p.add_argument("--n", dest="ns", type=int, nargs="+", default=list(BoundsConfig.ns), help="numbers of documents")
    p.add_argument("--k", dest="ks", type=int, nargs="+", default=list(BoundsConfig.ks), help="top-k sizes")
    p.add_argument("--gamma", type=float, default=BoundsConfig.gamma, help="margin (default: %(default)s)")
    _json(p)
    p.set_defaults(func=_bounds)

    p = sub.add_parser("check", help="rank-chain bounds of a qrel matrix with verified construction witnesses")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--qrels", help="dataset folder (or 'limit' / 'limit-small' with --data-dir)")
    src.add_argument("--n", type=int, help="all k-subsets of n documents")
    p.add_argument("--k", type=int, default=2, help="subset size with --n (default: %(default)s)")
    p.add_argument("--data-dir", default=None, help="folder holding limit/ and limit-small/")
    _json(p)
    p.set_defaults(func=_check)

    p = sub.add_parser("construct", help="build the exact construction and check it in each dtype")
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--k", type=int, default=2)
    p.add_argument("--curve", choices=CURVES, default="trig")
    p.add_argument("--dtype", dest="dtypes", nargs="+", choices=DTYPES, default=list(DTYPES))
    p.add_argument("--accumulate", choices=ACCUMULATE, default="sequential")
    p.add_argument("--save", default=None, help="write U, V, t to this .npz file")
    _json(p)
    p.set_defaults(func=_construct)

    p = sub.add_parser("precision", help="precision-limited critical n per curve, k and dtype")
    p.add_argument("--k", dest="ks", type=int, nargs="+", default=[2, 3, 4])
    p.add_argument("--dtype", dest="dtypes", nargs="+", choices=DTYPES, default=list(DTYPES))
    p.add_argument("--curve", dest="curves", nargs="+", choices=CURVES, default=["trig", "poly"])
    p.add_argument("--accumulate", nargs="+", choices=ACCUMULATE, default=["sequential"])
    p.add_argument("--n-max", type=int, default=None, help="scan cap for every k (default 400/120/60 for k=2/3/4)")
    p.add_argument("--scan-past", type=int, default=0, help="also scan this many n after the first failure")
    p.add_argument("--time-budget-s", type=float, default=None, help="stop each scan after this many seconds")
    _json(p)
    _quiet(p)
    p.set_defaults(func=_precision)

    p = sub.add_parser("refine", help="raise the construction's margin (max-margin queries, weights, polish)")
    p.add_argument("--n", type=int, default=60)
    p.add_argument("--k", type=int, default=2)
    p.add_argument("--d", type=int, default=None, help="even dimension >= 2k (default 2k): d/2 harmonics")
    p.add_argument("--dtype", choices=DTYPES, default="float32")
    p.add_argument("--accumulate", choices=ACCUMULATE, default="sequential")
    p.add_argument("--steps", type=int, default=0, help="L-BFGS polishing iterations (default: %(default)s)")
    _json(p)
    _quiet(p)
    p.set_defaults(func=_refine)

    p = sub.add_parser("overfit", help="embed a dataset's qrels exactly in dimension d (Recall@2 = 1)")
    p.add_argument("source", help="dataset folder, or 'limit' / 'limit-small'")
    p.add_argument("--data-dir", default=None, help="folder holding limit/ and limit-small/")
    p.add_argument("--d", type=int, default=4)
    _json(p)
    p.set_defaults(func=_overfit)

    p = sub.add_parser("keep", help="does the free-embedding optimiser keep an exact construction?")
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--k", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--engine", choices=("auto", "free", "local"), default="auto")
    _json(p)
    p.set_defaults(func=_keep)

    p = sub.add_parser("plot", help="Figure 1: critical n against d (paper, ours, precision limits, fit)")
    p.add_argument("--out", required=True, help="PNG path")
    p.add_argument("--store", default=None, help="free-embedding results store (sqlite) for our values")
    p.add_argument("--paper-json", default=None, help='JSON {"d": n} of the paper\'s critical n')
    p.add_argument("--precision-json", default=None,
                   help="JSON written by `theory precision --json` or benchmarks/bench_theory.py "
                        "(default: compute the k=2 trig limits now)")
    p.add_argument("--accumulate", choices=ACCUMULATE, default="sequential",
                   help="which accumulation's limits to draw (default: %(default)s)")
    p.add_argument("--fit-degree", type=int, default=3)
    p.set_defaults(func=_plot)


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", dest="json_out", default=None, metavar="OUT", help="write results + provenance")


def _quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress bars")


# ---- helpers -------------------------------------------------------------------------------
def markdown_table(rows: Sequence[dict], columns: Sequence[str], headers: Sequence[str] | None = None) -> str:
    """A GitHub markdown table of ``rows`` restricted to ``columns`` (None shows as '-')."""
    headers = list(headers or columns)

    def fmt(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.4g}" if math.isfinite(v) else str(v)
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def _emit(args, config, result, started: float, data: dict | None = None) -> None:
    if getattr(args, "json_out", None):
        from .._provenance import record, write_json

        write_json(args.json_out, {"provenance": record(config, started=started, data=data), "result": result})
        print(f"\nwrote {args.json_out}")


def _load(source: str, data_dir: str | None):
    from ..data.io import load_dataset

    return load_dataset(source, data_dir=data_dir)


# ---- handlers ------------------------------------------------------------------------------
def _bounds(args) -> int:
    from ..theory.bounds import margin_table, unit_margin_ceiling

    started = time.perf_counter()
    cfg = BoundsConfig(tuple(args.ns), tuple(args.ks), args.gamma)
    rows = margin_table(cfg.ns, cfg.ks, cfg.gamma)
    by_n: dict[int, dict] = {}
    for r in rows:
        by_n.setdefault(r["n"], {"n": f"{r['n']:.0e}" if r["n"] >= 1000 else r["n"]})[f"k={r['k']}"] = r["d_min"]
    cols = ["n"] + [f"k={k}" for k in cfg.ks]
    print(f"Minimum dimension d >= log C(n,k) / log(1 + 1/gamma), gamma = {cfg.gamma} (rounded up; '-': k >= n)\n")
    print(markdown_table(list(by_n.values()), cols))
    ceil_rows = []
    for n in cfg.ns:
        row = {"n": f"{n:.0e}" if n >= 1000 else n}
        for k in cfg.ks:
            row[f"k={k}"] = unit_margin_ceiling(n, k) if k < n else None
        ceil_rows.append(row)
    print("\nLargest unit-vector margin for all k-subsets: n / sqrt(k (n-1) (n-k))\n")
    print(markdown_table(ceil_rows, cols))
    _emit(args, cfg, {"margin_table": rows, "unit_margin_ceiling": ceil_rows}, started)
    return 0


def _check(args) -> int:
    from ..qrels import QrelMatrix
    from ..theory.bounds import NOTIONS, rank_chain
    from ..theory.constructions import construct, spread_t
    from ..theory.ranks import check_rt, check_sign

    started = time.perf_counter()
    cfg = CheckConfig(args.qrels, args.data_dir, args.n, args.k)
    data = None
    if cfg.qrels is not None:
        ds = _load(cfg.qrels, cfg.data_dir)
        A = ds.qrel_matrix()
        data = dict(ds.checksums)
    else:
        from .._errors import ConfigError

        if cfg.n is None or cfg.n < 1 or not (1 <= cfg.k <= cfg.n):
            raise ConfigError(f"need --n >= 1 and 1 <= --k <= n, got n={cfg.n}, k={cfg.k}")
        A = QrelMatrix.all_k_subsets(cfg.n, cfg.k)
    k = int(A.row_counts().max())
    witnesses = {}
    checks = {}
    if k >= 1:
        c = construct(k=k, qrels=A, curve="trig", t=spread_t(A))
        rt = check_rt(A, c.U @ c.V.T)
        checks["rt (trig construction)"] = {"d": c.d, "ok": rt.ok, "margin": rt.margin, "violations": rt.n_violations}
        if rt.ok:
            witnesses["rt"] = c.d
        cu = construct(k=k, qrels=A, curve="trig-unit", t=spread_t(A))
        sg = check_sign(A, cu.U @ cu.V.T)
        checks["sign (unit trig construction)"] = {"d": cu.d, "ok": sg.ok, "margin": sg.margin,
                                                  "violations": sg.n_violations}
        if sg.ok:
            witnesses["sign"] = cu.d
    chain = rank_chain(A, witnesses)
    m, n = A.shape
    print(f"qrel matrix: {m} queries x {n} documents, {A.nnz} relevant, up to k = {k} per query")
    print(f"rank(A) = {chain['rank_A']}, rank(2A-1) = {chain['rank_2A-1']}, Forster bound = {chain['forster']:.4g}, "
          f"VC(rows) = {chain['vc_rows']}{'' if chain['vc_rows_exact'] else '+'}, "
          f"VC(cols) = {chain['vc_cols']}{'' if chain['vc_cols_exact'] else '+'}\n")
    print(markdown_table([{"witness": w, **v} for w, v in checks.items()], ["witness", "d", "ok", "margin", "violations"]))
    print()
    rows = [{"notion": x, **{key: chain[x][key] for key in ("lower", "upper", "exact")},
             "lower from": chain[x]["why"]["lower"], "upper from": chain[x]["why"]["upper"]} for x in NOTIONS]
    print(markdown_table(rows, ["notion", "lower", "upper", "exact", "lower from", "upper from"]))
    _emit(args, cfg, {"shape": [m, n], "checks": checks, "chain": chain}, started, data)
    return 0


def _construct(args) -> int:
    from ..theory.constructions import construct
    from ..theory.precision import realised

    started = time.perf_counter()
    cfg = ConstructConfig(args.n, args.k, args.curve, tuple(args.dtypes), args.accumulate)
    c = construct(cfg.n, cfg.k, curve=cfg.curve)
    rows = []
    for dt in cfg.dtypes:
        r = realised(c, dt, accumulate=cfg.accumulate)
        rows.append({"dtype": dt, "exact": r.exact, "realised": f"{r.n_exact}/{r.m}", "ties": r.n_ties,
                     "min_margin": r.min_margin, "min_relative_margin": r.min_relative_margin,
                     "rounding": r.rounding})
    print(f"{cfg.curve} construction: n = {c.n}, k = {c.k}, d = {c.d}, {c.m} queries\n")
    print(markdown_table(rows, ["dtype", "exact", "realised", "ties", "min_margin", "min_relative_margin"]))
    print(f"\nrounding: {rows[0]['rounding'] if rows else ''}")
    if args.save:
        import numpy as np

        np.savez(args.save, U=c.U, V=c.V, t=c.t)
        print(f"wrote {args.save}")
    _emit(args, cfg, {"n": c.n, "k": c.k, "d": c.d, "m": c.m, "rows": rows}, started)
    return 0


def _precision(args) -> int:
    from ..theory.precision import precision_table

    started = time.perf_counter()
    cfg = PrecisionConfig(tuple(args.ks), tuple(args.dtypes), tuple(args.curves), tuple(args.accumulate),
                          args.n_max, args.scan_past, args.time_budget_s)
    rows = precision_table(cfg.ks, cfg.dtypes, cfg.curves, n_max=cfg.n_max, accumulate=cfg.accumulate,
                           scan_past=cfg.scan_past, time_budget_s=cfg.time_budget_s, progress=not args.quiet)
    shown = [{**r, "limit": f">= {r['limit']}" if r["censored"] else r["limit"]} for r in rows]
    print(markdown_table(shown, ["curve", "k", "d", "dtype", "accumulate", "limit", "first_failure",
                                 "failed_queries_at_first_failure", "margin_at_limit", "wall_s"],
                         ["curve", "k", "d", "dtype", "accumulate", "exact for all n <=", "first failure",
                          "failed queries", "margin at limit", "wall s"]))
    _emit(args, cfg, {"rows": rows}, started)
    return 0


def _refine(args) -> int:
    from ..qrels import QrelMatrix
    from ..theory.constructions import construct
    from ..theory.refine import refine_margin

    started = time.perf_counter()
    cfg = RefineConfig(args.n, args.k, args.d, args.dtype, args.accumulate, args.steps)
    d = cfg.d or 2 * cfg.k
    c = construct(cfg.n, d // 2, curve="trig", qrels=QrelMatrix.all_k_subsets(cfg.n, cfg.k))
    r = refine_margin(c, cfg.steps, cfg.dtype, accumulate=cfg.accumulate, progress=not args.quiet)
    rows = [{"stage": s, "min_margin": v} for s, v in (("construction", r.margin_initial),
                                                        ("max-margin queries", r.margin_queries),
                                                        ("harmonic weights", r.margin_weights),
                                                        ("polish", r.margin_final))]
    print(f"k = {cfg.k}, n = {cfg.n}, d = {d}; weights = {r.weights}\n")
    print(markdown_table(rows, ["stage", "min_margin"]))
    b, a = r.realised_before, r.realised_after
    print(f"\n{cfg.dtype}: before {b.n_exact}/{b.m} queries exact, after {a.n_exact}/{a.m}")
    result = {"weights": r.weights, "stages": rows, "before": {"exact": b.exact, "failed": b.n_failed},
              "after": {"exact": a.exact, "failed": a.n_failed}, "wall_s": r.wall_s}
    _emit(args, cfg, result, started)
    return 0


def _overfit(args) -> int:
    import numpy as np

    from ..evaluation.metrics import recall_at_k
    from ..theory.precision import realised
    from ..theory.refine import overfit_qrels, unit_margins

    started = time.perf_counter()
    cfg = OverfitConfig(args.source, args.data_dir, args.d)
    ds = _load(cfg.source, cfg.data_dir)
    A = ds.qrel_matrix()
    c = overfit_qrels(A, cfg.d)
    margins = unit_margins(c.U, c.V, A)
    run = _run_dict(c, depth=100)
    rec = {k: recall_at_k(run, A.to_qrels(), k) for k in (2, 10, 100) if k <= A.shape[1]}
    rows = [{"dtype": dt, "exact": r.exact, "realised": f"{r.n_exact}/{r.m}", "min_margin": r.min_margin}
            for dt in ("float64", "float32", "float16", "bfloat16") for r in [realised(c, dt)]]
    print(f"{ds.name or cfg.source}: {A.shape[0]} queries x {A.shape[1]} documents embedded in d = {c.d}")
    print(f"min unit-vector margin {margins.min():.4g} (median {np.median(margins):.4g}); "
          + ", ".join(f"Recall@{k} = {v:.4f}" for k, v in rec.items()) + "\n")
    print(markdown_table(rows, ["dtype", "exact", "realised", "min_margin"]))
    result = {"n_queries": A.shape[0], "n_docs": A.shape[1], "d": c.d, "recall": rec,
              "min_margin": float(margins.min()), "median_margin": float(np.median(margins)), "dtypes": rows}
    _emit(args, cfg, result, started, dict(ds.checksums))
    return 0


def _run_dict(c, depth: int) -> dict:
    """{qid: {docid: score}} of the top ``depth`` documents per query (float64 scores)."""
    import numpy as np

    run = {}
    ids = c.qrels.doc_ids
    step = max(1, (1 << 21) // max(c.n, 1))
    for a in range(0, c.m, step):
        s = c.scores(a, a + step)
        top = np.argsort(-s, axis=1, kind="stable")[:, :depth]
        for i, row in enumerate(top):
            run[c.qrels.query_ids[a + i]] = {ids[j]: float(s[i, j]) for j in row}
    return run


def _keep(args) -> int:
    from ..theory.refine import keeps_construction

    started = time.perf_counter()
    cfg = KeepConfig(args.n, args.k, args.steps, args.engine)
    r = keeps_construction(cfg.n, cfg.k, steps=cfg.steps, engine=cfg.engine)
    print(f"free-embedding optimiser ({r.engine}; Adam lr {r.lr}, InfoNCE T {r.temperature}) started from the "
          f"exact construction, n = {r.n}, k = {r.k}, d = {r.d}\n")
    print(markdown_table([{"step": s, "accuracy": a, "min_margin": m} for s, (a, m) in
                          enumerate(zip(r.accuracy, r.margin))], ["step", "accuracy", "min_margin"]))
    if r.full_run:
        print(f"\nfull reference run: {r.full_run}")
    _emit(args, cfg, {"accuracy": r.accuracy, "margin": r.margin, "first_broken_step": r.first_broken_step,
                      "engine": r.engine, "full_run": r.full_run}, started)
    return 0


def _plot(args) -> int:
    import json

    from ..report.fig_critical_n import critical_n_from_store, plot_critical_n

    cfg = PlotConfig(args.out, args.store, args.paper_json, args.precision_json, args.accumulate, args.fit_degree)
    paper = ({int(k): int(v) for k, v in json.loads(open(cfg.paper_json, encoding="utf-8").read()).items()}
             if cfg.paper_json else None)
    ours = critical_n_from_store(cfg.store) if cfg.store else None
    refined: list = []
    if cfg.precision_json:
        result = json.loads(open(cfg.precision_json, encoding="utf-8").read())["result"]
        rows = result.get("rows") or result.get("precision_table") or []
        refined = result.get("refined") or []  # benchmarks/bench_theory.py output
    else:
        from ..theory.precision import precision_table

        rows = precision_table((2,), ("float32", "float16", "bfloat16"), ("trig",), accumulate=(cfg.accumulate,),
                               progress=False)
    limits: dict[str, dict[int, int]] = {}
    censored: dict[str, list[int]] = {}
    for r in rows:
        if r.get("curve") != "trig" or r.get("k") != 2 or r.get("accumulate") != cfg.accumulate:
            continue  # the figure is about top-2 sets, as the paper's
        label = f"trig construction, {r['dtype']}"
        limits.setdefault(label, {})[int(r["d"])] = int(r["limit"])
        if r["censored"]:
            censored.setdefault(label, []).append(int(r["d"]))
    for r in refined:
        if r.get("k") == 2 and r.get("limit") and r.get("accumulate") == cfg.accumulate:
            label = f"max-margin refined construction, {r['dtype']} (grid of n)"
            limits.setdefault(label, {})[int(r["d"])] = int(r["limit"])
    basis = ours if ours and len(ours) > cfg.fit_degree else paper
    fit = None
    if basis and len(basis) > cfg.fit_degree:
        import numpy as np

        ds = sorted(basis)
        fit = tuple(np.polyfit(ds, [basis[d] for d in ds], cfg.fit_degree).tolist())
    path = plot_critical_n(cfg.out, paper=paper, ours=ours, precision_limits=limits, fit=fit,
                           fit_label=f"degree-{cfg.fit_degree} fit to {'ours' if basis is ours else 'paper'}",
                           censored=censored,
                           title=f"Critical n for all top-2 subsets by dimension d (scores: {cfg.accumulate})")
    print(path)
    return 0
