import numpy as np
import pytest

from limitkit._errors import ConfigError
from limitkit.data.dataset import Dataset, Document
from limitkit.data.generate import GenerateConfig
from limitkit.evaluation.experiments import drowning_curve, pattern_ablation, truncation_curve, with_distractors
from limitkit.retrievers.base import VectorRetriever

CORPUS = {f"p{i}": Document("", f"P{i} likes A{i} and B{i}.") for i in range(6)}
QUERIES = {f"q{i}": f"Who likes A{i}?" for i in range(6)}
QRELS = {f"q{i}": {f"p{i}": 1} for i in range(6)}
TOY = Dataset(queries=QUERIES, qrels=QRELS, corpus=CORPUS, name="toy")


class OneHot(VectorRetriever):
    """Query i and person i share the basis vector e_i (coordinates 0..5), then 2 noise coordinates.

    Keeping the first d coordinates leaves e_i only for i < d: recall@1 = min(d, 6) / 6 (d >= 1),
    except that queries whose coordinate was cut tie at 0 and are resolved by corpus order.
    """

    name = "onehot"

    def _vec(self, texts):
        out = np.zeros((len(texts), 8), np.float32)
        for r, t in enumerate(texts):
            i = int(t.split("A")[1][0]) if "A" in t else int(t[1])
            out[r, i] = 1.0
            out[r, 6:] = 0.01 * (i + 1)
        return out

    encode_queries = encode_documents = _vec


def test_truncation_curve_by_hand(tmp_path):
    res = truncation_curve(OneHot(), TOY, dims=(2, 4), ks=(1,), out=tmp_path, progress=False)
    assert [row["x"] for row in res.rows] == [2, 4, 8]  # the full dimension is always added
    # d=2: queries 0, 1 keep their coordinate -> 2 of 6 correct; the others tie at 0 and pick p0 -> wrong
    assert res.value(2, "onehot", "recall@1") == pytest.approx(2 / 6)
    assert res.value(4, "onehot", "recall@1") == pytest.approx(4 / 6)
    assert res.value(8, "onehot", "recall@1") == 1.0
    assert (tmp_path / "truncation.json").exists() and "| 8 | onehot | 100.0 |" in res.markdown()
    with pytest.raises(ConfigError, match=r"dims must lie in 1..8"):
        truncation_curve(OneHot(), TOY, dims=(16,), progress=False)
    with pytest.raises(ConfigError, match="single-vector"):
        truncation_curve("bm25", TOY, progress=False)


def test_truncation_resumes_from_saved_points(tmp_path, monkeypatch):
    import limitkit.evaluation.experiments as ex

    first = truncation_curve(OneHot(), TOY, dims=(2,), ks=(1,), out=tmp_path, progress=False)

    def boom(*a, **k):
        raise AssertionError("a saved point was recomputed")

    monkeypatch.setattr(ex, "evaluate_run", boom)
    again = truncation_curve(OneHot(), TOY, dims=(2,), ks=(1,), out=tmp_path, progress=False)
    assert again.rows == first.rows
    with pytest.raises(AssertionError, match="recomputed"):  # other settings: a new signature
        truncation_curve(OneHot(), TOY, dims=(2,), ks=(1, 2), out=tmp_path, progress=False)


def test_pattern_ablation_on_small_generated_data():
    cfg = GenerateConfig(n_docs=40, n_queries=20, k=2, attributes_per_doc=10)
    res = pattern_ablation(["exact-match", "fake:16"], config=cfg, ks=(2,), progress=False)
    assert {r["x"] for r in res.rows} == {"dense", "random", "cycle", "disjoint"}
    for p in ("dense", "random", "cycle", "disjoint"):
        assert res.value(p, "exact-match") == 1.0  # attributes reverse-engineer every pattern
    assert res.provenance["config"]["n_docs"] == 40


def test_drowning_curve_nested_corpora():
    cfg = GenerateConfig(n_docs=10, n_queries=40, k=2, attributes_per_doc=12)
    res = drowning_curve(["exact-match"], n_distractors=(0, 5, 30), config=cfg, ks=(2,), progress=False)
    assert [r["n_docs"] for r in res.rows] == [10, 15, 40]  # dense pattern: 10 relevant documents
    assert all(r["recall@2"] == 1.0 for r in res.rows)
    with pytest.raises(ConfigError, match="only 0 non-relevant"):
        with_distractors(TOY, 1)
