"""LIMIT-style generation: vocabulary, qrel patterns (hand-checked), construction, determinism."""

import json
import re
import subprocess
import sys
import time
from collections import Counter
from itertools import combinations

import pytest

from limitkit._errors import ConfigError
from limitkit.data.generate import GenerateConfig, generate, generate_dataset, qrel_pattern
from limitkit.data.io import load_dataset
from limitkit.data.stats import dataset_stats, parse_likes, query_attribute
from limitkit.data.vocabulary import attributes, first_names, last_names

SMALL_WORDS = {"a", "an", "and", "at", "au", "by", "de", "for", "from", "in", "of", "on", "or", "the", "to", "with"}


def _stem(word: str) -> str:
    """Crude singular: berries -> berry, peaches -> peach, horses -> horse -> hors, glass stays."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if word.endswith("ie"):
        word = word[:-2] + "y"
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def normalise(attr: str) -> str:
    words = re.sub(r"[^a-z0-9 ]", " ", attr.lower()).split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(_stem(w) for w in words)


# ---- vocabulary ---------------------------------------------------------------------------------
def test_normaliser_catches_plural_case_and_article_variants():
    assert normalise("Peaches") == normalise("peach")
    assert normalise("Blueberries") == normalise("Blueberry")
    assert normalise("The Horses") == normalise("horse")
    assert normalise("Stand-up Comedy") == normalise("Stand Up Comedies")
    assert normalise("Glass") != normalise("Gas")


def test_vocabulary_is_large_sorted_distinct_and_title_case():
    vocab = attributes()
    assert len(vocab) >= 1850
    assert list(vocab) == sorted(vocab)
    dupes = {k: v for k, v in Counter(map(normalise, vocab)).items() if v > 1}
    assert not dupes, f"near-duplicate attributes: {dupes}"
    for a in vocab:
        assert a == a.strip() and a.isascii() and a.isprintable() and "  " not in a, a
        # the rendered list "A, B and C" and the query "Who likes X?" must parse back unambiguously
        assert ", " not in a and " and " not in a and "?" not in a, a
        words = a.split(" ")
        assert words[0][0].isupper() or words[0][0].isdigit(), a
        assert all(w[0].isupper() or w[0].isdigit() or w in SMALL_WORDS or w[0] in "&'" for w in words), a


def test_no_attribute_is_a_bare_person_name():
    names = set(first_names()) | set(last_names())
    assert not [a for a in attributes() if a in names]


# ---- patterns on hand-checked cases --------------------------------------------------------------
def rows(**kw):
    return qrel_pattern(GenerateConfig(**kw)).tolist()


def test_dense_takes_first_subsets_of_smallest_document_set():
    # C(3,2) = 3 < 5 <= C(4,2) = 6, so 4 documents; the first 5 pairs in lexicographic order
    assert rows(n_docs=10, n_queries=5, k=2) == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3]]
    # C(4,3) = 4: exactly all triples of 4 documents
    assert rows(n_docs=4, n_queries=4, k=3) == [[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]
    # k = 1: one document per query
    assert rows(n_docs=3, n_queries=3, k=1) == [[0], [1], [2]]


def test_dense_default_matches_official_limit_pairs(limit_small_dir):
    # C(45,2) = 990 < 1000 <= C(46,2) = 1035; pairs (a, b) with a <= 36 number
    # sum_{a=0}^{36} (45 - a) = 999, so the 1000th and last pair is (37, 38)
    got = qrel_pattern(GenerateConfig())
    assert got.shape == (1000, 2) and got[-1].tolist() == [37, 38]
    assert got.tolist() == [list(c) for c in combinations(range(46), 2)][:1000]
    # the official LIMIT-small: query i's two relevant documents, as positions in corpus order
    ds = load_dataset(limit_small_dir)
    pos = {d: j for j, d in enumerate(ds.corpus)}
    official = [sorted(pos[d] for d in ds.qrels[f"query_{i}"]) for i in range(1000)]
    assert official == got.tolist()


def test_cycle_and_disjoint_patterns():
    # cycle of c = max(m, k+1) = 4 documents: i -> {i, i+1 mod 4}
    assert rows(n_docs=4, n_queries=4, k=2, pattern="cycle") == [[0, 1], [1, 2], [2, 3], [0, 3]]
    # explicit cycle of 4 with 6 queries repeats after 4 queries
    assert rows(n_docs=5, n_queries=6, k=2, pattern="cycle", cycle_docs=4) == [
        [0, 1], [1, 2], [2, 3], [0, 3], [0, 1], [1, 2]]
    # m = 2 <= k = 2: c = k + 1 = 3 keeps the sets distinct
    assert rows(n_docs=3, n_queries=2, k=2, pattern="cycle") == [[0, 1], [1, 2]]
    assert rows(n_docs=7, n_queries=3, k=2, pattern="disjoint") == [[0, 1], [2, 3], [4, 5]]


def test_random_pattern_distinct_sorted_and_seeded():
    # C(5,2) = 10 = m: every pair exactly once (enumeration branch)
    got = rows(n_docs=5, n_queries=10, k=2, pattern="random", seed=3)
    assert sorted(map(tuple, got)) == list(combinations(range(5), 2))
    # rejection branch: distinct sorted triples within range; same seed same rows, other seed differs
    a = rows(n_docs=1000, n_queries=300, k=3, pattern="random", seed=1)
    assert len(set(map(tuple, a))) == 300 and all(r == sorted(r) and 0 <= r[0] and r[-1] < 1000 for r in a)
    assert a == rows(n_docs=1000, n_queries=300, k=3, pattern="random", seed=1)
    assert a != rows(n_docs=1000, n_queries=300, k=3, pattern="random", seed=2)
    # documents are used roughly uniformly: 900 slots over 1000 docs, far from concentrated
    assert max(Counter(j for r in a for j in r).values()) <= 8


@pytest.mark.parametrize("kw, message", [
    (dict(n_docs=10, n_queries=20, k=2, pattern="disjoint"), r"n_docs >= k\*n_queries = 40.*n_docs=10"),
    (dict(n_docs=45), r"needs the 46 documents.*n_docs=45.*raise n_docs to >= 46"),
    (dict(n_docs=1, k=2), r"k=2 .*n_docs=1"),
    (dict(attributes_per_doc=44), r"relevant to 45 queries.*attributes_per_doc=44.*>= 45"),
    (dict(n_docs=10_000, n_queries=3200, pattern="disjoint", attributes_per_doc=5),
     r"n_queries=3200 .*vocabulary has \d+"),
    (dict(n_docs=5, n_queries=11, k=2, pattern="random"), r"only C\(5, 2\) = 10 exist"),
    (dict(n_docs=46, pattern="cycle"), r"cycle of c=1000 documents.*n_docs=46"),
    (dict(n_docs=46, pattern="cycle", cycle_docs=1), r"cycle of c=1 documents"),
    (dict(n_docs=10, n_queries=10, pattern="cycle", attributes_per_doc=1), r"relevant to 2 queries.*=1"),
    (dict(pattern="spiral"), r"unknown pattern 'spiral'"),
    (dict(seed=-1), r"seed and cycle_docs must be >= 0"),
    (dict(n_queries=0), r"n_queries must be >= 1"),
    (dict(k=True), r"k must be an integer"),
    (dict(n_docs=2.5), r"n_docs must be an integer"),
    (dict(cycle_docs=4), r"cycle_docs=4 only applies to pattern='cycle'"),
    (dict(n_docs=700_000, n_queries=10, k=1, pattern="disjoint", attributes_per_doc=2),
     r"n_docs=700000 exceeds the 690000 distinct"),
])
def test_impossible_configs_raise_config_error(kw, message):
    with pytest.raises(ConfigError, match=message):
        generate_dataset(GenerateConfig(**kw))


# ---- construction ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [
    dict(),
    dict(n_docs=60, n_queries=20, k=3, attributes_per_doc=7, pattern="random", seed=5),
    dict(n_docs=12, n_queries=5, k=2, attributes_per_doc=4, pattern="disjoint", seed=1),
    dict(n_docs=9, n_queries=8, k=2, attributes_per_doc=2, pattern="cycle"),
    dict(n_docs=3, n_queries=3, k=1, attributes_per_doc=1),
])
def test_construction_follows_limit(kw):
    config = GenerateConfig(**kw)
    ds = generate_dataset(config)
    names = list(ds.corpus)
    pos = {d: j for j, d in enumerate(names)}
    rel = [sorted(pos[d] for d in ds.qrels[q]) for q in ds.queries]
    assert all(list(ds.qrels[q].values()) == [1] * config.k for q in ds.queries)
    if config.pattern == "random":  # distinct k-subsets
        assert len(set(map(tuple, rel))) == config.n_queries
    else:
        assert rel == qrel_pattern(config).tolist()
    first, last = set(first_names()), set(last_names())
    assert len(names) == config.n_docs == len(set(names))
    assert all(len(n.split(" ")) == 2 and n.split(" ")[0] in first and n.split(" ")[1] in last for n in names)
    assert list(ds.queries) == [f"query_{i}" for i in range(config.n_queries)]
    likes = parse_likes(ds.corpus)
    vocab = set(attributes())
    asked = [query_attribute(t) for t in ds.queries.values()]
    assert len(set(asked)) == config.n_queries and set(asked) <= vocab
    for name, doc in ds.corpus.items():
        assert doc.title == ""
        assert doc.text.startswith(f"{name} likes ") and doc.text.endswith(".")
        assert ", and " not in doc.text  # no Oxford comma, as in the official data
        items = likes[name]
        assert len(items) == len(set(items)) == config.attributes_per_doc and set(items) <= vocab
    for i, x in enumerate(asked):
        assert {d for d, items in likes.items() if x in items} == set(ds.qrels[f"query_{i}"])


def test_rendering_of_one_two_and_three_attributes():
    for apd, pattern in ((1, r"^\S+ \S+ likes [^,]+\.$"), (2, r"^\S+ \S+ likes [^,]+ and [^,]+\.$"),
                         (3, r"^\S+ \S+ likes [^,]+, [^,]+ and [^,]+\.$")):
        ds = generate_dataset(GenerateConfig(n_docs=4, n_queries=2, k=1, attributes_per_doc=apd,
                                             pattern="disjoint"))
        assert all(re.match(pattern, d.text) for d in ds.corpus.values())


def test_generated_folder_card_manifest_and_hf_datasets(tmp_path):
    config = GenerateConfig(n_docs=30, n_queries=40, k=2, attributes_per_doc=12, pattern="random", seed=4)
    out = generate(config, tmp_path / "gen")
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "corpus.jsonl", "manifest.json",
                                                     "qrels.jsonl", "queries.jsonl"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"] == {**config.__dict__} and manifest["seed"] == 4
    assert manifest["limitkit"] and manifest["wall_s"] >= 0 and manifest["inputs"]["n_attributes"] >= 1850
    from limitkit._provenance import sha256_file

    assert manifest["data_sha256"] == {p: sha256_file(out / p) for p in
                                       ("README.md", "corpus.jsonl", "qrels.jsonl", "queries.jsonl")}
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "configs:\n- config_name: default" in card
    datasets = pytest.importorskip("datasets")
    cache = str(tmp_path / "hf-cache")
    corpus = datasets.load_dataset(str(out), "corpus", split="corpus", cache_dir=cache)
    queries = datasets.load_dataset(str(out), "queries", split="queries", cache_dir=cache)
    qrels = datasets.load_dataset(str(out), "default", split="test", cache_dir=cache)
    assert (corpus.num_rows, queries.num_rows, qrels.num_rows) == (30, 40, 80)
    assert corpus.column_names == ["_id", "title", "text"] and qrels.column_names == ["query-id", "corpus-id",
                                                                                     "score"]
    ds = load_dataset(out)
    assert corpus["_id"] == list(ds.corpus) and queries["text"] == list(ds.queries.values())


_CHILD = ("import sys\nfrom limitkit.data.generate import GenerateConfig, generate\n"
          "generate(GenerateConfig(n_docs=500, n_queries=200, k=3, attributes_per_doc=20, pattern='random', "
          "seed=int(sys.argv[2])), sys.argv[1])\n")


def test_same_seed_same_bytes_across_processes(tmp_path):
    outs = []
    for run, seed in (("a", 7), ("b", 7), ("c", 8)):
        subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / run), str(seed)], check=True, timeout=120)
        outs.append({n: (tmp_path / run / n).read_bytes()
                     for n in ("corpus.jsonl", "queries.jsonl", "qrels.jsonl", "README.md")})
    assert outs[0] == outs[1]
    assert all(outs[0][n] != outs[2][n] for n in ("corpus.jsonl", "queries.jsonl", "qrels.jsonl"))
    manifests = [json.loads((tmp_path / r / "manifest.json").read_text()) for r in "ab"]
    assert manifests[0]["data_sha256"] == manifests[1]["data_sha256"]


@pytest.mark.slow
def test_50k_documents_generate_quickly_and_keep_the_invariants(tmp_path):
    start = time.perf_counter()
    out = generate(GenerateConfig(n_docs=50_000), tmp_path / "limit")
    wall = time.perf_counter() - start
    assert wall < 60, f"50k documents took {wall:.1f} s"
    stats = dataset_stats(load_dataset(out))
    assert (stats["n_docs"], stats["n_queries"], stats["n_relevant"]) == (50_000, 1000, 2000)
    assert stats["distinct_relevant_docs"] == 46  # dense: the first 46 documents
    assert stats["relevant_per_doc"]["max"] == 45 and stats["relevant_per_doc"]["min"] == 0
    assert stats["attributes"]["per_doc"]["min"] == stats["attributes"]["per_doc"]["max"] == 45
    assert stats["attributes"]["docs_with_repeated_attribute"] == 0
    inv = stats["limit_invariant"]
    assert inv["holds"] and inv["queries_checked"] == 1000 and inv["violations"] == 0
    # 49,954 documents x 45 fillers over the filler pool (vocabulary - 1000): no filler is a query attribute
    assert stats["attributes"]["query_attributes"] == 1000
    assert stats["attributes"]["distinct"] == len(attributes())
