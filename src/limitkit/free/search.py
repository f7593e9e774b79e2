"""Critical-n search: the largest number of documents n whose k-subsets a dimension d still solves.

``search_critical_n`` is the reference's three-phase search over an arbitrary success oracle
(google-deepmind/limit ``code/free_embedding_experiment.py``, ``_run_critical_n_search_for_config``):

1. gallop: if start succeeds, try start+1, +2, +4, ... (step doubles after each success) until a
   failure; otherwise walk down start-1, -2, -4, ... (not below ``min_n``) until a success;
2. binary search between the last success and the first failure;
3. sweep critical-4 ... critical+5; every n is evaluated at most once.

The critical n reported is the largest n that succeeded among all evaluated points (None if none).
``find_critical_n`` runs it with real training: each point n trains every seed (batched), a point
succeeds when any seed solves it (so with one seed it is exactly the reference), and the sweep's
points are trained together in one batch before the sweep reads them.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .._errors import ConfigError
from .config import FreeEmbeddingConfig
from .optimize import RunResult, train_many
from .store import ResultStore

SWEEP = range(-4, 6)


def search_critical_n(oracle: Callable[[int], bool], start_n: int, *, min_n: int = 1,
                      prefetch: Callable[[list[int]], None] | None = None) -> tuple[int | None, dict[int, bool]]:
    """Run the gallop / binary / sweep search; returns (critical n, {n: success} in evaluation
    order). ``prefetch(ns)`` is told the sweep's unevaluated points before they are asked for."""
    if start_n < min_n:
        raise ConfigError(f"start_n={start_n} is below the smallest n searched ({min_n})")
    points: dict[int, bool] = {}

    def ok(n: int) -> bool:
        if n not in points:
            points[n] = bool(oracle(n))
        return points[n]

    low = high = None
    if ok(start_n):
        low, step = start_n, 1
        while True:
            if ok(low + step):
                low, step = low + step, step * 2
            else:
                high = low + step
                break
    else:
        high, step = start_n, 1
        while high > min_n:
            n = max(high - step, min_n)
            if ok(n):
                low = n
                break
            high, step = n, step * 2
    critical = low
    if low is not None and high is not None:
        lo, hi = low, high
        while lo <= hi:
            mid = (lo + hi) // 2
            if ok(mid):
                critical, lo = mid, mid + 1
            else:
                hi = mid - 1
    if critical is not None:
        sweep = [max(critical + o, min_n) for o in SWEEP]
        todo = [n for n in dict.fromkeys(sweep) if n not in points]
        if prefetch is not None and todo:
            prefetch(todo)
        for n in sweep:
            ok(n)
    solved = [n for n, s in points.items() if s]
    return (max(solved) if solved else None), points


@dataclass(frozen=True)
class CriticalNResult:
    """Outcome of a search at one dimension d.

    ``critical_n``: largest n solved by at least one seed (best over seeds); ``median_critical_n``:
    median over seeds of each seed's largest solved n among the searched points (seeds that solved
    none are left out; ``per_seed`` shows them as None);
    ``success_rate[n]``: share of seeds that solved n; ``runs``: every run (vectors dropped).
    """

    d: int
    critical_n: int | None
    median_critical_n: float | None
    per_seed: dict[int, int | None]
    success_rate: dict[int, float]
    points: dict[int, bool]
    runs: tuple[RunResult, ...]
    seeds: tuple[int, ...]
    start_n: int
    config: FreeEmbeddingConfig
    wall_s: float


def default_start(d: int, k: int = 2) -> int:
    """n = d + 1 is always solvable (a simplex); the search gallops up from there."""
    return max(d + 1, k)


def find_critical_n(d: int, config: FreeEmbeddingConfig = FreeEmbeddingConfig(), *,
                    seeds: Sequence[int] = (0,), start_n: int | None = None,
                    store: ResultStore | str | Path | None = None, progress: bool = True) -> CriticalNResult:
    """Search the critical n of dimension d; finished runs are read from / written to ``store``."""
    if not isinstance(d, (int, np.integer)) or d < 1:
        raise ConfigError(f"dimension d must be an integer >= 1, got {d!r}")
    d = int(d)
    seeds = tuple(int(s) for s in seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ConfigError(f"seeds must be a non-empty list of distinct integers, got {seeds}")
    start = default_start(d, config.k) if start_n is None else int(start_n)
    own_store = isinstance(store, (str, Path))
    db = ResultStore(store) if own_store else store
    runs: dict[tuple[int, int], RunResult] = {}
    started = time.perf_counter()
    bar = _bar(progress, d)

    def train_points(ns: list[int]) -> None:
        todo = []
        for n in ns:
            for s in seeds:
                hit = db.get(n, d, s, config) if db is not None else None
                if hit is not None:
                    runs[n, s] = hit
                elif (n, s) not in runs:
                    todo.append((n, s))

        def save(r: RunResult) -> None:  # as soon as each run ends
            r = r.without_vectors()
            runs[r.n, r.seed] = r
            if db is not None:
                db.put(r)

        if todo:
            train_many(todo, d, config, progress=progress, on_result=save)
        if bar is not None:
            for n in ns:
                bar.update(1)
                bar.set_postfix_str(f"n={n} solved={sum(runs[n, s].success for s in seeds)}/{len(seeds)}")

    def oracle(n: int) -> bool:
        if any((n, s) not in runs for s in seeds):
            train_points([n])
        return any(runs[n, s].success for s in seeds)

    try:
        critical, points = search_critical_n(oracle, start, min_n=config.k, prefetch=train_points)
    finally:
        if bar is not None:
            bar.close()
        if own_store:
            db.close()
    per_seed = {}
    for s in seeds:
        solved = [n for n in points if runs[n, s].success]
        per_seed[s] = max(solved) if solved else None
    values = [v for v in per_seed.values() if v is not None]
    rate = {n: sum(runs[n, s].success for s in seeds) / len(seeds) for n in sorted(points)}
    return CriticalNResult(
        d=d, critical_n=critical, median_critical_n=float(statistics.median(values)) if values else None,
        per_seed=per_seed, success_rate=rate, points=dict(points),
        runs=tuple(runs[n, s] for n in points for s in seeds), seeds=seeds, start_n=start, config=config,
        wall_s=round(time.perf_counter() - started, 4))


def _bar(enabled: bool, d: int):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(desc=f"critical-n d={d}", unit="n", leave=False)
