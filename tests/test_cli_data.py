"""`limitkit generate | stats | convert | download` through argv, with only the data group registered."""

import argparse
import dataclasses
import json

import pytest

from limitkit._errors import ConfigError, DataFormatError, LimitkitError
from limitkit.cli import data as cli_data
from limitkit.data.generate import GenerateConfig
from limitkit.data.io import load_dataset


def run(argv, capsys):
    parser = argparse.ArgumentParser(prog="limitkit")
    cli_data.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    rc = args.func(args)
    return rc, capsys.readouterr().out


def test_generate_flags_map_one_to_one_onto_config_fields():
    parser = argparse.ArgumentParser()
    cli_data.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["generate", "--out", "x"])
    fields = {f.name for f in dataclasses.fields(GenerateConfig)}
    assert set(vars(args)) == fields | {"out", "func", "command"}
    assert {f: getattr(args, f) for f in fields} == dataclasses.asdict(GenerateConfig())


def test_generate_prints_path_then_stats(tmp_path, capsys):
    out = tmp_path / "limit-small-like"
    rc, text = run(["generate", "--out", str(out), "--n-docs", "20", "--n-queries", "30", "--k", "2",
                    "--attributes-per-doc", "12", "--pattern", "cycle", "--seed", "3", "--cycle-docs", "15"],
                   capsys)
    assert rc == 0
    lines = text.splitlines()
    assert lines[0] == str(out)
    assert "| queries | 30 |" in text and "| documents | 20 |" in text
    # cycle of 15 documents, 30 queries x 2 = 60 slots: every one of the 15 documents is in 4 queries
    assert "| queries per document | min 0 / median 4 / mean 3.000 / max 4 |" in text
    assert "holds: in all 30 queries" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["cycle_docs"] == 15 and manifest["config"]["pattern"] == "cycle"


def test_generate_impossible_config_is_a_config_error(tmp_path, capsys):
    with pytest.raises(ConfigError, match="n_docs >= k\\*n_queries"):
        run(["generate", "--out", str(tmp_path / "x"), "--pattern", "disjoint"], capsys)
    assert not (tmp_path / "x").exists()


def test_stats_markdown_and_json(limit_small_dir, capsys):
    rc, text = run(["stats", "limit-small", "--data-dir", str(limit_small_dir.parent)], capsys)
    assert rc == 0 and text.startswith("## limit-small") and "holds: in all 1000 queries" in text
    rc, text = run(["stats", str(limit_small_dir), "--json"], capsys)
    stats = json.loads(text)
    assert stats["n_docs"] == 46 and stats["distinct_relevant_docs"] == 46
    assert stats["limit_invariant"]["holds"] is True


def test_stats_missing_data_dir_names_the_flag(tmp_path, capsys):
    with pytest.raises(DataFormatError, match="--data-dir"):
        run(["stats", "limit", "--data-dir", str(tmp_path)], capsys)


def test_convert_to_beir_and_back(limit_small_dir, tmp_path, capsys):
    beir, mteb = tmp_path / "beir", tmp_path / "mteb"
    rc, text = run(["convert", str(limit_small_dir), str(beir), "--format", "beir"], capsys)
    assert rc == 0 and f"{beir}/qrels/test.tsv" in text
    assert json.loads((beir / "manifest.json").read_text())["source"] == str(limit_small_dir)
    run(["convert", str(beir), str(mteb), "--format", "mteb"], capsys)
    for name in ("corpus.jsonl", "queries.jsonl", "qrels.jsonl"):  # back to the official bytes
        assert (mteb / name).read_bytes() == (limit_small_dir / name).read_bytes()
    a, b = load_dataset(limit_small_dir), load_dataset(beir)
    assert (a.corpus, a.queries, a.qrels) == (b.corpus, b.queries, b.qrels)


def test_download_offline_is_a_clear_error(monkeypatch, tmp_path, capsys):
    hf = pytest.importorskip("huggingface_hub")
    errors = pytest.importorskip("huggingface_hub.errors")

    def offline(**kwargs):
        raise errors.LocalEntryNotFoundError("outgoing traffic has been disabled")

    monkeypatch.setattr(hf, "snapshot_download", offline)
    with pytest.raises(LimitkitError, match=r"orionweller/LIMIT-small@ff4a8f24.*--data-dir"):
        run(["download", "limit-small", "--out", str(tmp_path)], capsys)
    with pytest.raises(SystemExit):  # argparse rejects unknown names
        run(["download", "limit-huge", "--out", str(tmp_path)], capsys)


def test_main_prints_one_line_error_and_exits_2(tmp_path, capsys, monkeypatch):
    import limitkit.cli as cli

    monkeypatch.setattr(cli, "_GROUPS", ("data",))  # only this group: the others live elsewhere
    rc = cli.main(["generate", "--out", str(tmp_path / "x"), "--n-docs", "10", "--pattern", "disjoint"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("limitkit generate: error: pattern='disjoint'") and "Traceback" not in err
    assert cli.main(["stats", str(tmp_path / "missing")]) == 2
    assert "neither a dataset folder" in capsys.readouterr().err
