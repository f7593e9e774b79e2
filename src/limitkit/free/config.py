"""The free-embedding protocol as one frozen config; defaults = the reference implementation.

Reference: google-deepmind/limit ``code/free_embedding_experiment.py`` (Adam lr 0.01, temperature
0.1, full-batch InfoNCE over all documents, renormalise after every step, early stop after 1000
steps without a loss improvement > 1e-5, at most 100k steps, accuracy every 50 steps).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .._errors import ConfigError

LOSSES = ("infonce-mean", "infonce-multi", "sigmoid")
DTYPES = ("float32", "float64")
BACKENDS = ("auto", "numpy", "torch")


@dataclass(frozen=True)
class FreeEmbeddingConfig:
    """Every knob of one free-embedding run (all saved with each result).

    Queries are all C(n, k) k-subsets of n documents, or ``num_queries`` of them drawn without
    replacement with ``query_seed`` (None: the run seed + 1, as the reference does). Vectors start
    standard normal, L2-normalised; Adam (``lr``, ``beta1``, ``beta2``, ``adam_eps``) on the full
    batch; all vectors renormalised after every step. A run stops when the loss has not improved by
    more than ``min_delta`` for ``patience`` steps, after ``max_steps``, or as soon as an evaluation
    (every ``eval_every`` steps) finds every query solved: every relevant score above every
    irrelevant one (ties count as failures), by at least ``margin`` when ``margin > 0``.

    ``loss``: ``infonce-mean`` (reference code: mean over (query, positive) pairs of -log softmax),
    ``infonce-multi`` (paper: -log of the summed positive probability, mean over queries),
    ``sigmoid`` (pairwise: mean over all (query, doc) pairs of softplus(-z (s - sigmoid_bias)/T),
    z = +1 relevant, -1 irrelevant).

    Engine knobs: ``device`` ("cpu", "cuda", "cuda:N", "auto" = CUDA when present), ``backend``
    ("auto" = numpy on CPU, torch on CUDA), ``chunk_size`` (queries per chunk; None = automatic),
    ``memory_limit_gb`` (refuse runs whose estimate exceeds it), ``threads`` (BLAS / torch CPU threads
    during training; None = the library default. 1 is the default because the products here are
    small: extra BLAS threads barely help them and, on a busy machine, spinning threads slowed a
    step at n=60, d=12 from 0.38 ms to 4.3 ms).
    """

    k: int = 2
    num_queries: int | None = None
    query_seed: int | None = None
    lr: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    adam_eps: float = 1e-8
    temperature: float = 0.1
    loss: str = "infonce-mean"
    sigmoid_bias: float = 0.0
    patience: int = 1000
    min_delta: float = 1e-5
    max_steps: int = 100_000
    eval_every: int = 50
    margin: float = 0.0
    dtype: str = "float32"
    device: str = "cpu"
    backend: str = "auto"
    chunk_size: int | None = None
    memory_limit_gb: float = 8.0
    threads: int | None = 1

    def __post_init__(self) -> None:
        def bad(field: str, why: str) -> ConfigError:
            return ConfigError(f"FreeEmbeddingConfig.{field}={getattr(self, field)!r}: {why}")

        for f in ("k", "patience", "eval_every"):
            if not isinstance(getattr(self, f), int) or getattr(self, f) < 1:
                raise bad(f, "must be an integer >= 1")
        if not isinstance(self.max_steps, int) or self.max_steps < 0:
            raise bad("max_steps", "must be an integer >= 0")
        for f in ("num_queries", "chunk_size", "threads"):
            v = getattr(self, f)
            if v is not None and (not isinstance(v, int) or v < 1):
                raise bad(f, "must be None or an integer >= 1")
        if self.query_seed is not None and not isinstance(self.query_seed, int):
            raise bad("query_seed", "must be None or an integer")
        for f in ("lr", "temperature", "memory_limit_gb"):
            if not getattr(self, f) > 0:
                raise bad(f, "must be > 0")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ConfigError(f"Adam betas must lie in [0, 1), got beta1={self.beta1}, beta2={self.beta2}")
        if not self.adam_eps >= 0 or not self.min_delta >= 0 or not self.margin >= 0:
            raise ConfigError("adam_eps, min_delta and margin must be >= 0 "
                              f"(got {self.adam_eps}, {self.min_delta}, {self.margin})")
        if self.loss not in LOSSES:
            raise bad("loss", f"choose one of {', '.join(LOSSES)}")
        if self.dtype not in DTYPES:
            raise bad("dtype", f"choose one of {', '.join(DTYPES)}")
        if self.backend not in BACKENDS:
            raise bad("backend", f"choose one of {', '.join(BACKENDS)}")
        dev = self.device
        if not (dev in ("cpu", "cuda", "auto") or (dev.startswith("cuda:") and dev[5:].isdigit())):
            raise bad("device", "use 'cpu', 'cuda', 'cuda:N' or 'auto'")
        if self.backend == "numpy" and dev.startswith("cuda"):
            raise ConfigError(f"backend='numpy' cannot run on device={dev!r}; use backend='torch' or 'auto'")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FreeEmbeddingConfig":
        """Inverse of ``to_dict``; unknown keys raise ConfigError naming them."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"unknown FreeEmbeddingConfig fields {unknown}; known: {sorted(names)}")
        return cls(**data)


def run_signature(n: int, d: int, seed: int, config: FreeEmbeddingConfig) -> str:
    """Stable key of one run: sha256 of the canonical JSON of (n, d, seed, every config field)."""
    payload = json.dumps({"n": int(n), "d": int(d), "seed": int(seed), "config": config.to_dict()},
                         sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
