import numpy as np
import pytest

from limitkit._errors import DataFormatError
from limitkit.data.dataset import Document
from limitkit.retrievers.fake import FakeTokenEncoder
from limitkit.retrievers.multivector import MultiVectorConfig, MultiVectorRetriever, maxsim_scores


def _nested_loop_maxsim(queries, docs):
    out = np.zeros((len(queries), len(docs)))
    for a, q in enumerate(queries):
        for b, d in enumerate(docs):
            total = 0.0
            for qi in q:
                total += max(float(np.dot(qi, dj)) for dj in d)
            out[a, b] = total
    return out


def _ragged(rng, n, dim, max_len):
    return [rng.standard_normal((int(rng.integers(1, max_len + 1)), dim)).astype(np.float32) for _ in range(n)]


@pytest.mark.parametrize("budget", [256 << 20, 4 * 64, 4 * 1000])
def test_maxsim_matches_nested_loops_for_any_block_budget(budget):
    rng = np.random.default_rng(0)
    queries, docs = _ragged(rng, 13, 6, 5), _ragged(rng, 17, 6, 9)
    offsets = np.concatenate(([0], np.cumsum([len(d) for d in docs])))
    got = maxsim_scores(queries, np.concatenate(docs), offsets, max_block_bytes=budget)
    np.testing.assert_allclose(got, _nested_loop_maxsim(queries, docs), rtol=1e-5, atol=1e-5)


def test_maxsim_hand_example():
    # query tokens (1,0), (0,1); doc A tokens (1,0), (0.5,0.5): max per query token 1 and 0.5 -> 1.5
    # doc B token (0,2): max per query token 0 and 2 -> 2
    q = [np.array([[1, 0], [0, 1]], np.float32)]
    flat = np.array([[1, 0], [0.5, 0.5], [0, 2]], np.float32)
    got = maxsim_scores(q, flat, np.array([0, 2, 3]))
    np.testing.assert_allclose(got, [[1.5, 2.0]])


def test_maxsim_rejects_empty_token_lists():
    with pytest.raises(DataFormatError, match="document has no token"):
        maxsim_scores([np.ones((1, 2), np.float32)], np.ones((1, 2), np.float32), np.array([0, 0, 1]))
    with pytest.raises(DataFormatError, match="query has no token"):
        maxsim_scores([np.ones((0, 2), np.float32)], np.ones((1, 2), np.float32), np.array([0, 1]))


def test_fake_multivector_retrieves_by_shared_words(tmp_path):
    corpus = {"Ann": Document("", "Ann likes Quokkas and Tea."), "Bo": Document("", "Bo likes Tea and Jazz."),
              "Cy": Document("", "Cy likes Jazz and Chess.")}
    r = MultiVectorRetriever(MultiVectorConfig(), encoder=FakeTokenEncoder(dim=64), cache_dir=tmp_path)
    r.index(corpus)
    run = r.search({"q1": "Who likes Quokkas?", "q2": "Who likes Chess?"}, 1)
    assert list(run["q1"]) == ["Ann"] and list(run["q2"]) == ["Cy"]
    # "likes" and "quokkas" match exactly (1 each); "who" matches nothing well (< 1)
    assert 2.0 < run["q1"]["Ann"] < 3.0
