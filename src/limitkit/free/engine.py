"""NumPy engine: Adam on free query/document vectors, several independent runs stepped together.

One step of one run, for logits L = U (V / T)^T computed block by block over queries:
evaluate L when due (accuracy, gaps), turn L into the loss gradient in place (``loss.KERNELS``),
dU = coef/(N T) * (E' V), dV = E'^T (coef/(N T) * U); then Adam and renormalisation of every row.
All runs of a batch share one parameter array, so Adam and renormalisation are a handful of
NumPy calls per step whatever the number of runs; only the three matrix products (and the loss
kernel) are per run. Every operation on a run's rows is the same call a lone run would make, so a
run's result does not depend on what it was batched with (tested bit for bit).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ._relevance import blocks
from .accuracy import BlockEval, evaluate_block
from .config import FreeEmbeddingConfig
from .loss import KERNELS, normalizer

_ADAM_ENTRIES = 1 << 16  # rows x d entries per Adam slice


@dataclass
class Problem:
    """One run's data: n documents, queries as CSR, initial vectors (already unit rows) and chunk.
    The engine takes the initial vectors over (and drops them once copied into its own arrays)."""

    n: int
    indptr: np.ndarray
    indices: np.ndarray
    U0: np.ndarray
    V0: np.ndarray
    chunk: int


@dataclass(frozen=True)
class Outcome:
    success: bool
    steps: int
    final_loss: float
    best_accuracy: float
    final_accuracy: float
    min_margin: float
    stop_reason: str  # "solved" | "early_stop" | "max_steps"
    wall_s: float
    U: np.ndarray
    V: np.ndarray


class EarlyStopping:
    """The reference's rule: a loss counts as an improvement when it is below the best so far by
    more than ``min_delta``; stop once ``patience`` consecutive steps brought none."""

    def __init__(self, patience: int, min_delta: float):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.bad = math.inf, 0

    def update(self, loss: float) -> bool:
        """Record one step's loss; True when training should stop."""
        if loss < self.best - self.min_delta:
            self.best, self.bad = loss, 0
        else:
            self.bad += 1
        return self.bad >= self.patience


class _Run:
    def __init__(self, index: int, p: Problem, cfg: FreeEmbeddingConfig):
        self.index, self.n, self.m = index, p.n, len(p.indptr) - 1
        self.blocks = blocks(p.indptr, p.indices, p.n, p.chunk)
        self.norm = normalizer(cfg.loss, np.diff(p.indptr), p.n)
        self.U0, self.V0 = p.U0, p.V0
        p.U0 = p.V0 = None
        self.rows = self.m + self.n
        self.early = EarlyStopping(cfg.patience, cfg.min_delta)
        self.stopping, self.loss, self.best_acc = False, math.nan, 0.0
        d, dtype = self.U0.shape[1], self.U0.dtype
        self.VT = np.empty((d, p.n), dtype)  # V^T / T, contiguous: a much faster product than V.T
        self.tmpV = np.empty((p.n, d), dtype) if len(self.blocks) > 1 else None
        self.inv_tau = dtype.type(1 / cfg.temperature)
        self.s_grad = dtype.type(1 / (self.norm * cfg.temperature))

    def bind(self, W, G, off, scratch):
        m, n = self.m, self.n
        self.off = off
        self.U, self.V = W[off:off + m], W[off + m:off + m + n]
        self.gU, self.gV = G[off:off + m], G[off + m:off + m + n]
        # per block: score buffer, query rows, their gradient rows, relevance
        self.views = [(scratch[:(b - a) * n].reshape(b - a, n), self.U[a:b], self.gU[a:b], blk)
                      for a, b, blk in self.blocks]


class _Batch:
    """The shared state of the runs still active: parameters, gradients, Adam moments."""

    def __init__(self, runs: list[_Run], d: int, dtype, scratch, W=None, mu=None, nu=None, G=None):
        R = sum(r.rows for r in runs)
        self.runs = runs
        if W is None:
            W = np.empty((R, d), dtype)
            off = 0
            for r in runs:
                W[off:off + r.m], W[off + r.m:off + r.rows] = r.U0, r.V0
                r.U0 = r.V0 = None
                off += r.rows
            mu, nu = np.zeros_like(W), np.zeros_like(W)
        self.W, self.mu, self.nu = W, mu, nu  # allocated after the initial vectors were let go
        self.G = np.zeros_like(W) if G is None else G
        # Adam runs over slices of rows so its temporaries stay small (and in cache)
        self.slice = max(1, _ADAM_ENTRIES // max(d, 1))
        rows = min(R, self.slice)
        self.tmp, self.den = np.empty((rows, d), dtype), np.empty((rows, d), dtype)
        self.scratch = scratch
        off = 0
        for r in runs:
            r.bind(self.W, self.G, off, scratch)
            off += r.rows

    def without(self, gone: set[int]) -> "_Batch":
        keep = [r for r in self.runs if r.index not in gone]
        d, dtype = self.W.shape[1], self.W.dtype
        if not keep:
            return _Batch([], d, dtype, self.scratch, self.W[:0], self.mu[:0], self.nu[:0], self.G[:0])
        # the gradients of this step are already in G: carry them over with the parameters
        idx = np.concatenate([np.arange(r.off, r.off + r.rows) for r in keep])
        return _Batch(keep, d, dtype, self.scratch, self.W[idx], self.mu[idx], self.nu[idx], self.G[idx])

    def adam(self, t: int, cfg: FreeEmbeddingConfig) -> None:
        """optax.adam: mu <- b1 mu + (1-b1) g; nu <- b2 nu + (1-b2) g^2;
        W <- W - lr (mu / (1-b1^t)) / (sqrt(nu / (1-b2^t)) + eps); then every row scaled to unit length."""
        b1, b2 = cfg.beta1, cfg.beta2
        c1, c2 = cfg.lr / (1 - b1 ** t), 1 / math.sqrt(1 - b2 ** t)
        R = self.W.shape[0]
        for a in range(0, R, self.slice):
            b = min(a + self.slice, R)
            W, g, mu, nu = self.W[a:b], self.G[a:b], self.mu[a:b], self.nu[a:b]
            tmp, den = self.tmp[:b - a], self.den[:b - a]
            mu *= b1
            np.multiply(g, 1 - b1, out=tmp)
            mu += tmp
            nu *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            nu += tmp
            np.sqrt(nu, out=den)
            den *= c2
            den += cfg.adam_eps
            np.multiply(mu, c1, out=tmp)
            tmp /= den
            W -= tmp
            W /= np.sqrt(np.einsum("ij,ij->i", W, W))[:, None]


def _step(r: _Run, do_eval: bool, need_grad: bool, cfg: FreeEmbeddingConfig) -> BlockEval | None:
    """One run's step: scores L = U (V/T)^T block by block, evaluation when asked, gradient into G."""
    tau, kernel = cfg.temperature, KERNELS[cfg.loss]
    ev, value = None, 0.0
    np.multiply(r.V.T, r.inv_tau, out=r.VT)
    for bi, (L, U, gU, blk) in enumerate(r.views):
        np.matmul(U, r.VT, out=L)
        if do_eval:
            e = evaluate_block(L, blk)
            ev = e if ev is None else ev + e
        if not need_grad:
            continue
        v, coef = kernel(L, blk, tau, cfg.sigmoid_bias)
        value += v
        np.matmul(L, r.V, out=gU)
        target = r.gV if bi == 0 else r.tmpV
        if coef is None:
            gU *= r.s_grad
            np.matmul(L.T, U, out=target)
            target *= r.s_grad
        else:
            coef *= r.s_grad
            gU *= coef[:, None]
            np.matmul(L.T, U * coef[:, None], out=target)
        if bi:
            r.gV += target
    if need_grad:
        r.loss = value / r.norm
    return ev


def value_and_grad(U: np.ndarray, V: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
                   cfg: FreeEmbeddingConfig, chunk: int | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """The loss at (U, V) and its gradients dU, dV exactly as a training step computes them."""
    r = _Run(0, Problem(V.shape[0], indptr, indices, U.copy(), V.copy(), chunk or max(1, U.shape[0])), cfg)
    scratch = np.empty(max(b - a for a, b, _ in r.blocks) * r.n, U.dtype)
    batch = _Batch([r], U.shape[1], U.dtype, scratch)
    _step(r, False, True, cfg)
    return r.loss, batch.G[:r.m].copy(), batch.G[r.m:].copy()


def run_many(problems: Sequence[Problem], cfg: FreeEmbeddingConfig, *, progress: bool = False,
             desc: str = "free-embedding", on_finish: Callable[[int, Outcome], None] | None = None) -> list[Outcome]:
    """Train every problem to its stopping point, stepping all of them together;
    ``on_finish(index, outcome)`` is called as soon as each run ends."""
    if not problems:
        return []
    d = problems[0].U0.shape[1]
    dtype = problems[0].U0.dtype
    tau = cfg.temperature
    runs = [_Run(i, p, cfg) for i, p in enumerate(problems)]  # the runs now own the initial vectors
    scratch = np.empty(max(max(b - a for a, b, _ in r.blocks) * r.n for r in runs), dtype)
    batch = _Batch(runs, d, dtype, scratch)
    out: list[Outcome | None] = [None] * len(problems)
    started = time.perf_counter()
    bar = _progress(progress, desc, cfg.max_steps)

    t = 0
    while batch.runs:
        due = (t >= 1 and (t - 1) % cfg.eval_every == 0) or t == cfg.max_steps
        gone: set[int] = set()
        for r in batch.runs:
            do_eval = due or r.stopping
            ev = _step(r, do_eval, not r.stopping and t < cfg.max_steps, cfg)
            if ev is None:
                continue
            acc = ev.hits / ev.rows if ev.rows else 1.0
            r.best_acc = max(r.best_acc, acc)
            margin = ev.min_gap * tau
            solved = margin > 0 if cfg.margin == 0 else margin >= cfg.margin
            if solved or r.stopping or t == cfg.max_steps:
                reason = "solved" if solved else ("early_stop" if r.stopping else "max_steps")
                # U, V are views of this batch's arrays, which the batch stops touching now
                out[r.index] = Outcome(bool(solved), t, float(r.loss), r.best_acc, acc, float(margin), reason,
                                       time.perf_counter() - started, r.U, r.V)
                gone.add(r.index)
                if on_finish is not None:
                    on_finish(r.index, out[r.index])
            if bar is not None and r is batch.runs[0]:
                bar.set_postfix_str(f"runs={len(batch.runs)} n={r.n} loss={r.loss:.4f} acc={acc:.4f}", refresh=False)
        if gone:
            batch = batch.without(gone)
        if not batch.runs:
            break
        t += 1
        batch.adam(t, cfg)
        for r in batch.runs:
            r.stopping = r.early.update(r.loss)
        if bar is not None and t % cfg.eval_every == 0:
            bar.update(cfg.eval_every)
    if bar is not None:
        bar.close()
    return out  # type: ignore[return-value]


def _progress(enabled: bool, desc: str, total: int):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", leave=False, mininterval=0.5)
