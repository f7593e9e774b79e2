"""The paper's ablations as library functions, each returning a ``CurveResult`` (rows + provenance).

- ``truncation_curve``: keep the first d coordinates of a single-vector embedding, renormalise to
  unit length, and evaluate: recall against d (the paper's MRL-truncation plots, Figures 3/4).
- ``pattern_ablation``: generated LIMIT-style datasets that differ only in the qrel pattern
  (dense / random / cycle / disjoint): how much the pattern's density, not the text, costs.
- ``drowning_curve``: the relevant documents of a generated dataset plus the first N of its
  distractors (nested corpora): recall against corpus size.

Every point is saved as it finishes when ``out`` is given (truncation: ``out/truncation.json``;
the others reuse the harness's per-cell files under ``out/<point>/``), so a killed sweep resumes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .._errors import ConfigError
from .._provenance import record, to_jsonable, write_json
from ..data.dataset import Dataset
from .harness import _as_datasets, _as_retrievers, check_dataset, dataset_fingerprint, \
    evaluate, retriever_info
from .metrics import evaluate_run, sorted_ks

__all__ = ["CurveResult", "drowning_curve", "pattern_ablation", "truncation_curve", "with_distractors"]

CURVE_KS = (2, 10, 20, 100)


@dataclass
class CurveResult:
    """``rows``: one dict per (point, retriever): {"x": point, "retriever", "dataset", "recall@2", ...}."""

    experiment: str
    x: str
    rows: list[dict[str, Any]]
    provenance: dict[str, Any] = field(repr=False)

    def value(self, x: Any, retriever: str, metric: str = "recall@2") -> float:
        for row in self.rows:
            if row["x"] == x and row["retriever"] == retriever:
                return row[metric]
        raise KeyError(f"no row for {self.x}={x!r}, retriever={retriever!r}")

    def to_json(self) -> dict[str, Any]:
        return to_jsonable({"experiment": self.experiment, "x": self.x, "rows": self.rows,
                            "provenance": self.provenance})

    def save(self, out: str | os.PathLike) -> Path:
        path = Path(out) / f"{self.experiment}.json"
        write_json(path, self.to_json())
        path.with_suffix(".md").write_text(self.markdown() + "\n", encoding="utf-8")
        return path

    def markdown(self, metrics: Sequence[str] | None = None) -> str:
        """A table of the chosen metrics (default: every recall@k), in percent."""
        first = self.rows[0] if self.rows else {}
        cols = [m for m in (metrics or [c for c in first if c.startswith("recall@")]) if m in first]
        lines = [f"| {self.x} | retriever | " + " | ".join(cols) + " |", "|---|---|" + "---:|" * len(cols)]
        for r in self.rows:
            lines.append(f"| {r['x']} | {r['retriever']} | " + " | ".join(f"{100 * r[c]:.1f}" for c in cols) + " |")
        return "\n".join(lines)


def _pick(metrics: dict[str, float], ks: Sequence[int]) -> dict[str, float]:
    return {f"{m}@{k}": metrics[f"{m}@{k}"] for m in ("recall", "ndcg", "mrr") for k in ks}


# ---- dimension truncation ----------------------------------------------------------------------
@dataclass(frozen=True)
class TruncationConfig:
    retriever: str
    dataset: str
    dims: tuple[int, ...]
    ks: tuple[int, ...] = CURVE_KS
    engine: str = "pytrec_eval"


def truncation_curve(retriever, dataset, *, dims: Iterable[int] = (32, 64, 128, 256, 384),
                     ks: Iterable[int] = CURVE_KS, out=None, cache_dir=None, progress: bool = True,
                     data_dir=None, engine: str = "pytrec_eval") -> CurveResult:
    """Recall of ``retriever`` (a single-vector retriever or spec, e.g. "dense") on its first d coordinates."""
    from ..retrievers.base import document_text, to_run, topk_dense, unit_rows

    started = time.perf_counter()
    (r,) = _as_retrievers([retriever], cache_dir, progress)
    if not (hasattr(r, "encode_queries") and hasattr(r, "encode_documents")):
        raise ConfigError(f"truncation needs a single-vector retriever (dense, fake, ...); {r.name!r} has no "
                          "query/document embeddings to truncate")
    dsets = _as_datasets(dataset, data_dir)
    if len(dsets) != 1:
        raise ConfigError(f"truncation_curve takes one dataset, got {len(dsets)}: {list(dsets)}")
    ((ds_name, ds),) = dsets.items()
    check_dataset(ds, ds_name)
    ks = sorted_ks(ks)
    qids = list(ds.qrels)
    q = np.asarray(r.encode_queries([ds.queries[i] for i in qids]), dtype=np.float32)
    doc_ids = list(ds.corpus)
    d = np.asarray(r.encode_documents([document_text(x) for x in ds.corpus.values()]), dtype=np.float32)
    full = q.shape[1]
    dims = tuple(sorted({int(x) for x in dims} | {full}))
    if dims[0] < 1 or dims[-1] > full:
        raise ConfigError(f"dims must lie in 1..{full} (the embedding dimension of {r.name!r}), got {dims}")
    config = TruncationConfig(r.name, ds_name, dims, ks, engine)
    sig = _signature(config, dataset_fingerprint(ds), retriever_info(r))
    path = Path(out) / "truncation.json" if out is not None else None
    done = _resume(path, sig)
    rows = []
    for dim in dims:
        row = done.get(str(dim))
        if row is None:
            idx, val = topk_dense(unit_rows(q[:, :dim]), unit_rows(d[:, :dim]), min(max(ks), len(doc_ids)))
            m = evaluate_run(to_run(qids, doc_ids, idx, val), ds.qrels, ks, engine=engine)
            row = {"x": dim, "retriever": r.name, "dataset": ds_name, **_pick(m.aggregate, ks)}
            done[str(dim)] = row
            if path is not None:
                write_json(path.with_name("truncation.partial.json"), {"signature": sig, "rows": done})
        rows.append(row)
    result = CurveResult("truncation", "dim", rows, record(config, started=started,
                                                            data={ds_name: dataset_fingerprint(ds)}, signature=sig))
    if out is not None:
        result.save(out)
    return result


def _signature(config, data: str, info: Any) -> str:
    blob = json.dumps({"config": to_jsonable(config), "data": data, "retriever": info}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _resume(path: Path | None, sig: str) -> dict[str, dict]:
    if path is None:
        return {}
    partial = path.with_name("truncation.partial.json")
    try:
        saved = json.loads(partial.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return saved.get("rows", {}) if saved.get("signature") == sig else {}


# ---- qrel-pattern ablation -----------------------------------------------------------------------
def pattern_ablation(retrievers, *, patterns: Sequence[str] = ("dense", "random", "cycle", "disjoint"),
                     config=None, ks: Iterable[int] = CURVE_KS, out=None, cache_dir=None,
                     progress: bool = True, engine: str = "pytrec_eval") -> CurveResult:
    """Evaluate ``retrievers`` on generated datasets that differ only in their qrel pattern.

    ``config`` is a ``GenerateConfig`` (its ``pattern`` is replaced); by default 2000 documents,
    1000 queries, k = 2 (the smallest corpus the disjoint pattern allows).
    """
    from ..data.generate import GenerateConfig, generate_dataset

    started = time.perf_counter()
    config = config or GenerateConfig(n_docs=2000)
    rets = _as_retrievers(retrievers, cache_dir, progress)
    rows = []
    for p in patterns:
        ds = generate_dataset(dataclasses.replace(config, pattern=p))
        res = evaluate(rets, {p: ds}, ks=ks, out=None if out is None else Path(out) / f"pattern-{p}",
                       cache_dir=cache_dir, progress=progress, engine=engine)
        rows += [{"x": p, "retriever": name, "dataset": ds.name, **_pick(m, sorted_ks(ks))}
                 for name, m in res.metrics[p].items()]
    result = CurveResult("pattern", "pattern", rows, record(
        config, started=started, patterns=list(patterns), retrievers=[retriever_info(r) for r in rets]))
    if out is not None:
        result.save(out)
    return result


# ---- drowning: relevant documents + N distractors ---------------------------------------------------
def with_distractors(ds: Dataset, n: int) -> Dataset:
    """``ds`` restricted to its relevant documents plus the first ``n`` other documents (corpus order)."""
    relevant = {d for docs in ds.qrels.values() for d, g in docs.items() if g >= 1}
    others = [d for d in ds.corpus if d not in relevant]
    if n > len(others):
        raise ConfigError(f"asked for {n} distractors but the dataset has only {len(others)} non-relevant "
                          "documents; generate a larger corpus (n_docs)")
    keep = relevant | set(others[:n])
    corpus = {d: doc for d, doc in ds.corpus.items() if d in keep}
    return dataclasses.replace(ds, corpus=corpus, name=f"{ds.name}+{n}", checksums={})


def drowning_curve(retrievers, *, n_distractors: Sequence[int] = (0, 100, 1000, 10000), config=None,
                   ks: Iterable[int] = CURVE_KS, out=None, cache_dir=None, progress: bool = True,
                   engine: str = "pytrec_eval") -> CurveResult:
    """Recall as distractors are added: one generated dataset, nested corpora of relevant + first N others.

    ``config`` (a ``GenerateConfig``) describes the relevant part (default: LIMIT-small's shape,
    46 documents, 1000 queries); ``max(n_distractors)`` filler-only documents are generated after it.
    """
    from ..data.generate import GenerateConfig, generate_dataset

    started = time.perf_counter()
    config = config or GenerateConfig()
    counts = sorted({int(n) for n in n_distractors})
    if counts[0] < 0:
        raise ConfigError(f"numbers of distractors must be >= 0, got {counts}")
    base = generate_dataset(dataclasses.replace(config, n_docs=config.n_docs + counts[-1]))
    rets = _as_retrievers(retrievers, cache_dir, progress)
    rows = []
    for n in counts:
        ds = with_distractors(base, n)
        res = evaluate(rets, {str(n): ds}, ks=ks, out=None if out is None else Path(out) / f"drowning-{n}",
                       cache_dir=cache_dir, progress=progress, engine=engine)
        rows += [{"x": n, "retriever": name, "dataset": ds.name, "n_docs": len(ds.corpus),
                  **_pick(m, sorted_ks(ks))} for name, m in res.metrics[str(n)].items()]
    result = CurveResult("drowning", "n_distractors", rows, record(
        config, started=started, n_distractors=counts, retrievers=[retriever_info(r) for r in rets]))
    if out is not None:
        result.save(out)
    return result
