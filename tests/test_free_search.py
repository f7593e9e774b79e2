"""Critical-n search: the pure logic against exhaustive scans, a real tiny search, multi-seed summaries."""

import numpy as np
import pytest

from limitkit._errors import ConfigError
from limitkit.free import search as search_mod
from limitkit.free.config import FreeEmbeddingConfig
from limitkit.free.optimize import train
from limitkit.free.search import find_critical_n, search_critical_n


def _counting(oracle):
    calls = []

    def wrapped(n):
        calls.append(n)
        return oracle(n)
    return wrapped, calls


def test_reference_evaluation_order_by_hand():
    # start 11, solvable up to 9: 11 fails -> gallop down 10 (fails, step 2) -> 8 succeeds;
    # binary search on [8, 10]: mid 9 succeeds -> lo = 10: mid 10 is cached (fails) -> stop at 9;
    # sweep 5 .. 14 adds 5, 6, 7, 12, 13, 14 (each n evaluated once)
    oracle, calls = _counting(lambda n: n <= 9)
    critical, points = search_critical_n(oracle, 11)
    assert critical == 9
    assert calls == [11, 10, 8, 9, 5, 6, 7, 12, 13, 14]
    assert list(points) == calls
    # start 5 with the same oracle: gallop up 6, 8, 12 (fails); binary [8, 12]: 10 fails, 8 cached, 9 ok
    oracle, calls = _counting(lambda n: n <= 9)
    assert search_critical_n(oracle, 5)[0] == 9
    assert calls == [5, 6, 8, 12, 10, 9, 7, 11, 13, 14]


@pytest.mark.parametrize("start", [1, 2, 3, 7, 20, 64])
def test_monotone_oracles_match_an_exhaustive_scan(start):
    for true_critical in range(1, 60):
        def oracle(n):
            return n <= true_critical
        exhaustive = max(n for n in range(1, 200) if oracle(n))
        calls = []
        critical, points = search_critical_n(lambda n: calls.append(n) or oracle(n), start)
        assert critical == exhaustive
        assert len(calls) == len(set(calls)) == len(points)  # nothing evaluated twice
        assert all(n >= 1 for n in calls)
        # the sweep covers critical-4 .. critical+5
        assert set(range(max(1, critical - 4), critical + 6)) <= set(points)


def test_noisy_oracles_report_the_best_evaluated_point():
    rng = np.random.default_rng(0)
    for trial in range(200):
        table = {n: bool(rng.random() < (0.97 if n < 25 else 0.15)) for n in range(1, 400)}
        critical, points = search_critical_n(table.__getitem__, int(rng.integers(1, 40)))
        solved = [n for n, ok in points.items() if ok]
        assert critical == (max(solved) if solved else None)
        assert all(points[n] == table[n] for n in points)
        if critical is not None:  # a whole sweep window (around the binary search's answer) was evaluated
            assert any(set(range(max(1, c - 4), c + 6)) <= set(points) for c in points if points[c])


def test_nothing_solvable_and_prefetch():
    critical, points = search_critical_n(lambda n: False, 9, min_n=2)
    assert critical is None and list(points) == [9, 8, 6, 2]  # walks down 1, 2, 4 (clamped to 2)
    told = []
    search_critical_n(lambda n: n <= 6, 6, prefetch=told.append)
    assert told == [[2, 3, 4, 5, 8, 9, 10, 11]]  # the sweep's new points, before they are asked for
    with pytest.raises(ConfigError, match="start_n=0"):
        search_critical_n(lambda n: True, 0)


def test_real_tiny_search_end_to_end():
    result = find_critical_n(3, FreeEmbeddingConfig(), progress=False)
    assert result.critical_n is not None and result.critical_n >= 4  # d + 1 points always fit
    assert result.start_n == 4
    assert result.critical_n == max(n for n, ok in result.points.items() if ok)
    assert result.median_critical_n == result.critical_n and result.per_seed == {0: result.critical_n}
    # each point is the deterministic outcome of a lone run with that n
    for r in result.runs:
        assert train(r.n, 3, FreeEmbeddingConfig(), seed=0).success == r.success == result.points[r.n]
        assert r.U is None  # vectors are dropped from search results


def test_several_seeds_give_rates_best_and_median(monkeypatch):
    # fake training: seed s solves n <= 10 + s (so per-seed critical 10, 11, 12)
    from limitkit.free.optimize import RunResult

    def fake_train_many(specs, d, config, progress=False, on_result=None):
        out = [RunResult(n, d, s, n <= 10 + s, 1, 0.0, 1.0, 0.1, 0.0, "cpu", config) for n, s in specs]
        for r in out:
            on_result(r)
        return out

    monkeypatch.setattr(search_mod, "train_many", fake_train_many)
    res = find_critical_n(5, seeds=(0, 1, 2), progress=False)
    assert res.critical_n == 12  # best over seeds: the oracle is "any seed solves n"
    assert res.per_seed == {0: 10, 1: 11, 2: 12}
    assert res.median_critical_n == 11
    assert res.success_rate[11] == pytest.approx(2 / 3) and res.success_rate[12] == pytest.approx(1 / 3)
    assert len(res.runs) == 3 * len(res.points)
    with pytest.raises(ConfigError, match="distinct"):
        find_critical_n(5, seeds=(1, 1))
