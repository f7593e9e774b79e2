"""Dataset statistics and the LIMIT invariant, on a hand-computed toy, the official data and oracles."""

import numpy as np
import pytest

from limitkit.data.dataset import Dataset, Document
from limitkit.data.generate import GenerateConfig, generate_dataset
from limitkit.data.io import load_dataset
from limitkit.data.stats import dataset_stats, format_stats, parse_likes, query_attribute

TEXTS = {
    "Ann Lee": "Ann Lee likes Tea, Jazz and Fish and Chips.",
    "Bo Chan": "Bo Chan likes Jazz and Chess.",
    "Cy Dee": "Cy Dee likes Chess.",
    "Di Eve": "Di Eve likes Tea and Golf.",
}
QUERIES = {"q1": "Who likes Jazz?", "q2": "Who likes Chess?", "q3": "Who likes Fish and Chips?",
           "q4": "Who likes Golf?"}
QRELS = {"q1": {"Ann Lee": 1, "Bo Chan": 1}, "q2": {"Bo Chan": 1, "Cy Dee": 1}, "q3": {"Ann Lee": 1},
         "q4": {"Di Eve": 1, "Ann Lee": 0}}


def toy(texts=TEXTS, queries=QUERIES, qrels=QRELS, corpus=True) -> Dataset:
    docs = {d: Document("", t) for d, t in texts.items()} if corpus else None
    return Dataset(queries=queries, qrels=qrels, corpus=docs, name="toy", source="inline")


def test_query_attribute_and_parse_likes_with_and_inside_an_attribute():
    assert query_attribute("Who likes Fish and Chips?") == "Fish and Chips"
    assert query_attribute("Which people like X?") is None
    likes = parse_likes(toy().corpus, known={"Jazz", "Chess", "Fish and Chips", "Golf"})
    assert likes == {"Ann Lee": ["Tea", "Jazz", "Fish and Chips"], "Bo Chan": ["Jazz", "Chess"],
                     "Cy Dee": ["Chess"], "Di Eve": ["Tea", "Golf"]}
    one = {"Al Bo": Document("", "Al Bo likes Fish and Chips.")}
    assert parse_likes(one, known={"Fish and Chips"}) == {"Al Bo": ["Fish and Chips"]}
    assert parse_likes(one) == {"Al Bo": ["Fish", "Chips"]}  # without knowledge: split at the last " and "
    assert parse_likes({"X Y": Document("", "X Y enjoys Tea.")}) is None


def test_hand_computed_toy_stats():
    s = dataset_stats(toy())
    # 7 qrel rows, 6 with score >= 1 (q4 -> Ann Lee has score 0)
    assert (s["n_queries"], s["n_docs"], s["n_qrels"], s["n_relevant"]) == (4, 4, 7, 6)
    # relevant per query 2, 2, 1, 1
    assert s["relevant_per_query"] == {"min": 1, "max": 2, "mean": 1.5, "median": 1.5,
                                       "histogram": {"1": 2, "2": 2}}
    # queries per document: Ann {q1, q3} 2, Bo {q1, q2} 2, Cy {q2} 1, Di {q4} 1
    assert s["relevant_per_doc"] == {"min": 1, "max": 2, "mean": 1.5, "median": 1.5}
    assert s["distinct_relevant_docs"] == 4 and s["queries_without_relevant"] == 0
    assert s["density"] == 6 / (4 * 4) and s["density_n"] == "corpus"
    a = s["attributes"]
    # Tea 2, Jazz 2, Chess 2, Fish and Chips 1, Golf 1; only Tea is asked by no query
    assert (a["distinct"], a["query_attributes"], a["filler_attributes"]) == (5, 4, 1)
    assert a["per_doc"] == {"min": 1, "max": 3, "mean": 2.0, "median": 2.0}  # 3, 2, 1, 2
    assert a["frequency"] == {"min": 1, "max": 2, "mean": 8 / 5, "median": 2.0}
    assert a["filler_frequency"]["max"] == 2
    assert a["top"] == [["Chess", 2], ["Jazz", 2], ["Tea", 2], ["Fish and Chips", 1], ["Golf", 1]]
    inv = s["limit_invariant"]
    assert inv["holds"] and inv["queries_checked"] == 4 and inv["violations"] == 0


def test_invariant_violations_are_reported():
    texts = {**TEXTS, "Di Eve": "Di Eve likes Tea, Golf and Jazz."}  # Di now likes Jazz, but not relevant to q1
    qrels = {**QRELS, "q2": {"Bo Chan": 1, "Cy Dee": 1, "Ann Lee": 1}}  # Ann is relevant to q2 without Chess
    queries = {**QUERIES, "q5": "Name someone who likes Golf."}
    inv = dataset_stats(toy(texts, queries, qrels))["limit_invariant"]
    assert inv["violations"] == 2 and inv["unparsed_queries"] == 1 and not inv["holds"]
    assert inv["examples"] == [
        {"query": "q1", "attribute": "Jazz", "missing": [], "extra": ["Di Eve"]},
        {"query": "q2", "attribute": "Chess", "missing": ["Ann Lee"], "extra": []},
    ]
    text = format_stats(dataset_stats(toy(texts, queries, qrels)))
    assert "VIOLATED: 2 of 4 queries" in text and "q2 (Chess): relevant but lacking it: ['Ann Lee']" in text


def test_not_checkable_cases():
    s = dataset_stats(toy(corpus=False))
    assert s["n_docs"] is None and s["attributes"] is None
    # without a corpus, n = documents named in the qrels: Ann, Bo, Cy, Di -> 6 / 16
    assert s["density"] == 6 / 16 and "no corpus" in s["density_n"]
    assert not s["limit_invariant"]["checked"] and s["limit_invariant"]["holds"] is None
    free_text = dataset_stats(toy(texts={d: "Some free text." for d in TEXTS}))
    assert free_text["attributes"] is None and "not of the form" in free_text["limit_invariant"]["reason"]
    assert "not checked" in format_stats(free_text)


def test_stats_agree_with_dense_matrix_oracle():
    ds = generate_dataset(GenerateConfig(n_docs=80, n_queries=60, k=3, attributes_per_doc=9,
                                         pattern="random", seed=2))
    a = ds.qrel_matrix().to_dense(int)
    s = dataset_stats(ds)
    assert s["density"] == a.sum() / a.size
    assert s["relevant_per_doc"]["max"] == a.sum(0).max() and s["relevant_per_doc"]["mean"] == a.sum(0).mean()
    assert s["distinct_relevant_docs"] == int((a.sum(0) > 0).sum())
    assert s["relevant_per_query"]["histogram"] == {"3": 60}
    # attribute frequency oracle: count list items with plain loops
    counts = {}
    for doc in ds.corpus.values():
        body = doc.text.split(" likes ", 1)[1][:-1]
        head, last = body.rsplit(" and ", 1)
        for item in head.split(", ") + [last]:
            counts[item] = counts.get(item, 0) + 1
    assert s["attributes"]["distinct"] == len(counts)
    assert s["attributes"]["frequency"]["mean"] == pytest.approx(np.mean(list(counts.values())))
    assert s["limit_invariant"]["holds"]


def test_official_limit_small(limit_small_dir):
    s = dataset_stats(load_dataset(limit_small_dir))
    assert (s["n_docs"], s["n_queries"], s["n_relevant"]) == (46, 1000, 2000)
    # documents 0..36 are in 45 pairs; 37 and 38 in 38; 39..45 in 37 (the pairs stop at (37, 38))
    assert s["relevant_per_doc"]["min"] == 37 and s["relevant_per_doc"]["max"] == 45
    assert s["density"] == 2000 / (1000 * 46)
    # every document lists 45 attributes: 1000 query attributes + 67 fillers (the official list has
    # "Fish and Chips", which must parse as one attribute)
    assert s["attributes"]["per_doc"]["min"] == s["attributes"]["per_doc"]["max"] == 45
    assert (s["attributes"]["distinct"], s["attributes"]["filler_attributes"]) == (1067, 67)
    assert s["limit_invariant"]["holds"] and s["limit_invariant"]["queries_checked"] == 1000


def test_format_stats_markdown():
    text = format_stats(dataset_stats(toy()))
    assert text.startswith("## toy\n")
    assert "| queries | 4 |" in text and "| qrel rows (relevant, score >= 1) | 7 (6) |" in text
    assert "| qrel density nnz/(m*n), n = corpus | 0.375 |" in text
    assert "holds: in all 4 queries" in text
