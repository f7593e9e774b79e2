"""Core types and helpers: QrelMatrix, lazy extras, provenance, CLI entry."""

import json
import subprocess
import sys
from math import comb

import numpy as np
import pytest

import limitkit
from limitkit import QrelMatrix
from limitkit._errors import ConfigError, DataFormatError, MissingExtraError
from limitkit._lazy import require
from limitkit._provenance import record, sha256_bytes, write_json


def test_from_dense_roundtrip_and_views():
    a = np.array([[1, 1, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0]])
    q = QrelMatrix.from_dense(a, ["a", "b b", "c"], ["w", "x", "y z", "v"])
    assert q.shape == (3, 4) and q.nnz == 4
    assert q.row(1).tolist() == [1, 3]
    assert q.row_counts().tolist() == [2, 2, 0]
    assert q.uniform_k() is None
    np.testing.assert_array_equal(q.to_dense(int), a)
    assert q.to_qrels() == {"a": {"w": 1, "x": 1}, "b b": {"x": 1, "v": 1}, "c": {}}
    assert q.to_scipy().toarray().astype(int).tolist() == a.tolist()


def test_from_qrels_uses_given_column_order_and_threshold():
    qrels = {"q1": {"d2": 1, "d0": 2, "d1": 0}}
    q = QrelMatrix.from_qrels(qrels, doc_ids=["d0", "d1", "d2"])
    # d1 has score 0 < min_score 1, so only d0 and d2 are relevant, in column order
    assert q.row(0).tolist() == [0, 2]
    with pytest.raises(DataFormatError, match="unknown document 'd9'"):
        QrelMatrix.from_qrels({"q": {"d9": 1}}, doc_ids=["d0"])


def test_all_k_subsets_matches_itertools_count_and_order():
    q = QrelMatrix.all_k_subsets(5, 2)
    assert q.shape == (comb(5, 2), 5) and q.uniform_k() == 2
    assert q.relevant_index_array()[:4].tolist() == [[0, 1], [0, 2], [0, 3], [0, 4]]
    assert (q.to_dense().sum(axis=0) == 4).all()  # each doc is in n-1 = 4 pairs
    with pytest.raises(ConfigError, match="k=6"):
        QrelMatrix.all_k_subsets(5, 6)


def test_invalid_matrices_are_rejected():
    with pytest.raises(ConfigError, match="0/1"):
        QrelMatrix.from_dense(np.array([[2, 0]]))
    with pytest.raises(DataFormatError, match="duplicate document ids"):
        QrelMatrix.from_dense(np.eye(2), doc_ids=["x", "x"])


def test_require_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "bm25s", None)  # makes `import bm25s` fail
    with pytest.raises(MissingExtraError, match=r"pip install 'limitkit\[bm25\]'"):
        require("bm25s")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtraError, match=r"torch==2.13.0"):
        require("torch")


def test_provenance_record_and_atomic_write(tmp_path):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Cfg:
        n: int = 3
        xs: tuple = (1, 2)

    rec = record(Cfg(), seed=7, data={"f": sha256_bytes(b"")}, extra=np.float32(0.5))
    assert rec["config"] == {"n": 3, "xs": [1, 2]} and rec["seed"] == 7
    assert rec["limitkit"] == limitkit.__version__ and rec["extra"] == 0.5
    assert rec["data_sha256"]["f"].startswith("e3b0c442")  # sha256 of empty input
    write_json(tmp_path / "r.json", rec)
    assert json.loads((tmp_path / "r.json").read_text())["seed"] == 7
    assert not list(tmp_path.glob("*.tmp"))


def test_import_is_light():
    code = "import sys, limitkit; print(any(m in sys.modules for m in ('torch', 'matplotlib', 'bm25s', 'sentence_transformers')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_api_is_declared():
    assert set(limitkit.__all__) >= {"QrelMatrix", "Dataset", "load_dataset", "generate", "find_critical_n",
                                     "evaluate", "reproduce", "construct"}
    with pytest.raises(AttributeError):
        limitkit.no_such_name
