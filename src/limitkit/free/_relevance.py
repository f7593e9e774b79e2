"""Query sets (all k-subsets, a seeded sample of them, or any QrelMatrix) in the layouts the kernels use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import chain, combinations
from math import comb

import numpy as np

from .._errors import ConfigError


def k_subsets(n: int, k: int) -> np.ndarray:
    """All C(n, k) k-subsets of range(n) as an (m, k) int64 array in lexicographic order."""
    if not 1 <= k <= n:
        raise ConfigError(f"need 1 <= k <= n, got k={k}, n={n}")
    if k == 1:
        return np.arange(n, dtype=np.int64)[:, None]
    if k == 2:
        i, j = np.triu_indices(n, 1)
        return np.stack([i, j], axis=1).astype(np.int64)
    m = comb(n, k)
    return np.fromiter(chain.from_iterable(combinations(range(n), k)), dtype=np.int64,
                       count=m * k).reshape(m, k)


_MATERIALISE = 20_000_000  # below this many subsets, list them all and index; above, unrank


def unrank_subsets(ranks: np.ndarray, n: int, k: int) -> np.ndarray:
    """The k-subsets of range(n) with the given lexicographic ranks, as an (len(ranks), k) array
    (the same rows as ``k_subsets(n, k)[ranks]`` without listing every subset)."""
    ranks = np.asarray(ranks, dtype=np.int64)
    if k == 2:
        # first element i owns ranks [s(i), s(i+1)) with s(i) = i (2n - i - 1) / 2
        def start(i):
            return i * (2 * n - i - 1) // 2

        i = np.floor(((2 * n - 1) - np.sqrt((2 * n - 1) ** 2 - 8.0 * ranks)) / 2).astype(np.int64)
        i -= start(i) > ranks  # float rounding fix-ups
        i += start(i + 1) <= ranks
        return np.stack([i, ranks - start(i) + i + 1], axis=1)
    out = np.empty((len(ranks), k), dtype=np.int64)
    for row, r in enumerate(ranks.tolist()):
        x = 0
        for pos in range(k):
            left = k - pos - 1
            while r >= (c := comb(n - x - 1, left)):
                r -= c
                x += 1
            out[row, pos] = x
            x += 1
    return out


def subset_queries(n: int, k: int, num_queries: int | None, query_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, indices) of the k-subset queries; ``num_queries`` of them sampled without
    replacement with ``default_rng(query_seed)`` (ranks into the lexicographic list) when fewer
    than C(n, k)."""
    total = comb(n, k)
    if num_queries is not None and num_queries < total:
        pick = np.sort(np.random.default_rng(query_seed).choice(total, num_queries, replace=False))
        sets = k_subsets(n, k)[pick] if total <= _MATERIALISE else unrank_subsets(pick, n, k)
    else:
        sets = k_subsets(n, k)
    m = len(sets)
    return np.arange(0, m * k + 1, k, dtype=np.int64), sets.ravel()


@dataclass(frozen=True, eq=False)
class Block:
    """Relevance of ``m`` consecutive queries against ``n`` documents.

    ``flat[e] = row * n + col`` for every relevant (row, col), row-major; ``rowid[e]`` its row;
    ``counts[i]`` = number of relevant documents of row i; ``k`` = that count when uniform.
    """

    m: int
    n: int
    flat: np.ndarray
    rowid: np.ndarray
    counts: np.ndarray
    k: int | None

    @classmethod
    def from_csr(cls, indptr: np.ndarray, indices: np.ndarray, n: int, a: int = 0, b: int | None = None) -> "Block":
        b = len(indptr) - 1 if b is None else b
        ptr = indptr[a:b + 1] - indptr[a]
        cols = indices[indptr[a]:indptr[b]]
        counts = np.diff(ptr)
        rowid = np.repeat(np.arange(b - a, dtype=np.int64), counts)
        k = int(counts[0]) if len(counts) and (counts == counts[0]).all() else None
        return cls(b - a, n, rowid * n + cols, rowid, counts, k)

    @property
    def nnz(self) -> int:
        return len(self.flat)

    @cached_property
    def active_rows(self) -> int:
        """Rows with at least one relevant document (the others are not evaluated)."""
        return int(np.count_nonzero(self.counts))

    @cached_property
    def kmax(self) -> int:
        return int(self.counts.max()) if self.m else 0

    @cached_property
    def slot(self) -> np.ndarray:
        """Position of each relevant entry inside its row (0 .. counts-1)."""
        starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        return np.arange(self.nnz) - np.repeat(starts, self.counts)

    def row_sum(self, values: np.ndarray) -> np.ndarray:
        """Per-row sum of one value per relevant entry."""
        if self.k is not None:
            return values.reshape(self.m, self.k).sum(axis=1)
        return np.bincount(self.rowid, values, minlength=self.m).astype(values.dtype)

    def per_entry(self, row_values: np.ndarray) -> np.ndarray:
        """Broadcast one value per row to every relevant entry of that row."""
        if self.k is not None:
            return np.repeat(row_values, self.k)
        return row_values[self.rowid]

    def padded(self, values: np.ndarray, fill: float) -> np.ndarray:
        """(m, kmax) array of one value per relevant entry, ``fill`` where a row has fewer."""
        if self.k is not None:
            return values.reshape(self.m, self.k)
        out = np.full((self.m, self.kmax), fill, dtype=values.dtype)
        out[self.rowid, self.slot] = values
        return out


def blocks(indptr: np.ndarray, indices: np.ndarray, n: int, chunk: int) -> list[tuple[int, int, Block]]:
    """Split the queries into consecutive blocks of at most ``chunk`` rows."""
    m = len(indptr) - 1
    return [(a, min(a + chunk, m), Block.from_csr(indptr, indices, n, a, min(a + chunk, m)))
            for a in range(0, m, chunk)] or [(0, 0, Block.from_csr(indptr, indices, n, 0, 0))]
