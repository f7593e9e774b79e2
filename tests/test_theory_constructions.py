"""Exact constructions: coefficient expansions against direct evaluation, exactness, margins."""

import numpy as np
import pytest

from limitkit._errors import ConfigError
from limitkit.qrels import QrelMatrix
from limitkit.theory.constructions import construct, default_t, spread_t
from limitkit.theory.ranks import check_rop, check_sign


def _one_query(rel, n):
    a = np.zeros((1, n), dtype=int)
    a[0, rel] = 1
    return QrelMatrix.from_dense(a)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", range(5))
def test_trig_coefficients_match_direct_evaluation(k, seed):
    rng = np.random.default_rng(seed)
    n = 40
    t = rng.uniform(0, 2 * np.pi, n)
    r = int(rng.integers(1, k + 1))  # fewer relevant documents than k is allowed
    S = rng.choice(n, r, replace=False)
    c = construct(k=k, curve="trig", qrels=_one_query(S, n), t=t)
    f = np.prod([1 - np.cos(t - t[s]) for s in S], axis=0)
    np.testing.assert_allclose(c.scores()[0], c.relevant_score[0] - f, atol=1e-12)
    assert c.d == 2 * k and np.allclose(np.linalg.norm(c.V, axis=1), 1.0)


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("seed", range(5))
def test_poly_coefficients_match_direct_evaluation(k, seed):
    rng = np.random.default_rng(10 + seed)
    n = 30
    t = rng.uniform(-1, 1, n)
    S = rng.choice(n, k, replace=False)
    c = construct(k=k, curve="poly", qrels=_one_query(S, n), t=t)
    P = np.prod([(t - t[s]) ** 2 for s in S], axis=0)
    np.testing.assert_allclose(c.scores()[0], c.relevant_score[0] - P, atol=1e-12)


def test_poly_hand_case():
    # t = -1, 0, 1; S = {0}: P = (t+1)^2 = 1 + 2t + t^2, c0 = 1, q = -(2, 1), V = (t, t^2)
    # scores: t=-1: -(-2 + 1) = 1; t=0: 0; t=1: -(2 + 1) = -3
    c = construct(3, 1, curve="poly")
    np.testing.assert_allclose(c.U[0], [-2.0, -1.0])
    np.testing.assert_allclose(c.scores()[0], [1.0, 0.0, -3.0])
    assert c.relevant_score[0] == 1.0


def test_trig_margin_at_n5_by_hand():
    # k = 2, n = 5: worst query S = {0, 2} against document 1 gives
    # prod (1 - cos(2 pi / 5)) = (1 - 0.309017)^2 = 0.477458
    c = construct(5, 2)
    s = c.scores()
    a = c.qrels.to_dense()
    margin = (c.relevant_score - np.where(a, -np.inf, s).max(axis=1)).min()
    assert margin == pytest.approx((1 - np.cos(2 * np.pi / 5)) ** 2, rel=1e-12)
    assert margin == pytest.approx(0.477458, abs=1e-6)


@pytest.mark.parametrize("curve", ["trig", "poly", "trig-unit"])
@pytest.mark.parametrize("k,n_top", [(2, 30), (3, 30), (4, 20)])
def test_exact_in_float64_for_every_small_n(curve, k, n_top):
    for n in range(k + 1, n_top + 1):
        c = construct(n, k, curve=curve)
        b = c.U @ c.V.T
        res = check_rop(c.qrels, b)
        assert res.ok, (curve, k, n, res.violations[:3])
        if curve == "trig-unit":
            assert check_sign(c.qrels, b).ok  # a sign-rank witness in d = 2k + 1 with unit vectors
            assert np.allclose(np.linalg.norm(c.U, axis=1), 1) and np.allclose(np.linalg.norm(c.V, axis=1), 1)
        else:
            lo = np.where(c.qrels.to_dense(), b, np.inf).min(axis=1)
            np.testing.assert_allclose(lo, c.relevant_score, atol=1e-9)


def test_given_qrels_with_mixed_sizes_and_parked_documents():
    a = np.array([[1, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 1, 0, 0]])  # documents 3 and 4 never relevant
    q = QrelMatrix.from_dense(a)
    t = spread_t(q)
    assert t[3] == t[4]  # parked in the same free slot
    c = construct(k=2, qrels=q, t=t)
    assert check_rop(q, c.U @ c.V.T).ok


def test_errors_name_the_fix():
    q3 = QrelMatrix.from_dense(np.array([[1, 1, 1, 0]]))
    with pytest.raises(ConfigError, match="pass k=3"):
        construct(k=2, qrels=q3)
    with pytest.raises(ConfigError, match="unknown curve"):
        construct(5, 2, curve="spiral")
    with pytest.raises(ConfigError, match="exceeds n"):
        construct(2, 3)
    with pytest.raises(ConfigError, match="distinct t"):
        construct(k=1, qrels=_one_query([0], 3), t=np.array([0.0, 0.0, 1.0]))
    with pytest.raises(ConfigError, match="distinct t"):  # 0 and 2 pi are the same point of the circle
        construct(k=1, qrels=_one_query([0], 3), t=np.array([0.0, 2 * np.pi, 1.0]))
    with pytest.raises(ConfigError, match="omit n"):
        construct(4, 1, qrels=_one_query([0], 3))


def test_default_parameters():
    np.testing.assert_allclose(default_t(4), [0, np.pi / 2, np.pi, 3 * np.pi / 2])
    np.testing.assert_allclose(default_t(3, "poly"), [-1, 0, 1])
