"""The qrel matrix A in {0,1}^{m x n}: queries x documents, stored sparsely (CSR), shared by the whole package."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Iterable, Mapping, Sequence

import numpy as np

from ._errors import ConfigError, DataFormatError


@dataclass(frozen=True, eq=False)
class QrelMatrix:
    """Binary relevance A[i, j] = 1 iff document j is relevant to query i.

    Stored as CSR: the relevant document indices of query i are
    ``indices[indptr[i]:indptr[i+1]]`` (sorted ascending). ``query_ids`` and ``doc_ids`` are
    opaque strings (LIMIT's document ids are names with spaces).
    """

    query_ids: tuple[str, ...]
    doc_ids: tuple[str, ...]
    indptr: np.ndarray  # int64, shape (m + 1,)
    indices: np.ndarray  # int64, shape (nnz,)

    def __post_init__(self) -> None:
        m, n = len(self.query_ids), len(self.doc_ids)
        if self.indptr.shape != (m + 1,) or self.indptr[0] != 0 or self.indptr[-1] != len(self.indices):
            raise DataFormatError(f"QrelMatrix: indptr of shape {self.indptr.shape} does not fit {m} queries")
        if len(self.indices) and (self.indices.min() < 0 or self.indices.max() >= n):
            raise DataFormatError(f"QrelMatrix: a document index is outside 0..{n - 1}")
        if len(set(self.query_ids)) != m:
            raise DataFormatError("QrelMatrix: duplicate query ids")
        if len(set(self.doc_ids)) != n:
            raise DataFormatError("QrelMatrix: duplicate document ids")

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_dense(cls, a: np.ndarray, query_ids: Sequence[str] | None = None,
                   doc_ids: Sequence[str] | None = None) -> "QrelMatrix":
        """From a 0/1 (or bool) array of shape (m, n)."""
        a = np.asarray(a)
        if a.ndim != 2:
            raise ConfigError(f"qrel matrix must be 2-D, got shape {a.shape}")
        if not np.isin(a, (0, 1)).all():
            raise ConfigError("qrel matrix entries must be 0/1 (or bool)")
        m, n = a.shape
        rows, cols = np.nonzero(a)
        indptr = np.zeros(m + 1, dtype=np.int64)
        np.add.at(indptr, rows + 1, 1)
        return cls(
            tuple(query_ids) if query_ids is not None else tuple(f"q{i}" for i in range(m)),
            tuple(doc_ids) if doc_ids is not None else tuple(f"d{j}" for j in range(n)),
            np.cumsum(indptr), cols.astype(np.int64),
        )

    @classmethod
    def from_qrels(cls, qrels: Mapping[str, Mapping[str, float]], doc_ids: Sequence[str] | None = None,
                   query_ids: Sequence[str] | None = None, min_score: float = 1) -> "QrelMatrix":
        """From ``{qid: {docid: score}}``; a pair is relevant when score >= ``min_score``.

        ``doc_ids`` fixes the column order (e.g. the corpus order); by default the documents that
        occur in the qrels, in first-seen order. Unknown document ids raise DataFormatError.
        """
        qids = list(query_ids) if query_ids is not None else list(qrels)
        if doc_ids is None:
            seen: dict[str, None] = {}
            for q in qids:
                for d in qrels.get(q, {}):
                    seen.setdefault(d, None)
            doc_ids = list(seen)
        col = {d: j for j, d in enumerate(doc_ids)}
        indptr = [0]
        indices: list[int] = []
        for q in qids:
            row = []
            for d, s in qrels.get(q, {}).items():
                if s >= min_score:
                    if d not in col:
                        raise DataFormatError(f"qrels of query {q!r} name unknown document {d!r}")
                    row.append(col[d])
            indices.extend(sorted(row))
            indptr.append(len(indices))
        return cls(tuple(qids), tuple(doc_ids), np.asarray(indptr, dtype=np.int64),
                   np.asarray(indices, dtype=np.int64))

    @classmethod
    def all_k_subsets(cls, n: int, k: int) -> "QrelMatrix":
        """All C(n, k) k-subsets of n documents as queries, in lexicographic order."""
        if not (1 <= k <= n):
            raise ConfigError(f"need 1 <= k <= n, got k={k}, n={n}")
        idx = np.fromiter((j for c in combinations(range(n), k) for j in c), dtype=np.int64)
        m = len(idx) // k
        return cls(tuple(f"q{i}" for i in range(m)), tuple(f"d{j}" for j in range(n)),
                   np.arange(0, m * k + 1, k, dtype=np.int64), idx)

    # ---- views ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return len(self.query_ids), len(self.doc_ids)

    @property
    def nnz(self) -> int:
        return int(len(self.indices))

    def row(self, i: int) -> np.ndarray:
        """Relevant document indices of query i."""
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    def row_counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    def uniform_k(self) -> int | None:
        """k when every query has exactly k relevant documents, else None."""
        c = self.row_counts()
        return int(c[0]) if len(c) and (c == c[0]).all() else None

    def relevant_index_array(self) -> np.ndarray:
        """(m, k) int array of relevant indices; requires uniform k."""
        k = self.uniform_k()
        if k is None:
            raise ConfigError("queries have different numbers of relevant documents; no (m, k) array")
        return self.indices.reshape(-1, k)

    def to_dense(self, dtype=bool) -> np.ndarray:
        m, n = self.shape
        a = np.zeros((m, n), dtype=dtype)
        rows = np.repeat(np.arange(m), self.row_counts())
        a[rows, self.indices] = 1
        return a

    def to_scipy(self):
        import scipy.sparse as sp

        return sp.csr_matrix((np.ones(self.nnz, dtype=bool), self.indices, self.indptr), shape=self.shape)

    def to_qrels(self) -> dict[str, dict[str, int]]:
        return {q: {self.doc_ids[j]: 1 for j in self.row(i)} for i, q in enumerate(self.query_ids)}

    def submatrix_docs(self, cols: Iterable[int]) -> "QrelMatrix":
        """Restrict to the given document columns (queries keep only relevant docs among them)."""
        cols = list(cols)
        a = self.to_dense()[:, cols]
        return QrelMatrix.from_dense(a, self.query_ids, [self.doc_ids[j] for j in cols])

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, QrelMatrix) and self.query_ids == other.query_ids
                and self.doc_ids == other.doc_ids and np.array_equal(self.indptr, other.indptr)
                and np.array_equal(self.indices, other.indices))

    def __repr__(self) -> str:
        m, n = self.shape
        return f"QrelMatrix({m} queries x {n} documents, {self.nnz} relevant)"
