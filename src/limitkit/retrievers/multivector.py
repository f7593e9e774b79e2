"""Multi-vector late interaction: MaxSim over per-token embeddings, in bounded memory.

``score(q, d) = sum_{i in tokens(q)} max_{j in tokens(d)} <q_i, d_j>`` (ColBERT's MaxSim).
By default the token vectors are the contextual token embeddings of a sentence-transformers model
(``output_value="token_embeddings"``: the transformer's last hidden states, padding dropped,
[CLS]/[SEP] kept), each normalised to unit length, so every term is a cosine in [-1, 1]. This
is *not* a trained ColBERT model (the LIMIT paper's multi-vector row is GTE-ModernColBERT); it
shows what late interaction does with an off-the-shelf single-vector encoder.

Computation: all document tokens are stacked into one (T, dim) matrix with per-document offsets.
For a block of queries, the (query tokens x T) similarity matrix is formed one slice of
documents at a time (at most ``max_block_bytes`` of float32), reduced with ``maximum.reduceat``
over each document's token range and ``add.reduceat`` over each query's tokens. Memory stays
bounded by the block size whatever the corpus size; the result is exact.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Protocol, Sequence

import numpy as np

from .._errors import ConfigError, DataFormatError
from ..data.dataset import Document
from .base import Run, document_text, progress_bar, to_run, topk_blocks, unit_rows
from .cache import EmbeddingCache
from .dense import DenseConfig, load_sentence_transformer, resolve_model

__all__ = ["MultiVectorConfig", "MultiVectorRetriever", "SentenceTransformerTokenEncoder", "TokenEncoder",
           "maxsim_scores"]


class TokenEncoder(Protocol):
    """Per-token embeddings: one (n_tokens, dim) array per text."""

    model_id: str
    settings: dict

    def encode_tokens(self, texts: Sequence[str], *, is_query: bool) -> list[np.ndarray]: ...


@dataclass(frozen=True)
class MultiVectorConfig(DenseConfig):
    """The dense settings (model, prompts, batch size, normalisation of each token vector, max length,
    device) plus a bound on one block of token similarities."""

    max_block_bytes: int = 256 << 20

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_block_bytes < 1 << 16:
            raise ConfigError(f"max_block_bytes must be >= 65536, got {self.max_block_bytes}")


class SentenceTransformerTokenEncoder:
    """Token embeddings from a sentence-transformers model (loaded on first use)."""

    def __init__(self, config: MultiVectorConfig):
        self.config = config
        self.model_id = resolve_model(config.model)[1]
        self.settings = {"output": "token_embeddings", "normalize": config.normalize,
                         "max_seq_length": config.max_seq_length}
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = load_sentence_transformer(self.config.model, self.config.device, self.config.max_seq_length)
        return self._model

    def encode_tokens(self, texts: Sequence[str], *, is_query: bool) -> list[np.ndarray]:
        prompt = self.config.query_prompt if is_query else self.config.doc_prompt
        out = self.model.encode(list(texts), prompt=prompt or None, batch_size=self.config.batch_size,
                                output_value="token_embeddings", convert_to_numpy=True, show_progress_bar=False)
        rows = [np.asarray(t.float().numpy() if hasattr(t, "numpy") else t, dtype=np.float32) for t in out]
        return [unit_rows(r) for r in rows] if self.config.normalize else rows


def maxsim_scores(q_tokens: Sequence[np.ndarray], doc_flat: np.ndarray, doc_offsets: np.ndarray, *,
                  max_block_bytes: int = 256 << 20) -> np.ndarray:
    """Kernel: (len(q_tokens), n_docs) MaxSim scores; document j is rows ``doc_flat[o[j]:o[j+1]]``.

    Queries are taken in groups of at most G token rows and documents in slices of at most S token
    columns with G * S * 4 bytes <= ``max_block_bytes`` (unless one query or one document alone is
    larger), so peak memory is bounded independently of the number of queries and documents.
    """
    n_docs = len(doc_offsets) - 1
    lengths = np.diff(doc_offsets)
    if n_docs and lengths.min() < 1:
        raise DataFormatError("a document has no token vectors; MaxSim needs at least one per document")
    out = np.empty((len(q_tokens), n_docs), dtype=np.float32)
    if not len(q_tokens) or not n_docs:
        return out
    q_len = np.array([len(q) for q in q_tokens])
    if q_len.min() < 1:
        raise DataFormatError("a query has no token vectors; MaxSim needs at least one per query")
    cells = max(1, max_block_bytes // 4)
    d_max = int(lengths.max())
    g_rows = max(int(q_len.max()), min(int(q_len.sum()), cells // (4 * d_max)))  # room for >= 4 documents
    s_cols = max(d_max, cells // g_rows)
    a = 0
    while a < len(q_tokens):  # greedy query groups of <= g_rows token rows
        b = a + 1
        rows = int(q_len[a])
        while b < len(q_tokens) and rows + q_len[b] <= g_rows:
            rows += int(q_len[b])
            b += 1
        q_flat = np.concatenate(q_tokens[a:b]).astype(np.float32, copy=False)
        q_starts = np.concatenate(([0], np.cumsum(q_len[a:b])[:-1]))
        j = 0
        while j < n_docs:  # document slices of <= s_cols token columns
            j_end = int(np.searchsorted(doc_offsets, doc_offsets[j] + s_cols, side="right")) - 1
            j_end = min(max(j_end, j + 1), n_docs)
            lo, hi = doc_offsets[j], doc_offsets[j_end]
            sim = q_flat @ doc_flat[lo:hi].T  # (query tokens, slice tokens)
            per_doc = np.maximum.reduceat(sim, doc_offsets[j:j_end] - lo, axis=1)  # (query tokens, docs)
            out[a:b, j:j_end] = np.add.reduceat(per_doc, q_starts, axis=0)
            j = j_end
        a = b
    return out


class MultiVectorRetriever:
    """Late-interaction retriever over any ``TokenEncoder`` (sentence-transformers by default)."""

    def __init__(self, config: MultiVectorConfig = MultiVectorConfig(), *, encoder: TokenEncoder | None = None,
                 cache_dir: str | os.PathLike | None = None, progress: bool = False):
        self.config = config
        self.encoder = encoder if encoder is not None else SentenceTransformerTokenEncoder(config)
        self.cache_dir = cache_dir
        self.progress = progress
        default = encoder is None and config.model == "default"
        label = config.model if encoder is None else self.encoder.model_id
        self.name = "multivector" if default else f"multivector:{label}"
        self._caches: dict[bool, EmbeddingCache] = {}
        self._doc_ids: list[str] = []
        self._doc_flat: np.ndarray | None = None
        self._doc_offsets: np.ndarray | None = None

    def _tokens(self, texts: Sequence[str], is_query: bool) -> list[np.ndarray]:
        if is_query not in self._caches:
            prompt = self.config.query_prompt if is_query else self.config.doc_prompt
            self._caches[is_query] = EmbeddingCache(self.cache_dir, self.encoder.model_id,
                                                    {**self.encoder.settings, "prompt": prompt})
        bar = progress_bar(self.progress, f"token-encode {'queries' if is_query else 'documents'}", len(texts))
        try:
            return self._caches[is_query].encode(
                list(texts), lambda chunk: self.encoder.encode_tokens(chunk, is_query=is_query), progress=bar)
        finally:
            if bar is not None:
                bar.close()

    def index(self, corpus: Mapping[str, Document]) -> None:
        self._doc_ids = list(corpus)
        toks = self._tokens([document_text(d) for d in corpus.values()], is_query=False)
        self._doc_offsets = np.concatenate(([0], np.cumsum([len(t) for t in toks]))).astype(np.int64)
        self._doc_flat = np.concatenate(toks).astype(np.float32) if toks else np.zeros((0, 1), np.float32)

    def search(self, queries: Mapping[str, str], k: int) -> Run:
        if self._doc_flat is None:
            raise ConfigError(f"retriever {self.name!r}: call index(corpus) before search")
        qids = list(queries)
        q_tok = self._tokens([queries[q] for q in qids], is_query=True)
        budget = self.config.max_block_bytes

        def block(i: int, j: int) -> np.ndarray:
            return maxsim_scores(q_tok[i:j], self._doc_flat, self._doc_offsets, max_block_bytes=budget)

        idx, val = topk_blocks(block, len(qids), len(self._doc_ids), k, max_block_bytes=budget)
        return to_run(qids, self._doc_ids, idx, val)

    def describe(self) -> dict[str, Any]:
        return {"model_id": self.encoder.model_id, **asdict(self.config)}
