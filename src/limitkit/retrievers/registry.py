"""Retrievers by name: ``make_retriever("bm25")``, ``make_retriever("dense:intfloat/e5-small-v2")``...

Spec grammar: ``NAME`` or ``NAME:ARG`` (split at the first colon). Options are the fields of the
retriever's config dataclass (e.g. ``query_prompt="query: "`` for dense, ``stemmer=None`` for
bm25); ``cache_dir`` and ``progress`` are accepted by every retriever and used where meaningful.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .._errors import ConfigError
from .base import Retriever

__all__ = ["KNOWN", "make_retriever"]

# name -> (what ARG means, one-line description)
KNOWN = {
    "bm25": (None, "BM25 (bm25s, English stopwords, Snowball stemming)"),
    "dense": ("model name or path", "sentence-transformers single vector; default: bundled all-MiniLM-L6-v2"),
    "multivector": ("model name or path", "MaxSim over a sentence-transformers model's token embeddings"),
    "tfidf": (None, "TF-IDF over LIMIT attributes (cosine)"),
    "exact-match": (None, "number of query attributes found in the document"),
    "token-sum": ("dimension", "random Gaussian token-sum embedding of the attributes (default d=4096)"),
    "fake": ("dimension", "deterministic hash-seeded random vectors (tests; default d=64)"),
    "fake-multivector": ("dimension", "MaxSim over hash-seeded word vectors (tests; default d=32)"),
}
RUNTIME_OPTIONS = ("cache_dir", "progress")


def known_retrievers() -> str:
    return ", ".join(f"{n}:<{arg}>" if arg else n for n, (arg, _) in KNOWN.items())


def _config(cls, options: dict[str, Any], spec: str, **fixed: Any):
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(options) - fields)
    if unknown:
        raise ConfigError(f"retriever {spec!r} has no option(s) {', '.join(unknown)}; "
                          f"valid options: {', '.join(sorted(fields - set(fixed)) + list(RUNTIME_OPTIONS))}")
    return cls(**{**options, **fixed})


def _int_arg(name: str, arg: str | None, default: int) -> int:
    if arg is None or arg == "":
        return default
    try:
        value = int(arg)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"retriever '{name}:{arg}': the dimension must be a positive integer")
    return value


def make_retriever(spec: str, **options: Any) -> Retriever:
    """Build a retriever from a spec string (see ``KNOWN``) and config-field options."""
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"retriever spec must be a non-empty string, got {spec!r}; known: {known_retrievers()}")
    name, _, arg = spec.strip().partition(":")
    arg = arg or None
    runtime = {k: options.pop(k) for k in RUNTIME_OPTIONS if k in options}
    cache_dir, progress = runtime.get("cache_dir"), bool(runtime.get("progress", False))

    if name == "bm25":
        from .bm25 import BM25Config, BM25Retriever

        _no_arg(spec, arg)
        return BM25Retriever(_config(BM25Config, options, spec), progress=progress)
    if name == "dense":
        from .dense import DenseConfig, DenseRetriever

        fixed = {"model": arg} if arg else {}
        return DenseRetriever(_config(DenseConfig, options, spec, **fixed), cache_dir=cache_dir, progress=progress)
    if name == "multivector":
        from .multivector import MultiVectorConfig, MultiVectorRetriever

        fixed = {"model": arg} if arg else {}
        return MultiVectorRetriever(_config(MultiVectorConfig, options, spec, **fixed), cache_dir=cache_dir,
                                    progress=progress)
    if name in ("tfidf", "exact-match"):
        from .baselines import TfidfConfig, TfidfRetriever

        _no_arg(spec, arg)
        weighting = "binary" if name == "exact-match" else "tfidf"
        return TfidfRetriever(_config(TfidfConfig, options, spec, weighting=weighting))
    if name == "token-sum":
        from .baselines import TokenSumConfig, TokenSumRetriever

        return TokenSumRetriever(_config(TokenSumConfig, options, spec, dim=_int_arg(name, arg, 4096)))
    if name == "fake":
        from .fake import FakeConfig, FakeRetriever

        return FakeRetriever(_config(FakeConfig, options, spec, dim=_int_arg(name, arg, 64)))
    if name == "fake-multivector":
        from .fake import FakeTokenEncoder
        from .multivector import MultiVectorConfig, MultiVectorRetriever

        seed = options.pop("seed", 0)
        encoder = FakeTokenEncoder(_int_arg(name, arg, 32), seed)
        return MultiVectorRetriever(_config(MultiVectorConfig, options, spec), encoder=encoder,
                                    cache_dir=cache_dir, progress=progress)
    raise ConfigError(f"unknown retriever {spec!r}; known retrievers: {known_retrievers()}")


def _no_arg(spec: str, arg: str | None) -> None:
    if arg is not None:
        raise ConfigError(f"retriever {spec!r} takes no ':' argument; pass options instead "
                          f"(known: {known_retrievers()})")
