"""`limitkit theory ...` through a parser holding only the theory group, and Figure 1."""

import argparse
import json

import pytest

from limitkit.cli import theory


def _run(argv):
    parser = argparse.ArgumentParser()
    theory.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_bounds_prints_table1_and_writes_provenance(tmp_path, capsys):
    out = tmp_path / "bounds.json"
    assert _run(["theory", "bounds", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| 1e+05 | 10 | 42 | 329 | 2334 |" in text
    data = json.loads(out.read_text())
    assert data["provenance"]["config"]["gamma"] == 0.1 and "machine" in data["provenance"]
    cell = next(r for r in data["result"]["margin_table"] if r["n"] == 10 ** 9 and r["k"] == 1000)
    assert cell["d_min"] == 6177


def test_check_all_pairs(capsys, tmp_path):
    assert _run(["theory", "check", "--n", "7", "--k", "2", "--json", str(tmp_path / "c.json")]) == 0
    text = capsys.readouterr().out
    assert "| rt (trig construction) | 4 | True |" in text
    assert "| sign (unit trig construction) | 5 | True |" in text
    chain = json.loads((tmp_path / "c.json").read_text())["result"]["chain"]
    assert chain["rt"]["upper"] == 4 and chain["sign"]["upper"] == 5


def test_check_limit_small_folder(limit_small_dir, capsys):
    assert _run(["theory", "check", "--qrels", str(limit_small_dir)]) == 0
    assert "1000 queries x 46 documents" in capsys.readouterr().out


def test_construct_and_save(tmp_path, capsys):
    npz = tmp_path / "c.npz"
    assert _run(["theory", "construct", "--n", "12", "--k", "2", "--dtype", "float64", "bfloat16",
                 "--save", str(npz)]) == 0
    text = capsys.readouterr().out
    assert "| float64 | True | 66/66 |" in text  # C(12, 2) = 66 queries
    assert npz.exists()


def test_precision_json(tmp_path, capsys):
    out = tmp_path / "p.json"
    assert _run(["theory", "precision", "--k", "2", "--dtype", "bfloat16", "--curve", "trig", "--n-max", "30",
                 "--quiet", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["result"]["rows"]
    assert rows[0]["limit"] == 12 and rows[0]["first_failure"] == 13


def test_overfit_limit_small(limit_small_dir, capsys):
    pytest.importorskip("limitkit.evaluation.metrics")
    assert _run(["theory", "overfit", str(limit_small_dir), "--d", "4"]) == 0
    assert "Recall@2 = 1.0000" in capsys.readouterr().out


def test_keep_local(capsys):
    assert _run(["theory", "keep", "--n", "12", "--steps", "2", "--engine", "local"]) == 0
    assert "| 0 | 1 |" in capsys.readouterr().out


def test_plot_figure(tmp_path):
    pytest.importorskip("matplotlib")
    paper = tmp_path / "paper.json"
    paper.write_text(json.dumps({"4": 10, "5": 14, "6": 19, "8": 28, "10": 42}))
    prec = tmp_path / "prec.json"
    rows = [{"curve": "trig", "k": 2, "d": 4, "dtype": "float32", "accumulate": "sequential", "limit": 166,
             "censored": False},
            {"curve": "trig", "k": 2, "d": 4, "dtype": "float64", "accumulate": "sequential", "limit": 400,
             "censored": True}]
    prec.write_text(json.dumps({"result": {"rows": rows}}))
    png = tmp_path / "fig.png"
    assert _run(["theory", "plot", "--out", str(png), "--paper-json", str(paper), "--precision-json", str(prec)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_plot_function_rejects_empty(tmp_path):
    pytest.importorskip("matplotlib")
    from limitkit._errors import ConfigError
    from limitkit.report.fig_critical_n import plot_critical_n

    with pytest.raises(ConfigError, match="nothing to plot"):
        plot_critical_n(tmp_path / "x.png")
