import math

import pytest

from limitkit._errors import ConfigError
from limitkit.data.dataset import Document
from limitkit.evaluation.metrics import evaluate_run
from limitkit.retrievers.bm25 import BM25Config, BM25Retriever

pytest.importorskip("bm25s")

CORPUS = {"d0": Document("", "apple banana"), "d1": Document("", "apples apple cherry")}


def test_scores_match_the_lucene_formula_by_hand():
    # Lucene variant (no (k1 + 1) factor). Stemming maps apples/apple -> "appl".
    # N = 2, |d0| = 2, |d1| = 3, avgdl = 2.5, k1 = 1.5, b = 0.75.
    # idf(banana) = ln(1 + (2 - 1 + 0.5) / (1 + 0.5)) = ln 2 ; d0 tf 1:
    #   1 / (1 + 1.5 * (0.25 + 0.75 * 2 / 2.5)) = 1 / 2.275
    # idf(appl) = ln(1 + 0.5 / 2.5) = ln 1.2 ; d0 tf 1 as above; d1 tf 2:
    #   2 / (2 + 1.5 * (0.25 + 0.75 * 3 / 2.5)) = 2 / 3.725
    r = BM25Retriever()
    r.index(CORPUS)
    run = r.search({"banana": "Banana?", "apple": "who likes an apple"}, 2)
    assert list(run["banana"]) == ["d0", "d1"]
    assert run["banana"]["d0"] == pytest.approx(math.log(2) / 2.275, rel=1e-5)
    assert run["banana"]["d1"] == 0.0
    assert list(run["apple"]) == ["d1", "d0"]  # "who", "an" are stopwords
    assert run["apple"]["d1"] == pytest.approx(math.log(1.2) * 2 / 3.725, rel=1e-5)
    assert run["apple"]["d0"] == pytest.approx(math.log(1.2) / 2.275, rel=1e-5)


def test_stemming_can_be_switched_off():
    r = BM25Retriever(BM25Config(stemmer=None))
    r.index(CORPUS)
    run = r.search({"q": "apples"}, 2)
    assert run["q"]["d1"] > 0 and run["q"]["d0"] == 0.0  # only the exact word matches
    assert r.name == "bm25[stemmer=None]"


def test_bad_config_and_order():
    with pytest.raises(ConfigError, match="method"):
        BM25Config(method="okapi-ish")
    with pytest.raises(ConfigError, match="k1"):
        BM25Config(b=2)
    with pytest.raises(ConfigError, match="call index"):
        BM25Retriever().search({"q": "x"}, 1)
    r = BM25Retriever(BM25Config(stemmer="klingon"))
    with pytest.raises(ConfigError, match="PyStemmer"):
        r.index(CORPUS)


def test_bm25_reaches_the_paper_on_official_limit_small(limit_small_dir):
    from limitkit.data.io import load_dataset

    ds = load_dataset(limit_small_dir)
    r = BM25Retriever()
    r.index(ds.corpus)
    m = evaluate_run(r.search(ds.queries, 46), ds.qrels, (2, 10))
    # paper (Table 4): 97.8 / 100.0 ; MTEB's bm25s baseline uses the same tokenizer and stemmer
    assert m.aggregate["recall@2"] >= 0.978
    assert m.aggregate["recall@10"] == 1.0
