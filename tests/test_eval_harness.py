import json

import pytest

from limitkit._errors import ConfigError, DataFormatError
from limitkit.data.dataset import Dataset, Document
from limitkit.evaluation.harness import EvalResult, evaluate
from limitkit.retrievers.fake import FakeConfig, FakeRetriever

CORPUS = {"Ann": Document("", "Ann likes Tea and Jazz."), "Bo": Document("", "Bo likes Chess and Tea."),
          "Cy": Document("", "Cy likes Jazz and Chess.")}
QUERIES = {"q1": "Who likes Tea?", "q2": "Who likes Jazz?", "q3": "Who likes Chess?", "q4": "unjudged"}
QRELS = {"q1": {"Ann": 1, "Bo": 1}, "q2": {"Ann": 1, "Cy": 1}, "q3": {"Bo": 1, "Cy": 1}}
TOY = Dataset(queries=QUERIES, qrels=QRELS, corpus=CORPUS, name="toy")


class Counting(FakeRetriever):
    indexed = 0

    def index(self, corpus):
        Counting.indexed += 1
        super().index(corpus)


def test_exact_match_is_perfect_and_fake_is_not():
    res = evaluate(["exact-match", "fake:8"], [TOY], ks=(1, 2), progress=False)
    assert isinstance(res, EvalResult) and res.main_score == "recall@2"
    # exact match: both relevant people share the attribute, nobody else does -> recall@2 = 1
    assert res.metrics["toy"]["exact-match"]["recall@2"] == 1.0
    assert res.metrics["toy"]["exact-match"]["recall@1"] == 0.5  # one of two relevant at rank 1
    # per-query results are kept, only for judged queries (q4 has no qrels)
    assert set(res.per_query["toy"]["fake:8"]) == {"q1", "q2", "q3"}
    cell = res.cells["toy"]["exact-match"]
    assert cell["k_retrieved"] == 2 and cell["retriever"]["config"]["weighting"] == "binary"
    assert res.provenance["datasets"]["toy"]["n_queries_without_qrels"] == 1
    assert "config" in res.provenance and res.provenance["config"]["ks"] == [1, 2]
    json.dumps(res.to_json())


def test_mismatched_qrels_raise_clear_errors():
    missing_doc = Dataset(queries=QUERIES, qrels={"q1": {"Zed": 1}}, corpus=CORPUS, name="bad")
    with pytest.raises(DataFormatError, match=r"1 document id\(s\) missing from the corpus, e.g. \['Zed'\]"):
        evaluate(["fake:4"], [missing_doc], progress=False)
    missing_query = Dataset(queries={"q1": "x"}, qrels={"q9": {"Ann": 1}}, corpus=CORPUS, name="bad")
    with pytest.raises(DataFormatError, match=r"query id\(s\) have no query text, e.g. \['q9'\]"):
        evaluate(["fake:4"], [missing_query], progress=False)
    no_corpus = Dataset(queries=QUERIES, qrels=QRELS, corpus=None, name="qrels-only")
    with pytest.raises(DataFormatError, match="no corpus.jsonl"):
        evaluate(["fake:4"], [no_corpus], progress=False)
    nothing_relevant = Dataset(queries=QUERIES, qrels={"q1": {"Ann": 0}}, corpus=CORPUS, name="zero")
    with pytest.raises(DataFormatError, match="no document is relevant"):
        evaluate(["fake:4"], [nothing_relevant], progress=False)


def test_bad_arguments():
    with pytest.raises(ConfigError, match="appear twice"):
        evaluate(["fake:4", "fake:4"], [TOY], progress=False)
    with pytest.raises(ConfigError, match="named 'toy'"):
        evaluate(["fake:4"], [TOY, TOY], progress=False)
    with pytest.raises(ConfigError, match="positive"):
        evaluate(["fake:4"], [TOY], ks=(0,), progress=False)
    with pytest.raises(ConfigError, match="unknown retriever"):
        evaluate(["nope"], [TOY], progress=False)


def test_results_are_saved_and_a_rerun_resumes(tmp_path):
    Counting.indexed = 0
    first = evaluate([Counting(FakeConfig(dim=8))], {"toy": TOY}, ks=(2,), out=tmp_path, progress=False)
    assert Counting.indexed == 1
    assert (tmp_path / "results.json").exists() and (tmp_path / "results.md").exists()
    assert len(list((tmp_path / "cells").glob("*.json"))) == 1
    again = evaluate([Counting(FakeConfig(dim=8))], {"toy": TOY}, ks=(2,), out=tmp_path, progress=False)
    assert Counting.indexed == 1  # the finished cell was reused
    assert again.metrics == first.metrics
    evaluate([Counting(FakeConfig(dim=8, seed=1))], {"toy": TOY}, ks=(2,), out=tmp_path, progress=False)
    assert Counting.indexed == 2  # another config is another signature
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["main_score"] == "recall@2" and "provenance" in saved


def test_markdown_shows_the_paper_beside_ours():
    renamed = Dataset(queries=QUERIES, qrels=QRELS, corpus=CORPUS, name="limit-small")
    md = evaluate(["exact-match"], [renamed], ks=(2, 10, 20), progress=False).markdown()
    assert "| exact-match | 100.0 | 100.0 | 100.0 |" in md
    assert "| paper: BM25 | 97.8 | 100.0 | 100.0 |" in md
    md_toy = evaluate(["exact-match"], [TOY], ks=(2,), progress=False).markdown()
    assert "paper:" not in md_toy  # no published numbers for other datasets


def test_loads_official_names_from_data_dir(limit_small_dir):
    res = evaluate(["exact-match"], ["limit-small"], data_dir=limit_small_dir.parent, ks=(2,), progress=False)
    # the attribute parser reverse-engineers LIMIT: 100% (the paper's footnote 8 for token-wise TF-IDF)
    assert res.metrics["limit-small"]["exact-match"]["recall@2"] == 1.0
    assert set(res.provenance["datasets"]["limit-small"]["file_sha256"]) == {
        "corpus.jsonl", "queries.jsonl", "qrels.jsonl"}
