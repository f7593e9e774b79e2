"""Exactness per dtype: rounding and accumulation against scalar oracles, precision limits."""

import numpy as np
import pytest

from limitkit._errors import ConfigError
from limitkit.theory.constructions import construct
from limitkit.theory.precision import _scores, precision_limit, precision_scan, precision_table, realised, round_to

torch = pytest.importorskip("torch")


def _bf16_oracle(x32: np.ndarray) -> np.ndarray:
    """Round float32 values to bfloat16 by hand: round-to-nearest-even on the upper 16 bits."""
    bits = x32.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return rounded.astype(np.uint32).view(np.float32).astype(np.float64)


def test_bfloat16_rounding_matches_bit_oracle():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(10_000).astype(np.float32).astype(np.float64)  # float32-exact inputs
    got = round_to(x, "bfloat16").to(torch.float64).numpy()
    np.testing.assert_array_equal(got, _bf16_oracle(x))


@pytest.mark.parametrize("dtype", ["float16", "float32", "bfloat16"])
def test_sequential_accumulation_matches_scalar_loop(dtype):
    rng = np.random.default_rng(1)
    U, V = rng.standard_normal((5, 4)), rng.standard_normal((6, 4))
    got = _scores(round_to(U, dtype), round_to(V, dtype), dtype, "sequential")
    for i in range(5):
        for j in range(6):
            if dtype == "bfloat16":  # one rounding per operation, via the bit oracle on float32 results
                def r(x):
                    return _bf16_oracle(np.array([x], dtype=np.float32))[0]
                u, v = _bf16_oracle(U[i].astype(np.float32)), _bf16_oracle(V[j].astype(np.float32))
                acc = r(np.float32(u[0]) * np.float32(v[0]))
                for l in range(1, 4):
                    acc = r(np.float32(acc) + np.float32(r(np.float32(u[l]) * np.float32(v[l]))))
            else:
                f = np.dtype(dtype).type
                u, v = U[i].astype(dtype), V[j].astype(dtype)
                acc = f(u[0] * v[0])
                for l in range(1, 4):
                    acc = f(acc + f(u[l] * v[l]))
            assert got[i, j] == float(acc), (dtype, i, j)


def test_float64_exact_and_margins_for_small_n():
    for k in (2, 3):
        for n in range(k + 1, 31, 3):
            rep = realised(construct(n, k), "float64")
            assert rep.exact and rep.n_exact == rep.m and rep.min_margin > 0
    # k = 2, n = 30, unit queries: margin = (1 - cos(2 pi/30))^2 / ||q||, relative margin below absolute/range
    rep = realised(construct(30, 2), "float64")
    assert 0 < rep.min_relative_margin < rep.min_margin * 10


def test_ties_count_as_failures():
    rep = realised(construct(40, 2), "bfloat16")
    assert not rep.exact and rep.n_failed >= rep.n_ties > 0 and rep.min_margin <= 0
    assert len(rep.failed_queries) == min(rep.n_failed, 100)
    assert "bfloat16" in rep.rounding and "torch" in rep.rounding


def _slow_exact(n, k, dtype):
    """Oracle: scalar numpy loop, per query, of the sequential dtype dot products."""
    c = construct(n, k)
    U = c.U / np.linalg.norm(c.U, axis=1, keepdims=True)
    f = np.dtype(dtype).type
    Ur, Vr = U.astype(dtype), c.V.astype(dtype)
    for i in range(c.m):
        rel = set(c.qrels.row(i).tolist())
        s = []
        for j in range(n):
            acc = f(Ur[i, 0] * Vr[j, 0])
            for l in range(1, c.d):
                acc = f(acc + f(Ur[i, l] * Vr[j, l]))
            s.append(acc)
        if min(s[j] for j in rel) <= max(s[j] for j in range(n) if j not in rel):
            return False
    return True


def test_precision_scan_against_exhaustive_oracle():
    scan = precision_scan(2, "float16", "trig", 40)
    first = next(n for n in range(3, 41) if not _slow_exact(n, 2, "float16"))
    assert scan.first_failure == first and scan.limit == first - 1 and not scan.censored
    assert precision_limit(2, "float16", "trig", 40) == first - 1


def test_issue_reference_point_k2_trig_float32():
    # The issue measured: float32 exact for every n <= 164, first ties from n = 165 (torch matmul,
    # unit queries); our per-operation ("sequential") rounding holds two more documents.
    scan = precision_scan(2, "float32", "trig", 200, n_min=150, accumulate="matmul")
    assert (scan.limit, scan.first_failure) == (164, 165)
    assert precision_scan(2, "float32", "trig", 200, n_min=160).first_failure == 167


def test_censored_scan_and_table_rows():
    scan = precision_scan(2, "float64", "trig", 12)
    assert scan.censored and scan.limit == 12 and scan.first_failure is None
    rows = precision_table((2,), ("float64", "bfloat16"), ("trig",), n_max=15)
    assert [r["dtype"] for r in rows] == ["float64", "bfloat16"]
    assert rows[0]["censored"] and not rows[1]["censored"] and rows[1]["limit"] < 15


def test_bad_dtype_and_accumulate():
    c = construct(5, 2)
    with pytest.raises(ConfigError, match="dtype"):
        realised(c, "float8")
    with pytest.raises(ConfigError, match="accumulate"):
        realised(c, "float32", accumulate="kahan")
    with pytest.raises(ConfigError, match="n_max"):
        precision_scan(2, "float32", "trig", 2)
