"""Top-k accuracy and margin of a score block, ties counted against success.

For query i with K_i relevant documents, rank all documents by score, placing an irrelevant
document before a relevant one it ties with; hits_i = relevant documents among the first K_i.
With the relevant scores sorted r_1 >= ... >= r_K and c_h = #{irrelevant j : s_ij >= r_h},
hits_i = #{h : c_h <= K_i - h} (the condition holds for a prefix of h). Accuracy is the mean of
hits_i / K_i over queries with K_i > 0 (the reference's pooled share when all K_i are equal).
The gap of query i is min relevant score - max irrelevant score; every query is solved iff the
smallest gap is > 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._relevance import Block


@dataclass(frozen=True)
class BlockEval:
    hits: float  # sum over evaluated rows of hits_i / K_i
    rows: int  # rows with K_i > 0
    min_gap: float  # min over rows of (min relevant - max irrelevant), in the block's units

    def __add__(self, other: "BlockEval") -> "BlockEval":
        return BlockEval(self.hits + other.hits, self.rows + other.rows, min(self.min_gap, other.min_gap))


def evaluate_block(L: np.ndarray, blk: Block) -> BlockEval:
    """Evaluate the (m, n) score block ``L`` (any positive multiple of the scores); L is restored."""
    if blk.nnz == 0:
        return BlockEval(0.0, 0, np.inf)
    flat = L.ravel()
    pos = flat[blk.flat]
    R = -np.sort(-blk.padded(pos, -np.inf), axis=1)  # relevant scores, descending, -inf padded
    flat[blk.flat] = -np.inf
    try:
        irr_max = L.max(axis=1)
        counts = blk.counts
        has = counts > 0
        hits = np.zeros(blk.m, dtype=np.int64)
        for h in range(R.shape[1]):
            c_h = np.count_nonzero(L >= R[:, h:h + 1], axis=1)
            hits += (c_h <= counts - (h + 1)) & (h < counts)
        rel_min = R[np.arange(blk.m), np.maximum(counts - 1, 0)]
        gap = np.where(has, rel_min.astype(np.float64) - irr_max, np.inf)
    finally:
        flat[blk.flat] = pos
    share = hits[has] / counts[has]
    return BlockEval(float(share.sum()), int(has.sum()), float(gap.min()))


def topk_accuracy(S: np.ndarray, relevant: np.ndarray) -> tuple[float, float]:
    """(accuracy, min margin) of a dense score matrix (m, n) against a bool relevance matrix."""
    S = np.array(S, dtype=np.float64)
    relevant = np.asarray(relevant, dtype=bool)
    rows, cols = np.nonzero(relevant)
    indptr = np.concatenate([[0], np.cumsum(relevant.sum(axis=1))]).astype(np.int64)
    ev = evaluate_block(S, Block.from_csr(indptr, cols.astype(np.int64), S.shape[1]))
    return (ev.hits / ev.rows if ev.rows else 0.0), ev.min_gap
