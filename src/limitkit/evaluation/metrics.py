"""Retrieval metrics: Recall@k, nDCG@k, MRR@k, per query and averaged, agreeing with MTEB.

Conventions (those of trec_eval, which MTEB calls through pytrec_eval):

- A document is relevant when its qrel grade is >= 1. Every query of the qrels is scored; a query
  missing from the run retrieved nothing (scores 0); a query with no relevant document scores 0.
- A run ``{qid: {doc_id: score}}`` is ranked by score, highest first; **ties are broken by
  document id in descending string order** (trec_eval's rule), so results never depend on dict
  order and agree with pytrec_eval bit for bit.
- Recall@k = |relevant in top k| / |relevant|. ``average="macro"`` (MTEB) averages it over
  queries; ``average="micro"`` pools hits, sum_q hits_q / sum_q |relevant_q| (the LIMIT script's
  convention). With LIMIT's 2 relevant documents per query the two coincide.
- nDCG@k = DCG@k / IDCG@k with linear gain g = grade and discount 1 / log2(rank + 1).
- MRR@k = 1 / rank of the first relevant document within the top k, else 0.

Two layers: array kernels on a (queries x depth) matrix of gains in rank order, and dict
wrappers. ``evaluate_run(..., engine="pytrec_eval")`` computes the same numbers with
pytrec-eval-terrier (the primary engine; the tests check both engines agree).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal, Mapping, Sequence

import numpy as np

from .._errors import ConfigError, DataFormatError
from .._lazy import require

__all__ = ["DEFAULT_KS", "RunMetrics", "evaluate_run", "mrr_at_k", "ndcg_at_k", "rank_documents", "recall_at_k",
           "sorted_ks"]

Run = Mapping[str, Mapping[str, float]]
Qrels = Mapping[str, Mapping[str, int]]
DEFAULT_KS = (1, 2, 3, 5, 10, 20, 100, 1000)
METRICS = ("recall", "ndcg", "mrr")


# ---- kernels: gains (m, depth) in rank order -------------------------------------------------
def recall_kernel(gains: np.ndarray, n_rel: np.ndarray, k: int) -> np.ndarray:
    """Per-query recall@k; ``gains > 0`` marks relevant ranks, ``n_rel`` counts relevant docs."""
    hits = (gains[:, :k] > 0).sum(axis=1)
    return np.divide(hits, n_rel, out=np.zeros(len(n_rel)), where=n_rel > 0)


def micro_recall_kernel(gains: np.ndarray, n_rel: np.ndarray, k: int) -> float:
    """Pooled recall@k: total relevant hits in the top k over total relevant documents."""
    total = int(n_rel.sum())
    return float((gains[:, :k] > 0).sum() / total) if total else 0.0


def ndcg_kernel(gains: np.ndarray, ideal: np.ndarray, k: int) -> np.ndarray:
    """Per-query nDCG@k; ``ideal`` holds each query's grades sorted descending."""
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (gains[:, :k] * disc[: gains[:, :k].shape[1]]).sum(axis=1)
    idcg = (ideal[:, :k] * disc[: ideal[:, :k].shape[1]]).sum(axis=1)
    return np.divide(dcg, idcg, out=np.zeros(len(dcg)), where=idcg > 0)


def mrr_kernel(gains: np.ndarray, k: int) -> np.ndarray:
    """Per-query reciprocal rank of the first relevant document within the top k (0 if none)."""
    rel = gains[:, :k] > 0
    first = rel.argmax(axis=1)
    return np.where(rel.any(axis=1), 1.0 / (first + 1), 0.0)


# ---- dicts -> arrays ---------------------------------------------------------------------------
def rank_documents(scores: Mapping[str, float]) -> list[str]:
    """Document ids by score descending, ties by id descending (trec_eval)."""
    return sorted(scores, key=lambda d: (-float(scores[d]), _Desc(d)))


class _Desc(str):
    """A string that sorts in reverse order (for descending-id tie breaks inside an ascending sort)."""

    def __lt__(self, other: str) -> bool:  # type: ignore[override]
        return str.__gt__(self, other)


@dataclass(frozen=True)
class RankedGains:
    """Arrays for the kernels: ``gains[i, r]`` = grade of the doc at rank r of query i (0 if none)."""

    query_ids: tuple[str, ...]
    gains: np.ndarray  # (m, depth) float
    ideal: np.ndarray  # (m, depth) float, grades sorted descending
    n_rel: np.ndarray  # (m,) int


def ranked_gains(run: Run, qrels: Qrels, depth: int) -> RankedGains:
    """Rank the run of every qrels query (see module conventions) into (m, depth) gain arrays."""
    if depth < 1:
        raise ConfigError(f"depth must be >= 1, got {depth}")
    qids = tuple(qrels)
    m = len(qids)
    gains = np.zeros((m, depth))
    ideal = np.zeros((m, depth))
    n_rel = np.zeros(m, dtype=np.int64)
    for i, q in enumerate(qids):
        grades = qrels[q]
        ranked = rank_documents(run.get(q, {}))[:depth]
        gains[i, : len(ranked)] = [max(grades.get(d, 0), 0) for d in ranked]
        good = sorted((g for g in grades.values() if g > 0), reverse=True)[:depth]
        ideal[i, : len(good)] = good
        n_rel[i] = sum(1 for g in grades.values() if g >= 1)
    return RankedGains(qids, gains, ideal, n_rel)


def sorted_ks(ks: Iterable[int]) -> tuple[int, ...]:
    """Cutoffs as a sorted tuple without repeats; ConfigError unless all are positive integers."""
    ks = tuple(sorted({int(k) for k in ks}))
    if not ks or ks[0] < 1:
        raise ConfigError(f"cutoffs k must be positive integers, got {ks}")
    return ks


def _check(qrels: Qrels, ks: Iterable[int]) -> tuple[int, ...]:
    if not qrels:
        raise DataFormatError("qrels are empty: there is nothing to evaluate")
    return sorted_ks(ks)


# ---- public wrappers ---------------------------------------------------------------------------
def recall_at_k(run: Run, qrels: Qrels, k: int, average: Literal["macro", "micro", "none"] = "macro"):
    """Recall@k: a float (``macro``: mean over queries; ``micro``: pooled), or {qid: value} (``none``)."""
    (k,) = _check(qrels, (k,))
    rg = ranked_gains(run, qrels, k)
    if average == "micro":
        return micro_recall_kernel(rg.gains, rg.n_rel, k)
    per = recall_kernel(rg.gains, rg.n_rel, k)
    if average == "macro":
        return float(per.mean())
    if average == "none":
        return dict(zip(rg.query_ids, per.tolist()))
    raise ConfigError(f"average must be 'macro', 'micro' or 'none', got {average!r}")


def ndcg_at_k(run: Run, qrels: Qrels, k: int) -> float:
    (k,) = _check(qrels, (k,))
    rg = ranked_gains(run, qrels, k)
    return float(ndcg_kernel(rg.gains, rg.ideal, k).mean())


def mrr_at_k(run: Run, qrels: Qrels, k: int) -> float:
    (k,) = _check(qrels, (k,))
    rg = ranked_gains(run, qrels, k)
    return float(mrr_kernel(rg.gains, k).mean())


@dataclass(frozen=True)
class RunMetrics:
    """``aggregate["recall@2"]`` etc. (macro means, plus ``recall_micro@k``) and ``per_query[qid][...]``."""

    aggregate: dict[str, float]
    per_query: dict[str, dict[str, float]] = field(repr=False)


def evaluate_run(run: Run, qrels: Qrels, ks: Sequence[int] = DEFAULT_KS, *,
                 engine: Literal["pytrec_eval", "simple"] = "pytrec_eval") -> RunMetrics:
    """Recall/nDCG/MRR at every k in ``ks`` for every qrels query, by pytrec_eval or our kernels."""
    ks = _check(qrels, ks)
    if engine == "simple":
        per = _simple_per_query(run, qrels, ks)
    elif engine == "pytrec_eval":
        per = _pytrec_per_query(run, qrels, ks)
    else:
        raise ConfigError(f"engine must be 'pytrec_eval' or 'simple', got {engine!r}")
    names = [f"{m}@{k}" for m in METRICS for k in ks]
    agg = {n: float(np.mean([per[q][n] for q in qrels])) for n in names}
    rg = ranked_gains(run, qrels, max(ks))
    for k in ks:
        agg[f"recall_micro@{k}"] = micro_recall_kernel(rg.gains, rg.n_rel, k)
    return RunMetrics(agg, per)


def _simple_per_query(run: Run, qrels: Qrels, ks: tuple[int, ...]) -> dict[str, dict[str, float]]:
    rg = ranked_gains(run, qrels, max(ks))
    cols: dict[str, np.ndarray] = {}
    for k in ks:
        cols[f"recall@{k}"] = recall_kernel(rg.gains, rg.n_rel, k)
        cols[f"ndcg@{k}"] = ndcg_kernel(rg.gains, rg.ideal, k)
        cols[f"mrr@{k}"] = mrr_kernel(rg.gains, k)
    return {q: {n: float(v[i]) for n, v in cols.items()} for i, q in enumerate(rg.query_ids)}


def _pytrec_per_query(run: Run, qrels: Qrels, ks: tuple[int, ...]) -> dict[str, dict[str, float]]:
    pytrec_eval = require("pytrec_eval")
    qrels_i = {q: {d: int(g) for d, g in docs.items()} for q, docs in qrels.items()}
    ranked = {q: rank_documents(run.get(q, {})) for q in qrels}
    full = {q: {d: float(run[q][d]) for d in ranked[q]} for q in qrels}  # every qrels query, maybe empty
    cut = ",".join(str(k) for k in ks)
    ev = pytrec_eval.RelevanceEvaluator(qrels_i, {f"recall.{cut}", f"ndcg_cut.{cut}"})
    res = ev.evaluate(full)
    rr = pytrec_eval.RelevanceEvaluator(qrels_i, {"recip_rank"})
    per: dict[str, dict[str, float]] = {}
    for q in qrels:
        r = res.get(q, {})
        per[q] = {}
        for k in ks:
            per[q][f"recall@{k}"] = float(r.get(f"recall_{k}", 0.0))
            per[q][f"ndcg@{k}"] = float(r.get(f"ndcg_cut_{k}", 0.0))
    for k in ks:  # MRR@k = recip_rank of the run truncated to its top k
        res_k = rr.evaluate({q: {d: full[q][d] for d in ranked[q][:k]} for q in qrels})
        for q in qrels:
            per[q][f"mrr@{k}"] = float(res_k.get(q, {}).get("recip_rank", 0.0))
    return per
