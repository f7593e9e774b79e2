import numpy as np
import pytest

from limitkit._errors import ConfigError, ResourceError
from limitkit.data.dataset import Document
from limitkit.evaluation.metrics import recall_at_k
from limitkit.retrievers.baselines import ItemParser, TfidfConfig, TfidfRetriever, TokenSumConfig, \
    TokenSumRetriever
from limitkit.retrievers.fake import hashed_vector

CORPUS = {
    "Ann Lee": Document("", "Ann Lee likes Quokkas, Fish and Chips and Tea."),
    "Bo Diaz": Document("", "Bo Diaz likes Tea, Jazz and Fish and Chips."),
    "Cy Ode": Document("", "Cy Ode likes Jazz, Chess and Quokkas."),
}


def test_item_parser_handles_the_template_and_phrases_with_and():
    p = ItemParser("attributes").fit([d.text for d in CORPUS.values()])
    # items seen before the final "X and Y": quokkas, tea, jazz. "Fish and Chips and Tea" has two
    # cuts; only "Fish and Chips" | "Tea" has a known side (tea), so that cut is taken
    assert p.document_items(CORPUS["Ann Lee"].text) == ["quokkas", "fish and chips", "tea"]
    # "Jazz and Fish and Chips": "Jazz" | "Fish and Chips" has the known side jazz
    assert p.document_items(CORPUS["Bo Diaz"].text) == ["tea", "jazz", "fish and chips"]
    assert p.query_items("Who likes Fish and Chips?") == ["fish and chips"]
    # off-template text falls back to words
    assert p.query_items("quokkas please") == ["quokkas", "please"]
    assert ItemParser("words").document_items("Ann likes Tea.") == ["ann", "likes", "tea"]
    with pytest.raises(ConfigError, match="items"):
        ItemParser("letters")


def test_exact_match_and_tfidf_rank_by_attributes():
    qrels = {"q1": {"Ann Lee": 1, "Cy Ode": 1}, "q2": {"Ann Lee": 1, "Bo Diaz": 1}}
    queries = {"q1": "Who likes Quokkas?", "q2": "Who likes Fish and Chips?"}
    for weighting in ("binary", "tfidf"):
        r = TfidfRetriever(TfidfConfig(weighting=weighting))
        r.index(CORPUS)
        run = r.search(queries, 3)
        assert recall_at_k(run, qrels, 2) == 1.0
        assert run["q1"]["Bo Diaz"] == 0.0
    r = TfidfRetriever(TfidfConfig(weighting="binary"))
    r.index(CORPUS)
    assert r.search({"q": "Who likes Quokkas?"}, 1)["q"] == {"Ann Lee": 1.0}  # tie 1 = 1: earlier doc first


def test_tfidf_value_by_hand():
    # N = 3; "quokkas" df = 2 -> idf = ln(4/3) + 1; "tea" df = 2; "fish and chips" df = 2; "jazz" df 2; "chess" df 1
    # Ann's vector: quokkas, fish and chips, tea all weight ln(4/3)+1 -> unit vector has 1/sqrt(3) each
    # query "quokkas" -> unit vector on quokkas: cosine = 1/sqrt(3)
    r = TfidfRetriever()
    r.index(CORPUS)
    assert r.search({"q": "Who likes Quokkas?"}, 1)["q"]["Ann Lee"] == pytest.approx(1 / np.sqrt(3), rel=1e-6)


def test_token_sum_equals_the_explicit_sum_of_item_vectors():
    dim = 32
    r = TokenSumRetriever(TokenSumConfig(dim=dim, seed=7))
    r.index(CORPUS)
    run = r.search({"q": "Who likes Jazz?"}, 3)
    g = {i: hashed_vector(i, dim, 7) for i in ("quokkas", "fish and chips", "tea", "jazz", "chess")}
    doc_vec = {"Ann Lee": g["quokkas"] + g["fish and chips"] + g["tea"],
               "Bo Diaz": g["tea"] + g["jazz"] + g["fish and chips"],
               "Cy Ode": g["jazz"] + g["chess"] + g["quokkas"]}
    for d, v in doc_vec.items():
        assert run["q"][d] == pytest.approx(float(g["jazz"] @ v), rel=1e-4, abs=1e-4)


def test_token_sum_is_deterministic_and_separates_at_high_dim():
    corpus = {f"p{i}": Document("", f"P{i} likes " + ", ".join(f"Item{i}x{j}" for j in range(30)) + " and Z.")
              for i in range(20)}
    queries = {f"q{i}": f"Who likes Item{i}x3?" for i in range(20)}
    qrels = {f"q{i}": {f"p{i}": 1} for i in range(20)}
    r = TokenSumRetriever(TokenSumConfig(dim=2048))
    r.index(corpus)
    run = r.search(queries, 1)
    # signal |g|^2 ~ 2048 vs noise sd ~ sqrt(31 * 2048) ~ 252: every query finds its person
    assert recall_at_k(run, qrels, 1) == 1.0
    r2 = TokenSumRetriever(TokenSumConfig(dim=2048))
    r2.index(corpus)
    assert r2.search(queries, 1) == run


def test_token_sum_refuses_huge_item_tables():
    r = TokenSumRetriever(TokenSumConfig(dim=1024, max_item_bytes=1000))
    r.index(CORPUS)
    with pytest.raises(ResourceError, match="dim <="):
        r.search({"q": "Who likes Tea?"}, 1)
    with pytest.raises(ConfigError, match="dim"):
        TokenSumConfig(dim=0)
