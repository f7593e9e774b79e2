"""LIMIT-style dataset generation: a qrel pattern rendered as "Who likes X?" over people's likes.

Construction (as in Weller et al. 2025): pick a binary qrel matrix A (m queries x n documents, each
query with k relevant documents) from a pattern; give query i its own attribute x_i and put x_i in
exactly the documents relevant to query i; fill every document up to ``attributes_per_doc``
attributes with filler attributes that no query uses; shuffle each document's attributes. Document
j reads "<name_j> likes a_1, a_2, ... and a_p." and its id is the name; query i reads
"Who likes x_i?" with id ``query_<i>``. Hence the LIMIT invariant: x_i occurs in document j iff
A[i, j] = 1.

Patterns (rows of A as sorted document indices; ``s`` = number of documents the pattern uses):

- ``dense``: s = min{s : C(s, k) >= m}; the first m k-subsets of {0..s-1} in lexicographic order
  (the official LIMIT: s = 46, the first 1000 of the C(46, 2) = 1035 pairs; documents beyond s
  carry only filler attributes);
- ``random``: m distinct k-subsets of {0..n-1}, uniformly at random;
- ``cycle``: query i -> {(i + t) mod c : t < k} with cycle length c = ``cycle_docs`` or, by default,
  max(m, k + 1), so that every document is relevant to exactly k queries and the sets are distinct;
- ``disjoint``: query i -> {i k, ..., i k + k - 1}; needs n >= k m.

All randomness comes from ``numpy.random.default_rng`` streams spawned from ``seed``.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from itertools import combinations, islice
from pathlib import Path

import numpy as np

from .._errors import ConfigError
from .dataset import Dataset, Document
from .vocabulary import attributes, first_names, last_names

__all__ = ["GenerateConfig", "PATTERNS", "generate", "generate_dataset", "qrel_pattern"]

PATTERNS = ("dense", "random", "cycle", "disjoint")
_CHUNK = 2048  # documents per filler-sampling block (bounds memory at _CHUNK x pool floats)


@dataclass(frozen=True)
class GenerateConfig:
    """Parameters of a LIMIT-style dataset. Defaults reproduce the shape of the official LIMIT-small."""

    n_docs: int = 46
    n_queries: int = 1000
    k: int = 2
    attributes_per_doc: int = 45
    pattern: str = "dense"
    seed: int = 0
    cycle_docs: int = 0  # cycle pattern only: cycle length c; 0 = max(n_queries, k + 1)

    def __post_init__(self) -> None:
        for name in ("n_docs", "n_queries", "k", "attributes_per_doc", "seed", "cycle_docs"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise ConfigError(f"{name} must be an integer, got {value!r}")
        for name in ("n_docs", "n_queries", "k", "attributes_per_doc"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.seed < 0 or self.cycle_docs < 0:
            raise ConfigError(f"seed and cycle_docs must be >= 0, got seed={self.seed}, "
                              f"cycle_docs={self.cycle_docs}")
        if self.pattern not in PATTERNS:
            raise ConfigError(f"unknown pattern {self.pattern!r}; choose one of {', '.join(PATTERNS)}")
        if self.k > self.n_docs:
            raise ConfigError(f"k={self.k} relevant documents per query but only n_docs={self.n_docs} "
                              f"documents; raise n_docs to >= {self.k} or lower k")
        if self.cycle_docs and self.pattern != "cycle":
            raise ConfigError(f"cycle_docs={self.cycle_docs} only applies to pattern='cycle' "
                              f"(pattern={self.pattern!r}); leave it at 0")


# ---- qrel patterns (pure kernels) -----------------------------------------------------------
def dense_size(n_queries: int, k: int) -> int:
    """Smallest s with C(s, k) >= n_queries."""
    s = k
    while math.comb(s, k) < n_queries:
        s += 1
    return s


def qrel_pattern(config: GenerateConfig, rng: np.random.Generator | None = None) -> np.ndarray:
    """The relevant documents of every query: an (m, k) int64 array, each row sorted ascending."""
    m, n, k = config.n_queries, config.n_docs, config.k
    if config.pattern == "dense":
        s = dense_size(m, k)
        if s > n:
            raise ConfigError(f"pattern='dense' with n_queries={m}, k={k} needs the {s} documents whose "
                              f"C({s}, {k}) = {math.comb(s, k)} subsets cover the queries, but n_docs={n}; "
                              f"raise n_docs to >= {s} or lower n_queries to <= {math.comb(n, k)}")
        flat = np.fromiter((j for c in islice(combinations(range(s), k), m) for j in c),
                           dtype=np.int64, count=m * k)
        return flat.reshape(m, k)
    if config.pattern == "random":
        total = math.comb(n, k)
        if total < m:
            raise ConfigError(f"pattern='random' needs n_queries={m} distinct {k}-subsets of n_docs={n} "
                              f"documents, but only C({n}, {k}) = {total} exist; raise n_docs or lower "
                              f"n_queries to <= {total}")
        rng = rng if rng is not None else np.random.default_rng(config.seed)
        if total <= 4 * m:  # few spare subsets: rejection sampling would crawl, so enumerate
            allc = np.fromiter((j for c in combinations(range(n), k) for j in c), dtype=np.int64,
                               count=total * k).reshape(total, k)
            return allc[rng.permutation(total)[:m]]
        rows: dict[tuple[int, ...], None] = {}
        while len(rows) < m:
            rows.setdefault(tuple(sorted(rng.choice(n, size=k, replace=False).tolist())), None)
        return np.asarray(list(rows), dtype=np.int64).reshape(m, k)
    if config.pattern == "cycle":
        c = config.cycle_docs or max(m, k + 1)
        if c < k or c > n:
            raise ConfigError(
                f"pattern='cycle' with n_queries={m}, k={k} uses a cycle of c={c} documents"
                f"{'' if config.cycle_docs else ' (default max(n_queries, k+1), so each document is in exactly k queries)'}"
                f" but n_docs={n}; raise n_docs to >= {c}, or set cycle_docs between {k} and {n} "
                f"(queries then repeat relevant sets every cycle_docs queries)")
        rows_ = (np.arange(m)[:, None] + np.arange(k)[None, :]) % c
        return np.sort(rows_, axis=1).astype(np.int64)
    # disjoint
    if n < k * m:
        raise ConfigError(f"pattern='disjoint' gives each of n_queries={m} queries its own k={k} documents, "
                          f"which needs n_docs >= k*n_queries = {k * m}, but n_docs={n}; raise n_docs or "
                          f"lower n_queries to <= {n // k}")
    return np.arange(m * k, dtype=np.int64).reshape(m, k)


# ---- generation --------------------------------------------------------------------------------
def _check_vocabulary(config: GenerateConfig, degrees: np.ndarray, vocab_size: int) -> None:
    apd, m = config.attributes_per_doc, config.n_queries
    worst = int(degrees.argmax())
    if degrees[worst] > apd:
        raise ConfigError(
            f"pattern={config.pattern!r} makes document #{worst} relevant to {int(degrees[worst])} queries, "
            f"so it must carry {int(degrees[worst])} query attributes, but attributes_per_doc={apd}; raise "
            f"attributes_per_doc to >= {int(degrees[worst])} or spread the queries over more documents")
    need_filler = apd - int(degrees.min())
    if m + need_filler > vocab_size:
        raise ConfigError(
            f"n_queries={m} distinct query attributes plus {need_filler} filler attributes for the least "
            f"relevant document need {m + need_filler} attributes, but the vocabulary has {vocab_size}; "
            f"lower n_queries to <= {vocab_size - need_filler} or attributes_per_doc")


def _names(n: int, rng: np.random.Generator) -> list[str]:
    first, last = first_names(), last_names()
    total = len(first) * len(last)
    if n > total:
        raise ConfigError(f"n_docs={n} exceeds the {total} distinct 'First Last' names faker's en_US lists "
                          f"give ({len(first)} x {len(last)}); lower n_docs")
    flat = rng.choice(total, size=n, replace=False)
    return [f"{first[i // len(last)]} {last[i % len(last)]}" for i in flat.tolist()]


def _doc_attributes(rel: np.ndarray, qattr: np.ndarray, pool: np.ndarray, n: int, apd: int,
                    rng_fill: np.random.Generator, rng_order: np.random.Generator) -> np.ndarray:
    """(n, apd) vocabulary indices: each document's query attributes, then fillers, then shuffled."""
    m, k = rel.shape
    docs = rel.ravel()
    order = np.argsort(docs, kind="stable")
    degrees = np.bincount(docs, minlength=n)
    starts = np.concatenate(([0], np.cumsum(degrees)[:-1]))
    cols = np.arange(len(docs)) - np.repeat(starts, degrees)  # rank of each entry within its document
    out = np.empty((n, apd), dtype=np.int64)
    out[docs[order], cols] = qattr[np.repeat(np.arange(m), k)[order]]
    colgrid = np.arange(apd)[None, :]
    for lo in range(0, n if len(pool) and (degrees < apd).any() else 0, _CHUNK):
        hi = min(lo + _CHUNK, n)
        keys = rng_fill.random((hi - lo, len(pool)))
        if apd < len(pool):
            top = np.argpartition(keys, apd - 1, axis=1)[:, :apd]
        else:
            top = np.broadcast_to(np.arange(len(pool)), keys.shape)
        # order the sampled fillers by key, so any prefix is itself a uniform sample
        top = np.take_along_axis(top, np.argsort(np.take_along_axis(keys, top, 1), axis=1), 1)
        slot = colgrid - degrees[lo:hi, None]  # filler t goes to column degree + t
        fill = slot >= 0
        block = out[lo:hi]
        block[fill] = pool[np.take_along_axis(top, np.clip(slot, 0, None), 1)][fill]
    shuffle = np.argsort(rng_order.random((n, apd)), axis=1)
    return np.take_along_axis(out, shuffle, 1)


def _render(name: str, items: list[str]) -> str:
    if len(items) == 1:
        return f"{name} likes {items[0]}."
    return f"{name} likes {', '.join(items[:-1])} and {items[-1]}."


def generate_dataset(config: GenerateConfig) -> Dataset:
    """Build the dataset in memory (see module docstring); deterministic in ``config``."""
    vocab = attributes()
    r_pattern, r_names, r_query, r_fill, r_order = (
        np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(5))
    rel = qrel_pattern(config, r_pattern)
    n, m = config.n_docs, config.n_queries
    degrees = np.bincount(rel.ravel(), minlength=n)
    _check_vocabulary(config, degrees, len(vocab))
    names = _names(n, r_names)
    perm = r_query.permutation(len(vocab))
    qattr, pool = perm[:m], np.sort(perm[m:])
    table = _doc_attributes(rel, qattr, pool, n, config.attributes_per_doc, r_fill, r_order)
    corpus = {name: Document(title="", text=_render(name, [vocab[a] for a in row]))
              for name, row in zip(names, table.tolist())}
    queries = {f"query_{i}": f"Who likes {vocab[a]}?" for i, a in enumerate(qattr.tolist())}
    qrels = {f"query_{i}": {names[j]: 1 for j in row} for i, row in enumerate(rel.tolist())}
    label = f"limit-{config.pattern}-n{n}-m{m}-k{config.k}-seed{config.seed}"
    return Dataset(queries=queries, qrels=qrels, corpus=corpus, name=label, source=f"generated:{label}")


def generate(config: GenerateConfig, out_dir: str | os.PathLike) -> Path:
    """Generate and write a dataset folder: corpus/queries/qrels .jsonl, README.md card, manifest.json.

    The data files and the card are byte-identical for the same config; manifest.json adds timing
    and machine details (provenance).
    """
    from .card import dataset_card, write_card, write_manifest
    from .io import save_dataset

    started = time.perf_counter()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output path {out} exists and is not a folder; choose another --out")
    ds = generate_dataset(config)
    files = save_dataset(ds, out, fmt="mteb")
    files["README.md"] = write_card(out, dataset_card(ds, config))
    write_manifest(out, config, files, started=started)
    return out
