"""Bounds on the dimension a qrel matrix needs, and on the margin unit vectors can reach.

- Chain (Weller et al.): rank_pm(2A-1) - 1 <= rank_rop(A) = rank_rt(A) <= rank_gt(A) <= rank_pm(2A-1).
- Forster (2002): rank_pm(M) >= sqrt(m n) / ||M||_2 for M in {-1, +1}^{m x n}.
- VC: if the rows of A shatter s documents, then rank_pm(2A-1) >= s (homogeneous half-spaces
  of R^r shatter at most r points) and rank_rt(A) >= s - 1 (affine half-spaces: r + 1 points);
  the same holds for documents shattering queries (sign rank is transpose invariant).
- Trivial: rank_rt(A) = rank_gt(A) = 0 only if A has no row (resp. matrix) with both 0 and 1;
  rank_rt, rank_gt <= rank(A) (B = A, tau = 1/2); rank_pm <= rank(2A-1).
- Margin (ICLR version, Theorem 1): unit vectors separating every top-k set of n documents by a
  margin gamma need d >= log C(n, k) / log(1 + 1/gamma).
- Unit-norm margin ceiling: with unit documents and unit queries, the gap
  min_{i in S} <q, v_i> - max_{j not in S} <q, v_j> of all k-subsets S cannot exceed
  n / sqrt(k (n-1) (n-k)) (averaging ||mean_S v - mean_{not S} v||^2 over S).
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from .._errors import ConfigError, ResourceError
from ..qrels import QrelMatrix
from .ranks import as_bool_matrix

__all__ = ["log_binom", "margin_dimension_bound", "margin_table", "unit_margin_ceiling",
           "forster_lower_bound", "vc_dimension", "rank_chain", "NOTIONS"]

NOTIONS = ("rop", "rt", "gt", "sign")
TABLE1_NS = tuple(10 ** e for e in range(2, 12))
TABLE1_KS = (2, 10, 100, 1000)
_MAX_DENSE = 50_000_000  # entries of A that rank_chain may densify (bool: 50 MB; VC search sorts rows)


def log_binom(n: int, k: int) -> float:
    """ln C(n, k) via lgamma (no overflow for n up to 1e15 and any k)."""
    if not (0 <= k <= n):
        raise ConfigError(f"need 0 <= k <= n for C(n, k), got n={n}, k={k}")
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def margin_dimension_bound(n: int, k: int, gamma: float) -> float:
    """Lower bound d >= ln C(n, k) / ln(1 + 1/gamma) on the dimension for margin gamma."""
    if not gamma > 0:
        raise ConfigError(f"gamma must be > 0, got {gamma!r}")
    return log_binom(n, k) / math.log1p(1.0 / gamma)


def margin_table(ns: Sequence[int] = TABLE1_NS, ks: Sequence[int] = TABLE1_KS,
                 gamma: float = 0.1) -> list[dict]:
    """Rows {n, k, gamma, bound, d_min}: d_min = ceil(bound), the smallest integer dimension
    allowed (the paper's Table 1 rounds up). Cells with k >= n (at most one k-subset, so no
    constraint) have bound and d_min None."""
    rows = []
    for n in ns:
        for k in ks:
            if k >= n:
                rows.append({"n": int(n), "k": int(k), "gamma": gamma, "bound": None, "d_min": None})
                continue
            b = margin_dimension_bound(int(n), int(k), gamma)
            rows.append({"n": int(n), "k": int(k), "gamma": gamma, "bound": b, "d_min": math.ceil(b)})
    return rows


def unit_margin_ceiling(n: int, k: int) -> float:
    """Largest gap unit queries can keep between a k-subset and the rest of n unit documents,
    for all k-subsets at once: n / sqrt(k (n - 1) (n - k))."""
    if not (1 <= k < n):
        raise ConfigError(f"need 1 <= k < n, got n={n}, k={k}")
    return n / math.sqrt(k * (n - 1) * (n - k))


def forster_lower_bound(A) -> float:
    """sqrt(m n) / ||2A - 1||_2 (Forster's sign-rank lower bound).

    The spectral norm comes from the n x n Gram matrix (2A-1)^T (2A-1)
    = 4 A^T A - 2 c 1^T - 2 1 c^T + m 1 1^T (c = column sums), so A is never densified when
    it is a QrelMatrix; Lanczos (scipy eigsh) is used above 3000 documents.
    """
    import scipy.sparse as sp

    As = A.to_scipy() if isinstance(A, QrelMatrix) else sp.csr_matrix(as_bool_matrix(A))
    m, n = As.shape
    if m == 0 or n == 0:
        raise ConfigError("A is empty; the Forster bound needs at least one query and one document")
    As = As.astype(np.float64)
    c = np.asarray(As.sum(axis=0)).ravel()
    if n <= 3000:
        G = 4.0 * (As.T @ As).toarray() - 2.0 * c[:, None] - 2.0 * c[None, :] + m
        top = float(np.linalg.eigvalsh(G)[-1])
    else:
        from scipy.sparse.linalg import LinearOperator, eigsh

        def mv(x):
            x = np.ravel(x)
            y = 2.0 * (As @ x) - x.sum()
            return 2.0 * (As.T @ y) - y.sum()

        top = float(eigsh(LinearOperator((n, n), matvec=mv, dtype=np.float64), k=1, which="LA",
                          return_eigenvectors=False)[0])
    return math.sqrt(m * n) / math.sqrt(max(top, 0.0))


def vc_dimension(A, *, max_work: float = 5e6) -> tuple[int, bool]:
    """VC dimension of the rows of A as concepts over the documents: (value, exact).

    Level-wise search over shattered document sets (shattered sets are closed under subsets).
    When the work cap (entries touched, plus 50 per candidate set) is hit, the largest size
    found so far is returned with exact=False: still a valid lower bound.
    """
    a = as_bool_matrix(A)
    m, n = a.shape
    if m == 0 or n == 0:
        return 0, True
    a = np.unique(a, axis=0)
    m = a.shape[0]
    work = 0.0
    level = [(j,) for j in range(n) if a[:, j].any() and not a[:, j].all()]
    best = 1 if level else 0
    s = 1
    while level and 2 ** (s + 1) <= m:
        prev = set(level)
        nxt = []
        for T in level:
            for j in range(T[-1] + 1, n):
                cand = T + (j,)
                if any(cand[:p] + cand[p + 1:] not in prev for p in range(s)):
                    continue
                work += m * (s + 1) + 50
                if work > max_work:
                    return best, False
                codes = a[:, cand] @ (1 << np.arange(s + 1))
                if len(np.unique(codes)) == 2 ** (s + 1):
                    nxt.append(cand)
        level = nxt
        if level:
            s += 1
            best = s
    return best, True


def rank_chain(A, witness_dims: Mapping[str, int] | None = None, *, vc_max_work: float = 5e6) -> dict:
    """Lower and upper bounds on the rop, rt, gt and sign ranks of A, propagated along the chain.

    ``witness_dims`` maps a notion to the dimension of a witness you have verified (e.g. a
    construction checked with ``check_rt``, or an optimiser result): it becomes an upper bound.
    Each notion gets {"lower", "upper", "exact"} (exact only where the bounds meet) and
    "why" naming the source of each bound. Exact sign rank is NP-hard: expect gaps.
    """
    m, n = A.shape if isinstance(A, QrelMatrix) else np.shape(A)
    if m * n > _MAX_DENSE:
        raise ResourceError(f"rank_chain works on the dense {m} x {n} matrix ({m * n:,} entries), above the "
                            f"{_MAX_DENSE:,} limit; use fewer queries or documents (e.g. all 2-subsets of "
                            f"n <= 460 fit), or forster_lower_bound alone, which stays sparse")
    a = as_bool_matrix(A)
    if m == 0 or n == 0:
        raise ConfigError("A is empty; need at least one query and one document")
    qm = A if isinstance(A, QrelMatrix) else QrelMatrix.from_dense(a)
    rank_a, rank_m = _ranks(qm)
    forster = forster_lower_bound(qm)
    vc_rows, vc_rows_exact = vc_dimension(a, max_work=vc_max_work)
    vc_cols, vc_cols_exact = vc_dimension(a.T, max_work=vc_max_work)
    row_mixed = bool((a.any(axis=1) & ~a.all(axis=1)).any())
    any_mixed = bool(a.any() and not a.all())

    lo = {"rt": (1 if row_mixed else 0, "a row has relevant and irrelevant documents" if row_mixed else "trivial"),
          "gt": (1 if any_mixed else 0, "A has both 0 and 1" if any_mixed else "trivial"),
          "sign": (1, "nonzero matrix")}
    up = {"rt": (rank_a, "B = A, tau = 1/2 (rank A)"), "gt": (rank_a, "B = A, tau = 1/2 (rank A)"),
          "sign": (rank_m, "B = 2A - 1 (rank 2A-1)")}

    def raise_lo(key, val, why):
        if val > lo[key][0]:
            lo[key] = (val, why)
            return True
        return False

    def cut_up(key, val, why):
        if val < up[key][0]:
            up[key] = (val, why)
            return True
        return False

    if not row_mixed:
        cut_up("rt", 0, "constant rows: B = 0 with tau_i = +-1")
    if not any_mixed:
        cut_up("gt", 0, "constant A: B = 0 with tau = +-1")
    raise_lo("sign", math.ceil(forster - 1e-9), f"Forster sqrt(mn)/||2A-1|| = {forster:.4g}")
    raise_lo("sign", max(vc_rows, vc_cols), f"VC dimension {max(vc_rows, vc_cols)}")
    raise_lo("rt", vc_rows - 1, f"VC dimension of rows {vc_rows} minus 1")
    for key, dim in (witness_dims or {}).items():
        if key not in NOTIONS:
            raise ConfigError(f"witness_dims key {key!r} is not one of {NOTIONS}")
        cut_up("rt" if key == "rop" else key, int(dim), f"given {key} witness in d={int(dim)}")
    changed = True
    while changed:
        changed = False
        changed |= raise_lo("gt", lo["rt"][0], "gt >= rt")
        changed |= raise_lo("sign", lo["gt"][0], "sign >= gt")
        changed |= raise_lo("rt", lo["sign"][0] - 1, "rt >= sign - 1")
        changed |= raise_lo("gt", lo["sign"][0] - 1, "gt >= rt >= sign - 1")
        changed |= cut_up("rt", up["gt"][0], "rt <= gt")
        changed |= cut_up("gt", up["sign"][0], "gt <= sign")
        changed |= cut_up("sign", up["rt"][0] + 1, "sign <= rt + 1 (B - tau 1^T)")
    out: dict = {"shape": [m, n], "rank_A": rank_a, "rank_2A-1": rank_m, "forster": forster,
                 "vc_rows": vc_rows, "vc_rows_exact": vc_rows_exact,
                 "vc_cols": vc_cols, "vc_cols_exact": vc_cols_exact}
    for notion in NOTIONS:
        key = "rt" if notion == "rop" else notion
        (l, lwhy), (u, uwhy) = lo[key], up[key]
        out[notion] = {"lower": l, "upper": u, "exact": l if l == u else None,
                       "why": {"lower": lwhy, "upper": uwhy}}
    return out


def _ranks(A: QrelMatrix) -> tuple[int, int]:
    """rank(A) and rank(2A - 1) from their n x n Gram matrices, built from the sparse A:
    G_A = A^T A and G_M = 4 A^T A - 2 c 1^T - 2 1 c^T + m 1 1^T (rank(X^T X) = rank(X))."""
    As = A.to_scipy().astype(np.float64)
    m, n = As.shape
    c = np.asarray(As.sum(axis=0)).ravel()
    ga = (As.T @ As).toarray()
    gm = 4.0 * ga - 2.0 * c[:, None] - 2.0 * c[None, :] + m
    return int(np.linalg.matrix_rank(ga, hermitian=True)), int(np.linalg.matrix_rank(gm, hermitian=True))
