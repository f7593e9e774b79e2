"""Results store: round trips, queries, exports, and resuming an interrupted critical-n search."""

import csv
import json
import math

import pytest

from limitkit._errors import DataFormatError
from limitkit.free import search as search_mod
from limitkit.free.config import FreeEmbeddingConfig
from limitkit.free.optimize import RunResult, train
from limitkit.free.search import find_critical_n
from limitkit.free.store import ResultStore


def _result(n, seed=0, success=True, config=FreeEmbeddingConfig(), d=4):
    return RunResult(n, d, seed, success, 101, 0.5, 1.0 if success else 0.9, 0.01 if success else -0.2,
                     0.25, "cpu", config, m=n * (n - 1) // 2, final_accuracy=0.9, stop_reason="solved")


def test_round_trip_and_signature(tmp_path):
    db = ResultStore(tmp_path / "runs.sqlite")
    real = train(5, 3, FreeEmbeddingConfig(max_steps=60))
    db.put(real)
    got = db.get(5, 3, 0, FreeEmbeddingConfig(max_steps=60))
    assert got == real.without_vectors() and got.U is None
    assert db.get(5, 3, 1, FreeEmbeddingConfig(max_steps=60)) is None  # other seed
    assert db.get(5, 3, 0, FreeEmbeddingConfig(max_steps=61)) is None  # other config
    db.put(_result(7, config=FreeEmbeddingConfig(lr=0.02)))
    inf_margin = _result(8)
    db.put(RunResult(**{**inf_margin.__dict__, "min_margin": math.inf, "final_loss": math.nan}))
    back = db.get(8, 4, 0, FreeEmbeddingConfig())
    assert back.min_margin == math.inf and math.isnan(back.final_loss)
    assert len(db) == 3
    assert [r.n for r in db.runs(d=4)] == [7, 8]
    assert [r.n for r in db.runs(config=FreeEmbeddingConfig(lr=0.02))] == [7]
    db.close()
    with ResultStore(tmp_path / "runs.sqlite") as again:  # persisted
        assert len(again) == 3


def test_exports(tmp_path):
    with ResultStore(tmp_path / "s.sqlite") as db:
        db.put(_result(6))
        db.put(_result(9, success=False))
        assert db.export_json(tmp_path / "runs.json") == 2
        assert db.export_csv(tmp_path / "runs.csv", n=9) == 1
    data = json.loads((tmp_path / "runs.json").read_text())
    assert data["provenance"]["limitkit"] and [r["n"] for r in data["runs"]] == [6, 9]
    assert data["runs"][1]["success"] is False and data["runs"][0]["config.lr"] == 0.01
    rows = list(csv.DictReader(open(tmp_path / "runs.csv")))
    assert rows[0]["n"] == "9" and rows[0]["success"] == "False" and rows[0]["config.loss"] == "infonce-mean"


def test_not_a_store(tmp_path):
    bad = tmp_path / "junk.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DataFormatError, match="not a limitkit results store"):
        ResultStore(bad)


def test_resume_after_an_interrupted_search(tmp_path, monkeypatch):
    path = tmp_path / "runs.sqlite"
    trained = []
    real = search_mod.train_many

    def counting(specs, *a, **kw):
        trained.extend(specs)
        return real(specs, *a, **kw)

    monkeypatch.setattr(search_mod, "train_many", counting)
    full = find_critical_n(3, store=tmp_path / "full.sqlite", progress=False)
    n_full = len(trained)
    assert n_full >= 8

    # kill the search (KeyboardInterrupt) right after the 5th run is saved: inside the sweep's batch
    finished = []

    def dying(specs, *a, on_result, **kw):
        def save_then_die(r):
            on_result(r)
            finished.append((r.n, r.seed))
            if len(finished) == 5:
                raise KeyboardInterrupt
        return real(specs, *a, on_result=save_then_die, **kw)

    monkeypatch.setattr(search_mod, "train_many", dying)
    with pytest.raises(KeyboardInterrupt):
        find_critical_n(3, store=path, progress=False)
    with ResultStore(path) as db:
        assert sorted((r.n, r.seed) for r in db.runs()) == sorted(finished)  # each run saved as it ended

    trained.clear()
    monkeypatch.setattr(search_mod, "train_many", counting)
    resumed = find_critical_n(3, store=path, progress=False)
    assert not set(trained) & set(finished)  # nothing finished is trained again
    assert len(trained) + len(finished) == n_full
    assert resumed.critical_n == full.critical_n and resumed.points == full.points
    # a third run trains nothing at all
    trained.clear()
    again = find_critical_n(3, store=path, progress=False)
    assert trained == [] and again.points == full.points
