"""The retriever protocol and the exact, chunked top-k shared by every vector retriever.

A retriever indexes a corpus ``{doc_id: Document}`` and answers ``search(queries, k)`` with
``{query_id: {doc_id: score}}`` holding the k highest-scoring documents of each query.

Top-k is exact: scores ``S = Q D^T`` are computed for a block of queries at a time (the block
size keeps ``block x n_docs`` float32 scores under ``max_block_bytes``), and each row keeps its k
largest entries. Ties are broken deterministically by corpus position (the earlier document
wins), so the same inputs always give the same documents, whatever the block size.
"""

from __future__ import annotations

from typing import Callable, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from .._errors import ConfigError, DataFormatError
from ..data.dataset import Document

__all__ = ["Retriever", "Run", "VectorRetriever", "document_text", "progress_bar", "to_run", "topk_blocks",
           "topk_dense", "topk_rows", "unit_rows"]

Run = dict[str, dict[str, float]]

#: Score-matrix memory per block (bytes); 256 MiB keeps a 50k-document corpus at ~1300 queries a block.
DEFAULT_BLOCK_BYTES = 256 << 20


@runtime_checkable
class Retriever(Protocol):
    """What the evaluation harness needs from a retriever, and nothing more."""

    name: str

    def index(self, corpus: Mapping[str, Document]) -> None:
        """Prepare to search ``corpus`` (document id -> Document)."""

    def search(self, queries: Mapping[str, str], k: int) -> Run:
        """The k best documents of each query as ``{qid: {doc_id: score}}``."""


def document_text(doc: Document) -> str:
    """The text a retriever sees: ``title + " " + text`` (as MTEB/BEIR), or the text alone."""
    return f"{doc.title} {doc.text}".strip() if doc.title else doc.text


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (all-zero rows stay zero)."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)


def progress_bar(enabled: bool, desc: str, total: int):
    """A tqdm bar on stderr, or None when progress is off."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def check_k(k: int, n_docs: int) -> int:
    """Validate k and clip it to the corpus size."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ConfigError(f"k must be a positive integer, got {k!r}")
    if n_docs == 0:
        raise DataFormatError("the corpus is empty: index at least one document before searching")
    return int(min(k, n_docs))


def topk_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Kernel: the k largest entries of each row of ``scores`` (m, n), ties -> smaller column first.

    Returns ``(indices, values)``, both of shape (m, k), sorted by decreasing score.
    Cost O(m n) for the partition plus O(m c log c) for the c >= k candidates of each row.
    """
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ConfigError(f"scores must be a 2-D (queries, documents) array, got shape {scores.shape}")
    m, n = scores.shape
    k = check_k(k, n)
    if m == 0:
        return np.zeros((0, k), dtype=np.int64), np.zeros((0, k), dtype=scores.dtype)
    if np.isnan(scores).any():
        raise DataFormatError("a retriever produced NaN scores; check the encoder's inputs/outputs")
    kth = np.partition(scores, n - k, axis=1)[:, n - k : n - k + 1]  # k-th largest value per row
    rows, cols = np.nonzero(scores >= kth)  # every candidate, including all ties with the k-th value
    vals = scores[rows, cols]
    order = np.lexsort((cols, -vals, rows))  # by row, then score descending, then column ascending
    counts = np.bincount(rows, minlength=m)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    take = order[(starts[:, None] + np.arange(k)[None, :]).ravel()]
    return cols[take].reshape(m, k).astype(np.int64), vals[take].reshape(m, k)


def topk_blocks(score_block: Callable[[int, int], np.ndarray], n_queries: int, n_docs: int, k: int,
                *, max_block_bytes: int = DEFAULT_BLOCK_BYTES, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k where ``score_block(i, j)`` returns the (j - i, n_docs) scores of queries i..j-1.

    Queries are processed in blocks sized so one block of float32 scores fits ``max_block_bytes``.
    ``progress`` (optional tqdm) is advanced by the number of queries done.
    """
    k = check_k(k, n_docs)
    block = max(1, int(max_block_bytes // (4 * max(n_docs, 1))))
    idx = np.zeros((n_queries, k), dtype=np.int64)
    val = np.zeros((n_queries, k), dtype=np.float32)
    for i in range(0, n_queries, block):
        j = min(i + block, n_queries)
        s = np.asarray(score_block(i, j), dtype=np.float32)
        if s.shape != (j - i, n_docs):
            raise ConfigError(f"score block for queries {i}..{j} has shape {s.shape}, expected {(j - i, n_docs)}")
        idx[i:j], val[i:j] = topk_rows(s, k)
        if progress is not None:
            progress.update(j - i)
    return idx, val


def topk_dense(queries: np.ndarray, docs: np.ndarray, k: int, *,
               max_block_bytes: int = DEFAULT_BLOCK_BYTES, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top-k: the k largest entries of each row of ``queries @ docs.T``."""
    queries = np.asarray(queries, dtype=np.float32)
    docs = np.asarray(docs, dtype=np.float32)
    if queries.ndim != 2 or docs.ndim != 2 or queries.shape[1] != docs.shape[1]:
        raise ConfigError(f"query matrix {queries.shape} and document matrix {docs.shape} must be 2-D "
                          "with the same number of columns (the embedding dimension)")
    return topk_blocks(lambda i, j: queries[i:j] @ docs.T, len(queries), len(docs), k,
                       max_block_bytes=max_block_bytes, progress=progress)


def to_run(query_ids: Sequence[str], doc_ids: Sequence[str], idx: np.ndarray, val: np.ndarray) -> Run:
    """(m, k) index/score arrays -> ``{qid: {doc_id: score}}`` (dict order = rank order)."""
    return {q: {doc_ids[j]: float(s) for j, s in zip(row_i, row_v)}
            for q, row_i, row_v in zip(query_ids, idx.tolist(), val.tolist())}


class VectorRetriever:
    """Base for retrievers that embed queries and documents into one space and rank by inner product.

    Subclasses implement ``encode_queries(texts) -> (m, d)`` and ``encode_documents(texts) -> (n, d)``
    (float arrays); this class keeps the document matrix and runs the exact top-k.
    """

    name: str = "vector"
    progress: bool = False

    def __init__(self) -> None:
        self._doc_ids: list[str] = []
        self._doc_matrix: np.ndarray | None = None

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def index(self, corpus: Mapping[str, Document]) -> None:
        self._doc_ids = list(corpus)
        self._doc_matrix = np.asarray(self.encode_documents([document_text(d) for d in corpus.values()]),
                                      dtype=np.float32)

    @property
    def doc_ids(self) -> list[str]:
        return list(self._doc_ids)

    @property
    def doc_matrix(self) -> np.ndarray:
        if self._doc_matrix is None:
            raise ConfigError(f"retriever {self.name!r}: call index(corpus) before search/doc_matrix")
        return self._doc_matrix

    def search(self, queries: Mapping[str, str], k: int) -> Run:
        docs = self.doc_matrix
        qids = list(queries)
        q = np.asarray(self.encode_queries([queries[i] for i in qids]), dtype=np.float32)
        idx, val = topk_dense(q, docs, k)
        return to_run(qids, self._doc_ids, idx, val)
