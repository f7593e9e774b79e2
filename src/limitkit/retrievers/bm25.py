"""BM25 via bm25s, with bm25s' default scoring and the tokenizer MTEB's BM25 baseline uses.

Tokenizer (``bm25s.tokenization.Tokenizer``, fitted on the corpus, reused for queries):
lower-case; split with the scikit-learn pattern ``(?u)\\b\\w\\w+\\b`` (runs of 2+ word characters,
so punctuation and one-letter words are dropped); remove bm25s' English stopword list ("en"; this
drops "who" from "Who likes X?"); stem each token with the Snowball English stemmer (PyStemmer),
so "Quokkas" and "quokka" match. Stemming is on by default because MTEB's ``bm25s`` baseline (the
BM25 row of the LIMIT paper) stems with the same stemmer; ``stemmer=None`` turns it off. Query
words absent from the corpus vocabulary are dropped.

Scoring (bm25s defaults): method "lucene", k1 = 1.5, b = 0.75,
``score(q, d) = sum_{t in q} idf(t) * tf(t,d) / (tf(t,d) + k1 (1 - b + b |d| / avgdl))`` (Lucene drops
the constant factor k1 + 1)
with ``idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))``; a word repeated in the query counts each
time (as bm25s). bm25s precomputes every (term, document) score in a sparse matrix S; we score
all queries of a block at once as ``counts(queries) @ S^T`` and take the exact top-k with the
shared deterministic tie rule (earlier document first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .._errors import ConfigError
from .._lazy import require
from ..data.dataset import Document
from .base import Run, document_text, to_run, topk_blocks

__all__ = ["BM25Config", "BM25Retriever"]

_METHODS = ("lucene", "robertson", "atire", "bm25l", "bm25+")


@dataclass(frozen=True)
class BM25Config:
    """bm25s parameters (defaults = bm25s defaults) and the tokenizer's stopwords/stemmer."""

    k1: float = 1.5
    b: float = 0.75
    method: str = "lucene"
    stopwords: str | None = "en"
    stemmer: str | None = "english"  # a PyStemmer language, or None for no stemming

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise ConfigError(f"BM25 method {self.method!r} is not one of {', '.join(_METHODS)}")
        if not (self.k1 >= 0 and 0 <= self.b <= 1):
            raise ConfigError(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={self.k1}, b={self.b}")


class BM25Retriever:
    """Lexical BM25 retriever (see the module docstring for the exact tokenizer and formula)."""

    def __init__(self, config: BM25Config = BM25Config(), *, progress: bool = False):
        self.config = config
        self.progress = progress
        self.name = "bm25" if config == BM25Config() else f"bm25[{_describe(config)}]"
        self._tokenizer = None
        self._score_matrix = None  # scipy CSR (vocab, n_docs): S^T
        self._doc_ids: list[str] = []

    def _make_tokenizer(self):
        bm25s = require("bm25s")
        stemmer = None
        if self.config.stemmer:
            Stemmer = require("Stemmer")
            try:
                stemmer = Stemmer.Stemmer(self.config.stemmer)
            except KeyError as exc:
                raise ConfigError(f"PyStemmer has no stemmer for language {self.config.stemmer!r}; "
                                  f"choose one of {', '.join(Stemmer.algorithms())} or None") from exc
        return bm25s.tokenization.Tokenizer(stopwords=self.config.stopwords or [], stemmer=stemmer)

    def index(self, corpus: Mapping[str, Document]) -> None:
        bm25s = require("bm25s")
        sp = require("scipy.sparse")
        self._doc_ids = list(corpus)
        self._tokenizer = self._make_tokenizer()
        ids = self._tokenizer.tokenize([document_text(d) for d in corpus.values()], update_vocab=True,
                                       return_as="ids", show_progress=self.progress)
        vocab = self._tokenizer.get_vocab_dict()
        model = bm25s.BM25(k1=self.config.k1, b=self.config.b, method=self.config.method)
        model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=self.progress)
        s = model.scores  # CSC over (n_docs, vocab): column t lists the documents containing term t
        n, v = s["num_docs"], len(s["indptr"]) - 1
        self._score_matrix = sp.csc_matrix((s["data"], s["indices"], s["indptr"]), shape=(n, v)).T.tocsr()

    def search(self, queries: Mapping[str, str], k: int) -> Run:
        if self._score_matrix is None:
            raise ConfigError(f"retriever {self.name!r}: call index(corpus) before search")
        sp = require("scipy.sparse")
        qids = list(queries)
        ids = self._tokenizer.tokenize([queries[q] for q in qids], update_vocab=False, return_as="ids",
                                       show_progress=False)
        v = self._score_matrix.shape[0]
        rows = np.repeat(np.arange(len(ids)), [len(t) for t in ids])
        cols = np.fromiter((t for toks in ids for t in toks), dtype=np.int64, count=len(rows))
        counts = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(ids), v))
        s_t = self._score_matrix
        idx, val = topk_blocks(lambda i, j: (counts[i:j] @ s_t).toarray(), len(qids), len(self._doc_ids), k)
        return to_run(qids, self._doc_ids, idx, val)


def _describe(config: BM25Config) -> str:
    default = BM25Config()
    return ",".join(f"{f}={getattr(config, f)}" for f in ("k1", "b", "method", "stopwords", "stemmer")
                    if getattr(config, f) != getattr(default, f))
