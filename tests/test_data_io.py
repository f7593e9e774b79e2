"""Dataset folder I/O: official round-trips, every validation error on inline fixtures, hub wiring."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from limitkit._errors import ConfigError, DataFormatError, LimitkitError
from limitkit.data import hub
from limitkit.data.dataset import Dataset, Document
from limitkit.data.io import load_dataset, save_dataset

CORPUS = (
    '{"_id": "Ada Lovelace", "title": "", "text": "Ada Lovelace likes Looms and Engines."}\n'
    '{"_id": "Alan Turing", "title": "", "text": "Alan Turing likes Marathons."}\n'
    '{"_id": "Grace Hopper", "title": "Admiral", "text": "Grace Hopper likes Compilers."}\n'
)
QUERIES = '{"_id": "q 1", "text": "Who likes Marathons?"}\n{"_id": "q2", "text": "Who likes Compilers?"}\n'
QRELS = (
    '{"query-id": "q 1", "corpus-id": "Alan Turing", "score": 1}\n'
    '{"query-id": "q2", "corpus-id": "Grace Hopper", "score": 1}\n'
    '{"query-id": "q2", "corpus-id": "Ada Lovelace", "score": 0}\n'
)


def write(folder: Path, **files: str) -> Path:
    """Write inline fixture files; keys use '__' for '/' and '_' for '.' ('qrels__test_tsv')."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, text in files.items():
        name = key.replace("__", "/").replace("_jsonl", ".jsonl").replace("_tsv", ".tsv")
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return folder


def good(tmp_path, **override) -> Path:
    files = {"corpus_jsonl": CORPUS, "queries_jsonl": QUERIES, "qrels_jsonl": QRELS}
    files.update(override)
    return write(tmp_path / "ds", **{k: v for k, v in files.items() if v is not None})


def raw_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ---- good input ----------------------------------------------------------------------------------
def test_inline_fixture_loads_with_spaces_in_ids_and_graded_scores(tmp_path):
    ds = load_dataset(good(tmp_path))
    assert list(ds.corpus) == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert ds.corpus["Grace Hopper"] == Document(title="Admiral", text="Grace Hopper likes Compilers.")
    assert ds.queries == {"q 1": "Who likes Marathons?", "q2": "Who likes Compilers?"}
    assert ds.qrels == {"q 1": {"Alan Turing": 1}, "q2": {"Grace Hopper": 1, "Ada Lovelace": 0}}
    assert set(ds.checksums) == {"corpus.jsonl", "queries.jsonl", "qrels.jsonl"}
    assert ds.name == "ds" and ds.source == str(tmp_path / "ds")
    # the score-0 row is kept in qrels but is not relevant: A has 2 ones
    assert ds.qrel_matrix().nnz == 2


def test_blank_lines_bom_int_ids_and_missing_title_are_accepted(tmp_path):
    folder = good(tmp_path,
                  corpus_jsonl='\ufeff{"_id": 7, "text": "Seven likes Sevens."}\n\n',
                  queries_jsonl='{"_id": 1, "text": "Who likes Sevens?"}\n',
                  qrels_jsonl='\n{"query-id": 1, "corpus-id": 7, "score": 1.0}\n')
    ds = load_dataset(folder)
    assert ds.corpus == {"7": Document("", "Seven likes Sevens.")}
    assert ds.qrels == {"1": {"7": 1}}  # integral float score 1.0 -> 1


def test_beir_layout_with_and_without_header(tmp_path):
    for header in ("query-id\tcorpus-id\tscore\n", ""):
        folder = good(tmp_path / f"h{len(header)}", qrels_jsonl=None,
                      qrels__test_tsv=header + "q 1\tAlan Turing\t1\nq2\tGrace Hopper\t2\n")
        ds = load_dataset(folder)
        assert ds.qrels == {"q 1": {"Alan Turing": 1}, "q2": {"Grace Hopper": 2}}
        assert "qrels/test.tsv" in ds.checksums


def test_split_selection(tmp_path):
    folder = good(tmp_path, qrels_jsonl=None, qrels__dev_tsv="q2\tAda Lovelace\t1\n",
                  qrels__test_tsv="q 1\tAlan Turing\t1\n")
    assert load_dataset(folder, split="dev").qrels == {"q2": {"Ada Lovelace": 1}}
    with pytest.raises(DataFormatError, match=r"no qrels for split 'train'.*dev.tsv"):
        load_dataset(folder, split="train")
    with pytest.raises(DataFormatError, match="single \\(test\\) split"):
        load_dataset(good(tmp_path / "x"), split="dev")


def test_qrels_only_folder_loads_without_corpus(tmp_path):
    ds = load_dataset(good(tmp_path, corpus_jsonl=None,
                           qrels_jsonl='{"query-id": "q2", "corpus-id": "Nobody Known", "score": 1}\n'))
    assert ds.corpus is None and not ds.has_corpus
    assert ds.qrels == {"q2": {"Nobody Known": 1}}  # unknown documents cannot be checked without a corpus
    with pytest.raises(DataFormatError, match="no corpus.jsonl, which retrieval needs"):
        ds.require_corpus("retrieval")


# ---- every validation error (file and line named) --------------------------------------------------
@pytest.mark.parametrize("files, where, message", [
    ({"queries_jsonl": '{"_id": "q 1", "text": "Who likes Marathons?"}\n{"_id": "q2", "text": \n'},
     "queries.jsonl:2", "malformed JSON"),
    ({"corpus_jsonl": CORPUS + "\n\n{oops}\n"}, "corpus.jsonl:6", "malformed JSON"),
    ({"queries_jsonl": '["q1", "text"]\n'}, "queries.jsonl:1", "expected a JSON object, got list"),
    ({"corpus_jsonl": '{"_id": "Ada Lovelace", "title": ""}\n'}, "corpus.jsonl:1", "missing field 'text'"),
    ({"queries_jsonl": QUERIES + '{"text": "Who likes Nothing?"}\n'}, "queries.jsonl:3", "missing field '_id'"),
    ({"qrels_jsonl": '{"query-id": "q2", "corpus-id": "Grace Hopper"}\n'}, "qrels.jsonl:1",
     "missing field 'score'"),
    ({"qrels_jsonl": '{"query-id": "q2", "score": 1}\n'}, "qrels.jsonl:1", "missing field 'corpus-id'"),
    ({"corpus_jsonl": CORPUS + '{"_id": "Ada Lovelace", "title": "", "text": "again"}\n'}, "corpus.jsonl:4",
     r"duplicate document id 'Ada Lovelace' \(first at line 1\)"),
    ({"queries_jsonl": QUERIES + '{"_id": "q 1", "text": "Who likes Tea?"}\n'}, "queries.jsonl:3",
     r"duplicate query id 'q 1' \(first at line 1\)"),
    ({"qrels_jsonl": QRELS + '{"query-id": "q 1", "corpus-id": "Alan Turing", "score": 2}\n'}, "qrels.jsonl:4",
     r"duplicate qrel \('q 1', 'Alan Turing'\) \(first at line 1\)"),
    ({"qrels_jsonl": QRELS + '{"query-id": "q 3", "corpus-id": "Alan Turing", "score": 1}\n'}, "qrels.jsonl:4",
     "query-id 'q 3' is not in queries.jsonl"),
    ({"qrels_jsonl": '{"query-id": "q2", "corpus-id": "Alan  Turing", "score": 1}\n'}, "qrels.jsonl:1",
     "corpus-id 'Alan  Turing' is not in corpus.jsonl"),
    ({"corpus_jsonl": '{"_id": "Ada Lovelace", "title": "", "text": "   "}\n'}, "corpus.jsonl:1", "empty 'text'"),
    ({"queries_jsonl": '{"_id": "q 1", "text": ""}\n'}, "queries.jsonl:1", "empty 'text'"),
    ({"queries_jsonl": '{"_id": " ", "text": "Who?"}\n'}, "queries.jsonl:1", "empty id"),
    ({"queries_jsonl": '{"_id": ["q"], "text": "Who?"}\n'}, "queries.jsonl:1", "must be a string id"),
    ({"corpus_jsonl": '{"_id": "A B", "title": 3, "text": "A B likes C."}\n'}, "corpus.jsonl:1",
     "'title' must be a string"),
    ({"queries_jsonl": '{"_id": "q 1", "text": 5}\n'}, "queries.jsonl:1", "'text' must be a string"),
    ({"queries_jsonl": b'{"_id": "q 1", "text": "caf\xe9"}\n'}, "queries.jsonl:1", "not valid UTF-8"),
])
def test_validation_errors_name_file_and_line(tmp_path, files, where, message):
    with pytest.raises(DataFormatError, match=message) as err:
        load_dataset(good(tmp_path, **files))
    assert where in str(err.value)


@pytest.mark.parametrize("score", ['"high"', "null", "true", '"1"', "0.5", "[1]"])
def test_non_numeric_or_fractional_json_scores_are_rejected(tmp_path, score):
    qrels = '{"query-id": "q2", "corpus-id": "Grace Hopper", "score": %s}\n' % score
    with pytest.raises(DataFormatError, match=r"qrels.jsonl:1: score .* (not a number|not an integer)"):
        load_dataset(good(tmp_path, qrels_jsonl=qrels))


@pytest.mark.parametrize("tsv, where, message", [
    ("query-id\tcorpus-id\tscore\nq2\tGrace Hopper\tabc\n", "test.tsv:2", "score 'abc' is not a number"),
    ("q2\tGrace Hopper\t1\tQ0\n", "test.tsv:1", "expected 3 tab-separated fields"),
    ("q2 Grace Hopper 1\n", "test.tsv:1", "expected 3 tab-separated fields"),
    ("q2\tNo One\t1\n", "test.tsv:1", "corpus-id 'No One' is not in corpus.jsonl"),
    ("q2\tGrace Hopper\t1.5\n", "test.tsv:1", "not an integer grade"),
])
def test_tsv_validation_errors(tmp_path, tsv, where, message):
    with pytest.raises(DataFormatError, match=message) as err:
        load_dataset(good(tmp_path, qrels_jsonl=None, qrels__test_tsv=tsv))
    assert where in str(err.value)


def test_missing_files_and_unknown_sources(tmp_path):
    with pytest.raises(DataFormatError, match="no queries.jsonl"):
        load_dataset(good(tmp_path, queries_jsonl=None))
    with pytest.raises(DataFormatError, match="no qrels"):
        load_dataset(good(tmp_path / "b", qrels_jsonl=None))
    with pytest.raises(DataFormatError, match="neither a dataset folder nor an official dataset name"):
        load_dataset(tmp_path / "does-not-exist")
    with pytest.raises(DataFormatError, match=r"expected the folder .*limit-small.*--data-dir"):
        load_dataset("limit-small", data_dir=tmp_path)


# ---- writing ----------------------------------------------------------------------------------------
def test_official_limit_small_round_trips_to_identical_records_and_bytes(limit_small_dir, tmp_path):
    ds = load_dataset(limit_small_dir)
    assert (len(ds.corpus), len(ds.queries), sum(map(len, ds.qrels.values()))) == (46, 1000, 2000)
    files = save_dataset(ds, tmp_path / "out")
    assert files == dict(ds.checksums)  # same sha256 => byte-identical
    for name in ("corpus.jsonl", "queries.jsonl", "qrels.jsonl"):
        assert raw_records(tmp_path / "out" / name) == raw_records(limit_small_dir / name)
        assert (tmp_path / "out" / name).read_bytes() == (limit_small_dir / name).read_bytes()
    back = load_dataset(tmp_path / "out")
    assert (back.corpus, back.queries, back.qrels) == (ds.corpus, ds.queries, ds.qrels)


def test_official_limit_by_name_from_data_dir_is_qrels_only(limit_dir, tmp_path):
    ds = load_dataset("limit", data_dir=limit_dir.parent)
    assert ds.name == "limit" and ds.corpus is None
    assert ds.qrel_matrix().shape == (1000, 46)  # the 46 documents named in the qrels
    files = save_dataset(ds, tmp_path / "out")
    assert set(files) == {"queries.jsonl", "qrels.jsonl"}  # no corpus to write
    for name in files:
        assert (tmp_path / "out" / name).read_bytes() == (limit_dir / name).read_bytes()


def test_beir_round_trip_keeps_records(tmp_path):
    ds = load_dataset(good(tmp_path))
    files = save_dataset(ds, tmp_path / "beir", fmt="beir")
    assert set(files) == {"corpus.jsonl", "queries.jsonl", "qrels/test.tsv"}
    assert (tmp_path / "beir" / "qrels" / "test.tsv").read_text().splitlines() == [
        "query-id\tcorpus-id\tscore", "q 1\tAlan Turing\t1", "q2\tGrace Hopper\t1", "q2\tAda Lovelace\t0"]
    back = load_dataset(tmp_path / "beir")
    assert (back.corpus, back.queries, back.qrels) == (ds.corpus, ds.queries, ds.qrels)
    assert not list((tmp_path / "beir").rglob("*.tmp"))


def test_save_rejects_bad_format_and_tab_ids(tmp_path):
    ds = Dataset(queries={"q\t1": "Who?"}, qrels={"q\t1": {"d": 1}})
    with pytest.raises(ConfigError, match="unknown dataset format 'trec'"):
        save_dataset(ds, tmp_path, fmt="trec")
    with pytest.raises(DataFormatError, match="contains a tab"):
        save_dataset(ds, tmp_path, fmt="beir")
    save_dataset(ds, tmp_path / "mteb")  # JSON can hold a tab
    assert load_dataset(tmp_path / "mteb").qrels == {"q\t1": {"d": 1}}


def test_non_ascii_is_written_as_utf8(tmp_path):
    ds = Dataset(queries={"q": "Who likes Crème Brûlée?"}, qrels={"q": {"Zoë Ng": 1}},
                 corpus={"Zoë Ng": Document("", "Zoë Ng likes Crème Brûlée.")})
    save_dataset(ds, tmp_path)
    assert "Zoë Ng" in (tmp_path / "corpus.jsonl").read_text(encoding="utf-8")
    back = load_dataset(tmp_path)
    assert (back.corpus, back.queries, back.qrels) == (ds.corpus, ds.queries, ds.qrels)


# ---- the Hub ----------------------------------------------------------------------------------------
def test_pinned_revisions_are_full_commit_hashes():
    for spec in hub.OFFICIAL.values():
        assert len(spec.revision) == 40 and int(spec.revision, 16) >= 0
    assert hub.OFFICIAL["limit-small"].repo_id == "orionweller/LIMIT-small"


def test_hub_fetch_and_download_use_pinned_revision(monkeypatch, tmp_path, limit_small_dir):
    hf = pytest.importorskip("huggingface_hub")
    calls = []

    def fake_snapshot(*, repo_id, repo_type, revision, allow_patterns, local_dir):
        calls.append((repo_id, repo_type, revision, local_dir))
        target = Path(local_dir) if local_dir else tmp_path / "cache" / revision
        target.mkdir(parents=True, exist_ok=True)
        for name in ("corpus.jsonl", "queries.jsonl", "qrels.jsonl"):
            shutil.copy(limit_small_dir / name, target / name)
        return str(target)

    monkeypatch.setattr(hf, "snapshot_download", fake_snapshot)
    pinned = hub.OFFICIAL["limit-small"].revision
    ds = load_dataset("limit-small")
    assert ds.source == f"orionweller/LIMIT-small@{pinned}" and len(ds.corpus) == 46
    assert calls[-1] == ("orionweller/LIMIT-small", "dataset", pinned, None)
    assert load_dataset("limit-small", revision="abc").source == "orionweller/LIMIT-small@abc"
    folder = hub.download("limit-small", tmp_path / "data")
    assert folder == tmp_path / "data" / "limit-small"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["source"] == f"orionweller/LIMIT-small@{pinned}"
    assert manifest["data_sha256"]["qrels.jsonl"] == load_dataset(limit_small_dir).checksums["qrels.jsonl"]
    assert len(load_dataset("limit-small", data_dir=tmp_path / "data").corpus) == 46


def test_offline_hub_gives_a_clear_error_naming_data_dir(tmp_path):
    pytest.importorskip("huggingface_hub")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    code = ("from limitkit.data.io import load_dataset\n"
            "from limitkit._errors import LimitkitError\n"
            "try:\n    load_dataset('limit')\nexcept LimitkitError as e:\n    print(type(e).__name__, e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HubUnavailableError")
    assert "orionweller/LIMIT@" in out.stdout and "--data-dir" in out.stdout
    assert issubclass(hub.HubUnavailableError, LimitkitError)
