"""Training-free baselines: exact-match / TF-IDF over items, and the random token-sum embedding.

What an *item* is (``items=``):

- ``"attributes"`` (default): LIMIT's template is parsed. A document "NAME likes A, B, ... and Z."
  gives the items A, B, ..., Z (the name and "likes" are not items); a query "Who likes X?" gives
  the single item X. The final "Y and Z" is split at the " and " whose two sides are both items
  seen elsewhere in the corpus (so "Fish and Chips" stays whole), else at the last " and ".
  Items are compared case-folded. A text that does not fit the template falls back to words.
- ``"words"``: lower-cased ``\\w+`` tokens, repeats counted (no template knowledge).

``TfidfRetriever``: documents and queries become sparse item vectors, ``weighting="tfidf"``
(tf = count, idf = ln((1 + N) / (1 + df)) + 1, rows L2-normalised; score = cosine) or
``"binary"`` (score = number of query items present: exact match). On LIMIT an attribute item
reverse-engineers the construction, so this scores ~100 (the paper's footnote 8).

``TokenSumRetriever``: every item gets a Gaussian vector g ~ N(0, I_d) seeded from a hash of the
item (no vocabulary order, no training); a text is the sum of its items' vectors; score = inner
product. For a query item a and a document with items S, ``<g_a, sum_{s in S} g_s>`` is
``|g_a|^2 ~ d`` plus noise of standard deviation ~ sqrt(|S| d) when a is in S, and only noise when
it is not, so the relevant documents separate once d >> |S|. Scores are computed block by block,
``(Y G)(X G)^T`` with X, Y the sparse item counts and G the (items x d) vectors, never storing
all document embeddings at once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .._errors import ConfigError, ResourceError
from .._lazy import require
from ..data.dataset import Document
from .base import Run, document_text, to_run, topk_blocks
from .fake import hashed_vector

__all__ = ["ItemParser", "TfidfConfig", "TfidfRetriever", "TokenSumConfig", "TokenSumRetriever"]

_DOC = re.compile(r"^\s*(?P<name>.+?) likes (?P<items>.+?)\.?\s*$", re.S)
_QUERY = re.compile(r"^\s*Who likes (?P<item>.+?)\s*\??\s*$", re.S | re.I)
_WORD = re.compile(r"\w+")
ITEM_KINDS = ("attributes", "words")


def _norm(item: str) -> str:
    return " ".join(item.split()).casefold()


def _doc_segments(text: str) -> list[str] | None:
    m = _DOC.match(text)
    return [s.strip() for s in m.group("items").split(",")] if m else None


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class ItemParser:
    """Turns texts into item lists (see module docstring); ``fit`` learns the corpus items."""

    def __init__(self, kind: str = "attributes"):
        if kind not in ITEM_KINDS:
            raise ConfigError(f"items must be one of {ITEM_KINDS}, got {kind!r}")
        self.kind = kind
        self.known: set[str] = set()

    def fit(self, texts: Sequence[str]) -> "ItemParser":
        if self.kind == "attributes":
            for t in texts:
                segs = _doc_segments(t)
                if segs:
                    self.known.update(_norm(s) for s in segs[:-1])
        return self

    def _split_last(self, seg: str) -> list[str]:
        parts = seg.split(" and ")
        if len(parts) == 1:
            return [seg]
        cuts = [(" and ".join(parts[:i]), " and ".join(parts[i:])) for i in range(1, len(parts))]
        for left, right in cuts:
            if _norm(left) in self.known and _norm(right) in self.known:
                return [left, right]
        for left, right in cuts:
            if _norm(left) in self.known or _norm(right) in self.known:
                return [left, right]
        return list(cuts[-1])

    def document_items(self, text: str) -> list[str]:
        if self.kind == "attributes":
            segs = _doc_segments(text)
            if segs:
                return [_norm(s) for s in segs[:-1] + self._split_last(segs[-1]) if s]
        return words(text)

    def query_items(self, text: str) -> list[str]:
        if self.kind == "attributes":
            m = _QUERY.match(text)
            if m:
                return [_norm(m.group("item"))]
        return words(text)


def _count_matrix(item_lists: Sequence[Sequence[str]], vocab: dict[str, int], grow: bool):
    """Sparse (texts x vocab) item counts; unseen items are added when ``grow``, else dropped."""
    sp = require("scipy.sparse")
    rows, cols, vals = [], [], []
    for i, items in enumerate(item_lists):
        for item, c in Counter(items).items():
            j = vocab.get(item)
            if j is None and grow:
                j = vocab[item] = len(vocab)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append(c)
    return sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(len(item_lists), len(vocab)))


@dataclass(frozen=True)
class TfidfConfig:
    items: str = "attributes"
    weighting: str = "tfidf"  # or "binary" (exact match count)

    def __post_init__(self) -> None:
        if self.items not in ITEM_KINDS:
            raise ConfigError(f"items must be one of {ITEM_KINDS}, got {self.items!r}")
        if self.weighting not in ("tfidf", "binary"):
            raise ConfigError(f"weighting must be 'tfidf' or 'binary', got {self.weighting!r}")


class TfidfRetriever:
    """Sparse exact-match / TF-IDF retriever over items."""

    def __init__(self, config: TfidfConfig = TfidfConfig()):
        self.config = config
        self.name = "exact-match" if config.weighting == "binary" else "tfidf"
        if config.items != "attributes":
            self.name += f"[{config.items}]"
        self._parser = ItemParser(config.items)
        self._vocab: dict[str, int] = {}
        self._docs = None
        self._idf = None
        self._doc_ids: list[str] = []

    def _weigh(self, x):
        sp = require("scipy.sparse")
        if self.config.weighting == "binary":
            x = x.copy()
            x.data[:] = 1.0
            return x
        x = x @ sp.diags(self._idf)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        return sp.diags(1.0 / np.where(norms == 0, 1.0, norms)) @ x

    def index(self, corpus: Mapping[str, Document]) -> None:
        texts = [document_text(d) for d in corpus.values()]
        self._doc_ids = list(corpus)
        self._parser = ItemParser(self.config.items).fit(texts)
        self._vocab = {}
        counts = _count_matrix([self._parser.document_items(t) for t in texts], self._vocab, grow=True).tocsc()
        df = np.diff(counts.indptr)
        self._idf = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
        self._docs = self._weigh(counts.tocsr()).T.tocsr()  # (vocab, docs)

    def search(self, queries: Mapping[str, str], k: int) -> Run:
        if self._docs is None:
            raise ConfigError(f"retriever {self.name!r}: call index(corpus) before search")
        qids = list(queries)
        q = self._weigh(_count_matrix([self._parser.query_items(queries[i]) for i in qids], self._vocab, grow=False))
        idx, val = topk_blocks(lambda i, j: (q[i:j] @ self._docs).toarray(), len(qids), len(self._doc_ids), k)
        return to_run(qids, self._doc_ids, idx, val)


@dataclass(frozen=True)
class TokenSumConfig:
    dim: int = 4096
    seed: int = 0
    items: str = "attributes"
    max_item_bytes: int = 2 << 30  # refuse item tables (items x dim float32) larger than this

    def __post_init__(self) -> None:
        if not isinstance(self.dim, int) or self.dim < 1:
            raise ConfigError(f"token-sum dim must be a positive integer, got {self.dim!r}")
        if self.items not in ITEM_KINDS:
            raise ConfigError(f"items must be one of {ITEM_KINDS}, got {self.items!r}")


class TokenSumRetriever:
    """Random token-sum embeddings: text = sum of hash-seeded Gaussian item vectors; inner product."""

    def __init__(self, config: TokenSumConfig = TokenSumConfig()):
        self.config = config
        self.name = f"token-sum:{config.dim}" + ("" if config.items == "attributes" else f"[{config.items}]")
        self._parser = ItemParser(config.items)
        self._doc_items: list[list[str]] = []
        self._doc_ids: list[str] = []

    def _vectors(self, vocab: dict[str, int]) -> np.ndarray:
        need = len(vocab) * self.config.dim * 4
        if need > self.config.max_item_bytes:
            fit = max(1, self.config.max_item_bytes // (4 * max(len(vocab), 1)))
            raise ResourceError(f"token-sum: {len(vocab)} items x dim {self.config.dim} needs {need / 2**30:.1f} GiB "
                                f"of item vectors; use dim <= {fit} or items='attributes'")
        g = np.zeros((len(vocab), self.config.dim), dtype=np.float32)
        for item, j in vocab.items():
            g[j] = hashed_vector(item, self.config.dim, self.config.seed)
        return g

    def embed(self, item_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Dense (texts x dim) embeddings: the sum of each text's item vectors."""
        vocab: dict[str, int] = {}
        x = _count_matrix(item_lists, vocab, grow=True)
        return np.asarray(x @ self._vectors(vocab), dtype=np.float32)

    def index(self, corpus: Mapping[str, Document]) -> None:
        texts = [document_text(d) for d in corpus.values()]
        self._doc_ids = list(corpus)
        self._parser = ItemParser(self.config.items).fit(texts)
        self._doc_items = [self._parser.document_items(t) for t in texts]

    def search(self, queries: Mapping[str, str], k: int) -> Run:
        if not self._doc_ids:
            raise ConfigError(f"retriever {self.name!r}: call index(corpus) before search")
        qids = list(queries)
        vocab: dict[str, int] = {}
        x = _count_matrix(self._doc_items, vocab, grow=True)
        y = _count_matrix([self._parser.query_items(queries[q]) for q in qids], vocab, grow=True)
        x.resize((x.shape[0], len(vocab)))
        g = self._vectors(vocab)
        n = len(self._doc_ids)
        slice_docs = max(1, (256 << 20) // (4 * self.config.dim))

        def block(i: int, j: int) -> np.ndarray:
            qv = np.asarray(y[i:j] @ g, dtype=np.float32)
            out = np.empty((j - i, n), dtype=np.float32)
            for s in range(0, n, slice_docs):
                out[:, s:s + slice_docs] = qv @ np.asarray(x[s:s + slice_docs] @ g, dtype=np.float32).T
            return out

        idx, val = topk_blocks(block, len(qids), n, k)
        return to_run(qids, self._doc_ids, idx, val)
