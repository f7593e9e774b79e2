"""Margin refinement of a construction, exact overfitting of qrels, and why free optimisation loses it.

Margin of unit vectors: gap_i = min_{j in S_i} <u_i, v_j> - max_{l not in S_i} <u_i, v_l>; the
construction's margin is min_i gap_i. :func:`refine_margin` raises it in three stages:

1. Max-margin queries for fixed documents (convex, solved exactly): the best unit query for S
   has gap = dist(conv{v_j: j in S}, conv{v_l: l not in S}) = the norm of the min-norm point p
   of conv{v_j - v_l}. With D the difference vectors, NNLS min_{mu >= 0} ||[D^T; 1^T] mu - e||
   gives x = D^T mu, s = 1 - sum(mu) and p = x / (1 - s) (KKT: d . p >= |p|^2 for every d).
   On the equally spaced trigonometric curve the rotation by one step maps document j to j+1,
   so only the queries containing document 0 are solved and the rest are rotated copies.
2. (trig curves) the harmonic weights of the documents, (w_1 cos t, w_1 sin t, ..., w_k sin kt)
   with sum w^2 = 1, chosen by Nelder-Mead on the stage-1 margin.
3. ``steps`` L-BFGS iterations on a soft-min of all pair gaps (temperature ``tau_scale`` x the
   current margin) over free unit vectors; a result is kept only if its hard margin is larger.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from .._errors import ConfigError
from .._lazy import require
from ..qrels import QrelMatrix
from .constructions import Construction, construct, default_t, row_mask, spread_t
from .precision import PrecisionReport, realised

__all__ = ["RefineResult", "KeepResult", "refine_margin", "max_margin_queries", "unit_margins",
           "refined_scan", "overfit_qrels", "keeps_construction"]


@dataclass(frozen=True, eq=False)
class RefineResult:
    """Refined unit-vector construction (``construction``; its ``relevant_score`` is each query's
    smallest relevant score) with margins before/after each stage and the dtype check."""

    construction: Construction
    margin_initial: float
    margin_queries: float
    margin_weights: float
    margin_final: float
    weights: tuple[float, ...] | None
    realised_before: PrecisionReport | None
    realised_after: PrecisionReport
    wall_s: float


@dataclass(frozen=True)
class KeepResult:
    """Free-embedding optimisation started from an exact construction (reference settings).

    ``accuracy[s]`` / ``margin[s]`` after s Adam steps (s = 0: the start; accuracy = share of
    relevant documents inside the top k, ties counted as misses). ``full_run``: outcome of a
    complete run with the reference stopping rules (free engine only).
    """

    n: int
    k: int
    d: int
    lr: float
    temperature: float
    accuracy: tuple[float, ...]
    margin: tuple[float, ...]
    first_broken_step: int | None
    engine: str
    full_run: dict | None = None


# ---- margins -------------------------------------------------------------------------------
def unit_margins(U: np.ndarray, V: np.ndarray, qrels: QrelMatrix) -> np.ndarray:
    """Per-query gap (min relevant - max irrelevant) of the row-normalised U and V, float64."""
    lo, hi = _lo_hi(U / np.linalg.norm(U, axis=1, keepdims=True), V / np.linalg.norm(V, axis=1, keepdims=True),
                    qrels)
    return lo - hi


def _lo_hi(U: np.ndarray, V: np.ndarray, qrels: QrelMatrix) -> tuple[np.ndarray, np.ndarray]:
    """Per query: smallest relevant and largest irrelevant score of U V^T (chunked)."""
    m, n = qrels.shape
    lo, hi = np.full(m, np.inf), np.full(m, -np.inf)
    step = max(1, (1 << 21) // max(n, 1))
    for a in range(0, m, step):
        b = min(m, a + step)
        s = U[a:b] @ V.T
        mask = row_mask(qrels, a, b)
        lo[a:b] = np.where(mask, s, np.inf).min(axis=1)
        hi[a:b] = np.where(mask, -np.inf, s).max(axis=1)
    return lo, hi


def _min_norm_query(V: np.ndarray, rel: np.ndarray) -> np.ndarray:
    """Unit query maximising min_{j in rel} <u, v_j> - max_{l not in rel} <u, v_l> (see module doc)."""
    mask = np.zeros(len(V), dtype=bool)
    mask[rel] = True
    if mask.all() or not mask.any():
        raise ConfigError("a query with no relevant or no irrelevant documents has no margin to maximise")
    D = (V[mask][:, None, :] - V[~mask][None, :, :]).reshape(-1, V.shape[1])
    p = _min_norm_point(D)
    scale = np.linalg.norm(p)
    if scale > 0:  # second pass on D / |p|: the hull's min-norm point at unit scale, well conditioned
        p = _min_norm_point(D / scale) * scale
    norm = np.linalg.norm(p)
    u = p / norm if norm > 0 else p
    if not norm > 0 or (D @ u).min() <= 0:
        raise ConfigError("the relevant documents of a query cannot be separated from the rest "
                          "(their convex hulls meet); no positive margin exists for these documents")
    return u


def _min_norm_point(D: np.ndarray) -> np.ndarray:
    """Min-norm point of conv(rows of D) by NNLS: x = D^T mu, p = x / sum(mu)."""
    from scipy.optimize import nnls

    A = np.vstack([D.T, np.ones(len(D))])
    e = np.zeros(D.shape[1] + 1)
    e[-1] = 1.0
    mu, _ = nnls(A, e, maxiter=50 * A.shape[1])
    total = mu.sum()
    return (D.T @ mu) / total if total > 0 else np.zeros(D.shape[1])


def _is_cyclic(c: Construction) -> bool:
    """Equally spaced trig curve with all r-subsets (some r <= k) as queries: rotation symmetric."""
    r = c.qrels.uniform_k()
    return (c.curve in ("trig", "trig-unit") and np.array_equal(c.t, default_t(c.n, "trig"))
            and r is not None and 1 <= r < c.n and c.qrels == QrelMatrix.all_k_subsets(c.n, r))


def max_margin_queries(V: np.ndarray, qrels: QrelMatrix, *, cyclic_k: int | None = None,
                       progress: bool = False) -> np.ndarray:
    """Max-margin unit queries (m, d) for fixed documents V (one NNLS per query).

    ``cyclic_k``: V is the equally spaced trigonometric curve with harmonics 1..cyclic_k (any
    weights; an optional constant last coordinate) and ``qrels`` holds all k-subsets; then only
    the queries containing document 0 are solved and the others rotated.
    """
    tqdm = require("tqdm").tqdm
    m, n = qrels.shape
    if cyclic_k is None:
        return np.array([_min_norm_query(V, qrels.row(i))
                         for i in tqdm(range(m), disable=not progress, desc="max-margin queries")])
    S = qrels.relevant_index_array()
    shift = S[:, 0]
    canon, inverse = np.unique((S - shift[:, None]) % n, axis=0, return_inverse=True)
    base = np.array([_min_norm_query(V, row) for row in tqdm(canon, disable=not progress,
                                                             desc="max-margin queries (rotations)")])
    U = base[inverse.ravel()].copy()
    ang = 2.0 * np.pi * shift / n
    for h in range(1, cyclic_k + 1):  # rotate harmonic h by h * shift steps
        cs, sn = np.cos(h * ang), np.sin(h * ang)
        x, y = U[:, 2 * h - 2].copy(), U[:, 2 * h - 1].copy()
        U[:, 2 * h - 2] = cs * x - sn * y
        U[:, 2 * h - 1] = sn * x + cs * y
    return U


def _weighted_docs(c: Construction, w: np.ndarray) -> np.ndarray:
    w = np.abs(w) / np.linalg.norm(w)
    V = np.empty((c.n, 2 * c.k))
    for h in range(c.k):
        V[:, 2 * h] = w[h] * np.cos((h + 1) * c.t)
        V[:, 2 * h + 1] = w[h] * np.sin((h + 1) * c.t)
    return V


# ---- refinement ------------------------------------------------------------------------------
def refine_margin(construction: Construction, steps: int = 0, dtype: str = "float32", *,
                  reweight: bool = True, weights: tuple[float, ...] | None = None,
                  tau_scale: float = 0.003, accumulate: str = "sequential", check_before: bool = True,
                  progress: bool = False) -> RefineResult:
    """Maximise the minimum unit-vector margin starting from ``construction`` (see module doc).

    ``weights`` fixes the harmonic weights instead of searching them (trig curve only);
    ``dtype``/``accumulate``: how exactness is checked (:func:`~limitkit.theory.precision.realised`)
    after, and before unless ``check_before=False`` (then ``realised_before`` is None).
    """
    start = time.perf_counter()
    c = construction
    if c.qrels.shape[1] < 2:
        raise ConfigError("refinement needs at least two documents")
    m0 = float(unit_margins(c.U, c.V, c.qrels).min())
    before = realised(c, dtype, accumulate=accumulate) if check_before else None
    cyclic = _is_cyclic(c) and c.curve == "trig"
    V = c.V / np.linalg.norm(c.V, axis=1, keepdims=True)
    U = max_margin_queries(V, c.qrels, cyclic_k=c.k if cyclic else None, progress=progress)
    m1 = float(unit_margins(U, V, c.qrels).min())
    m2, w_best = m1, None
    if c.curve == "trig" and (reweight or weights is not None):
        def margin_of(w):
            Vw = _weighted_docs(c, np.asarray(w))
            try:
                Uw = max_margin_queries(Vw, c.qrels, cyclic_k=c.k if cyclic else None)
            except ConfigError:  # these weights make some query inseparable
                return -np.inf, None, None
            return float(unit_margins(Uw, Vw, c.qrels).min()), Uw, Vw

        if weights is None:
            from scipy.optimize import minimize

            res = minimize(lambda w: -margin_of(w)[0], np.ones(c.k), method="Nelder-Mead",
                           options={"xatol": 1e-4, "fatol": 1e-3 * m1, "maxfev": 60})
            cand = res.x
        else:
            if len(weights) != c.k:
                raise ConfigError(f"weights must have k={c.k} entries, got {len(weights)}")
            cand = np.asarray(weights, dtype=np.float64)
        mw, Uw, Vw = margin_of(cand)
        if weights is not None and Uw is None:
            raise ConfigError(f"with harmonic weights {weights} some query has no positive margin")
        if mw > m1 or weights is not None:
            m2, U, V = mw, Uw, Vw
            w_best = tuple(float(x) for x in np.abs(cand) / np.linalg.norm(cand))
    m3 = m2
    if steps > 0:
        U3, V3, m3 = _polish(U, V, c.qrels, steps, tau_scale, m2)
        if m3 > m2:
            U, V = U3, V3
        m3 = max(m3, m2)
    out = replace(c, U=U, V=V, curve=f"{c.curve}-refined", relevant_score=_lo_hi(U, V, c.qrels)[0])
    return RefineResult(out, m0, m1, m2, m3, w_best, before, realised(out, dtype, accumulate=accumulate),
                        round(time.perf_counter() - start, 3))


def refined_scan(ns, k: int = 2, d: int | None = None, dtype: str = "float32", *,
                 weights: tuple[float, ...] | None = None, accumulate: str = "sequential",
                 progress: bool = False) -> dict:
    """Exactness in ``dtype`` of the refined construction for k-subsets at each n of ``ns``.

    Documents on the equally spaced trig curve with d/2 harmonics (default d = 2k) weighted by
    ``weights`` (default: searched once at the smallest n and reused), max-margin queries.
    Returns {"weights", "rows": [{n, margin_initial, margin, exact, n_failed}], "limit"} where
    ``limit`` is the largest tested n with every tested n' <= n exact (not every integer is tested).
    """
    tqdm = require("tqdm").tqdm
    ns = sorted(int(x) for x in ns)
    d = 2 * k if d is None else int(d)
    if d % 2 or d < 2 * k:
        raise ConfigError(f"d must be even and >= 2k = {2 * k}, got {d}")
    h = d // 2
    rows, limit, failed = [], None, False
    for n in tqdm(ns, disable=not progress, desc=f"refined k={k} d={d} {dtype}"):
        c = construct(n, h, curve="trig", qrels=QrelMatrix.all_k_subsets(n, k))
        r = refine_margin(c, dtype=dtype, weights=weights, reweight=weights is None, accumulate=accumulate,
                          check_before=False)
        if weights is None:
            weights = r.weights
        rep = r.realised_after
        rows.append({"n": n, "margin_initial": r.margin_initial, "margin": r.margin_final,
                     "exact": rep.exact, "n_failed": rep.n_failed})
        if rep.exact and not failed:
            limit = n
        failed |= not rep.exact
    return {"k": k, "d": d, "dtype": dtype, "accumulate": accumulate, "weights": weights, "rows": rows,
            "limit": limit}


def _polish(U, V, qrels: QrelMatrix, steps: int, tau_scale: float, margin: float):
    """L-BFGS on tau * logsumexp over all (query, relevant, irrelevant) of -(gap)/tau, unit vectors."""
    torch = require("torch")
    mask = torch.from_numpy(qrels.to_dense())
    Ut = torch.tensor(U, requires_grad=True)
    Vt = torch.tensor(V, requires_grad=True)
    tau = tau_scale * max(margin, 1e-12)

    def unit(x):
        return x / x.norm(dim=1, keepdim=True)

    opt = torch.optim.LBFGS([Ut, Vt], lr=1, max_iter=steps, line_search_fn="strong_wolfe", history_size=20)

    def closure():
        opt.zero_grad()
        S = unit(Ut) @ unit(Vt).T
        rel = torch.where(mask, -S / tau, -torch.inf).logsumexp(1)
        irr = torch.where(mask, -torch.inf, S / tau).logsumexp(1)
        loss = tau * torch.logsumexp(rel + irr, 0)
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        U2, V2 = unit(Ut).numpy(), unit(Vt).numpy()
    return U2, V2, float(unit_margins(U2, V2, qrels).min())


# ---- overfitting a qrel matrix ------------------------------------------------------------------
def overfit_qrels(qrels: QrelMatrix, d: int = 4) -> Construction:
    """Embed ``qrels`` exactly in dimension d >= 2k (k = most relevant documents of a query).

    Trigonometric construction with :func:`~limitkit.theory.constructions.spread_t`: documents
    relevant to some query equally spaced on the circle, never-relevant ones parked together in
    one free slot (when there are any). Extra dimensions beyond 2k are zero.
    """
    m, n = qrels.shape
    if m == 0 or n == 0:
        raise ConfigError("qrels are empty: nothing to embed")
    k = int(qrels.row_counts().max())
    if k == 0:
        raise ConfigError("no query has a relevant document: nothing to embed")
    if d < 2 * k:
        raise ConfigError(f"a query has {k} relevant documents; the exact construction needs d >= 2k = {2 * k}, "
                          f"got d={d}")
    c = construct(k=k, curve="trig", qrels=qrels, t=spread_t(qrels))
    if d > 2 * k:
        pad = d - 2 * k
        c = replace(c, U=np.hstack([c.U, np.zeros((m, pad))]), V=np.hstack([c.V, np.zeros((n, pad))]), d=d)
    return c


def _strict_topk(S: np.ndarray, k: int) -> np.ndarray:
    """Entries inside the top k under every tie-break: score > the (k+1)-th largest of the row."""
    n = S.shape[1]
    if k >= n:
        return np.ones(S.shape, dtype=bool)
    kth1 = -np.partition(-S, k, axis=1)[:, k:k + 1]  # (k+1)-th largest
    return S > kth1


# ---- free optimisation from the construction -------------------------------------------------
def keeps_construction(n: int = 20, k: int = 2, *, steps: int = 10, engine: str = "auto",
                       full_run: bool = True) -> KeepResult:
    """Start the reference free-embedding optimiser (full-batch InfoNCE averaged over positives,
    Adam lr 0.01, temperature 0.1, float32, rows renormalised after each step) from the exact
    trig construction (queries scaled to unit length) and record top-k accuracy and margin after
    each of the first ``steps`` steps; with ``full_run`` also the outcome of a complete run.

    ``engine``: "free" = ``limitkit.free.optimize.train`` (run s stops after s steps, all from the
    same start), "local" = a minimal torch loop of the same protocol, "auto" = free when importable.
    """
    if engine not in ("auto", "free", "local"):
        raise ConfigError(f"engine must be 'auto', 'free' or 'local', got {engine!r}")
    c = construct(n, k, curve="trig")
    U0 = c.U / np.linalg.norm(c.U, axis=1, keepdims=True)
    mask = c.qrels.to_dense()
    acc0 = _topk_accuracy(U0.astype(np.float32) @ c.V.astype(np.float32).T, mask, k)
    marg0 = float(unit_margins(U0, c.V, c.qrels).min())
    if engine == "auto":
        try:
            import limitkit.free.optimize  # noqa: F401
            engine = "free"
        except ImportError:
            engine = "local"
    full = None
    if engine == "free":
        from ..free.config import FreeEmbeddingConfig
        from ..free.optimize import train

        accs, margins = [acc0], [marg0]
        for s in range(1, steps + 1):
            r = train(n, c.d, FreeEmbeddingConfig(k=k, max_steps=s, eval_every=1), init=(U0, c.V), qrels=c.qrels)
            accs.append(float(r.final_accuracy))
            margins.append(float(r.min_margin))
        if full_run:
            r = train(n, c.d, FreeEmbeddingConfig(k=k), init=(U0, c.V), qrels=c.qrels)
            full = {"success": bool(r.success), "steps": int(r.steps), "final_accuracy": float(r.final_accuracy),
                    "best_accuracy": float(r.best_accuracy), "min_margin": float(r.min_margin),
                    "stop_reason": r.stop_reason}
        name = "limitkit.free.optimize.train"
    else:
        accs, margins = _local_infonce(U0, c.V, mask, k, steps, lr=0.01, temperature=0.1)
        name = "local-torch"
    broken = next((s for s, a in enumerate(accs) if a < 1.0), None)
    return KeepResult(n, k, c.d, 0.01, 0.1, tuple(accs), tuple(margins), broken, name, full)


def _local_infonce(U0, V0, mask, k, steps, lr, temperature):
    """Minimal reference protocol in torch float32; returns per-step accuracy and margin."""
    torch = require("torch")
    q = torch.tensor(U0, dtype=torch.float32, requires_grad=True)
    dv = torch.tensor(V0, dtype=torch.float32, requires_grad=True)
    tm = torch.from_numpy(mask)
    opt = torch.optim.Adam([q, dv], lr=lr)
    accs, margins = [], []
    for s in range(steps + 1):
        if s:
            logp = torch.log_softmax((q @ dv.T) / temperature, dim=1)
            loss = -(logp * tm).sum() / tm.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                q /= q.norm(dim=1, keepdim=True)
                dv /= dv.norm(dim=1, keepdim=True)
        with torch.no_grad():
            S = (q @ dv.T).numpy().astype(np.float64)
        accs.append(_topk_accuracy(S, mask, k))
        lo = np.where(mask, S, np.inf).min(axis=1)
        hi = np.where(mask, -np.inf, S).max(axis=1)
        margins.append(float((lo - hi).min()))
    return accs, margins


def _topk_accuracy(S: np.ndarray, mask: np.ndarray, k: int) -> float:
    """Share of relevant documents strictly inside the top k (ties at the cut count as misses)."""
    return float((_strict_topk(S, k) & mask).sum() / mask.sum())
