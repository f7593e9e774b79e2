"""Which queries of a construction survive rounding to float64, float32, float16 or bfloat16.

Rounding: U and V are built in float64; queries are first scaled to unit length (in float64;
``unit_queries=True``, the default: ranking is scale invariant, rounding is not), then both are
rounded to the dtype by round-to-nearest-even (numpy ``astype``; torch ``.to(torch.bfloat16)``).
Accumulation of the scores in the dtype:

- ``"sequential"`` (default; machine independent): score = fl(...fl(fl(u_1 v_1) + fl(u_2 v_2))...
  + fl(u_d v_d)): every product and every partial sum rounded to the dtype, coordinates in
  order. numpy elementwise arithmetic for float64/32/16, torch CPU elementwise for bfloat16
  (computed in float32 and rounded: correctly rounded, since 24 >= 2*8 + 2 bits).
- ``"matmul"``: ``torch.matmul`` on the CPU in the dtype (library kernels: blocking, FMA and,
  for float16/bfloat16, wider internal accumulators; the result is stored in the dtype).

A query is realised when every relevant score is strictly above every irrelevant one (ties fail).
The precision limit of a curve is the largest n such that the construction for all k-subsets
of n' documents is realised for every n' <= n.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._errors import ConfigError
from .._lazy import require
from .constructions import Construction, construct, row_mask

__all__ = ["DTYPES", "ACCUMULATE", "PrecisionReport", "PrecisionScan", "realised",
           "precision_limit", "precision_scan", "precision_table", "round_to"]

DTYPES = ("float64", "float32", "float16", "bfloat16")
ACCUMULATE = ("sequential", "matmul")
_CHUNK_ELEMS = 1 << 21


@dataclass(frozen=True, eq=False)
class PrecisionReport:
    """Exactness of one construction in one dtype.

    ``min_margin``: min over queries of (smallest relevant - largest irrelevant score), scores
    computed in the dtype (<= 0 when a query fails). ``min_relative_margin``: min over queries
    of that margin divided by the query's score range (max - min over all documents).
    """

    dtype: str
    accumulate: str
    unit_queries: bool
    curve: str
    n: int
    k: int
    d: int
    m: int
    n_failed: int
    n_ties: int
    failed_queries: np.ndarray
    min_margin: float
    min_relative_margin: float
    rounding: str = field(default="")

    @property
    def exact(self) -> bool:
        return self.n_failed == 0

    @property
    def n_exact(self) -> int:
        return self.m - self.n_failed


@dataclass(frozen=True)
class PrecisionScan:
    """Result of scanning n upward: ``limit`` is the largest n with every n' <= n realised.

    ``censored``: no failure up to ``limit`` because the scan stopped (n_max or time budget);
    the true limit is at least ``limit``. ``failing_after`` lists the failing n among the
    ``scan_past`` sizes examined after the first failure (not monotone in general).
    """

    k: int
    d: int
    curve: str
    dtype: str
    accumulate: str
    unit_queries: bool
    limit: int
    censored: bool
    first_failure: int | None
    failed_queries_at_first_failure: int | None
    margin_at_limit: float | None
    failing_after: tuple[int, ...]
    scanned_up_to: int
    wall_s: float


def round_to(x: np.ndarray, dtype: str):
    """x (float64) rounded to ``dtype`` with round-to-nearest-even; numpy array, or torch for bfloat16."""
    _check_dtype(dtype)
    if dtype == "bfloat16":
        torch = require("torch")
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64)).to(torch.bfloat16)
    return np.asarray(x, dtype=np.float64).astype(dtype)


def realised(construction: Construction, dtype: str, *, accumulate: str = "sequential",
             unit_queries: bool = True, max_failed: int = 100) -> PrecisionReport:
    """Which queries of ``construction`` stay exact after rounding U, V and scoring in ``dtype``."""
    _check_dtype(dtype)
    if accumulate not in ACCUMULATE:
        raise ConfigError(f"accumulate must be one of {ACCUMULATE}, got {accumulate!r}")
    c = construction
    U = c.U
    if unit_queries:
        norms = np.linalg.norm(U, axis=1, keepdims=True)
        U = U / np.where(norms > 0, norms, 1.0)
    Vr = round_to(c.V, dtype)
    m, n = c.m, c.n
    failed: list[np.ndarray] = []
    n_failed = n_ties = 0
    min_margin = min_rel = np.inf
    step = max(1, _CHUNK_ELEMS // max(n * (2 if accumulate == "sequential" else 1), 1))
    for a in range(0, m, step):
        b = min(m, a + step)
        s = _scores(round_to(U[a:b], dtype), Vr, dtype, accumulate)
        mask = row_mask(c.qrels, a, b)
        lo = np.where(mask, s, np.inf).min(axis=1)
        hi = np.where(mask, -np.inf, s).max(axis=1)
        gap = lo - hi
        fin = np.isfinite(gap)
        if fin.any():
            span = s.max(axis=1) - s.min(axis=1)
            rel = np.where(span > 0, gap / np.where(span > 0, span, 1.0), -np.inf)
            min_margin = min(min_margin, float(gap[fin].min()))
            min_rel = min(min_rel, float(rel[fin].min()))
        bad = lo <= hi
        n_failed += int(bad.sum())
        n_ties += int((lo == hi).sum())
        if bad.any() and sum(map(len, failed)) < max_failed:
            failed.append(a + np.flatnonzero(bad))
    fq = np.concatenate(failed)[:max_failed] if failed else np.zeros(0, dtype=np.int64)
    return PrecisionReport(dtype, accumulate, unit_queries, c.curve, n, c.k, c.d, m, n_failed, n_ties,
                           fq, min_margin, min_rel, _describe(dtype, accumulate, unit_queries))


def precision_scan(k: int, dtype: str, curve: str = "trig", n_max: int = 400, *, n_min: int | None = None,
                   accumulate: str = "sequential", unit_queries: bool = True, scan_past: int = 0,
                   time_budget_s: float | None = None, progress: bool = False) -> PrecisionScan:
    """Scan n = n_min, n_min + 1, ... and stop at the first n whose construction is not realised.

    Each n builds the construction for all C(n, k) subsets and checks every query (vectorised,
    chunked). ``n_min`` defaults to k + 1 (a larger n_min checks only n >= n_min, so ``limit``
    then means "every n' in n_min..limit"). With ``time_budget_s`` the scan stops (censored)
    once the budget is spent.
    """
    if n_min is None:
        n_min = k + 1
    if n_max < n_min:
        raise ConfigError(f"n_max={n_max} is below n_min={n_min}")
    tqdm = require("tqdm").tqdm
    start = time.perf_counter()
    limit, first, nfail, margin, after = n_min - 1, None, None, None, []
    stop_at = n_max
    d = None
    bar = tqdm(range(n_min, n_max + 1), desc=f"precision k={k} {curve} {dtype}", disable=not progress,
               leave=False)
    last = n_min
    for n in bar:
        if n > stop_at:
            break
        last = n
        rep = realised(construct(n, k, curve=curve), dtype, accumulate=accumulate, unit_queries=unit_queries)
        d = rep.d
        if first is None:
            if rep.exact:
                limit, margin = n, rep.min_margin
            else:
                first, nfail = n, rep.n_failed
                stop_at = min(n_max, n + scan_past)
                if scan_past <= 0:
                    break
        elif not rep.exact:
            after.append(n)
        if time_budget_s is not None and time.perf_counter() - start > time_budget_s:
            break
    bar.close()
    return PrecisionScan(k, d if d is not None else (2 * k + (curve == "trig-unit")), curve, dtype, accumulate,
                         unit_queries, limit, first is None, first, nfail, margin, tuple(after), last,
                         round(time.perf_counter() - start, 3))


def precision_limit(k: int, dtype: str, curve: str = "trig", n_max: int = 400, **kwargs) -> int:
    """Largest n such that the construction is realised in ``dtype`` for every n' <= n
    (``n_max`` when no failure was found up to it; see :func:`precision_scan` for details)."""
    return precision_scan(k, dtype, curve, n_max, **kwargs).limit


def precision_table(ks=(2, 3, 4), dtypes=DTYPES, curves=("trig", "poly"), *,
                    n_max: dict[int, int] | int | None = None, accumulate=("sequential",),
                    unit_queries: bool = True, scan_past: int = 0, time_budget_s: float | None = None,
                    progress: bool = False) -> list[dict]:
    """One row per (curve, k, dtype, accumulate): the precision-limited critical n and context.

    ``n_max`` caps the scan per k (default {2: 400, 3: 120, 4: 60}); a row whose scan never
    failed is ``censored`` (limit >= the value shown).
    """
    caps = {2: 400, 3: 120, 4: 60}
    if isinstance(n_max, int):
        caps = {k: n_max for k in ks}
    elif n_max is not None:
        caps.update(n_max)
    rows = []
    for curve in curves:
        for k in ks:
            for dtype in dtypes:
                for acc in accumulate:
                    s = precision_scan(k, dtype, curve, caps.get(k, 60), accumulate=acc,
                                       unit_queries=unit_queries, scan_past=scan_past,
                                       time_budget_s=time_budget_s, progress=progress)
                    rows.append({"curve": curve, "k": k, "d": s.d, "dtype": dtype, "accumulate": acc,
                                 "limit": s.limit, "censored": s.censored, "first_failure": s.first_failure,
                                 "failed_queries_at_first_failure": s.failed_queries_at_first_failure,
                                 "failing_after": list(s.failing_after), "margin_at_limit": s.margin_at_limit,
                                 "wall_s": s.wall_s})
    return rows


# ---- kernels -------------------------------------------------------------------------------
def _check_dtype(dtype: str) -> None:
    if dtype not in DTYPES:
        raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")


def _scores(Q, D, dtype: str, accumulate: str) -> np.ndarray:
    """Scores of rounded queries Q (c, d) and documents D (n, d) computed in ``dtype``, as float64."""
    if accumulate == "matmul":
        torch = require("torch")
        tq = Q if dtype == "bfloat16" else torch.from_numpy(np.ascontiguousarray(Q))
        td = D if dtype == "bfloat16" else torch.from_numpy(np.ascontiguousarray(D))
        return (tq @ td.T).to(torch.float64).numpy()
    s = Q[:, None, 0] * D[None, :, 0]
    for l in range(1, Q.shape[1]):
        s = s + Q[:, None, l] * D[None, :, l]  # each product and each sum rounded to the dtype
    if dtype == "bfloat16":
        return s.to(require("torch").float64).numpy()
    return s.astype(np.float64)


def _describe(dtype: str, accumulate: str, unit_queries: bool) -> str:
    scale = "queries scaled to unit length in float64, then " if unit_queries else ""
    how = (f"U, V built in float64; {scale}rounded to {dtype} (round-to-nearest-even"
           f"{', torch' if dtype == 'bfloat16' else ', numpy'}); ")
    if accumulate == "sequential":
        lib = "torch CPU elementwise" if dtype == "bfloat16" else "numpy elementwise"
        return how + f"scores summed over coordinates 1..d in order, each product and partial sum rounded to {dtype} ({lib})"
    return how + f"scores by torch.matmul on CPU in {dtype} (library accumulation)"
