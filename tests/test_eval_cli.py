import argparse
import json

import pytest

from limitkit._errors import ConfigError, DataFormatError
from limitkit.cli import evaluate as cli
from limitkit.data.dataset import Dataset, Document
from limitkit.data.io import save_dataset


def run(argv):
    parser = argparse.ArgumentParser(prog="limitkit")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def toy_dir(tmp_path):
    ds = Dataset(queries={"q1": "Who likes Tea?", "q2": "Who likes Jazz?"},
                 qrels={"q1": {"Ann": 1, "Bo": 1}, "q2": {"Ann": 1, "Cy": 1}},
                 corpus={"Ann": Document("", "Ann likes Tea and Jazz."), "Bo": Document("", "Bo likes Chess and Tea."),
                         "Cy": Document("", "Cy likes Jazz and Chess.")})
    save_dataset(ds, tmp_path / "toy")
    return tmp_path / "toy"


def test_eval_prints_a_table_and_writes_results(toy_dir, tmp_path, capsys):
    out = tmp_path / "res"
    assert run(["eval", "--retriever", "exact-match", "--retriever", "fake:8", "--dataset", str(toy_dir),
                "--k", "1", "2", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "| exact-match | 100.0 |" in printed and "| fake:8 |" in printed
    saved = json.loads((out / "results.json").read_text())
    assert saved["metrics"]["toy"]["exact-match"]["recall@2"] == 1.0
    assert saved["provenance"]["config"]["retrievers"] == ["exact-match", "fake:8"]


def test_eval_official_name_with_paper_rows(limit_small_dir, capsys):
    assert run(["eval", "--retriever", "bm25", "--dataset", "limit-small", "--data-dir",
                str(limit_small_dir.parent), "--k", "2", "10", "20", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "| bm25 | 97.8 | 100.0 | 100.0 |" in printed
    assert "| paper: BM25 | 97.8 | 100.0 | 100.0 |" in printed


def test_eval_errors_are_typed(toy_dir, tmp_path):
    with pytest.raises(ConfigError, match="unknown retriever"):
        run(["eval", "--retriever", "sparkle", "--dataset", str(toy_dir), "--quiet"])
    with pytest.raises(DataFormatError, match="neither a dataset folder nor an official"):
        run(["eval", "--dataset", str(tmp_path / "missing"), "--quiet"])


def test_ablate_commands(toy_dir, capsys):
    assert run(["ablate", "truncation", "--retriever", "fake:8", "--dataset", str(toy_dir), "--dims", "2", "4",
                "--k", "1", "--quiet"]) == 0
    assert "| 8 | fake:8 |" in capsys.readouterr().out
    assert run(["ablate", "pattern", "--retriever", "exact-match", "--n-docs", "40", "--n-queries", "20",
                "--attributes-per-doc", "10", "--k", "2", "--quiet"]) == 0
    assert "| disjoint | exact-match | 100.0 |" in capsys.readouterr().out
    assert run(["ablate", "drowning", "--retriever", "exact-match", "--distractors", "0", "10", "--n-docs", "10",
                "--n-queries", "40", "--attributes-per-doc", "12", "--k", "2", "--quiet"]) == 0
    assert "| 10 | exact-match | 100.0 |" in capsys.readouterr().out
    with pytest.raises(ConfigError, match="exactly one"):
        run(["ablate", "truncation", "--retriever", "fake:8", "--retriever", "fake:4", "--dataset", str(toy_dir),
             "--quiet"])
