"""The official LIMIT datasets on the Hugging Face Hub, at pinned revisions.

Both repositories hold MTEB jsonl files at their root (``corpus.jsonl``, ``queries.jsonl``,
``qrels.jsonl``; README configs ``corpus``, ``queries`` and ``default`` = qrels, split ``test``).
The revisions are the ones MTEB pins for its ``LIMITRetrieval`` / ``LIMITSmallRetrieval`` tasks.
``huggingface_hub`` is imported lazily; offline, a HubUnavailableError names ``--data-dir``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from .. import _lazy
from .._errors import ConfigError, LimitkitError
from .._provenance import record, sha256_file, write_json

__all__ = ["HubDataset", "OFFICIAL", "HubUnavailableError", "fetch", "download"]

_FILES = ("corpus.jsonl", "queries.jsonl", "qrels.jsonl", "README.md")


class HubUnavailableError(LimitkitError, ConnectionError):
    """The Hub could not be reached (offline) or refused the request."""


@dataclass(frozen=True)
class HubDataset:
    name: str
    repo_id: str
    revision: str
    n_docs: int


OFFICIAL: dict[str, HubDataset] = {
    "limit": HubDataset("limit", "orionweller/LIMIT", "48142cc741b04d0b4af370ade7e8b42430382670", 50_000),
    "limit-small": HubDataset("limit-small", "orionweller/LIMIT-small",
                              "ff4a8f2476ae77476c1912f1f3cb5bb5f2d766d4", 46),
}


def _spec(name: str) -> HubDataset:
    if name not in OFFICIAL:
        raise ConfigError(f"unknown official dataset {name!r}; choose one of {', '.join(sorted(OFFICIAL))}")
    return OFFICIAL[name]


def _snapshot(spec: HubDataset, revision: str, local_dir: Path | None) -> Path:
    hf = _lazy.require("huggingface_hub")
    errors = _lazy.require("huggingface_hub.errors")
    try:
        path = hf.snapshot_download(repo_id=spec.repo_id, repo_type="dataset", revision=revision,
                                    allow_patterns=list(_FILES),
                                    local_dir=os.fspath(local_dir) if local_dir else None)
    except (errors.LocalEntryNotFoundError, errors.HfHubHTTPError, OSError) as exc:
        raise HubUnavailableError(
            f"could not download {spec.repo_id}@{revision} from the Hugging Face Hub "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). Offline? Pass a "
            f"folder that contains {spec.name}/ (corpus.jsonl, queries.jsonl, qrels.jsonl) with "
            f"--data-dir DIR / data_dir=DIR."
        ) from exc
    return Path(path)


def fetch(name: str, *, revision: str | None = None) -> tuple[Path, str]:
    """Download (or reuse the Hub cache copy of) an official dataset; returns (folder, "repo@revision")."""
    spec = _spec(name)
    rev = revision or spec.revision
    return _snapshot(spec, rev, None), f"{spec.repo_id}@{rev}"


def download(name: str, out_dir: str | os.PathLike, *, revision: str | None = None) -> Path:
    """Download an official dataset into ``out_dir/<name>`` (so ``data_dir=out_dir`` finds it).

    Writes ``manifest.json`` next to the files: hub id, revision, sha256 of every file.
    """
    spec = _spec(name)
    rev = revision or spec.revision
    started = time.perf_counter()
    folder = Path(out_dir) / name
    _snapshot(spec, rev, folder)
    checksums = {f: sha256_file(folder / f) for f in _FILES if (folder / f).is_file()}
    write_json(folder / "manifest.json",
               record(started=started, data=checksums, source=f"{spec.repo_id}@{rev}", dataset=name))
    return folder
