"""Build report.md / report.html and the PNG figures from the stored stage results only, so every
number in the report is traceable to ``OUT/stages/<stage>.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from .document import Report
from .stages import StageOutcome

_DATASET_TITLES = {"limit-small": "LIMIT-small (official)", "generated-small": "LIMIT-small (generated, 46 docs)",
                   "limit": "LIMIT (official)", "generated-large": "LIMIT-size (generated)"}


def build_report(out: Path, *, config: Any, outcomes: Sequence[StageOutcome]) -> tuple[Path, Path]:
    res = {o.name: o.result for o in outcomes if o.result is not None}
    figdir = out / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    rep = Report("limitkit: the LIMIT study, reproduced")
    rep.para(f"Scale `{config.scale}`, seed {config.seed}. Every number below is read from "
             f"`{out}/stages/<stage>.json` (each with its own provenance record). Paper values are from "
             "Weller et al., arXiv:2508.21038v2 (ICLR 2026).")
    rep.table(["stage", "status", "wall (s) of the run that produced it", "error"],
              [[o.name, o.status, round(o.wall_s, 1), o.error or ""] for o in outcomes], caption="Stages")
    sections = (("data", _data), ("free", _free), ("theory", _theory), ("retrieval", _retrieval),
                ("ablations", _ablations))
    for name, fn in sections:
        if name in res:
            try:
                fn(rep, res[name], res, figdir)
            except Exception as exc:  # one broken section must not lose the rest of the report
                rep.para(f"Section `{name}` could not be rendered: {type(exc).__name__}: {exc}")
    _provenance(rep, out, outcomes)
    md, html = out / "report.md", out / "report.html"
    md.write_text(rep.to_markdown(out) + "\n", encoding="utf-8")
    html.write_text(rep.to_html(), encoding="utf-8")
    return html, md


# ---- sections ------------------------------------------------------------------------------------
def _data(rep: Report, r: dict, _all: dict, _fig: Path) -> None:
    rep.heading("Data")
    rows = []
    for name, d in r["datasets"].items():
        checks = d.get("checksums") or {}
        rows.append([_DATASET_TITLES.get(name, name), d["n_docs"], d["n_queries"], d["n_qrels"], d["relevant_docs"],
                     ", ".join(f"{f}:{h[:12]}" for f, h in sorted(checks.items())), d.get("source", "")])
    rep.table(["dataset", "documents", "queries", "qrels", "docs with qrels", "sha256 (first 12)", "source"], rows)


def _free(rep: Report, r: dict, allres: dict, figdir: Path) -> None:
    from .fig_critical_n import plot_critical_n

    rep.heading("Free embedding: critical n against d (paper Figure 1)")
    cfg = r["config"]
    rep.para(f"Protocol: all C(n,2) pairs as queries, Adam lr {cfg['lr']}, loss `{cfg['loss']}`, temperature "
             f"{cfg['temperature']}, unit-normalised after every step, accuracy every {cfg['eval_every']} steps, "
             f"{cfg['dtype']}, seeds {r['seeds']}.")
    rows = []
    for d, v in sorted(r["per_d"].items(), key=lambda kv: int(kv[0])):
        rows.append([d, v["critical_n"], v["paper"], len(v["points"]), round(v["wall_s"], 1)])
    rep.table(["d", "critical n (ours)", "critical n (paper)", "points searched", "wall (s)"], rows)
    if r.get("skipped_d"):
        rep.para(f"Skipped (estimated search time above this scale's per-d budget on this machine): "
                 f"d = {', '.join(map(str, r['skipped_d']))}.")
    fits = r.get("fits", {})
    frows = []
    for who, f in fits.items():
        preds = f.get("predictions") or {}
        frows.append([who, " ".join(f"{c:.4g}" for c in f.get("coefficients", [])), f.get("r2")]
                     + [preds.get(str(d), preds.get(d)) for d in (512, 768, 1024, 3072, 4096)])
    if frows:
        rep.table(["fit", "coefficients c0 c1 c2 c3 (n* = sum c_i d^i)", "r^2", "d=512", "d=768", "d=1024", "d=3072",
                   "d=4096"], frows, caption="Cubic fit of critical n against d, extrapolated")
    theory = allres.get("theory") or {}
    limits, censored = _precision_limits(theory)
    ours = {int(d): v["critical_n"] for d, v in r["per_d"].items() if v["critical_n"] is not None}
    from ..free.reference import PAPER_CRITICAL_N

    path = plot_critical_n(figdir / "fig1_critical_n.png", paper=PAPER_CRITICAL_N, ours=ours,
                           precision_limits=limits, censored=censored,
                           fit=list(reversed(fits["paper"]["coefficients"])) if "paper" in fits else None,
                           fit_label="cubic fit to the paper's values")
    rep.figure(path, "Figure 1: critical n against embedding dimension d for all top-2 subsets: the paper's "
                     "free-embedding values, ours, and the largest n at which the exact moment-curve constructions "
                     "(which realise every pair exactly in d=4 in exact arithmetic) stay exact after rounding to "
                     "float32/float16/bfloat16, plain and margin-refined; open triangles are lower bounds; dotted "
                     "lines: a d=4 construction stays exact in any larger d (zero padding). Dashed: the paper's "
                     "cubic fit.")


def _precision_limits(theory: dict) -> tuple[dict[str, dict[int, int]], dict[str, list[int]]]:
    """Top-2 precision limits as plot series ``label -> {d: n}`` (+ the d's that are only lower bounds):
    the k=2 constructions (d=4) per dtype, and the margin-refined constructions at each tested d."""
    out: dict[str, dict[int, int]] = {}
    censored: dict[str, list[int]] = {}
    for row in theory.get("precision", []):
        if row["k"] != 2 or row["dtype"] == "float64" or row.get("accumulate", "sequential") != "sequential":
            continue
        label = f"{row['curve']} construction, {row['dtype']}"
        out.setdefault(label, {})[int(row["d"])] = int(row["limit"])
        if row.get("censored"):
            censored.setdefault(label, []).append(int(row["d"]))
    label = "refined trig construction, float32 (exact at every tested n)"
    for d, ref in (theory.get("refined") or {}).items():
        if ref.get("limit"):
            out.setdefault(label, {})[int(d)] = int(ref["limit"])
            censored.setdefault(label, []).append(int(d))
    return out, censored


def _round(x):
    return [round(v, 3) for v in x] if isinstance(x, (list, tuple)) else x


def _theory(rep: Report, r: dict, _all: dict, _fig: Path) -> None:
    rep.heading("Theory")
    mt = r["margin_table"]
    if mt:
        ks = sorted({row["k"] for row in mt})
        ns = sorted({row["n"] for row in mt})
        cell = {(row["n"], row["k"]): row.get("d_min") for row in mt}
        rep.table(["n"] + [f"k={k}" for k in ks], [[f"{n:.0e}"] + [cell.get((n, k)) for k in ks] for n in ns],
                  caption=f"Smallest d allowed by the margin bound d >= log C(n,k) / log(1 + 1/gamma), "
                          f"gamma = {mt[0]['gamma']} (paper Table 1; '–' where k > n)")
    rb = r.get("limit_small_rank_bounds")
    if rb:
        chain = rb["chain"]
        rep.para(f"Qrel matrix of {_DATASET_TITLES.get(rb['dataset'], rb['dataset'])} ({rb['shape'][0]} x "
                 f"{rb['shape'][1]}): rank(A) = {chain.get('rank_A')}, rank(2A-1) = {chain.get('rank_2A-1')}, "
                 f"Forster sign-rank lower bound sqrt(mn)/||2A-1||_2 = {rb['forster']:.3f}.")
        rows = []
        for notion in ("rop", "rt", "gt", "sign"):
            b = chain.get(notion) or {}
            why = b.get("why") or {}
            rows.append([notion, b.get("lower"), b.get("upper"), b.get("exact"), why.get("lower", ""),
                         why.get("upper", "")])
        rep.table(["rank notion", "lower", "upper", "exact", "lower bound from", "upper bound from"], rows,
                  caption="Bounds on the rank notions of the LIMIT qrel matrix (exact sign rank is NP-hard; "
                          "the exact d=4 overfit below is a witness of dimension 4)")
    prec = r.get("precision") or []
    if prec:
        rep.table(["curve", "k", "d", "dtype", "limit n", "censored", "first failure", "margin at limit"],
                  [[p["curve"], p["k"], p["d"], p["dtype"], p["limit"], p["censored"], p["first_failure"],
                    p["margin_at_limit"]] for p in prec],
                  caption="Precision-limited critical n: largest n for which the exact construction is still "
                          "exact in each dtype (censored: no failure up to the scan's cap)")
    for name, o in (r.get("overfit") or {}).items():
        p64, p32 = o["precision"]["float64"], o["precision"]["float32"]
        rep.para(f"Exact overfit of {_DATASET_TITLES.get(name, name)} qrels ({o['shape'][0]} queries x "
                 f"{o['shape'][1]} documents) in d={o['d']} ({o['curve']} curve): Recall@2 = "
                 f"{o['recall@2']:.4f}; min margin float64 {p64.get('min_margin')}, float32 {p32.get('min_margin')}.")
    for d, ref in (r.get("refined") or {}).items():
        rep.table(["n", "min margin, construction", "min margin, refined", "exact in float32", "failed queries"],
                  [[row["n"], row.get("margin_initial"), row.get("margin"), row.get("exact"), row.get("n_failed")]
                   for row in ref["rows"]],
                  caption=f"Margin refinement of the top-2 trig construction in d={d} (max-margin queries, harmonic "
                          f"weights {_round(ref.get('weights'))}): float32 exactness; largest tested n with every "
                          f"tested n' <= n exact: {ref.get('limit')}")
    kc = r.get("keeps_construction")
    if kc:
        steps = list(range(len(kc["accuracy"])))
        rep.table(["Adam steps", "top-2 accuracy", "min margin"],
                  [[s_, kc["accuracy"][s_], kc["margin"][s_]] for s_ in steps],
                  caption=f"The free-embedding optimiser (reference settings: Adam lr {kc['lr']}, InfoNCE, "
                          f"temperature {kc['temperature']}) started from the exact construction for all pairs of "
                          f"n={kc['n']} in d={kc['d']}: 100% accuracy is lost at step {kc['first_broken_step']}")
        full = kc.get("full_run")
        if full:
            rep.para(f"A complete run from that start with the reference stopping rules ends after {full['steps']} "
                     f"steps ({full['stop_reason']}) at {100 * full['final_accuracy']:.1f}% accuracy (best "
                     f"{100 * full['best_accuracy']:.1f}%): the optimiser, not the dimension, is the limit.")


def _retrieval(rep: Report, r: dict, _all: dict, figdir: Path) -> None:
    from ..evaluation.published import PAPER_RESULTS
    from .figures import plot_retrieval

    rep.heading("Retrieval on LIMIT (paper Figure 2)")
    panels = {}
    for ds_name, cell in r.items():
        metrics = cell["metrics"]
        paper_key = "LIMIT-small" if "small" in ds_name else "LIMIT"
        cols = ["recall@2", "recall@10", "recall@20", "recall@100"]
        rows = [[ret] + [_pct(m.get(c)) for c in cols] for ret, m in metrics.items()]
        paper_rows = _paper_rows(PAPER_RESULTS, paper_key)
        rows += [[f"paper: {p['model']}"] + [p.get(c) for c in cols] for p in paper_rows]
        rep.table(["retriever"] + cols, rows, caption=f"{_DATASET_TITLES.get(ds_name, ds_name)}: Recall@k (%), "
                                                      "ours then the paper's published rows")
        panel = {ret: {c: _pct(m.get(c)) for c in cols} for ret, m in metrics.items()}
        for p in paper_rows:
            if p["model"] in ("BM25", "GTE-ModernColBERT", "Promptriever Llama3 8B", "E5-Mistral 7B", "Qwen3 Embed"):
                panel[f"paper: {p['model']}"] = {c: p.get(c) for c in cols}
        panels[_DATASET_TITLES.get(ds_name, ds_name)] = panel
    metrics = ("recall@2", "recall@10", "recall@100")
    path = plot_retrieval(figdir / "fig2_retrieval.png", panels, metrics)
    rep.figure(path, "Figure 2: Recall@2/10/100 (%) per retriever; hatched bars are the paper's published "
                     "values (LIMIT-small: the paper reports Recall@20, not @100).")


def _paper_rows(paper: Any, key: str) -> list[dict]:
    ds = paper.get("datasets", paper).get(key, {}) if isinstance(paper, dict) else {}
    return list(ds.get("rows", []))


def _ablations(rep: Report, r: dict, _all: dict, figdir: Path) -> None:
    from .figures import plot_curves, plot_groups

    rep.heading("Ablations")
    t = r.get("truncation")
    if t:
        curves: dict[str, list] = {}
        for row in t["rows"]:
            for m in ("recall@2", "recall@10", "recall@100"):
                if m in row:
                    curves.setdefault(f"{row['retriever']} {m}", []).append((row["x"], _pct(row[m])))
        path = plot_curves(figdir / "truncation.png", curves, xlabel="embedding dimension d (first d coordinates)",
                           ylabel="Recall@k (%)", title="Dimension truncation", logx=True)
        rep.figure(path, "Recall against truncated embedding dimension (first d coordinates, renormalised).")
        _curve_table(rep, "d", t["rows"])
    p = r.get("pattern")
    if p:
        groups: dict[str, dict[str, float]] = {}
        for row in p["rows"]:
            groups.setdefault(row["x"], {})[row["retriever"]] = _pct(row["recall@2"])
        path = plot_groups(figdir / "pattern.png", groups, ylabel="Recall@2 (%)", title="Qrel pattern ablation")
        rep.figure(path, "Recall@2 (%) on generated datasets that differ only in their qrel pattern.")
        _curve_table(rep, "pattern", p["rows"])
    dr = r.get("drowning")
    if dr:
        curves = {}
        for row in dr["rows"]:
            curves.setdefault(row["retriever"], []).append((row["x"], _pct(row["recall@2"])))
        path = plot_curves(figdir / "drowning.png", curves, xlabel="number of distractor documents",
                           ylabel="Recall@2 (%)", title="Corpus size: relevant documents + N distractors", logx=True)
        rep.figure(path, "Recall@2 (%) as distractor documents are added to the 46 relevant documents.")
        _curve_table(rep, "distractors", dr["rows"], extra=("n_docs",))


def _curve_table(rep: Report, x: str, rows: list[dict], extra: Sequence[str] = ()) -> None:
    """One row per (point, retriever): the point, extra columns, Recall@2/10/100 in percent."""
    metrics = ("recall@2", "recall@10", "recall@100")
    rep.table([x, *extra, "retriever", *metrics],
              [[row["x"], *(row.get(e) for e in extra), row["retriever"], *(_pct(row.get(m)) for m in metrics)]
               for row in rows])


def _provenance(rep: Report, out: Path, outcomes: Sequence[StageOutcome]) -> None:
    rep.heading("Provenance")
    for o in outcomes:
        path = out / "stages" / f"{o.name}.json"
        if not path.exists():
            continue
        prov = json.loads(path.read_text(encoding="utf-8")).get("provenance", {})
        rep.para(f"`{o.name}`: status {o.status}, signature "
                 f"{json.loads(path.read_text(encoding='utf-8')).get('signature')}, "
                 f"limitkit {prov.get('limitkit')}, created {prov.get('created')}, wall {prov.get('wall_s')} s.")
    if outcomes:
        first = out / "stages" / f"{outcomes[0].name}.json"
        if first.exists():
            prov = json.loads(first.read_text(encoding="utf-8")).get("provenance", {})
            rep.code("config: " + json.dumps(prov.get("config"), indent=1) + "\nmachine: "
                     + json.dumps(prov.get("machine"), indent=1))


def _pct(v: float | None) -> float | None:
    return None if v is None else round(100.0 * float(v), 1)
