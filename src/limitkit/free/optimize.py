"""Train free query/document vectors on a qrel matrix: the public entry points ``train`` and ``train_many``.

Protocol (defaults = google-deepmind/limit ``code/free_embedding_experiment.py``): queries are
the k-subsets of n documents; U (m, d) and V (n, d) start standard normal, L2-normalised (V from
the first, U from the second stream spawned from ``seed``); full-batch Adam on the loss, rows
renormalised after every step; early stop, step limit and success exactly as described in
``FreeEmbeddingConfig``. Step t's evaluation uses the scores that step computes anyway (those of
the parameters after t updates), so evaluation costs no extra matrix product.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass, field
from math import comb
from typing import Callable, Sequence

import numpy as np

from .._errors import ConfigError
from ..qrels import QrelMatrix
from ._relevance import subset_queries
from .config import FreeEmbeddingConfig
from .memory import GB, estimate_bytes, plan_chunk


@dataclass(frozen=True)
class RunResult:
    """Outcome of one run. ``min_margin`` = min over queries of (min relevant score - max
    irrelevant score) at the end (> 0 iff every query is solved); ``best_accuracy`` = best top-k
    accuracy seen at any evaluation; ``wall_s`` = time from the start of its batch to its end.
    U, V (the final vectors) are not stored by ResultStore."""

    n: int
    d: int
    seed: int
    success: bool
    steps: int
    final_loss: float
    best_accuracy: float
    min_margin: float
    wall_s: float
    device: str
    config: FreeEmbeddingConfig
    m: int = 0
    final_accuracy: float = 0.0
    stop_reason: str = ""
    U: np.ndarray | None = field(default=None, repr=False, compare=False)
    V: np.ndarray | None = field(default=None, repr=False, compare=False)

    def without_vectors(self) -> "RunResult":
        return dataclasses.replace(self, U=None, V=None)


def resolve_device(device: str) -> str:
    """'auto' -> 'cuda:0' when torch sees a GPU, else 'cpu'; 'cuda' -> 'cuda:0'."""
    if device == "cpu":
        return "cpu"
    if device == "auto":
        try:
            import torch
        except ImportError:
            return "cpu"
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    from .._lazy import require

    torch = require("torch")
    if not torch.cuda.is_available():
        raise ConfigError(f"device={device!r} but torch sees no CUDA device; use device='cpu' or 'auto'")
    return "cuda:0" if device == "cuda" else device


def _backend(config: FreeEmbeddingConfig, device: str) -> str:
    if config.backend != "auto":
        return config.backend
    return "torch" if device.startswith("cuda") else "numpy"


def _query_count(n: int, config: FreeEmbeddingConfig, qrels: QrelMatrix | None) -> tuple[int, int]:
    if qrels is not None:
        return qrels.shape[0], qrels.nnz
    if not 1 <= config.k <= n:
        raise ConfigError(f"k={config.k} relevant documents per query need n >= {config.k}, got n={n}")
    m = comb(n, config.k)
    if config.num_queries is not None:
        m = min(m, config.num_queries)
    return m, m * config.k


def _queries(n: int, seed: int, config: FreeEmbeddingConfig, qrels: QrelMatrix | None):
    if qrels is not None:
        if qrels.shape[1] != n:
            raise ConfigError(f"qrels has {qrels.shape[1]} documents but n={n}; pass n=qrels.shape[1]")
        return qrels.indptr.astype(np.int64), qrels.indices.astype(np.int64)
    if config.k > n:
        raise ConfigError(f"k={config.k} relevant documents per query need n >= {config.k}, got n={n}")
    qseed = seed + 1 if config.query_seed is None else config.query_seed
    return subset_queries(n, config.k, config.num_queries, qseed)


_ROWS = 1 << 16


def _unit_rows(chunks, shape: tuple[int, int], dtype) -> np.ndarray:
    """L2-normalised rows in ``dtype`` from float64 chunks of ``_ROWS`` rows (so no float64 copy
    of the whole matrix ever exists)."""
    out = np.empty(shape, dtype)
    a = 0
    for X in chunks:
        X = np.asarray(X, dtype=np.float64)
        nrm = np.linalg.norm(X, axis=1, keepdims=True)
        if (nrm == 0).any() or not np.isfinite(nrm).all():
            raise ConfigError("init vectors must be finite and non-zero (every row is L2-normalised)")
        out[a:a + len(X)] = X / nrm
        a += len(X)
    return out


def _normal_chunks(rng: np.random.Generator, rows: int, d: int):
    for a in range(0, rows, _ROWS):
        yield rng.standard_normal((min(_ROWS, rows - a), d))


def _row_chunks(X: np.ndarray):
    for a in range(0, len(X), _ROWS):
        yield X[a:a + _ROWS]


def _init(n: int, m: int, d: int, seed: int, dtype, init) -> tuple[np.ndarray, np.ndarray]:
    if init is None:
        docs, queries = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        draws = [_normal_chunks(queries, m, d), _normal_chunks(docs, n, d)]
    else:
        U, V = (np.asarray(a) for a in init)
        if U.shape != (m, d) or V.shape != (n, d):
            raise ConfigError(f"init must be (U ({m}, {d}), V ({n}, {d})), got U {U.shape}, V {V.shape}")
        draws = [_row_chunks(U), _row_chunks(V)]
    V = _unit_rows(draws[1], (n, d), dtype)  # documents first: their draw does not depend on m
    return _unit_rows(draws[0], (m, d), dtype), V


@contextlib.contextmanager
def _blas_threads(threads: int | None):
    """Limit BLAS threads while training (threadpoolctl; without it the library default stays)."""
    if threads is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield


def train_many(specs: Sequence[tuple[int, int]], d: int, config: FreeEmbeddingConfig = FreeEmbeddingConfig(),
               *, inits: Sequence[tuple[np.ndarray, np.ndarray] | None] | None = None,
               qrels: QrelMatrix | None = None, progress: bool = False,
               on_result: Callable[[RunResult], None] | None = None) -> list[RunResult]:
    """Train one run per (n, seed) in ``specs``; on the NumPy backend they step together (same
    results as one at a time, less interpreter overhead per run). ``on_result`` is called with each
    run as soon as it finishes (e.g. to save it)."""
    if not isinstance(d, (int, np.integer)) or d < 1:
        raise ConfigError(f"dimension d must be an integer >= 1, got {d!r}")
    inits = list(inits) if inits is not None else [None] * len(specs)
    if len(inits) != len(specs):
        raise ConfigError(f"got {len(inits)} inits for {len(specs)} runs")
    device = resolve_device(config.device)
    backend = _backend(config, device)
    dtype = np.dtype(config.dtype)
    problems, groups, used = [], [[]], 0.0
    limit = config.memory_limit_gb * GB
    for (n, seed), init in zip(specs, inits):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"number of documents n must be an integer >= 1, got {n!r}")
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
        n = int(n)
        m, nnz = _query_count(n, config, qrels)
        chunk = plan_chunk(n, m, nnz, int(d), config, backend)  # refuses before allocating anything
        # runs stepped together must fit together, including the copy made when one of them ends
        need = estimate_bytes(n, m, nnz, int(d), config, chunk, backend) + (m + n) * int(d) * dtype.itemsize * 4
        if groups[-1] and used + need > limit:
            groups.append([])
            used = 0.0
        groups[-1].append(len(problems))
        used += need
        indptr, indices = _queries(n, int(seed), config, qrels)
        problems.append((n, int(seed), indptr, indices, init, chunk, m))
    # initial vectors are drawn group by group and handed to the engine, which drops them once copied
    results: list[RunResult | None] = [None] * len(problems)

    def finish(i: int, o) -> None:
        p = problems[i]
        results[i] = RunResult(
            n=p[0], d=int(d), seed=p[1], success=o.success, steps=o.steps, final_loss=o.final_loss,
            best_accuracy=o.best_accuracy, min_margin=o.min_margin, wall_s=round(o.wall_s, 6), device=device,
            config=config, m=p[6], final_accuracy=o.final_accuracy, stop_reason=o.stop_reason, U=o.U, V=o.V)
        if on_result is not None:
            on_result(results[i])

    if backend == "torch":
        from ._torch_engine import run_torch

        for i, (n, seed, indptr, indices, init, chunk, m) in enumerate(problems):
            U0, V0 = _init(n, m, int(d), seed, dtype, init)
            finish(i, run_torch(n, indptr, indices, U0, V0, chunk, config, device, progress))
    else:
        from .engine import Problem, run_many

        for group in groups:
            desc = f"d={d} n={','.join(str(problems[i][0]) for i in group)}"
            with _blas_threads(config.threads):
                run_many([Problem(n, indptr, indices, *_init(n, m, int(d), seed, dtype, init), chunk)
                          for n, seed, indptr, indices, init, chunk, m in (problems[i] for i in group)],
                         config, progress=progress, desc=desc, on_finish=lambda j, o, group=group: finish(group[j], o))
    return results  # type: ignore[return-value]


def train(n: int, d: int, config: FreeEmbeddingConfig = FreeEmbeddingConfig(), seed: int = 0, *,
          init: tuple[np.ndarray, np.ndarray] | None = None, qrels: QrelMatrix | None = None,
          progress: bool = False) -> RunResult:
    """One free-embedding run: n documents in dimension d (queries = all k-subsets, or ``qrels``),
    starting from ``init`` = (U (m, d), V (n, d)) when given instead of the seeded random draw."""
    started = time.perf_counter()
    result = train_many([(n, seed)], d, config, inits=[init], qrels=qrels, progress=progress)[0]
    return dataclasses.replace(result, wall_s=round(time.perf_counter() - started, 6))
