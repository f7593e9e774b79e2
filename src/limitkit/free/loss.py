"""The three training losses, each as an in-place kernel returning its value and gradient.

Notation: logits L = S / T for scores S = U V^T (unit vectors, so |S| <= 1), relevance A in {0,1},
R_i = relevant documents of query i, K_i = |R_i|, softmax P_ij = exp(L_ij) / Z_i, Z_i = sum_j exp(L_ij).

- ``infonce-mean`` (reference code): sum_i [K_i log Z_i - sum_{j in R_i} L_ij] / sum_i K_i,
  d/dL_ij = (K_i P_ij - A_ij) / sum K.
- ``infonce-multi`` (paper): sum_{i: K_i > 0} [log Z_i - log sum_{j in R_i} exp L_ij] / #{i: K_i > 0},
  d/dL_ij = (P_ij - A_ij Q_ij) / #, with Q_ij = exp L_ij / sum_{R_i} exp L (softmax over positives).
- ``sigmoid`` (pairwise): x = L - b/T, sum_ij [softplus(x_ij) - A_ij x_ij] / (m n),
  d/dL_ij = (sigmoid(x_ij) - A_ij) / (m n).

Each kernel takes the logits of a block of queries, overwrites them with ``E'`` and returns
``(value_sum, coef)`` such that d(value_sum)/dL = coef[:, None] * E' (coef None: = E'). Dividing by
``normalizer`` gives the loss. Factoring the row scale out lets the engine apply it to the (m, d)
matmul results instead of the (m, n) matrix.
"""

from __future__ import annotations

import numpy as np

from .._errors import ConfigError
from ._relevance import Block

# exp(L) is safe without a shift while 1/T stays below this (float32 sums of n * e^40 cannot overflow)
_FIXED_SHIFT_MAX = 40.0


def _exp_rows(L: np.ndarray, temperature: float) -> np.ndarray | None:
    """exp(L - c) in place with c = 0 when 1/T is small (returns None), else c = the row maximum."""
    if 1.0 / temperature <= _FIXED_SHIFT_MAX:
        np.exp(L, out=L)
        return None
    c = L.max(axis=1)
    L -= c[:, None]
    np.exp(L, out=L)
    return c


def _row_sums(E: np.ndarray) -> np.ndarray:
    # a matrix-vector product is much faster than E.sum(1) for short rows
    return E @ np.ones(E.shape[1], dtype=E.dtype)


def infonce_mean(L: np.ndarray, blk: Block, temperature: float, sigmoid_bias: float = 0.0):
    Lr = L.ravel()
    pos_sum = Lr[blk.flat].sum(dtype=np.float64)
    c = _exp_rows(L, temperature)
    Z = _row_sums(L)
    if blk.k is not None:
        k = blk.k
        value = k * np.log(Z).sum(dtype=np.float64) - pos_sum
        if c is not None:
            value += k * c.sum(dtype=np.float64)
        Lr[blk.flat] -= np.repeat(Z * L.dtype.type(1 / k), k)
        return float(value), np.divide(L.dtype.type(k), Z)
    counts = blk.counts
    value = float(np.dot(counts, np.log(Z).astype(np.float64) + (0 if c is None else c))) - pos_sum
    Lr[blk.flat] -= (Z / np.maximum(counts, 1).astype(L.dtype))[blk.rowid]
    return float(value), (counts / Z).astype(L.dtype)


def infonce_multi(L: np.ndarray, blk: Block, temperature: float, sigmoid_bias: float = 0.0):
    pos = L.ravel()[blk.flat]
    # log sum_{R_i} exp L over the positives, computed from the logits (stable for any T)
    has = blk.counts > 0
    P = blk.padded(pos, -np.inf)
    top = np.where(has, P.max(axis=1, initial=-np.inf), 0).astype(L.dtype)
    with np.errstate(divide="ignore"):  # rows without positives: -inf, masked out below
        lse_pos = top + np.log(np.exp(P - top[:, None]).sum(axis=1))
    c = _exp_rows(L, temperature)
    Z = _row_sums(L)
    log_z = np.log(Z).astype(np.float64) + (0 if c is None else c)
    value = float(np.sum((log_z - lse_pos)[has]))
    # E'_ij = E_ij - Z_i Q_ij on positives, Q_ij = exp(L_ij - lse_pos_i)
    Epos = L.ravel()[blk.flat]
    Q = np.exp(pos - blk.per_entry(lse_pos))
    L.ravel()[blk.flat] = Epos - blk.per_entry(Z) * Q
    coef = np.where(has, 1.0 / Z, 0.0).astype(L.dtype)
    return value, coef


def sigmoid(L: np.ndarray, blk: Block, temperature: float, sigmoid_bias: float = 0.0):
    from scipy.special import expit, log_expit

    if sigmoid_bias:
        L -= L.dtype.type(sigmoid_bias / temperature)
    pos = L.ravel()[blk.flat].astype(np.float64)
    # softplus(x) = -log sigmoid(-x), accurate for any x
    value = float(-log_expit(-L).sum(dtype=np.float64) - pos.sum())
    expit(L, out=L)
    L.ravel()[blk.flat] -= 1
    return value, None


KERNELS = {"infonce-mean": infonce_mean, "infonce-multi": infonce_multi, "sigmoid": sigmoid}


def normalizer(loss: str, counts: np.ndarray, n: int) -> float:
    """The divisor turning the kernels' sum into the loss: sum K, #queries with K > 0, or m n."""
    if loss == "infonce-mean":
        return float(max(counts.sum(), 1))
    if loss == "infonce-multi":
        return float(max(np.count_nonzero(counts), 1))
    if loss == "sigmoid":
        return float(max(len(counts) * n, 1))
    raise ConfigError(f"unknown loss {loss!r}; choose one of {', '.join(KERNELS)}")


def loss_and_grad(S: np.ndarray, relevant: np.ndarray, loss: str = "infonce-mean",
                  temperature: float = 0.1, sigmoid_bias: float = 0.0) -> tuple[float, np.ndarray]:
    """Loss and its gradient d loss / d S for a dense score matrix ``S`` (m, n) and a bool
    relevance matrix (m, n); the same kernels the engine runs, for tests and small problems."""
    S = np.asarray(S)
    relevant = np.asarray(relevant, dtype=bool)
    if S.shape != relevant.shape or S.ndim != 2:
        raise ConfigError(f"scores {S.shape} and relevance {relevant.shape} must be equal 2-D shapes")
    if loss not in KERNELS:
        raise ConfigError(f"unknown loss {loss!r}; choose one of {', '.join(KERNELS)}")
    m, n = S.shape
    rows, cols = np.nonzero(relevant)
    indptr = np.concatenate([[0], np.cumsum(relevant.sum(axis=1))]).astype(np.int64)
    blk = Block.from_csr(indptr, cols.astype(np.int64), n)
    L = (S / temperature).astype(S.dtype if S.dtype.kind == "f" else np.float64)
    value, coef = KERNELS[loss](L, blk, temperature, sigmoid_bias)
    norm = normalizer(loss, blk.counts, n)
    grad = L if coef is None else L * coef[:, None]
    return value / norm, grad / (norm * temperature)
