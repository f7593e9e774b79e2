import numpy as np
import pytest

from limitkit._errors import DataFormatError
from limitkit.data.dataset import Document
from limitkit.retrievers.cache import EmbeddingCache, namespace
from limitkit.retrievers.fake import FakeTokenEncoder
from limitkit.retrievers.multivector import MultiVectorConfig, MultiVectorRetriever


class CountingEncoder:
    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, texts):
        self.seen += list(texts)
        return [np.full((1, 3), len(t), np.float32) for t in texts]


def test_hits_misses_dedup_and_length_sorting(tmp_path):
    enc = CountingEncoder()
    cache = EmbeddingCache(tmp_path, "m", {"prompt": ""})
    out = cache.encode(["bb", "a", "bb", "cccc"], enc)
    assert enc.seen == ["cccc", "bb", "a"]  # de-duplicated, longest first
    assert [float(o[0, 0]) for o in out] == [2, 1, 2, 4]
    assert (cache.hits, cache.misses) == (0, 4)
    cache.encode(["a", "dd"], enc)
    assert enc.seen[-1:] == ["dd"] and (cache.hits, cache.misses) == (1, 5)


def test_rerun_from_disk_encodes_nothing(tmp_path):
    first = CountingEncoder()
    EmbeddingCache(tmp_path, "m", {"x": 1}).encode(["one", "two", "three"], first, block=2)
    assert len(list((tmp_path / namespace("m", {"x": 1})).glob("shard-*.npz"))) == 2  # one shard per block
    second = CountingEncoder()
    again = EmbeddingCache(tmp_path, "m", {"x": 1})
    out = again.encode(["three", "one"], second)
    assert second.seen == [] and again.hits == 2
    assert [float(o[0, 0]) for o in out] == [5, 3]
    # another setting (or model) is another namespace: everything is a miss
    third = CountingEncoder()
    EmbeddingCache(tmp_path, "m", {"x": 2}).encode(["one"], third)
    assert third.seen == ["one"]


def test_damaged_shard_is_a_clear_error(tmp_path):
    EmbeddingCache(tmp_path, "m", {}).encode(["t"], CountingEncoder())
    shard = next((tmp_path / namespace("m", {})).glob("shard-*.npz"))
    shard.write_bytes(b"not an npz")
    with pytest.raises(DataFormatError, match="delete it"):
        EmbeddingCache(tmp_path, "m", {})


def test_multivector_rerun_hits_the_cache(tmp_path):
    class Counting(FakeTokenEncoder):
        calls = 0

        def encode_tokens(self, texts, *, is_query):
            Counting.calls += len(texts)
            return super().encode_tokens(texts, is_query=is_query)

    corpus = {"a": Document("", "x y"), "b": Document("", "y z")}
    for expected_new in (3, 0):
        before = Counting.calls
        r = MultiVectorRetriever(MultiVectorConfig(), encoder=Counting(dim=8), cache_dir=tmp_path)
        r.index(corpus)
        r.search({"q": "x"}, 2)
        assert Counting.calls - before == expected_new
