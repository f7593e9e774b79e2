"""Margin refinement, exact overfitting of LIMIT qrels, and the free optimiser losing a construction."""

import numpy as np
import pytest

from limitkit._errors import ConfigError
from limitkit.qrels import QrelMatrix
from limitkit.theory.bounds import unit_margin_ceiling
from limitkit.theory.constructions import construct
from limitkit.theory.ranks import check_rop
from limitkit.theory.refine import (_min_norm_query, keeps_construction, max_margin_queries, overfit_qrels,
                                    refine_margin, refined_scan, unit_margins)

pytest.importorskip("torch")


def _circle(n):
    a = 2 * np.pi * np.arange(n) / n
    return np.stack([np.cos(a), np.sin(a)], axis=1)


def test_max_margin_query_hand_cases():
    V = _circle(3)  # unit vectors at 0, 120, 240 degrees
    u = _min_norm_query(V, np.array([0]))
    # best query for {v0} is v0 itself: gap 1 - cos(120) = 1.5
    np.testing.assert_allclose(u, V[0], atol=1e-9)
    u = _min_norm_query(V, np.array([0, 1]))
    # best query for {v0, v1} is -v2: gap cos(60) - (-1) = 1.5
    np.testing.assert_allclose(u, -V[2], atol=1e-9)
    with pytest.raises(ConfigError, match="cannot be separated"):
        _min_norm_query(np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]), np.array([0, 1]))


def test_rotated_queries_equal_solved_queries():
    c = construct(12, 2)
    q = c.qrels
    fast = max_margin_queries(c.V, q, cyclic_k=2)
    slow = max_margin_queries(c.V, q)
    np.testing.assert_allclose(unit_margins(fast, c.V, q), unit_margins(slow, c.V, q), atol=1e-10)


def test_refine_raises_the_margin_and_stays_exact():
    c = construct(20, 2)
    r = refine_margin(c, steps=5)
    assert r.margin_initial > 0
    assert r.margin_queries > 2 * r.margin_initial  # max-margin queries alone: about 3x here
    assert r.margin_final >= r.margin_weights >= r.margin_queries
    assert r.margin_final <= unit_margin_ceiling(20, 2)
    out = r.construction
    assert check_rop(out.qrels, out.U @ out.V.T).ok
    assert np.allclose(np.linalg.norm(out.V, axis=1), 1) and np.allclose(np.linalg.norm(out.U, axis=1), 1)
    assert r.realised_after.exact and r.weights is not None and len(r.weights) == 2


def test_refined_scan_reports_rows_and_limit():
    res = refined_scan([10, 14], k=2, d=6, dtype="float16")
    assert res["d"] == 6 and [row["n"] for row in res["rows"]] == [10, 14]
    assert all(row["margin"] > row["margin_initial"] for row in res["rows"])
    with pytest.raises(ConfigError, match="even"):
        refined_scan([10], k=2, d=5)


def _recall_at_2(c, qrels):
    from limitkit.evaluation.metrics import recall_at_k

    s = c.U @ c.V.T
    run = {q: {qrels.doc_ids[j]: float(s[i, j]) for j in range(qrels.shape[1])} for i, q in enumerate(qrels.query_ids)}
    return recall_at_k(run, qrels.to_qrels(), 2)


def _limit_qrels(folder):
    from limitkit.data.io import load_dataset

    return load_dataset(folder).qrel_matrix()


def test_overfit_limit_small_in_d4(limit_small_dir):
    q = _limit_qrels(limit_small_dir)
    assert q.shape == (1000, 46) and q.uniform_k() == 2
    c = overfit_qrels(q, d=4)
    margins = unit_margins(c.U, c.V, q)
    assert c.d == 4 and margins.min() > 0
    assert _recall_at_2(c, q) == 1.0
    # 46 documents on 47 slots: the tightest query is a pair two slots apart, next to the free slot
    assert margins.min() == pytest.approx(3.0e-5, rel=0.01)


def test_overfit_limit_qrels(limit_dir):
    q = _limit_qrels(limit_dir)
    c = overfit_qrels(q, d=6)  # extra dimensions are zero-padded
    assert c.d == 6 and unit_margins(c.U, c.V, q).min() > 0 and _recall_at_2(c, q) == 1.0


def test_overfit_parks_never_relevant_documents():
    a = np.zeros((3, 8), dtype=int)
    a[0, [0, 1]] = a[1, [1, 2]] = a[2, [0, 2]] = 1  # documents 3..7 are distractors
    q = QrelMatrix.from_dense(a)
    c = overfit_qrels(q)
    assert unit_margins(c.U, c.V, q).min() > 0
    with pytest.raises(ConfigError, match="d >= 2k"):
        overfit_qrels(q, d=3)


def test_free_optimiser_does_not_keep_the_construction():
    r = keeps_construction(20, 2, steps=3, engine="local")
    assert r.accuracy[0] == 1.0 and r.margin[0] > 0
    assert r.first_broken_step == 1 and max(r.accuracy[1:]) < 1.0


def test_local_engine_matches_free_engine():
    pytest.importorskip("limitkit.free.optimize")
    loc = keeps_construction(16, 2, steps=2, engine="local")
    free = keeps_construction(16, 2, steps=2, engine="free", full_run=False)
    assert free.engine == "limitkit.free.optimize.train"
    # float32 engines with different operation orders: equal to ~1e-7 after one step, then drift
    np.testing.assert_allclose(loc.margin[:2], free.margin[:2], atol=1e-5)
    np.testing.assert_allclose(loc.margin[2], free.margin[2], rtol=1e-2)
    assert loc.first_broken_step == free.first_broken_step == 1
