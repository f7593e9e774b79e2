"""The in-memory retrieval dataset: corpus (optional), queries, qrels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .._errors import DataFormatError
from ..qrels import QrelMatrix


@dataclass(frozen=True)
class Document:
    title: str
    text: str


@dataclass(frozen=True)
class Dataset:
    """A retrieval dataset. ``corpus`` is None for qrel-only folders (e.g. the offline LIMIT files).

    ``qrels`` maps query id -> {document id: graded score}; dict order is file order.
    """

    queries: Mapping[str, str]
    qrels: Mapping[str, Mapping[str, int]]
    corpus: Mapping[str, Document] | None = None
    name: str = ""
    source: str = ""  # where it was read from (path or hub id@revision)
    checksums: Mapping[str, str] = field(default_factory=dict)  # file name -> sha256

    @property
    def has_corpus(self) -> bool:
        return self.corpus is not None

    def require_corpus(self, purpose: str = "this operation") -> Mapping[str, Document]:
        if self.corpus is None:
            raise DataFormatError(
                f"dataset {self.name or self.source!r} has qrels and queries but no corpus.jsonl, "
                f"which {purpose} needs. Pass a folder with corpus.jsonl (e.g. --data-dir pointing at the "
                f"full LIMIT download, or a folder written by `limitkit generate`)."
            )
        return self.corpus

    def qrel_matrix(self, min_score: int = 1) -> QrelMatrix:
        """A as a QrelMatrix; columns in corpus order when a corpus is present, else first-seen order."""
        doc_ids = list(self.corpus) if self.corpus is not None else None
        return QrelMatrix.from_qrels(self.qrels, doc_ids=doc_ids, query_ids=list(self.queries),
                                     min_score=min_score)
