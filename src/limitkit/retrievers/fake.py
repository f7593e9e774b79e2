"""Deterministic fake encoders for tests: vectors seeded from a hash of the text.

``FakeRetriever``: each text -> a unit Gaussian vector drawn by ``default_rng(sha256(seed, text))``.
Equal texts get equal vectors; different texts get (nearly) orthogonal ones for large ``dim``.
``FakeTokenEncoder``: the same per lower-cased word token, for the multi-vector code path, so
MaxSim between a query and a document that share words is exactly 1 per shared word.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .._errors import ConfigError
from .base import VectorRetriever, unit_rows

__all__ = ["FakeConfig", "FakeRetriever", "FakeTokenEncoder", "hashed_vector"]

_WORD = re.compile(r"\w+")


def hashed_vector(text: str, dim: int, seed: int = 0) -> np.ndarray:
    """A standard Gaussian vector of length ``dim`` seeded from sha256(seed, text)."""
    digest = hashlib.sha256(f"{seed}\x00{text}".encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little")).standard_normal(dim)


@dataclass(frozen=True)
class FakeConfig:
    """``dim``: embedding dimension; ``seed``: changes every vector; ``normalize``: unit length."""

    dim: int = 64
    seed: int = 0
    normalize: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.dim, int) or self.dim < 1:
            raise ConfigError(f"fake encoder dim must be a positive integer, got {self.dim!r}")


class FakeRetriever(VectorRetriever):
    """Single-vector retriever over hash-seeded random vectors (deterministic; no model)."""

    def __init__(self, config: FakeConfig = FakeConfig()):
        super().__init__()
        self.config = config
        self.name = f"fake:{config.dim}"
        self.encode_calls = 0  # number of texts encoded (lets tests see the work done)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encode_calls += len(texts)
        out = np.stack([hashed_vector(t, self.config.dim, self.config.seed) for t in texts]) if texts \
            else np.zeros((0, self.config.dim))
        return (unit_rows(out) if self.config.normalize else out).astype(np.float32)

    encode_queries = _encode
    encode_documents = _encode


class FakeTokenEncoder:
    """Per-token fake embeddings: one hash-seeded unit vector per lower-cased word (``\\w+``).

    Implements the token-encoder interface used by ``MultiVectorRetriever``.
    """

    def __init__(self, dim: int = 32, seed: int = 0):
        if dim < 1:
            raise ConfigError(f"fake token encoder dim must be positive, got {dim!r}")
        self.dim, self.seed = dim, seed
        self.model_id = f"fake-token:{dim}:{seed}"
        self.settings = {"dim": dim, "seed": seed}

    def encode_tokens(self, texts: Sequence[str], *, is_query: bool) -> list[np.ndarray]:
        out = []
        for t in texts:
            words = _WORD.findall(t.lower()) or [""]
            out.append(unit_rows(np.stack([hashed_vector(w, self.dim, self.seed) for w in words])).astype(np.float32))
        return out
