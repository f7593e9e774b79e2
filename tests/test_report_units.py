"""Report building blocks: the stage runner (store, resume, failure isolation) and the renderers."""

import json

import pytest

from limitkit.report.document import Report
from limitkit.report.stages import run_stage, signature


def _quiet(_msg):
    pass


def test_stage_result_is_stored_and_reused_only_with_same_signature(tmp_path):
    calls = []

    def fn():
        calls.append(1)
        return {"value": len(calls)}

    a = run_stage("s", fn, store_dir=tmp_path, sig="abc", config={"x": 1}, resume=True, log=_quiet)
    assert a.status == "ok" and a.result == {"value": 1}
    stored = json.loads((tmp_path / "s.json").read_text())
    assert stored["status"] == "ok" and stored["signature"] == "abc"
    assert stored["provenance"]["config"] == {"x": 1} and "machine" in stored["provenance"]
    b = run_stage("s", fn, store_dir=tmp_path, sig="abc", config={}, resume=True, log=_quiet)
    assert b.status == "reused" and b.result == {"value": 1} and len(calls) == 1
    c = run_stage("s", fn, store_dir=tmp_path, sig="other", config={}, resume=True, log=_quiet)
    assert c.status == "ok" and c.result == {"value": 2}  # signature changed: recomputed
    d = run_stage("s", fn, store_dir=tmp_path, sig="other", config={}, resume=False, log=_quiet)
    assert d.result == {"value": 3}  # no --resume: always recomputed


def test_failed_stage_is_recorded_not_raised_and_not_reused(tmp_path):
    def boom():
        raise RuntimeError("disk on fire")

    out = run_stage("bad", boom, store_dir=tmp_path, sig="x", config=None, resume=True, log=_quiet)
    assert out.status == "failed" and out.error == "RuntimeError: disk on fire"
    stored = json.loads((tmp_path / "bad.json").read_text())
    assert stored["status"] == "failed" and stored["result"] is None
    again = run_stage("bad", lambda: {"ok": True}, store_dir=tmp_path, sig="x", config=None, resume=True,
                      log=_quiet)
    assert again.status == "ok"  # a failed result is never reused


def test_signature_is_stable_and_sensitive():
    assert signature("a", {"x": 1, "y": (2, 3)}) == signature("a", {"y": [2, 3], "x": 1})
    assert signature("a", 1) != signature("a", 2)


def test_report_renders_markdown_and_self_contained_html(tmp_path):
    png = tmp_path / "f.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    rep = Report("T")
    rep.heading("Section")
    rep.para("uses `code` & <angle>")
    rep.table(["a", "b"], [[1, 0.123456], [None, "x|y"]], caption="cap")
    rep.figure(png, "Figure 1: thing")
    md = rep.to_markdown(tmp_path)
    assert "## Section" in md and "| a | b |" in md and "| 1 | 0.1235 |" in md and "| – | x\\|y |" in md
    assert "![Figure 1: thing](f.png)" in md
    html = rep.to_html()
    assert "<code>code</code> &amp; &lt;angle&gt;" in html
    assert "data:image/png;base64,iVBORw0KGgpmYWtl" in html  # base64 of the 12 bytes above
    assert "<caption>cap</caption>" in html and "<td>0.1235</td>" in html


def test_stage_signatures_depend_only_on_their_own_scale_fields():
    import dataclasses

    from limitkit.report.reproduce import _STAGE_FIELDS, _stage_scale
    from limitkit.report.scales import SCALES, Scale

    fields = {f.name for f in dataclasses.fields(Scale)} - {"name"}
    assigned = [f for names in _STAGE_FIELDS.values() for f in names]
    assert sorted(assigned) == sorted(fields)  # every field belongs to exactly one stage
    quick = SCALES["quick"]
    changed = dataclasses.replace(quick, drowning_sizes=(0, 7))
    assert signature(_stage_scale(quick, "free")) == signature(_stage_scale(changed, "free"))
    assert signature(_stage_scale(quick, "ablations")) != signature(_stage_scale(changed, "ablations"))
