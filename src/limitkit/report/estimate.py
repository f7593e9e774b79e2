"""Rough run-time estimates used by `limitkit reproduce` to plan, and to skip what will not fit.

Cost model of one critical-n search at dimension d: about ``POINTS`` runs near n* (gallop, binary
search, the n*-4 .. n*+5 sweep), each ``STEPS`` Adam steps, each step costing
``STEP_OVERHEAD_S + FLOPS_PER_ENTRY * m * n * d / FLOPS_PER_S`` with m = C(n, 2) queries.
n* is taken from the paper's values (or its cubic beyond d=45). The constants were calibrated
against `benchmarks/bench_free.py` on the 2-core development machine; the estimate is a planning
aid, good to a factor of about two, not a measurement.
"""

from __future__ import annotations

from math import comb

POINTS = 16
STEPS = 4000
STEP_OVERHEAD_S = 40e-6
FLOPS_PER_ENTRY = 12.0
FLOPS_PER_S = 4e9


def expected_critical_n(d: int) -> int:
    from ..free.reference import PAPER_CRITICAL_N

    if d in PAPER_CRITICAL_N:
        return PAPER_CRITICAL_N[d]
    # the paper's published cubic fit is not assumed; extrapolate ~ linearly in d^1.5 from the largest value
    top = max(PAPER_CRITICAL_N)
    return int(PAPER_CRITICAL_N[top] * (d / top) ** 1.5)


def estimate_free_seconds(d: int, k: int = 2) -> float:
    n = expected_critical_n(d)
    per_step = STEP_OVERHEAD_S + FLOPS_PER_ENTRY * comb(n, k) * n * d / FLOPS_PER_S
    return POINTS * STEPS * per_step
