import numpy as np
import pytest

from limitkit._errors import ConfigError, DataFormatError
from limitkit.data.dataset import Document
from limitkit.retrievers.base import Retriever, document_text, to_run, topk_blocks, topk_dense, topk_rows
from limitkit.retrievers.fake import FakeConfig, FakeRetriever, hashed_vector


def _oracle_topk(scores, k):
    """Python loop: sort each row by (score descending, column ascending)."""
    out = []
    for row in scores:
        order = sorted(range(len(row)), key=lambda j: (-row[j], j))
        out.append(order[:k])
    return np.array(out)


def test_topk_rows_matches_loop_oracle_with_many_ties():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 4, size=(50, 37)).astype(np.float32)  # coarse values: ties everywhere
    for k in (1, 2, 5, 37):
        idx, val = topk_rows(scores, k)
        np.testing.assert_array_equal(idx, _oracle_topk(scores, k))
        np.testing.assert_array_equal(val, np.take_along_axis(scores, idx, axis=1))


def test_topk_hand_example():
    # row 0: [1, 3, 3, 2] -> columns 1 and 2 tie at 3; the earlier column (1) ranks first
    idx, val = topk_rows(np.array([[1, 3, 3, 2], [5, 5, 5, 5]], dtype=np.float32), 2)
    assert idx.tolist() == [[1, 2], [0, 1]]
    assert val.tolist() == [[3, 3], [5, 5]]


def test_block_size_does_not_change_results():
    rng = np.random.default_rng(2)
    q = rng.standard_normal((23, 8)).round(1).astype(np.float32)
    d = rng.standard_normal((41, 8)).round(1).astype(np.float32)
    ref = topk_dense(q, d, 5)
    tiny = topk_dense(q, d, 5, max_block_bytes=4 * 41 * 3)  # 3 queries per block
    np.testing.assert_array_equal(ref[0], tiny[0])
    np.testing.assert_array_equal(ref[1], tiny[1])
    np.testing.assert_array_equal(ref[0], _oracle_topk(q @ d.T, 5))


def test_k_clipped_and_bad_inputs():
    idx, _ = topk_rows(np.zeros((2, 3), np.float32), 10)
    assert idx.shape == (2, 3)
    with pytest.raises(ConfigError, match="positive integer"):
        topk_rows(np.zeros((2, 3)), 0)
    with pytest.raises(DataFormatError, match="NaN"):
        topk_rows(np.array([[np.nan, 1.0]]), 1)
    with pytest.raises(ConfigError, match="same number of columns"):
        topk_dense(np.zeros((2, 3)), np.zeros((4, 5)), 1)
    with pytest.raises(ConfigError, match="shape"):
        topk_blocks(lambda i, j: np.zeros((1, 1)), 3, 4, 1)


def test_to_run_and_document_text():
    run = to_run(["q"], ["a b", "c"], np.array([[1, 0]]), np.array([[2.0, 1.0]]))
    assert run == {"q": {"c": 2.0, "a b": 1.0}} and list(run["q"]) == ["c", "a b"]
    assert document_text(Document("T", "body")) == "T body"
    assert document_text(Document("", "body")) == "body"


CORPUS = {"d1": Document("", "alpha"), "d2": Document("", "beta"), "d 3": Document("", "gamma")}


def test_fake_retriever_follows_the_protocol():
    r = FakeRetriever(FakeConfig(dim=256))
    assert isinstance(r, Retriever)
    r.index(CORPUS)
    run = r.search({"q1": "beta", "q2": "gamma"}, 2)
    # a query equal to a document's text has cosine 1 with it, so that document ranks first
    assert list(run["q1"])[0] == "d2" and list(run["q2"])[0] == "d 3"
    assert run["q1"]["d2"] == pytest.approx(1.0, abs=1e-6)
    assert all(len(v) == 2 for v in run.values())


def test_fake_vectors_are_deterministic_and_seeded():
    a = hashed_vector("Who likes Quokkas?", 16, seed=0)
    np.testing.assert_array_equal(a, hashed_vector("Who likes Quokkas?", 16, seed=0))
    assert not np.allclose(a, hashed_vector("Who likes Quokkas?", 16, seed=1))
    r1, r2 = FakeRetriever(), FakeRetriever()
    r1.index(CORPUS)
    r2.index(CORPUS)
    assert r1.search({"q": "alpha"}, 3) == r2.search({"q": "alpha"}, 3)
    with pytest.raises(ConfigError, match="call index"):
        FakeRetriever().search({"q": "x"}, 1)
    with pytest.raises(ConfigError, match="dim"):
        FakeConfig(dim=0)
