"""On-disk embedding cache: a rerun re-encodes nothing.

Layout: ``<root>/<namespace>/shard-*.npz``, where the namespace is the sha256 of
``{"model": model_id, "settings": {...}}`` (prompts, normalisation, max length, output kind...), so
changing any setting starts a fresh namespace. A shard stores ``keys`` (sha256 of each text),
``offsets`` (row ranges) and ``data`` (float32 rows): one row per text for single-vector
embeddings, one row per token for multi-vector ones. Shards are written atomically (temp file +
rename) after each encoded block, so a killed run keeps what it finished and resumes from there.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .._errors import DataFormatError

__all__ = ["EmbeddingCache", "namespace", "text_key"]


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def namespace(model_id: str, settings: Mapping[str, Any]) -> str:
    blob = json.dumps({"model": model_id, "settings": dict(settings)}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    """Embeddings of texts for one (model, settings) pair, kept in memory and on disk.

    ``root=None`` keeps the cache in memory only. ``hits``/``misses`` count lookups since creation.
    """

    def __init__(self, root: str | os.PathLike | None, model_id: str, settings: Mapping[str, Any]):
        self.model_id = model_id
        self.settings = dict(settings)
        self.dir = Path(root) / namespace(model_id, settings) if root is not None else None
        self._mem: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0
        if self.dir is not None:
            self._load()

    def _load(self) -> None:
        if self.dir is None or not self.dir.exists():
            return
        for shard in sorted(self.dir.glob("shard-*.npz")):
            try:
                with np.load(shard, allow_pickle=False) as z:
                    keys, offsets, data = z["keys"], z["offsets"], z["data"]
            except (OSError, ValueError, KeyError) as exc:
                raise DataFormatError(f"embedding cache shard {shard} is unreadable ({exc}); delete it "
                                      f"(or the folder {self.dir}) to re-encode") from exc
            for i, key in enumerate(keys.tolist()):
                self._mem[key] = data[offsets[i]:offsets[i + 1]]

    def __len__(self) -> int:
        return len(self._mem)

    def get(self, text: str) -> np.ndarray | None:
        return self._mem.get(text_key(text))

    def put_many(self, texts: Sequence[str], arrays: Sequence[np.ndarray]) -> None:
        """Store one 2-D float array (rows x dim) per text, and write a shard when on disk."""
        if not texts:
            return
        keys = [text_key(t) for t in texts]
        arrays = [np.asarray(a, dtype=np.float32).reshape(-1, np.shape(a)[-1]) for a in arrays]
        for key, arr in zip(keys, arrays):
            self._mem[key] = arr
        if self.dir is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        meta = self.dir / "settings.json"
        if not meta.exists():
            meta.write_text(json.dumps({"model": self.model_id, "settings": self.settings},
                                       indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
        offsets = np.concatenate(([0], np.cumsum([len(a) for a in arrays]))).astype(np.int64)
        name = f"shard-{uuid.uuid4().hex}"
        tmp = self.dir / f"{name}.tmp.npz"
        np.savez(tmp, keys=np.asarray(keys), offsets=offsets, data=np.concatenate(arrays, axis=0))
        os.replace(tmp, self.dir / f"{name}.npz")

    def encode(self, texts: Sequence[str], encode_fn: Callable[[list[str]], Sequence[np.ndarray]], *,
               block: int = 1024, sort_by_length: bool = True, progress=None) -> list[np.ndarray]:
        """Embeddings of ``texts``, calling ``encode_fn`` only on texts not cached yet.

        Misses are de-duplicated, optionally sorted by decreasing length (so each encoder batch
        pads little), and encoded ``block`` texts at a time, each block saved before the next.
        ``progress`` (tqdm) advances by the number of texts encoded.
        """
        missing: dict[str, str] = {}
        for t in texts:
            key = text_key(t)
            if key in self._mem:
                self.hits += 1
            else:
                self.misses += 1
                missing.setdefault(key, t)
        todo = list(missing.values())
        if sort_by_length:
            todo.sort(key=len, reverse=True)
        for i in range(0, len(todo), block):
            chunk = todo[i:i + block]
            out = encode_fn(chunk)
            if len(out) != len(chunk):
                raise DataFormatError(f"encoder returned {len(out)} embeddings for {len(chunk)} texts")
            self.put_many(chunk, out)
            if progress is not None:
                progress.update(len(chunk))
        return [self._mem[text_key(t)] for t in texts]
