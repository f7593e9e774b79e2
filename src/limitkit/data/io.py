"""Read and write retrieval dataset folders (MTEB jsonl and BEIR layouts) with strict validation.

Layouts read by :func:`load_dataset` (``corpus.jsonl`` is optional everywhere):

- MTEB: ``corpus.jsonl`` rows ``{"_id", "title", "text"}``, ``queries.jsonl`` rows
  ``{"_id", "text"}``, ``qrels.jsonl`` rows ``{"query-id", "corpus-id", "score"}``;
- BEIR: the same corpus/queries files and ``qrels/<split>.tsv`` (``query-id<TAB>corpus-id<TAB>score``,
  header optional); ``qrels/<split>.jsonl`` is accepted too.

Ids are opaque strings (LIMIT's document ids are names with spaces). Every malformed row raises
DataFormatError naming the file and line. Extra JSON fields (e.g. BEIR's ``metadata``) are ignored.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any, Iterator, Mapping

from .._errors import ConfigError, DataFormatError
from .._provenance import sha256_bytes, sha256_file
from .dataset import Dataset, Document

__all__ = ["load_dataset", "save_dataset", "read_folder"]

CORPUS, QUERIES, QRELS = "corpus.jsonl", "queries.jsonl", "qrels.jsonl"
FORMATS = ("mteb", "beir")
_TSV_HEADER = ("query-id", "corpus-id", "score")


# ---- public entry points -----------------------------------------------------------------------
def load_dataset(source: str | os.PathLike, *, data_dir: str | os.PathLike | None = None,
                 revision: str | None = None, split: str = "test") -> Dataset:
    """Load a dataset folder, or an official dataset by name ("limit", "limit-small").

    A name resolves to ``data_dir/<name>`` when ``data_dir`` is given, else to the Hugging Face Hub
    (``orionweller/LIMIT[-small]`` at a pinned revision, or ``revision``). An existing folder wins
    over a name. ``Dataset.checksums`` holds the sha256 of every file read.
    """
    from . import hub

    path = Path(source)
    name = os.fspath(source)
    if path.is_dir():
        return read_folder(path, split=split)
    if name in hub.OFFICIAL:
        if data_dir is not None:
            folder = Path(data_dir) / name
            if not folder.is_dir():
                raise DataFormatError(
                    f"official dataset {name!r}: expected the folder {folder} (data_dir/<name>) but it "
                    f"does not exist. Pass the folder that contains {name}/ as --data-dir / data_dir=, or "
                    f"download it with `limitkit download {name} --out {Path(data_dir)}`."
                )
            return read_folder(folder, split=split, name=name)
        folder, hub_id = hub.fetch(name, revision=revision)
        return dataclasses.replace(read_folder(folder, split=split, name=name), source=hub_id)
    raise DataFormatError(
        f"{name!r} is neither a dataset folder nor an official dataset name "
        f"({', '.join(sorted(hub.OFFICIAL))}). Pass a folder with queries.jsonl and qrels "
        f"(corpus.jsonl optional), e.g. one written by `limitkit generate`."
    )


def read_folder(folder: str | os.PathLike, *, split: str = "test", name: str | None = None) -> Dataset:
    """Read and validate one dataset folder (see module docstring for the layouts)."""
    folder = Path(folder)
    queries_path = folder / QUERIES
    if not queries_path.is_file():
        raise DataFormatError(
            f"{folder}: no {QUERIES}. A dataset folder needs {QUERIES} and qrels ({QRELS} or "
            f"qrels/{split}.tsv); {CORPUS} is optional."
        )
    qrels_path = _find_qrels(folder, split)
    corpus_path = folder / CORPUS
    checksums: dict[str, str] = {}
    corpus = None
    if corpus_path.is_file():
        corpus = _read_corpus(corpus_path)
        checksums[CORPUS] = sha256_file(corpus_path)
    queries = _read_queries(queries_path)
    checksums[QUERIES] = sha256_file(queries_path)
    if qrels_path.suffix == ".tsv":
        qrels = _collect_qrels(qrels_path, _tsv_qrel_rows(qrels_path), queries, corpus)
    else:
        qrels = _collect_qrels(qrels_path, _jsonl_qrel_rows(qrels_path), queries, corpus)
    checksums[qrels_path.relative_to(folder).as_posix()] = sha256_file(qrels_path)
    return Dataset(queries=queries, qrels=qrels, corpus=corpus, name=name or folder.name,
                   source=str(folder), checksums=checksums)


def save_dataset(ds: Dataset, out_dir: str | os.PathLike, *, fmt: str = "mteb",
                 split: str = "test") -> dict[str, str]:
    """Write ``ds`` to ``out_dir``; returns {file name: sha256}.

    ``fmt="mteb"``: corpus.jsonl, queries.jsonl, qrels.jsonl. ``fmt="beir"``: corpus.jsonl,
    queries.jsonl, qrels/<split>.tsv. corpus.jsonl is skipped for qrel-only datasets. JSON lines use
    ``json.dumps`` defaults (``", "``/``": "`` separators), so the official LIMIT files round-trip
    byte for byte. Each file is written to a temporary name and renamed, so a crash leaves no half file.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown dataset format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out_dir)
    files: dict[str, str] = {}
    if ds.corpus is not None:
        lines = (_dumps({"_id": d, "title": doc.title, "text": doc.text}) for d, doc in ds.corpus.items())
        files[CORPUS] = _write_lines(out / CORPUS, lines)
    files[QUERIES] = _write_lines(out / QUERIES, (_dumps({"_id": q, "text": t}) for q, t in ds.queries.items()))
    pairs = [(q, d, s) for q, docs in ds.qrels.items() for d, s in docs.items()]
    if fmt == "mteb":
        files[QRELS] = _write_lines(
            out / QRELS, (_dumps({"query-id": q, "corpus-id": d, "score": s}) for q, d, s in pairs))
    else:
        for q, d, _ in pairs:
            for value in (q, d):
                if any(c in value for c in "\t\r\n"):
                    raise DataFormatError(f"id {value!r} contains a tab or newline; BEIR .tsv cannot hold "
                                          f"it. Save with fmt='mteb' instead.")
        rows = ["\t".join(_TSV_HEADER)] + [f"{q}\t{d}\t{s}" for q, d, s in pairs]
        files[f"qrels/{split}.tsv"] = _write_lines(out / "qrels" / f"{split}.tsv", rows)
    return files


# ---- parsing kernels ---------------------------------------------------------------------------
def _find_qrels(folder: Path, split: str) -> Path:
    split_dir = folder / "qrels"
    if split_dir.is_dir():
        for suffix in (".tsv", ".jsonl"):
            if (split_dir / f"{split}{suffix}").is_file():
                return split_dir / f"{split}{suffix}"
        have = sorted(p.name for p in split_dir.iterdir() if p.suffix in (".tsv", ".jsonl"))
        raise DataFormatError(f"{split_dir}: no qrels for split {split!r} ({split}.tsv or {split}.jsonl); "
                              f"found {have or 'nothing'}. Pick one of those with --split / split=.")
    if (folder / QRELS).is_file():
        if split != "test":
            raise DataFormatError(f"{folder / QRELS} holds a single (test) split; split={split!r} needs "
                                  f"qrels/{split}.tsv")
        return folder / QRELS
    raise DataFormatError(f"{folder}: no qrels. Expected {QRELS} (MTEB) or qrels/{split}.tsv (BEIR).")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines as (1-based line number, text); bad UTF-8 is reported with its line."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataFormatError(f"{path}:{lineno}: not valid UTF-8 ({exc.reason} at byte "
                                      f"{exc.start}); save the file as UTF-8") from None
            if lineno == 1:
                line = line.lstrip("\ufeff")
            if line.strip():
                yield lineno, line.rstrip("\r\n")


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in _lines(path):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{path}:{lineno}: malformed JSON ({exc.msg} at column {exc.colno}); "
                                  f"each line must be one complete JSON object") from None
        if not isinstance(obj, dict):
            raise DataFormatError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
        yield lineno, obj


def _get(obj: Mapping[str, Any], key: str, path: Path, lineno: int, required: tuple[str, ...]) -> Any:
    if key not in obj:
        raise DataFormatError(f"{path}:{lineno}: missing field {key!r} (row has {sorted(obj)}); "
                              f"each row needs {', '.join(map(repr, required))}")
    return obj[key]


def _as_id(value: Any, key: str, path: Path, lineno: int) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise DataFormatError(f"{path}:{lineno}: field {key!r} must be a string id, got {value!r}")
    if not value.strip():
        raise DataFormatError(f"{path}:{lineno}: field {key!r} is an empty id; every id must be non-empty")
    return value


def _as_text(value: Any, key: str, path: Path, lineno: int) -> str:
    if not isinstance(value, str):
        raise DataFormatError(f"{path}:{lineno}: field {key!r} must be a string, got {value!r}")
    if not value.strip():
        raise DataFormatError(f"{path}:{lineno}: empty {key!r}; every row needs non-empty text")
    return value


def _as_score(value: Any, path: Path, lineno: int, *, text: bool = False) -> int:
    """An integer relevance grade; integral floats (1.0) are accepted, anything else is an error.

    ``text=True`` (TSV fields) parses the string first; in JSON a score must be a JSON number.
    """
    if text and isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                raise DataFormatError(f"{path}:{lineno}: score {value!r} is not a number; use an integer "
                                      f"grade such as 1") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataFormatError(f"{path}:{lineno}: score {value!r} is not a number; use an integer grade "
                              f"such as 1")
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise DataFormatError(f"{path}:{lineno}: score {value!r} is not an integer grade; limitkit "
                                  f"uses integer relevance (0 = not relevant, >= 1 = relevant)")
        value = int(value)
    return value


def _read_corpus(path: Path) -> dict[str, Document]:
    required = ("_id", "text")
    corpus: dict[str, Document] = {}
    first_line: dict[str, int] = {}
    for lineno, obj in _jsonl(path):
        doc_id = _as_id(_get(obj, "_id", path, lineno, required), "_id", path, lineno)
        text = _as_text(_get(obj, "text", path, lineno, required), "text", path, lineno)
        title = obj.get("title") or ""
        if not isinstance(title, str):
            raise DataFormatError(f"{path}:{lineno}: field 'title' must be a string, got {title!r}")
        if doc_id in corpus:
            raise DataFormatError(f"{path}:{lineno}: duplicate document id {doc_id!r} (first at line "
                                  f"{first_line[doc_id]}); ids must be unique")
        corpus[doc_id] = Document(title=title, text=text)
        first_line[doc_id] = lineno
    return corpus


def _read_queries(path: Path) -> dict[str, str]:
    required = ("_id", "text")
    queries: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for lineno, obj in _jsonl(path):
        qid = _as_id(_get(obj, "_id", path, lineno, required), "_id", path, lineno)
        text = _as_text(_get(obj, "text", path, lineno, required), "text", path, lineno)
        if qid in queries:
            raise DataFormatError(f"{path}:{lineno}: duplicate query id {qid!r} (first at line "
                                  f"{first_line[qid]}); ids must be unique")
        queries[qid] = text
        first_line[qid] = lineno
    return queries


def _jsonl_qrel_rows(path: Path) -> Iterator[tuple[int, str, str, int]]:
    required = _TSV_HEADER
    for lineno, obj in _jsonl(path):
        qid = _as_id(_get(obj, "query-id", path, lineno, required), "query-id", path, lineno)
        did = _as_id(_get(obj, "corpus-id", path, lineno, required), "corpus-id", path, lineno)
        yield lineno, qid, did, _as_score(_get(obj, "score", path, lineno, required), path, lineno)


def _tsv_qrel_rows(path: Path) -> Iterator[tuple[int, str, str, int]]:
    for lineno, line in _lines(path):
        fields = line.split("\t")
        if lineno == 1 and tuple(f.strip().lower() for f in fields) == _TSV_HEADER:
            continue
        if len(fields) != 3:
            raise DataFormatError(f"{path}:{lineno}: expected 3 tab-separated fields (query-id, corpus-id, "
                                  f"score), got {len(fields)}: {line!r}")
        qid = _as_id(fields[0], "query-id", path, lineno)
        did = _as_id(fields[1], "corpus-id", path, lineno)
        yield lineno, qid, did, _as_score(fields[2].strip(), path, lineno, text=True)


def _collect_qrels(path: Path, rows, queries: Mapping[str, str],
                   corpus: Mapping[str, Document] | None) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    first_line: dict[tuple[str, str], int] = {}
    for lineno, qid, did, score in rows:
        if qid not in queries:
            raise DataFormatError(f"{path}:{lineno}: query-id {qid!r} is not in {QUERIES}; every qrel "
                                  f"must name a known query")
        if corpus is not None and did not in corpus:
            raise DataFormatError(f"{path}:{lineno}: corpus-id {did!r} is not in {CORPUS}; every qrel "
                                  f"must name a known document")
        if (qid, did) in first_line:
            raise DataFormatError(f"{path}:{lineno}: duplicate qrel ({qid!r}, {did!r}) (first at line "
                                  f"{first_line[qid, did]})")
        first_line[qid, did] = lineno
        qrels.setdefault(qid, {})[did] = score
    return qrels


# ---- writing -------------------------------------------------------------------------------------
def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _write_lines(path: Path, lines) -> str:
    """Write newline-terminated lines atomically; returns the sha256 of the bytes written."""
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return sha256_bytes(data)
