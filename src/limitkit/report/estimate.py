"""Run-time estimates used by `limitkit reproduce` to plan, and to skip what will not fit.

One critical-n search at dimension d is modelled as ``FIXED_S + PER_ENTRY_S * C(n*, 2) * n* * d``
seconds (the score matrix of one Adam step has C(n,2) x n entries of d-term dot products; the
number of steps and searched points is absorbed in the constants), with n* the paper's critical n
for d (beyond d=45, the paper's cubic). Constants fitted by least squares to the per-d wall
times of `limitkit reproduce --scale quick` (d = 4..12, one seed) on the 2-core development CPU,
2026-11-27; the estimate is a planning aid, good to a factor of about two, not a measurement.
"""

from __future__ import annotations

from math import comb

FIXED_S = 1.05
PER_ENTRY_S = 1.68e-5


def expected_critical_n(d: int) -> int:
    from ..free.reference import PAPER_CRITICAL_N, paper_fit

    if d in PAPER_CRITICAL_N:
        return PAPER_CRITICAL_N[d]
    return max(d + 1, int(round(paper_fit(d))))


def estimate_free_seconds(d: int, k: int = 2) -> float:
    n = expected_critical_n(d)
    return FIXED_S + PER_ENTRY_S * comb(n, k) * n * d
