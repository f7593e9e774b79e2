"""Rank notions of a binary qrel matrix A (m x n) and checks of a score matrix B against them.

For B in R^{m x n} (e.g. B = U V^T with U in R^{m x d}, V in R^{n x d}):

- row-wise order preserving (rop): A_ij > A_il implies B_ij > B_il;
- row-wise thresholdable (rt): there are tau_i with B_ij > tau_i if A_ij = 1, B_ij < tau_i if 0;
- globally thresholdable (gt): the same with one tau for every row;
- sign (of 2A - 1): B_ij > 0 if A_ij = 1, B_ij < 0 if A_ij = 0.

For binary A, rop and rt hold for exactly the same B (tau_i midway between the row's smallest
relevant and largest irrelevant score), gt implies rt, a sign witness is a gt witness with
tau = 0, and an rt witness (B, tau) gives the sign witness B - tau 1^T of rank <= rank(B) + 1.
Hence rank_pm(2A-1) - 1 <= rank_rop = rank_rt <= rank_gt <= rank_pm(2A-1).

Each check returns a :class:`CheckResult`; on failure it lists violating index tuples
(capped at ``max_violations``) and counts all of them. Ties count as violations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ConfigError
from ..qrels import QrelMatrix

__all__ = ["CheckResult", "scores", "check_rop", "check_rt", "check_gt", "check_sign",
           "rop_to_rt", "rt_to_rop", "rt_to_sign", "rt_to_sign_factors", "gt_to_rt", "sign_to_gt"]


@dataclass(frozen=True, eq=False)
class CheckResult:
    """Outcome of checking B against A for one rank notion.

    ``witness``: rt -> thresholds tau (m,), midway between each row's smallest relevant and
    largest irrelevant score (rows without relevant or irrelevant documents: 1 beyond the
    extreme); gt -> the global tau (float); rop and sign -> None (B itself is the witness).
    ``margin``: the smallest gap (rop/rt: min over rows of min relevant - max irrelevant;
    gt: global min relevant - global max irrelevant; sign: min of (2A-1) * B); <= 0 on failure.
    ``violations``: int array of index tuples, one row each: rop/rt (row, relevant, irrelevant)
    with B[row, relevant] <= B[row, irrelevant]; gt (row, relevant, row2, irrelevant);
    sign (row, col) with the wrong sign or zero. ``n_violations`` counts all of them.
    """

    notion: str
    ok: bool
    margin: float
    n_violations: int
    violations: np.ndarray
    witness: np.ndarray | float | None = None

    @property
    def truncated(self) -> bool:
        return self.n_violations > len(self.violations)


def scores(U: np.ndarray, V: np.ndarray) -> np.ndarray:
    """B = U V^T in float64; U (m, d) queries, V (n, d) documents."""
    U, V = np.asarray(U, dtype=np.float64), np.asarray(V, dtype=np.float64)
    if U.ndim != 2 or V.ndim != 2 or U.shape[1] != V.shape[1]:
        raise ConfigError(f"need U (m, d) and V (n, d) with the same d; got {U.shape} and {V.shape}")
    return U @ V.T


# ---- checks -------------------------------------------------------------------------------
def check_rop(A, B, *, max_violations: int = 100) -> CheckResult:
    """Is B row-wise order preserving for A? Every relevant score above every irrelevant one."""
    return _rowwise(A, B, "rop", max_violations)


def check_rt(A, B, *, max_violations: int = 100) -> CheckResult:
    """Is B row-wise thresholdable for A? Witness: thresholds tau_i midway (as in the proof)."""
    return _rowwise(A, B, "rt", max_violations)


def check_gt(A, B, *, max_violations: int = 100) -> CheckResult:
    """Is B globally thresholdable? Witness: tau midway between global min relevant and max irrelevant."""
    a, b = _inputs(A, B)
    rel_scores, irr_scores = b[a], b[~a]
    lo = rel_scores.min() if rel_scores.size else np.inf
    hi = irr_scores.max() if irr_scores.size else -np.inf
    margin = float(lo - hi)
    ok = bool(lo > hi)
    if ok:
        tau = _midway(lo, hi)
        return CheckResult("gt", True, margin, 0, np.zeros((0, 4), dtype=np.int64), tau)
    srt = np.sort(irr_scores)
    count = int((srt.size - np.searchsorted(srt, rel_scores, side="left")).sum())
    ri, rj = np.nonzero(a & (b <= hi))
    order = np.argsort(b[ri, rj], kind="stable")[:max_violations]
    viol = []
    ii, ik = np.nonzero(~a & (b >= lo))
    irr_order = np.argsort(-b[ii, ik], kind="stable")
    for p in order:  # pair each low relevant entry with the irrelevant entries scoring at least as high
        for q in irr_order:  # descending: stop at the first one scoring below
            if len(viol) >= max_violations or b[ii[q], ik[q]] < b[ri[p], rj[p]]:
                break
            viol.append((ri[p], rj[p], ii[q], ik[q]))
    return CheckResult("gt", False, margin, count, np.asarray(viol, dtype=np.int64).reshape(-1, 4), None)


def check_sign(A, B, *, max_violations: int = 100) -> CheckResult:
    """Does B have the sign pattern 2A - 1 (positive on relevant, negative on irrelevant)?"""
    a, b = _inputs(A, B)
    signed = np.where(a, b, -b)
    margin = float(signed.min()) if signed.size else np.inf
    bad = signed <= 0
    count = int(bad.sum())
    viol = np.argwhere(bad)[:max_violations].astype(np.int64)
    return CheckResult("sign", count == 0, margin, count, viol.reshape(-1, 2), None)


# ---- conversions (exactly as in the propositions) ----------------------------------------------
def rop_to_rt(A, B) -> tuple[np.ndarray, np.ndarray]:
    """An rop witness B is an rt witness with the same B and midway thresholds: returns (B, tau)."""
    res = check_rop(A, B)
    _require(res)
    return np.asarray(B, dtype=np.float64), np.asarray(check_rt(A, B).witness)


def rt_to_rop(A, B, tau) -> np.ndarray:
    """An rt witness (B, tau) makes B row-wise order preserving: returns B (after checking tau)."""
    rt_to_sign(A, B, tau)  # raises unless B - tau 1^T has the sign pattern 2A - 1
    return np.asarray(B, dtype=np.float64)


def _rt_thresholds(a: np.ndarray, b: np.ndarray, tau) -> np.ndarray:
    """The given thresholds as a vector, or check_rt's midway witness (raising when B is not rt)."""
    if tau is None:
        res = check_rt(a, b)
        _require(res)
        tau = res.witness
    return _tau_vector(tau, a.shape[0])


def rt_to_sign(A, B, tau=None) -> np.ndarray:
    """C = B - tau 1^T has sign pattern 2A - 1 and rank(C) <= rank(B) + 1.

    ``tau`` defaults to the midway thresholds of :func:`check_rt`; a given tau is checked.
    """
    a, b = _inputs(A, B)
    tau = _rt_thresholds(a, b, tau)
    C = b - tau[:, None]
    _require(check_sign(a, C), what="B - tau 1^T with the given tau")
    return C


def rt_to_sign_factors(A, U, V, tau=None) -> tuple[np.ndarray, np.ndarray]:
    """Factor form of :func:`rt_to_sign`: (U | -tau) (V | 1)^T = U V^T - tau 1^T, dimension d + 1."""
    B = scores(U, V)
    a, _ = _inputs(A, B)
    tau = _rt_thresholds(a, B, tau)
    U2 = np.hstack([np.asarray(U, dtype=np.float64), -tau[:, None]])
    V2 = np.hstack([np.asarray(V, dtype=np.float64), np.ones((B.shape[1], 1))])
    _require(check_sign(a, scores(U2, V2)), what="(U | -tau)(V | 1)^T")
    return U2, V2


def gt_to_rt(A, B, tau: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A gt witness (B, tau) is an rt witness with tau_i = tau for every row: returns (B, tau 1)."""
    a, b = _inputs(A, B)
    if tau is None:
        res = check_gt(a, b)
        _require(res)
        tau = res.witness
    taus = np.full(a.shape[0], float(tau))
    _require(check_sign(a, b - taus[:, None]), what=f"B - {tau} (global threshold)")
    return b, taus


def sign_to_gt(A, B) -> tuple[np.ndarray, float]:
    """A sign witness is globally thresholdable at tau = 0: returns (B, 0.0)."""
    _require(check_sign(A, B))
    return np.asarray(B, dtype=np.float64), 0.0


# ---- kernels -------------------------------------------------------------------------------
def as_bool_matrix(A) -> np.ndarray:
    """A QrelMatrix or 0/1 / bool array as a dense bool (m, n) array."""
    if isinstance(A, QrelMatrix):
        return A.to_dense()
    a = np.asarray(A)
    if a.ndim != 2:
        raise ConfigError(f"A must be a 2-D 0/1 matrix or QrelMatrix, got shape {a.shape}")
    if a.dtype != bool:
        if not np.isin(a, (0, 1)).all():
            raise ConfigError("A must contain only 0/1 (or bool) entries")
        a = a.astype(bool)
    return a


def _inputs(A, B) -> tuple[np.ndarray, np.ndarray]:
    a = as_bool_matrix(A)
    b = np.asarray(B, dtype=np.float64)
    if b.shape != a.shape:
        raise ConfigError(f"scores B of shape {b.shape} do not match A of shape {a.shape}; "
                          f"B must be (queries, documents), e.g. scores(U, V)")
    if not np.isfinite(b).all():
        raise ConfigError("scores B contain NaN or infinite values")
    return a, b


def _midway(lo: float, hi: float) -> float:
    if np.isfinite(lo) and np.isfinite(hi):
        return float((lo + hi) / 2.0)
    if np.isfinite(lo):
        return float(lo - 1.0)
    if np.isfinite(hi):
        return float(hi + 1.0)
    return 0.0


def _rowwise(A, B, notion: str, max_violations: int) -> CheckResult:
    a, b = _inputs(A, B)
    lo = np.where(a, b, np.inf).min(axis=1, initial=np.inf)
    hi = np.where(a, -np.inf, b).max(axis=1, initial=-np.inf)
    gap = lo - hi
    both = np.isfinite(gap)
    margin = float(gap[both].min()) if both.any() else np.inf
    failing = np.flatnonzero(lo <= hi)
    if notion == "rt" and not len(failing):
        tau = np.array([_midway(x, y) for x, y in zip(lo, hi)]) if len(lo) else np.zeros(0)
    else:
        tau = None
    viol: list[tuple[int, int, int]] = []
    count = 0
    for i in failing:
        rel = np.flatnonzero(a[i])
        irr = np.flatnonzero(~a[i])
        srt = np.sort(b[i, irr])
        count += int((srt.size - np.searchsorted(srt, b[i, rel], side="left")).sum())
        for j in rel:
            if len(viol) >= max_violations:
                break
            for l in irr[b[i, irr] >= b[i, j]][: max_violations - len(viol)]:
                viol.append((i, j, l))
    return CheckResult(notion, not len(failing), margin, count,
                       np.asarray(viol, dtype=np.int64).reshape(-1, 3), tau)


def _tau_vector(tau, m: int) -> np.ndarray:
    t = np.asarray(tau, dtype=np.float64)
    if t.ndim == 0:
        t = np.full(m, float(t))
    if t.shape != (m,):
        raise ConfigError(f"tau must be a scalar or have one entry per query ({m}), got shape {t.shape}")
    return t


def _require(res: CheckResult, what: str = "B") -> None:
    if not res.ok:
        first = res.violations[0].tolist() if len(res.violations) else []
        raise ConfigError(f"{what} is not a {res.notion} witness for A: {res.n_violations} violation(s), "
                          f"e.g. {first}; margin {res.margin:.3g}")
