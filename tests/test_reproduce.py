"""`limitkit reproduce` end to end at the tiny scale (seconds): structure of the report and a few
numbers checked against the stored stage results."""

import json
import re

import pytest

from limitkit.cli import main
from limitkit.report.reproduce import ReproduceConfig, reproduce


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, limit_small_dir):
    out = tmp_path_factory.mktemp("repro")
    result = reproduce(ReproduceConfig(out=str(out), scale="tiny", data_dir=str(limit_small_dir.parent), quiet=True))
    return out, result


def _stage(out, name):
    return json.loads((out / "stages" / f"{name}.json").read_text())


def test_all_stages_ok_and_report_files_exist(tiny):
    out, result = tiny
    assert result.ok, [(o.name, o.error) for o in result.outcomes]
    assert [o.name for o in result.outcomes] == ["data", "theory", "free", "retrieval", "ablations"]
    for f in ("report.html", "report.md", "run.json", "figures/fig1_critical_n.png", "figures/fig2_retrieval.png",
              "figures/truncation.png", "figures/pattern.png", "figures/drowning.png"):
        assert (out / f).is_file(), f
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 5  # figures embedded: self-contained
    assert "src='figures/" not in html
    for section in ("Data", "Free embedding", "Theory", "Retrieval on LIMIT", "Ablations", "Provenance"):
        assert f">{section}" in html


def test_report_numbers_match_stored_results(tiny):
    out, _ = tiny
    md = (out / "report.md").read_text()
    retrieval = _stage(out, "retrieval")["result"]
    bm25 = retrieval["limit-small"]["metrics"]["bm25"]
    # BM25 Recall@2 on official LIMIT-small, as a percentage with one decimal, in the retrieval table
    assert f"| bm25 | {round(100 * bm25['recall@2'], 1)} |" in md
    assert bm25["recall@2"] >= 0.978  # the paper's 97.8
    free = _stage(out, "free")["result"]
    n3 = free["per_d"]["3"]["critical_n"]
    assert re.search(rf"^\| 3 \| {n3} \| – \|", md, re.M)  # the paper has no d=3 value
    theory = _stage(out, "theory")["result"]
    assert theory["overfit"]["limit-small"]["recall@2"] == 1.0
    assert "Recall@2 = 1.0000" in md
    # margin table, n=100: k=2 -> ceil(log C(100,2)/log 11) = ceil(log 4950 / log 11) = ceil(3.548) = 4;
    # k=10 -> ceil(log C(100,10)/log 11) = ceil(30.48 / 2.398) = ceil(12.71) = 13
    assert "| 1e+02 | 4 | 13 | – | – |" in md


def test_provenance_recorded_for_every_stage(tiny):
    out, _ = tiny
    data = _stage(out, "data")
    assert data["provenance"]["config"]["scale"] == "tiny"
    ds = data["result"]["datasets"]["limit-small"]
    # checksum of the official file as published in ../shared/data/README.md
    assert ds["checksums"]["corpus.jsonl"].startswith("ebc38fa10c96")
    for name in ("theory", "free", "retrieval", "ablations"):
        st = _stage(out, name)
        assert st["status"] == "ok" and st["provenance"]["limitkit"] and "machine" in st["provenance"]


def test_resume_reuses_everything(tiny, capsys):
    out, _ = tiny
    before = {p.name: p.read_text() for p in (out / "stages").glob("*.json")}
    rc = main(["reproduce", "--scale", "tiny", "--out", str(out), "--resume",
               "--data-dir", str(_stage(out, "data")["result"]["datasets"]["limit-small"]["path"]) + "/.."])
    assert rc == 0
    err = capsys.readouterr().err
    assert err.count("reused stored result") == 5
    after = {p.name: p.read_text() for p in (out / "stages").glob("*.json")}
    assert before == after


def test_failed_stage_gives_nonzero_exit_and_rest_still_runs(tmp_path, monkeypatch):
    import limitkit.report.reproduce as rp

    def broken(self):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(rp._Context, "stage_theory", broken)
    rc = main(["reproduce", "--scale", "tiny", "--out", str(tmp_path), "--quiet", "--stages", "data,theory,free"])
    assert rc == 1
    assert _stage(tmp_path, "theory")["status"] == "failed"
    assert _stage(tmp_path, "free")["status"] == "ok"
    md = (tmp_path / "report.md").read_text()
    assert "| theory | failed |" in md and "simulated failure" in md


def test_bad_arguments_are_clear(tmp_path, capsys):
    assert main(["reproduce", "--out", str(tmp_path), "--stages", "data,nope"]) == 2
    assert "unknown stage(s) ['nope']" in capsys.readouterr().err
    assert main(["reproduce", "--out", str(tmp_path), "--data-dir", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_plan_estimates_and_names_what_paper_scale_skips(capsys, tmp_path):
    assert main(["reproduce", "--scale", "paper", "--plan", "--out", str(tmp_path / "x")]) == 0
    out = capsys.readouterr().out
    assert "SKIPPED d=" in out and "d=45" in out  # the largest d is over the per-d budget on a CPU
    assert "MiB" in out and "min" in out
    assert not (tmp_path / "x").exists()  # a plan runs nothing
