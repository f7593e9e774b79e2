"""Retrievers x datasets -> metrics, per-query results, provenance and a markdown table.

``evaluate`` checks each dataset (corpus present; every qrel names a known query and document),
indexes each retriever on the corpus, searches the queries that have qrels with
``k = min(max(ks), n_docs)``, and scores the run with :func:`metrics.evaluate_run` (pytrec_eval
by default). The main score is recall@2 (as MTEB's LIMIT tasks). With ``out`` every
(dataset, retriever) cell is written to ``out/cells/`` as soon as it finishes, keyed by a
signature of the dataset content, the retriever's config, ks and engine: a rerun skips finished
cells, so a killed evaluation resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .._errors import ConfigError, DataFormatError
from .._provenance import record, to_jsonable, write_json
from ..data.dataset import Dataset
from .metrics import DEFAULT_KS, evaluate_run, sorted_ks

__all__ = ["EvalConfig", "EvalResult", "MAIN_SCORE", "check_dataset", "evaluate"]

MAIN_SCORE = "recall@2"
TABLE_METRICS = ("recall@2", "recall@10", "recall@20", "recall@100")


@dataclass(frozen=True)
class EvalConfig:
    """What was evaluated (embedded in every result); the CLI flags of ``limitkit eval``."""

    retrievers: tuple[str, ...]
    datasets: tuple[str, ...]
    ks: tuple[int, ...] = DEFAULT_KS
    engine: str = "pytrec_eval"
    data_dir: str | None = None
    out: str | None = None
    cache_dir: str | None = None
    quiet: bool = False


@dataclass
class EvalResult:
    """``metrics[dataset][retriever]["recall@2"]`` (fractions in [0, 1]) and everything around it."""

    metrics: dict[str, dict[str, dict[str, float]]]
    per_query: dict[str, dict[str, dict[str, dict[str, float]]]] = field(repr=False)
    cells: dict[str, dict[str, dict[str, Any]]] = field(repr=False)  # timing, retriever config, signature
    provenance: dict[str, Any] = field(repr=False)
    main_score: str = MAIN_SCORE

    def to_json(self) -> dict[str, Any]:
        return to_jsonable({"main_score": self.main_score, "metrics": self.metrics, "cells": self.cells,
                            "per_query": self.per_query, "provenance": self.provenance})

    def save(self, out: str | os.PathLike) -> Path:
        """Write ``results.json`` and ``results.md`` into folder ``out``; returns the JSON path."""
        out = Path(out)
        write_json(out / "results.json", self.to_json())
        (out / "results.md").write_text(self.markdown() + "\n", encoding="utf-8")
        return out / "results.json"

    def markdown(self, metrics: Sequence[str] = TABLE_METRICS, *, paper: bool = True) -> str:
        """One table per dataset: our retrievers, then the paper's published rows (x100, 1 decimal)."""
        from .published import paper_rows

        blocks = []
        for ds_name, by_ret in self.metrics.items():
            cols = [m for m in metrics if any(m in v for v in by_ret.values())] or [self.main_score]
            lines = [f"### {ds_name}", "", "| retriever | " + " | ".join(cols) + " |",
                     "|---|" + "---:|" * len(cols)]
            for ret, vals in by_ret.items():
                lines.append(f"| {ret} | " + " | ".join(_pct(vals.get(c)) for c in cols) + " |")
            rows = paper_rows(ds_name) if paper else []
            for row in rows:
                label = f"{row['model']}" + (f" (d={row['dim']})" if row.get("dim") else "")
                lines.append(f"| paper: {label} | " + " | ".join(
                    "–" if row.get(c) is None else f"{row[c]:.1f}" for c in cols) + " |")
            if rows:
                lines.append("")
                lines.append("Paper rows: Weller et al. 2025 (arXiv:2508.21038v2), Appendix G, full dimension; "
                             "– = not published.")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


# ---- inputs --------------------------------------------------------------------------------------
def _as_datasets(datasets, data_dir) -> dict[str, Dataset]:
    if isinstance(datasets, Mapping):
        items = list(datasets.items())
    else:
        if isinstance(datasets, (str, os.PathLike, Dataset)):
            datasets = [datasets]
        items = []
        for d in datasets:
            if not isinstance(d, Dataset):
                from ..data.io import load_dataset

                d = load_dataset(d, data_dir=data_dir)
            items.append((d.name or d.source or f"dataset{len(items)}", d))
    out: dict[str, Dataset] = {}
    for name, ds in items:
        if name in out:
            raise ConfigError(f"two datasets are named {name!r}; pass a mapping {{name: dataset}} with "
                              "distinct names")
        out[name] = ds
    if not out:
        raise ConfigError("no datasets to evaluate; pass at least one dataset (folder, name or Dataset)")
    return out


def _as_retrievers(retrievers, cache_dir, progress) -> list:
    from ..retrievers.registry import make_retriever

    if isinstance(retrievers, str) or hasattr(retrievers, "search"):
        retrievers = [retrievers]
    out = [make_retriever(r, cache_dir=cache_dir, progress=progress) if isinstance(r, str) else r
           for r in retrievers]
    names = [r.name for r in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"retriever name(s) {dup} appear twice; evaluate each retriever once")
    if not out:
        raise ConfigError("no retrievers to evaluate; pass at least one (e.g. 'bm25')")
    return out


def check_dataset(ds: Dataset, name: str) -> None:
    """Raise DataFormatError unless the corpus, queries and qrels fit together."""
    corpus = ds.require_corpus("retrieval evaluation")
    if not corpus:
        raise DataFormatError(f"dataset {name!r}: the corpus is empty")
    if not ds.qrels:
        raise DataFormatError(f"dataset {name!r}: no qrels, so there is nothing to evaluate")
    bad_q = [q for q in ds.qrels if q not in ds.queries]
    if bad_q:
        raise DataFormatError(f"dataset {name!r}: {len(bad_q)} qrels query id(s) have no query text, e.g. "
                              f"{bad_q[:3]}; the qrels and queries files do not belong together")
    bad_d = sorted({d for docs in ds.qrels.values() for d in docs if d not in corpus})
    if bad_d:
        raise DataFormatError(f"dataset {name!r}: qrels name {len(bad_d)} document id(s) missing from the "
                              f"corpus, e.g. {bad_d[:3]}; the qrels and corpus do not belong together")
    if not any(g >= 1 for docs in ds.qrels.values() for g in docs.values()):
        raise DataFormatError(f"dataset {name!r}: no qrel has a grade >= 1, so no document is relevant")


def dataset_fingerprint(ds: Dataset) -> str:
    """sha256 of the dataset content (file checksums when read from disk, else the data itself)."""
    h = hashlib.sha256()
    if ds.checksums:
        h.update(json.dumps(dict(sorted(ds.checksums.items()))).encode())
    else:
        for part in (ds.queries, ds.qrels):
            h.update(json.dumps(part, sort_keys=True).encode())
        for d, doc in (ds.corpus or {}).items():
            h.update(json.dumps([d, doc.title, doc.text]).encode())
    return h.hexdigest()


def retriever_info(r) -> dict[str, Any]:
    describe = getattr(r, "describe", None)
    info = describe() if callable(describe) else to_jsonable(getattr(r, "config", None))
    return {"name": r.name, "class": type(r).__name__, "config": info}


def _cell_path(out: Path, ds_name: str, ret_name: str) -> Path:
    safe = lambda s: re.sub(r"[^A-Za-z0-9._=-]+", "_", s)[:80]  # noqa: E731
    return out / "cells" / f"{safe(ds_name)}__{safe(ret_name)}.json"


# ---- the harness ---------------------------------------------------------------------------------
def evaluate(retrievers, datasets, *, ks: Iterable[int] = DEFAULT_KS, out: str | os.PathLike | None = None,
             cache_dir: str | os.PathLike | None = None, progress: bool = True, data_dir=None,
             engine: str = "pytrec_eval") -> EvalResult:
    """Evaluate every retriever on every dataset; see the module docstring.

    ``retrievers``: retriever objects and/or registry specs ("bm25", "dense", ...).
    ``datasets``: Dataset objects, folders or official names ("limit-small", resolved in ``data_dir``),
    or a mapping name -> Dataset.
    """
    started = time.perf_counter()
    ks = sorted_ks(ks)
    dsets = _as_datasets(datasets, data_dir)
    rets = _as_retrievers(retrievers, cache_dir, progress)
    for name, ds in dsets.items():
        check_dataset(ds, name)
    out_path = Path(out) if out is not None else None
    config = EvalConfig(tuple(r.name for r in rets), tuple(dsets), ks, engine,
                        None if data_dir is None else str(data_dir), None if out is None else str(out),
                        None if cache_dir is None else str(cache_dir), not progress)
    metrics: dict = {}
    per_query: dict = {}
    cells: dict = {}
    fingerprints = {}
    for ds_name, ds in dsets.items():
        fingerprints[ds_name] = dataset_fingerprint(ds)
        queries = {q: ds.queries[q] for q in ds.qrels}
        k_search = min(max(ks), len(ds.corpus))
        for r in rets:
            info = retriever_info(r)
            sig = hashlib.sha256(json.dumps({"data": fingerprints[ds_name], "retriever": info, "ks": ks,
                                             "engine": engine}, sort_keys=True, default=str).encode()).hexdigest()
            cell_file = _cell_path(out_path, ds_name, r.name) if out_path else None
            cell = _load_cell(cell_file, sig)
            if cell is None:
                cell = _run_cell(r, ds, ds_name, queries, k_search, ks, engine, progress)
                cell["signature"] = sig
                if cell_file is not None:
                    write_json(cell_file, cell)
            metrics.setdefault(ds_name, {})[r.name] = cell["metrics"]
            per_query.setdefault(ds_name, {})[r.name] = cell["per_query"]
            cells.setdefault(ds_name, {})[r.name] = {k: v for k, v in cell.items()
                                                     if k not in ("metrics", "per_query")}
    prov = record(config, started=started, data=fingerprints,
                  datasets={n: {"source": d.source, "n_docs": len(d.corpus), "n_queries_evaluated": len(d.qrels),
                                "n_queries_without_qrels": sum(q not in d.qrels for q in d.queries),
                                "file_sha256": dict(d.checksums)} for n, d in dsets.items()})
    result = EvalResult(metrics, per_query, cells, prov)
    if out_path is not None:
        result.save(out_path)
    return result


def _load_cell(path: Path | None, sig: str) -> dict | None:
    if path is None or not path.exists():
        return None
    try:
        cell = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None  # a damaged cell is recomputed
    return cell if cell.get("signature") == sig else None


def _run_cell(r, ds: Dataset, ds_name: str, queries: Mapping[str, str], k: int, ks, engine, progress) -> dict:
    if progress:
        import sys

        print(f"[limitkit eval] {r.name} on {ds_name}: {len(ds.corpus)} documents, {len(queries)} queries",
              file=sys.stderr)
    t0 = time.perf_counter()
    r.index(ds.corpus)
    t1 = time.perf_counter()
    run = r.search(queries, k)
    t2 = time.perf_counter()
    _check_run(run, ds, r.name, queries)
    m = evaluate_run(run, ds.qrels, ks, engine=engine)
    return {"dataset": ds_name, "retriever": retriever_info(r), "k_retrieved": k,
            "index_s": round(t1 - t0, 4), "search_s": round(t2 - t1, 4),
            "stats": getattr(r, "stats", {}), "metrics": m.aggregate, "per_query": m.per_query}


def _check_run(run, ds: Dataset, name: str, queries: Mapping[str, str]) -> None:
    extra_q = [q for q in run if q not in queries]
    if extra_q:
        raise DataFormatError(f"retriever {name!r} returned results for unknown query id(s) {extra_q[:3]}")
    for q, docs in run.items():
        bad = [d for d in docs if d not in ds.corpus]
        if bad:
            raise DataFormatError(f"retriever {name!r} returned document id(s) {bad[:3]} for query {q!r} that "
                                  "are not in the corpus it was evaluated on")
