"""Rank-notion checks and the propositions' conversions: hand cases and brute-force oracles."""

import itertools

import numpy as np
import pytest

from limitkit._errors import ConfigError
from limitkit.qrels import QrelMatrix
from limitkit.theory.ranks import (check_gt, check_rop, check_rt, check_sign, gt_to_rt, rop_to_rt, rt_to_rop,
                                   rt_to_sign, rt_to_sign_factors, scores, sign_to_gt)

A = np.array([[1, 0, 0], [0, 1, 1]], dtype=bool)
B = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])


def test_hand_case_all_notions():
    rop = check_rop(A, B)
    # row 0: min relevant 3, max irrelevant 2 -> gap 1; row 1: min relevant 4, max irrelevant 0 -> gap 4
    assert rop.ok and rop.margin == 1.0 and rop.n_violations == 0
    rt = check_rt(A, B)
    np.testing.assert_array_equal(rt.witness, [2.5, 2.0])  # (3+2)/2, (4+0)/2
    gt = check_gt(A, B)
    # relevant scores {3,5,4} all above irrelevant {1,2,0}: tau = (3+2)/2, margin 1
    assert gt.ok and gt.witness == 2.5 and gt.margin == 1.0
    sg = check_sign(A, B)
    # irrelevant entries (0,1)=1, (0,2)=2 are positive, (1,0)=0 is zero: three violations
    assert not sg.ok and sg.n_violations == 3
    assert {tuple(v) for v in sg.violations} == {(0, 1), (0, 2), (1, 0)}
    assert sg.margin == -2.0


def test_ties_are_violations_and_qrelmatrix_input():
    a = QrelMatrix.from_dense(np.array([[1, 0, 0]]))
    res = check_rop(a, np.array([[1.0, 1.0, 0.0]]))
    assert not res.ok and res.margin == 0.0 and res.n_violations == 1
    np.testing.assert_array_equal(res.violations, [[0, 0, 1]])
    assert check_rt(a, np.array([[1.0, 1.0, 0.0]])).witness is None


def test_rows_without_relevant_or_irrelevant_documents():
    a = np.array([[0, 0], [1, 1]], dtype=bool)
    rt = check_rt(a, np.array([[1.0, 2.0], [3.0, 5.0]]))
    assert rt.ok and rt.margin == np.inf
    np.testing.assert_array_equal(rt.witness, [3.0, 2.0])  # max irrelevant + 1, min relevant - 1


def _brute_rop(a, b):
    return sorted((i, j, l) for i in range(a.shape[0]) for j in range(a.shape[1]) for l in range(a.shape[1])
                  if a[i, j] and not a[i, l] and b[i, j] <= b[i, l])


def _brute_gt_count(a, b):
    rel = [b[i, j] for i, j in zip(*np.nonzero(a))]
    irr = [b[i, j] for i, j in zip(*np.nonzero(~a))]
    return sum(1 for x in rel for y in irr if x <= y)


def _brute_threshold_exists(values_rel, values_irr):
    cands = sorted(set(values_rel) | set(values_irr))
    taus = [cands[0] - 1] + [(x + y) / 2 for x, y in zip(cands, cands[1:])] + [cands[-1] + 1] if cands else [0]
    return any(all(v > t for v in values_rel) and all(v < t for v in values_irr) for t in taus)


@pytest.mark.parametrize("seed", range(40))
def test_checks_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 5), rng.integers(2, 6)
    a = rng.random((m, n)) < 0.4
    b = rng.integers(0, 4, size=(m, n)).astype(float)  # small integers: many ties
    rop = check_rop(a, b, max_violations=1000)
    brute = _brute_rop(a, b)
    assert rop.n_violations == len(brute) and rop.ok == (not brute)
    assert sorted(map(tuple, rop.violations.tolist())) == brute
    rt_exists = all(_brute_threshold_exists(b[i][a[i]].tolist(), b[i][~a[i]].tolist()) for i in range(m))
    assert check_rt(a, b).ok == rt_exists
    gt = check_gt(a, b, max_violations=1000)
    assert gt.ok == _brute_threshold_exists(b[a].tolist(), b[~a].tolist())
    assert gt.n_violations == _brute_gt_count(a, b)
    for i, j, i2, l in gt.violations:
        assert a[i, j] and not a[i2, l] and b[i, j] <= b[i2, l]
    sg = check_sign(a, b)
    assert sg.n_violations == int(sum(1 for i in range(m) for j in range(n) if (b[i, j] > 0) != a[i, j] or b[i, j] == 0))


@pytest.mark.parametrize("seed", range(15))
def test_conversions_on_random_witnesses(seed):
    rng = np.random.default_rng(100 + seed)
    m, n, d, k = 6, 7, 3, 2
    U, V = rng.standard_normal((m, d)), rng.standard_normal((n, d))
    b = scores(U, V)
    a = np.zeros((m, n), dtype=bool)  # top-k of each row: an rop witness by construction
    a[np.arange(m)[:, None], np.argsort(-b, axis=1)[:, :k]] = True
    assert check_rop(a, b).ok
    b2, tau = rop_to_rt(a, b)
    assert check_sign(a, b2 - tau[:, None]).ok
    np.testing.assert_array_equal(rt_to_rop(a, b2, tau), b)
    c = rt_to_sign(a, b, tau)
    assert check_sign(a, c).ok
    assert np.linalg.matrix_rank(c) <= np.linalg.matrix_rank(b) + 1
    U2, V2 = rt_to_sign_factors(a, U, V, tau)
    assert U2.shape == (m, d + 1) and V2.shape == (n, d + 1)
    np.testing.assert_allclose(U2 @ V2.T, c, atol=1e-12)
    # a sign witness is gt at 0; a gt witness is rt with tau_i = tau
    b3, t0 = sign_to_gt(a, c)
    assert t0 == 0.0 and check_gt(a, b3).ok
    b4, taus = gt_to_rt(a, b3, t0)
    assert check_rt(a, b4).ok and np.all(taus == 0.0)


def test_gt_is_stronger_than_rt():
    # each row is thresholdable (rt) but the rows need different thresholds, so not gt
    a = np.array([[1, 0], [1, 0]], dtype=bool)
    b = np.array([[10.0, 9.0], [1.0, 0.0]])
    assert check_rt(a, b).ok and not check_gt(a, b).ok
    with pytest.raises(ConfigError, match="not a gt witness"):
        gt_to_rt(a, b)


def test_bad_inputs_raise_typed_errors():
    with pytest.raises(ConfigError, match="do not match"):
        check_rop(A, B[:, :2])
    with pytest.raises(ConfigError, match="0/1"):
        check_rop(np.array([[2, 0]]), np.zeros((1, 2)))
    with pytest.raises(ConfigError, match="NaN"):
        check_sign(A, np.full(A.shape, np.nan))
    with pytest.raises(ConfigError, match="same d"):
        scores(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ConfigError, match="not a rop witness"):
        rop_to_rt(np.array([[1, 0]]), np.array([[0.0, 1.0]]))
    with pytest.raises(ConfigError, match="tau must"):
        rt_to_sign(A, B, tau=[1.0, 2.0, 3.0])


def test_violation_list_is_capped_but_count_is_full():
    a = np.array([[1] + [0] * 50], dtype=bool)
    b = np.array([[0.0] + [1.0] * 50])
    res = check_rop(a, b, max_violations=5)
    assert res.n_violations == 50 and len(res.violations) == 5 and res.truncated
    assert list(itertools.chain(*res.violations[:, :2].tolist())) == [0, 0] * 5
