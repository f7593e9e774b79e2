"""`limitkit reproduce`: the LIMIT study and its follow-ups in one command.

Stages (each stored under ``OUT/stages/<name>.json`` the moment it finishes, reused on ``--resume``
when its signature matches, failures recorded without stopping the others):

- ``data``:      LIMIT-style datasets (46 documents; LIMIT-size corpus) and, with ``data_dir``, the
                 official LIMIT-small / LIMIT files; statistics and checksums.
- ``theory``:    margin-bound table (paper Table 1), rank bounds of the LIMIT qrel matrix,
                 construction precision limits per dtype, exact overfit of the LIMIT qrels in d=4,
                 the free-embedding optimiser started from the exact construction.
- ``free``:      critical-n search for a range of d (SQLite store, resumable per run) + cubic fit.
- ``retrieval``: retrievers on LIMIT-small and on a LIMIT-size corpus.
- ``ablations``: dimension truncation, qrel pattern, corpus size.

The report (``report.html``, ``report.md``, PNG figures) is rebuilt from the stored results.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .._errors import ConfigError
from .._provenance import record, write_json
from .scales import SCALES, Scale
from .stages import StageOutcome, run_stage, signature

STAGES = ("data", "theory", "free", "retrieval", "ablations")


@dataclass(frozen=True)
class ReproduceConfig:
    """CLI flags of ``limitkit reproduce`` one-to-one."""

    out: str = "results"
    scale: str = "quick"
    data_dir: str | None = None  # folder holding limit-small/ (and limit/) in MTEB layout
    seed: int = 0
    resume: bool = False
    stages: tuple[str, ...] = STAGES
    quiet: bool = False
    device: str = "cpu"  # free-embedding device: cpu, auto (CUDA when present), cuda, cuda:N


@dataclass(frozen=True)
class ReproduceResult:
    out: Path
    report_html: Path
    report_md: Path
    outcomes: tuple[StageOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(o.status != "failed" for o in self.outcomes)


def reproduce(config: ReproduceConfig = ReproduceConfig()) -> ReproduceResult:
    """Run every requested stage (see module docstring) and write the report; never raises for a
    failing stage (see ``ReproduceResult.ok``)."""
    if config.scale not in SCALES:
        raise ConfigError(f"unknown scale {config.scale!r}; choose one of {', '.join(SCALES)}")
    bad = [s for s in config.stages if s not in STAGES]
    if bad:
        raise ConfigError(f"unknown stage(s) {bad}; choose from {', '.join(STAGES)}")
    if config.data_dir is not None and not Path(config.data_dir).is_dir():
        raise ConfigError(f"--data-dir {config.data_dir!r} is not a folder; pass the folder that holds "
                          "limit-small/ (and optionally limit/) in MTEB jsonl layout")
    scale = SCALES[config.scale]
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    log = _logger(config.quiet)
    ctx = _Context(config, scale, out, log)
    log(f"limitkit reproduce: scale={scale.name}, out={out}, stages={','.join(config.stages)}")
    for line in plan(scale, config):
        log("  plan: " + line)
    outcomes = []
    t0 = time.perf_counter()
    for name in STAGES:
        if name not in config.stages:
            continue
        fn = getattr(ctx, f"stage_{name}")
        data_dir = None if config.data_dir is None else str(Path(config.data_dir).resolve())
        extra = config.device if name == "free" else None
        sig = signature(name, _stage_scale(scale, name), config.seed, data_dir, extra, _data_signature(ctx, name))
        outcomes.append(run_stage(name, fn, store_dir=out / "stages", sig=sig, config=config,
                                  resume=config.resume, log=log))
        ctx.results[name] = outcomes[-1].result
    from .build import build_report

    html, md = build_report(out, config=config, outcomes=outcomes)
    write_json(out / "run.json", record(config, started=t0, stages={o.name: {"status": o.status, "error": o.error,
                                                                           "wall_s": round(o.wall_s, 2)}
                                                                  for o in outcomes}))
    failed = [o.name for o in outcomes if o.status == "failed"]
    log(f"report: {html}" + (f"  (FAILED stages: {', '.join(failed)})" if failed else ""))
    return ReproduceResult(out, html, md, tuple(outcomes))


def plan(scale: Scale, config: ReproduceConfig) -> list[str]:
    """What will run, with rough time estimates on a 2-core CPU, and what is skipped and why."""
    from .estimate import estimate_free_seconds

    lines = []
    if "free" in config.stages:
        run, skip = free_plan(scale)
        total = sum(estimate_free_seconds(d) for d in run)
        lines.append(f"free embedding d={','.join(map(str, run))}: ~{total / 60:.1f} min (estimate from the cost "
                     f"model in report/estimate.py)")
        if skip:
            lines.append(f"free embedding: SKIPPED d={','.join(map(str, skip))}: each search is estimated above "
                         f"{scale.free_max_s_per_d / 60:.0f} min on this CPU (e.g. d={skip[-1]}: "
                         f"~{estimate_free_seconds(skip[-1]) / 3600:.1f} h); run them with "
                         f"`limitkit critical-n --d ... --store` on a GPU (--device cuda) or a bigger machine")
        if run:
            from math import comb

            from ..free.config import FreeEmbeddingConfig
            from ..free.memory import estimate_bytes, plan_chunk
            from .estimate import expected_critical_n

            d = run[-1]
            n = expected_critical_n(d) + 6  # the final sweep goes up to n* + 5
            m, cfg = comb(n, 2), FreeEmbeddingConfig()
            mem = estimate_bytes(n, m, 2 * m, d, cfg, plan_chunk(n, m, 2 * m, d, cfg))
            lines.append(f"free embedding memory: largest run n={n}, d={d}: ~{mem / 2**20:.0f} MiB")
    if "retrieval" in config.stages:
        dim = max([int(r.split(":")[1]) for r in scale.large_retrievers if r.startswith("token-sum:")] or [0])
        if dim:
            lines.append(f"retrieval memory: token-sum:{dim} on {scale.large_docs:,} documents stores "
                         f"~{scale.large_docs * dim * 4 / 2**20:.0f} MiB of document vectors")
        if any(r.split(":")[0] in ("dense", "multivector") for r in scale.large_retrievers):
            lines.append(f"retrieval time: MiniLM encodes ~55 documents/s on a 2-core CPU, so the "
                         f"{scale.large_docs:,}-document corpus takes ~{scale.large_docs / 55 / 60:.0f} min "
                         f"(cached on disk for reruns)")
    if config.data_dir is None:
        lines.append("official LIMIT data: skipped (no --data-dir given); generated LIMIT-style data is used")
    lines.append(f"LIMIT-size corpus: {scale.large_docs:,} generated documents, retrievers "
                 f"{', '.join(scale.large_retrievers)}")
    return lines


def free_plan(scale: Scale) -> tuple[list[int], list[int]]:
    """Dimensions to search and those skipped because their estimated time exceeds the scale's budget."""
    from .estimate import estimate_free_seconds

    cap = scale.free_max_s_per_d
    run = [d for d in scale.free_dims if cap is None or estimate_free_seconds(d) <= cap]
    return run, [d for d in scale.free_dims if d not in run]


_STAGE_FIELDS = {
    "data": ("large_docs",),
    "theory": ("precision_ks", "precision_dtypes", "precision_n_max", "refine_ns"),
    "free": ("free_dims", "free_seeds", "free_max_s_per_d"),
    "retrieval": ("small_retrievers", "large_retrievers"),
    "ablations": ("truncation_retriever", "truncation_dims", "pattern_retrievers", "drowning_sizes",
                  "drowning_retrievers"),
}


def _stage_scale(scale: Scale, stage: str) -> dict[str, Any]:
    """The scale fields a stage depends on: changing another stage's sizes does not invalidate it."""
    return {f: getattr(scale, f) for f in _STAGE_FIELDS[stage]}


def _data_signature(ctx: "_Context", stage: str) -> Any:
    """Later stages depend on the data stage's checksums: a changed dataset invalidates them."""
    if stage == "data" or not ctx.results.get("data"):
        return None
    return {name: d.get("checksums") for name, d in ctx.datasets().items()}


def _logger(quiet: bool) -> Callable[[str], None]:
    def log(msg: str) -> None:
        if not quiet:
            print(msg, file=sys.stderr, flush=True)
    return log


class _Context:
    """Holds the config and the results of earlier stages; one ``stage_*`` method per stage."""

    def __init__(self, config: ReproduceConfig, scale: Scale, out: Path, log) -> None:
        self.config, self.scale, self.out, self.log = config, scale, out, log
        self.progress = not config.quiet
        self.results: dict[str, Any] = {}
        self._datasets: dict[str, Any] = {}

    # ---- datasets ---------------------------------------------------------------------
    def datasets(self) -> dict[str, Any]:
        """The data stage's dataset records (empty when that stage failed or did not run)."""
        return (self.results.get("data") or {}).get("datasets", {})

    def dataset(self, name: str):
        """Load a dataset recorded by the data stage (cached)."""
        from ..data.io import load_dataset

        if name not in self._datasets:
            info = self.datasets().get(name)
            if info is None:
                raise ConfigError(f"dataset {name!r} is not available (the data stage failed or skipped it)")
            self._datasets[name] = load_dataset(info["path"])
        return self._datasets[name]

    def small_name(self) -> str:
        return "limit-small" if "limit-small" in self.datasets() else "generated-small"

    # ---- stages -----------------------------------------------------------------------
    def stage_data(self) -> dict[str, Any]:
        from ..data.generate import GenerateConfig, generate
        from ..data.io import load_dataset
        from ..data.stats import dataset_stats

        out: dict[str, Any] = {"datasets": {}}
        gens = {"generated-small": GenerateConfig(n_docs=46, seed=self.config.seed),
                "generated-large": GenerateConfig(n_docs=self.scale.large_docs, seed=self.config.seed)}
        for name, cfg in gens.items():
            t0 = time.perf_counter()
            path = generate(cfg, self.out / "data" / name)
            wall = time.perf_counter() - t0
            ds = load_dataset(path)
            out["datasets"][name] = _describe(ds, path, dataset_stats(ds), generated=cfg, wall_s=wall)
            self.log(f"  generated {name}: {len(ds.corpus):,} documents in {wall:.1f} s")
        if self.config.data_dir is not None:
            for name in ("limit-small", "limit"):
                folder = Path(self.config.data_dir) / name
                if not (folder / "qrels.jsonl").exists() and not (folder / "qrels").is_dir():
                    self.log(f"  official {name}: not found under {self.config.data_dir}, skipped")
                    continue
                ds = load_dataset(folder)
                stats = dataset_stats(ds) if ds.corpus is not None else None
                out["datasets"][name] = _describe(ds, folder, stats, official=True)
        return out

    def stage_theory(self) -> dict[str, Any]:
        from ..theory.bounds import forster_lower_bound, margin_table, rank_chain
        from ..theory.precision import precision_table
        from ..theory.refine import keeps_construction, overfit_qrels, refined_scan

        s = self.scale
        res: dict[str, Any] = {"margin_table": margin_table()}
        overfit = {}
        names = [self.small_name()] + (["limit"] if "limit" in self.datasets() else [])
        for name in names:
            ds = self.dataset(name)
            overfit[name] = _overfit_summary(overfit_qrels(ds.qrel_matrix(), d=4), ds)
        res["overfit"] = overfit
        small = self.dataset(self.small_name())
        A = small.qrel_matrix()
        witness = overfit[self.small_name()]
        # the overfit is a verified rt witness (exact in float64, Recall@2 = 1) of dimension d
        dims = {"rt": witness["d"]} if witness["precision"]["float64"]["n_failed"] == 0 else None
        res["limit_small_rank_bounds"] = {"dataset": self.small_name(), "shape": list(A.shape),
                                          "forster": forster_lower_bound(A), "chain": rank_chain(A, dims),
                                          "witness_dims": dims}
        t0 = time.perf_counter()
        res["precision"] = precision_table(ks=s.precision_ks, dtypes=s.precision_dtypes,
                                           n_max=s.precision_n_max, progress=self.progress)
        self.log(f"  precision table: {len(res['precision'])} rows in {time.perf_counter() - t0:.1f} s")
        res["refined"] = {d: _plain(refined_scan(ns, k=2, d=d, dtype="float32", progress=self.progress))
                          for d, ns in s.refine_ns.items()}
        res["keeps_construction"] = _plain(keeps_construction())
        return res

    def stage_free(self) -> dict[str, Any]:
        from ..free.config import FreeEmbeddingConfig
        from ..free.fit import fit_critical_n
        from ..free.reference import PAPER_CRITICAL_N
        from ..free.search import find_critical_n

        cfg = FreeEmbeddingConfig(device=self.config.device)
        store = self.out / "free" / "store.sqlite"
        store.parent.mkdir(parents=True, exist_ok=True)
        per_d = {}
        dims, skipped = free_plan(self.scale)
        for d in dims:
            r = find_critical_n(d, cfg, seeds=self.scale.free_seeds, store=store, progress=self.progress)
            per_d[d] = {"critical_n": r.critical_n, "median_critical_n": r.median_critical_n,
                        "points": {n: ok for n, ok in sorted(r.points.items())}, "wall_s": r.wall_s,
                        "paper": PAPER_CRITICAL_N.get(d)}
            self.log(f"  d={d}: critical n = {r.critical_n} (paper {PAPER_CRITICAL_N.get(d)}) in {r.wall_s:.1f} s")
        ours = {d: v["critical_n"] for d, v in per_d.items() if v["critical_n"] is not None}
        fits = {"paper": _plain(fit_critical_n(PAPER_CRITICAL_N))}
        if len(ours) >= 4:
            fits["ours"] = _plain(fit_critical_n(ours))
        return {"config": _plain(cfg), "seeds": list(self.scale.free_seeds), "store": str(store),
                "per_d": per_d, "fits": fits, "skipped_d": skipped}

    def stage_retrieval(self) -> dict[str, Any]:
        from ..evaluation.harness import evaluate

        s = self.scale
        cache = self.out / "cache"
        res = {}
        small = self.small_name()
        r = evaluate(list(s.small_retrievers), {small: self.dataset(small)}, out=self.out / "retrieval" / small,
                     cache_dir=cache, progress=self.progress)
        res[small] = {"metrics": r.metrics[small], "cells": r.cells[small]}
        name = "limit" if (self.datasets().get("limit") or {}).get("n_docs") else "generated-large"
        r = evaluate(list(s.large_retrievers), {name: self.dataset(name)}, out=self.out / "retrieval" / name,
                     cache_dir=cache, progress=self.progress)
        res[name] = {"metrics": r.metrics[name], "cells": r.cells[name]}
        return res

    def stage_ablations(self) -> dict[str, Any]:
        from ..evaluation.experiments import drowning_curve, pattern_ablation, truncation_curve

        s = self.scale
        cache = self.out / "cache"
        base = self.out / "ablations"
        small = self.small_name()
        res = {}
        t = truncation_curve(s.truncation_retriever, {small: self.dataset(small)}, dims=s.truncation_dims,
                             out=base, cache_dir=cache, progress=self.progress)
        res["truncation"] = t.to_json()
        res["pattern"] = pattern_ablation(list(s.pattern_retrievers), out=base, cache_dir=cache,
                                          progress=self.progress).to_json()
        res["drowning"] = drowning_curve(list(s.drowning_retrievers), n_distractors=s.drowning_sizes, out=base,
                                         cache_dir=cache, progress=self.progress).to_json()
        return res


def _describe(ds, path, stats, **extra) -> dict[str, Any]:
    A = ds.qrel_matrix()
    return {"path": str(path), "source": ds.source, "n_docs": len(ds.corpus) if ds.corpus is not None else None,
            "n_queries": len(ds.queries), "n_qrels": A.nnz, "relevant_docs": int((A.to_scipy().sum(0) > 0).sum()),
            "checksums": dict(ds.checksums), "stats": _plain(stats), **_plain(extra)}


def _overfit_summary(c, ds) -> dict[str, Any]:
    from ..evaluation.metrics import recall_at_k
    from ..retrievers.base import to_run, topk_rows
    from ..theory.precision import realised

    idx, val = topk_rows(c.U @ c.V.T, min(10, c.qrels.shape[1]))
    run = to_run(c.qrels.query_ids, c.qrels.doc_ids, idx, val)
    qrels = {q: dict(ds.qrels[q]) for q in c.qrels.query_ids}
    margins = {dt: _plain(realised(c, dt)) for dt in ("float64", "float32")}
    return {"d": c.d, "curve": c.curve, "shape": list(c.qrels.shape),
            "recall@2": recall_at_k(run, qrels, 2), "precision": margins}


def _plain(obj: Any) -> Any:
    """JSON-able view of result dataclasses, dropping large arrays."""
    import dataclasses

    import numpy as np

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if not (isinstance(getattr(obj, f.name), np.ndarray) and getattr(obj, f.name).size > 64)
                and f.name not in ("qrels",)}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return str(obj)
    return obj
