"""Bounds: Table 1 of the ICLR version, Forster, VC, the rank chain and the unit-margin ceiling."""

import itertools
import math

import numpy as np
import pytest

from limitkit._errors import ConfigError
from limitkit.qrels import QrelMatrix
from limitkit.theory.bounds import (NOTIONS, forster_lower_bound, log_binom, margin_dimension_bound, margin_table,
                                    rank_chain, unit_margin_ceiling, vc_dimension)

# Table 1 of the ICLR 2026 version (gamma = 0.1), as reproduced cell by cell in
# https://finisky.github.io/en/embedding-retrieval-limits/ (rows n = 1e3, 1e5, 1e7, 1e9; the
# paper leaves n = 1e3, k = 1000 empty). The values are ceil(ln C(n,k) / ln 11).
TABLE1 = {
    (10 ** 3, 2): 6, (10 ** 3, 10): 23, (10 ** 3, 100): 135,
    (10 ** 5, 2): 10, (10 ** 5, 10): 42, (10 ** 5, 100): 329, (10 ** 5, 1000): 2334,
    (10 ** 7, 2): 14, (10 ** 7, 10): 61, (10 ** 7, 100): 521, (10 ** 7, 1000): 4257,
    (10 ** 9, 2): 17, (10 ** 9, 10): 81, (10 ** 9, 100): 713, (10 ** 9, 1000): 6177,
}


def test_table1_cells_reproduced_exactly():
    rows = {(r["n"], r["k"]): r for r in margin_table()}
    assert len(rows) == 10 * 4  # n = 1e2 .. 1e11, k = 2, 10, 100, 1000
    for cell, value in TABLE1.items():
        assert rows[cell]["d_min"] == value, cell
    assert rows[(10 ** 3, 1000)]["d_min"] is None  # k >= n: left empty like the paper
    assert rows[(10 ** 2, 100)]["bound"] is None


def test_margin_bound_hand_value():
    # C(1000, 2) = 499500; ln 499500 = 13.121363, ln 11 = 2.397895 -> 5.471991
    assert margin_dimension_bound(1000, 2, 0.1) == pytest.approx(13.121363 / 2.397895, rel=1e-6)
    assert log_binom(5, 2) == pytest.approx(math.log(10))
    assert log_binom(10 ** 11, 1000) > 0 and math.isfinite(log_binom(10 ** 11, 1000))  # no overflow
    with pytest.raises(ConfigError, match="gamma"):
        margin_dimension_bound(10, 2, 0.0)
    with pytest.raises(ConfigError, match="0 <= k <= n"):
        log_binom(3, 5)


def test_unit_margin_ceiling():
    assert unit_margin_ceiling(4, 2) == pytest.approx(4 / math.sqrt(12))  # 4 / sqrt(2*3*2)
    # attained by 3 unit vectors at 120 degrees, k = 1, u = v_i: gap 1 - (-1/2) = 3/2 = 3/sqrt(1*2*2)
    ang = 2 * np.pi * np.arange(3) / 3
    V = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    s = V @ V.T
    assert (np.diag(s) - np.where(np.eye(3, dtype=bool), -np.inf, s).max(axis=1)).min() == pytest.approx(
        unit_margin_ceiling(3, 1))
    with pytest.raises(ConfigError):
        unit_margin_ceiling(3, 3)


def test_forster_on_4x4_hand_cases():
    # A = I: M = 2I - J has eigenvalues -2 (on 1) and 2 (three times) -> ||M|| = 2 -> sqrt(16)/2 = 2
    assert forster_lower_bound(np.eye(4)) == pytest.approx(2.0)
    # all ones: M = J, ||J|| = 4 -> sqrt(16)/4 = 1 (sign rank of J is exactly 1)
    assert forster_lower_bound(np.ones((4, 4))) == pytest.approx(1.0)
    # Sylvester Hadamard H4 (orthogonal rows, ||H|| = sqrt(4) = 2) -> 2
    H = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]])
    assert forster_lower_bound((H + 1) // 2) == pytest.approx(2.0)


def test_forster_gram_and_lanczos_paths_match_dense_svd():
    rng = np.random.default_rng(0)
    for shape in [(7, 5), (5, 3100)]:  # the second one takes the eigsh path (n > 3000)
        a = rng.random(shape) < 0.3
        dense = math.sqrt(a.size) / np.linalg.norm(np.where(a, 1.0, -1.0), 2)
        assert forster_lower_bound(QrelMatrix.from_dense(a)) == pytest.approx(dense, rel=1e-8)


def _brute_vc(a):
    m, n = a.shape
    best = 0
    for s in range(1, n + 1):
        for T in itertools.combinations(range(n), s):
            if len({tuple(row) for row in a[:, T]}) == 2 ** s:
                best = s
                break
        else:
            break
    return best


@pytest.mark.parametrize("seed", range(20))
def test_vc_dimension_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    a = rng.random((rng.integers(1, 20), rng.integers(1, 7))) < 0.5
    assert vc_dimension(a) == (_brute_vc(a), True)


def test_rank_chain_exact_where_bounds_meet():
    ch = rank_chain(np.ones((3, 4), dtype=bool))
    assert ch["rt"]["exact"] == 0 and ch["gt"]["exact"] == 0 and ch["sign"]["exact"] == 1
    ch = rank_chain(np.eye(4, dtype=bool))
    assert ch["sign"]["lower"] == 2 and ch["sign"]["upper"] == 4  # Forster 2, rank(2I - J) = 4
    ch = rank_chain(np.eye(4, dtype=bool), witness_dims={"sign": 3})
    assert ch["sign"]["upper"] == 3 and ch["gt"]["upper"] == 3 and ch["rt"]["upper"] == 3
    for notion in NOTIONS:
        assert ch[notion]["lower"] <= ch[notion]["upper"]
    with pytest.raises(ConfigError, match="witness_dims"):
        rank_chain(np.eye(3, dtype=bool), witness_dims={"bogus": 2})


def test_rank_chain_of_all_pairs_uses_the_chain():
    ch = rank_chain(QrelMatrix.all_k_subsets(6, 2), witness_dims={"rt": 4})
    # rt <= 4 (construction) -> sign <= 5; VC of the rows is 2 -> sign >= 2, rt >= 1
    assert ch["rt"]["upper"] == 4 and ch["sign"]["upper"] == 5
    assert ch["vc_rows"] == 2 and ch["sign"]["lower"] >= 2
    assert ch["rop"] == ch["rt"]


def test_gram_ranks_match_dense_ranks():
    from limitkit.theory.bounds import _ranks

    rng = np.random.default_rng(3)
    for _ in range(100):
        a = rng.random((rng.integers(1, 12), rng.integers(1, 12))) < rng.random()
        assert _ranks(QrelMatrix.from_dense(a)) == (np.linalg.matrix_rank(a.astype(float)),
                                                    np.linalg.matrix_rank(np.where(a, 1.0, -1.0)))


def test_rank_chain_refuses_huge_dense_matrices():
    from limitkit._errors import ResourceError

    with pytest.raises(ResourceError, match="n <= 460"):
        rank_chain(QrelMatrix.all_k_subsets(1000, 2))
