"""Exact constructions: every k-subset of n documents realised by inner products in R^{2k}.

Trigonometric moment curve (``curve="trig"``, d = 2k). Document j sits at
``x(t_j) = (cos t, sin t, ..., cos kt, sin kt) / sqrt(k)`` (unit norm). For a query with relevant
set S the trigonometric polynomial

    f_S(t) = prod_{s in S} (1 - cos(t - t_s)) = sum_{|m| <= k} f_m e^{imt}  >= 0

vanishes exactly on {t_s}. With z = e^{it}, w_s = e^{i t_s}:
``1 - cos(t - t_s) = -(z - w_s)^2 / (2 z w_s)``, so
``f_S = (-1/2)^|S| (prod w_s)^{-1} z^{-|S|} prod (z - w_s)^2`` and the Fourier coefficient
f_m is the coefficient of z^{m + |S|} of ``prod (z - w_s)^2`` times ``(-1/2)^|S| / prod w_s``.
The query is the coefficient vector of -f_S without its constant term f_0 (scaled by sqrt(k) to
undo the document scaling): score(q_S, x(t)) = f_0 - f_S(t), which equals f_0 on S and is
strictly smaller elsewhere.

Polynomial moment curve (``curve="poly"``, d = 2k): documents ``(t, t^2, ..., t^{2k})``,
t equally spaced in [-1, 1]; the query is the coefficient vector (constant dropped) of
``-prod_{s in S} (t - t_s)^2``, so score = c_0 - prod (t - t_s)^2.

Unit-vector variant (``curve="trig-unit"``, d = 2k + 1): documents ``(x(t) sqrt(k), 1)/sqrt(k+1)``
(unit norm); the appended coordinate realises the constant term, shifted by half the query's
exact margin, so scores are > 0 exactly on S and < 0 elsewhere; queries are normalised to unit
length. This is a sign-rank witness of 2A - 1 in dimension 2k + 1 with unit vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ConfigError
from ..qrels import QrelMatrix

__all__ = ["Construction", "construct", "CURVES", "default_t", "spread_t"]

CURVES = ("trig", "poly", "trig-unit")
_CHUNK_ELEMS = 1 << 22  # scores evaluated per chunk (memory bound)


@dataclass(frozen=True, eq=False)
class Construction:
    """Query vectors U (m, d) and document vectors V (n, d), float64, realising ``qrels``.

    ``relevant_score[i]`` is the exact-arithmetic score every relevant document of query i gets;
    every irrelevant document scores strictly less (``curve="trig-unit"``: exactly > 0 vs < 0).
    """

    U: np.ndarray
    V: np.ndarray
    t: np.ndarray
    curve: str
    k: int
    d: int
    qrels: QrelMatrix
    relevant_score: np.ndarray

    @property
    def n(self) -> int:
        return int(self.V.shape[0])

    @property
    def m(self) -> int:
        return int(self.U.shape[0])

    def scores(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Float64 scores U[start:stop] @ V.T."""
        return self.U[start:stop] @ self.V.T


def default_t(n: int, curve: str = "trig") -> np.ndarray:
    """Equally spaced parameters: 2 pi j / n on the circle, or n points spanning [-1, 1]."""
    _check_curve(curve)
    if curve == "poly":
        return np.linspace(-1.0, 1.0, n)
    return 2.0 * np.pi * np.arange(n) / n


def spread_t(qrels: QrelMatrix) -> np.ndarray:
    """Circle parameters for a qrel matrix: the a documents relevant to some query at
    2 pi r / (a + 1) (column order), every never-relevant document in the one free slot
    2 pi a / (a + 1) (they only need to score below the relevant ones). With a = n: 2 pi j / n."""
    n = qrels.shape[1]
    active = np.zeros(n, dtype=bool)
    active[qrels.indices] = True
    a = int(active.sum())
    if a == n:
        return default_t(n, "trig")
    t = np.full(n, 2.0 * np.pi * a / (a + 1))
    t[active] = 2.0 * np.pi * np.arange(a) / (a + 1)
    return t


def construct(n: int | None = None, k: int = 2, *, curve: str = "trig",
              qrels: QrelMatrix | None = None, t: np.ndarray | None = None) -> Construction:
    """Exact embedding of ``qrels`` (default: all k-subsets of n documents) on a moment curve.

    Every query may have at most k relevant documents (fewer is fine: a lower-degree form).
    ``t`` overrides the curve parameters; documents never relevant to any query may share a
    parameter (they are never separated from each other), all others must be distinct.
    """
    _check_curve(curve)
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"k must be a positive integer, got {k!r}")
    k = int(k)
    if qrels is not None:
        if n is not None and n != qrels.shape[1]:
            raise ConfigError(f"n={n} but the qrels have {qrels.shape[1]} documents; omit n")
        n = qrels.shape[1]
        most = int(qrels.row_counts().max()) if qrels.shape[0] else 0
        if most > k:
            raise ConfigError(f"a query has {most} relevant documents but k={k}; pass k={most} "
                              f"(the construction needs d = 2k = {2 * most})")
    elif t is not None and n is None:
        n = len(t)
    if n is None or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n must be a positive integer (or pass qrels), got {n!r}")
    n = int(n)
    if qrels is None:
        if k > n:
            raise ConfigError(f"k={k} exceeds n={n}: there are no k-subsets")
        qrels = QrelMatrix.all_k_subsets(n, k)
    t = default_t(n, curve) if t is None else np.asarray(t, dtype=np.float64)
    if t.shape != (n,) or not np.all(np.isfinite(t)):
        raise ConfigError(f"t must be {n} finite numbers, got shape {t.shape}")
    _check_distinct(t, qrels, curve)

    rel_t = [t[qrels.row(i)] for i in range(qrels.shape[0])] if qrels.uniform_k() is None else None
    if curve == "poly":
        U, c0 = _poly_queries(t, qrels, k, rel_t)
        V = t[:, None] ** np.arange(1, 2 * k + 1)
        return Construction(U, V, t, curve, k, 2 * k, qrels, c0)
    U, f0 = _trig_queries(t, qrels, k, rel_t)
    X = _trig_features(t, k)  # (n, 2k), unnormalised
    if curve == "trig":
        return Construction(U * np.sqrt(k), X / np.sqrt(k), t, curve, k, 2 * k, qrels, f0)
    # trig-unit: score(t) = eps - f_S(t) with eps half the exact margin, then unit-normalised.
    V = np.hstack([X, np.ones((n, 1))]) / np.sqrt(k + 1)
    Q = np.hstack([U, np.zeros((len(U), 1))])
    margin = _exact_margins(U, X, qrels, f0)
    eps = np.where(np.isfinite(margin), margin / 2.0, 1.0)
    Q[:, -1] = eps - f0
    Q *= np.sqrt(k + 1)
    norms = np.linalg.norm(Q, axis=1)
    Q /= norms[:, None]
    return Construction(Q, V, t, curve, k, 2 * k + 1, qrels, eps / norms)


# ---- kernels -------------------------------------------------------------------------------
def _check_curve(curve: str) -> None:
    if curve not in CURVES:
        raise ConfigError(f"unknown curve {curve!r}; choose one of {', '.join(CURVES)}")


def _check_distinct(t: np.ndarray, qrels: QrelMatrix, curve: str) -> None:
    key = np.mod(t, 2 * np.pi) if curve != "poly" else t
    if curve != "poly":
        key = np.where(np.isclose(key, 2 * np.pi, rtol=0, atol=1e-15), 0.0, key)
    active = np.zeros(len(t), dtype=bool)
    active[qrels.indices] = True
    vals, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    shared = counts[inverse] > 1
    bad = np.flatnonzero(shared & active)
    if len(bad):
        j = int(bad[0])
        raise ConfigError(f"document {j} (t={t[j]!r}) is relevant to some query but shares its curve "
                          f"parameter with another document; give it a distinct t")


def _trig_features(t: np.ndarray, k: int) -> np.ndarray:
    m = np.arange(1, k + 1)
    X = np.empty((len(t), 2 * k))
    X[:, 0::2] = np.cos(np.outer(t, m))
    X[:, 1::2] = np.sin(np.outer(t, m))
    return X


def _square_product(roots: np.ndarray, k: int, dtype) -> np.ndarray:
    """Coefficients (lowest power first, padded to 2k+1) of prod_s (z - r_s)^2, one row per query."""
    m, r = roots.shape
    c = np.zeros((m, 2 * k + 1), dtype=dtype)
    c[:, 0] = 1
    for s in range(r):
        for _ in range(2):  # multiply by (z - r_s): shift up one power, subtract r_s * c
            c[:, 1:] = c[:, :-1] - roots[:, s:s + 1] * c[:, 1:]
            c[:, 0] = -roots[:, s] * c[:, 0]
    return c


def _grouped(qrels: QrelMatrix, rel_t: list | None, t: np.ndarray):
    """Yield (rows, parameters (len(rows), r)) grouped by the number r of relevant documents."""
    if rel_t is None:
        kq = qrels.uniform_k()
        yield np.arange(qrels.shape[0]), t[qrels.relevant_index_array()] if kq else np.zeros((qrels.shape[0], 0))
        return
    counts = qrels.row_counts()
    for r in np.unique(counts):
        rows = np.flatnonzero(counts == r)
        yield rows, np.array([rel_t[i] for i in rows]).reshape(len(rows), int(r))


def _trig_queries(t: np.ndarray, qrels: QrelMatrix, k: int, rel_t) -> tuple[np.ndarray, np.ndarray]:
    m = qrels.shape[0]
    U = np.zeros((m, 2 * k))
    f0 = np.zeros(m)
    for rows, ts in _grouped(qrels, rel_t, t):
        r = ts.shape[1]
        w = np.exp(1j * ts)
        c = _square_product(w, k, complex)[:, : 2 * r + 1]
        f = c * ((-0.5) ** r / np.prod(w, axis=1))[:, None]  # f[:, r + mm] = f_mm, mm = -r..r
        pos = f[:, r + 1:]  # f_1 .. f_r
        U[rows, 0:2 * r:2] = -2.0 * pos.real  # -(2 Re f_m) cos mt
        U[rows, 1:2 * r:2] = 2.0 * pos.imag   # -(-2 Im f_m) sin mt
        f0[rows] = f[:, r].real
    return U, f0


def _poly_queries(t: np.ndarray, qrels: QrelMatrix, k: int, rel_t) -> tuple[np.ndarray, np.ndarray]:
    m = qrels.shape[0]
    U = np.zeros((m, 2 * k))
    c0 = np.zeros(m)
    for rows, ts in _grouped(qrels, rel_t, t):
        c = _square_product(ts, k, np.float64)
        U[rows] = -c[:, 1:]
        c0[rows] = c[:, 0]
    return U, c0


def _exact_margins(Q: np.ndarray, V: np.ndarray, qrels: QrelMatrix, rel_score: np.ndarray) -> np.ndarray:
    """rel_score[i] - max irrelevant score of query i (float64, chunked); inf without irrelevant docs."""
    m, n = qrels.shape
    out = np.full(m, np.inf)
    step = max(1, _CHUNK_ELEMS // max(n, 1))
    for a in range(0, m if n else 0, step):
        b = min(m, a + step)
        s = Q[a:b] @ V.T
        s[row_mask(qrels, a, b)] = -np.inf
        out[a:b] = rel_score[a:b] - s.max(axis=1)
    return out


def row_mask(qrels: QrelMatrix, start: int, stop: int) -> np.ndarray:
    """Dense bool relevance of queries start..stop-1 (a chunk of A without materialising all of A)."""
    n = qrels.shape[1]
    lo, hi = qrels.indptr[start], qrels.indptr[stop]
    mask = np.zeros((stop - start, n), dtype=bool)
    rows = np.repeat(np.arange(stop - start), np.diff(qrels.indptr[start:stop + 1]))
    mask[rows, qrels.indices[lo:hi]] = True
    return mask
