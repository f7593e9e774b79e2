"""`limitkit critical-n` through argv, with only this module's parser registered."""

import argparse
import csv
import json

import pytest

from limitkit.cli import free as free_cli


def _run(argv):
    parser = argparse.ArgumentParser(prog="limitkit")
    free_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_critical_n_table_json_csv_and_resume(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    argv = ["critical-n", "--d", "2-3", "--quiet", "--store", str(store), "--json", str(tmp_path / "o.json"),
            "--csv", str(tmp_path / "o.csv"), "--max-steps", "20000"]
    assert _run(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("| d | critical n | median over seeds | seeds solving n* | paper |")
    table = [line.split("|")[1:-1] for line in out.splitlines()[2:4]]
    assert [r[0].strip() for r in table] == ["2", "3"] and all(r[4].strip() == "—" for r in table)  # paper: d >= 4
    assert "no fit: a degree-3 fit needs at least 4 values of d" in out
    data = json.loads((tmp_path / "o.json").read_text())
    assert [r["d"] for r in data["results"]] == [2, 3]
    assert data["provenance"]["config"]["max_steps"] == 20000
    rows = list(csv.DictReader(open(tmp_path / "o.csv")))
    assert len(rows) == sum(len(r["runs"]) for r in data["results"])
    assert _run(argv) == 0  # resumed from the store: the same table but for the wall times
    again = [line.split("|")[1:-2] for line in capsys.readouterr().out.splitlines()[2:4]]
    assert again == [r[:-1] for r in table]


def test_bad_values_are_config_errors():
    from limitkit._errors import ConfigError

    with pytest.raises(ConfigError, match="lr=-1.0"):
        _run(["critical-n", "--d", "3", "--lr", "-1", "--quiet"])


def test_flags_map_onto_the_config():
    parser = argparse.ArgumentParser()
    free_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["critical-n", "--d", "4,6-7", "--seeds", "0,1", "--loss", "sigmoid",
                              "--num-queries", "50", "--chunk-size", "none", "--margin", "0.05"])
    cfg = free_cli._config(args)
    assert (cfg.loss, cfg.num_queries, cfg.chunk_size, cfg.margin) == ("sigmoid", 50, None, 0.05)
    assert args.d == [4, 6, 7] and args.seeds == [0, 1]
    with pytest.raises(SystemExit):
        parser.parse_args(["critical-n", "--d", "four"])
    with pytest.raises(SystemExit):
        parser.parse_args(["critical-n", "--d", "4", "--loss", "hinge"])
