"""Polynomial fit of critical n on d, and the paper's reference data."""

import pytest

from limitkit._errors import ConfigError
from limitkit.free.fit import fit_critical_n
from limitkit.free.reference import PAPER_CRITICAL_N, PAPER_EXTRAPOLATION, PAPER_FIT, PAPER_FIT_R2, paper_fit


def test_exact_cubic_is_recovered():
    # n(d) = 2 - d + 0.5 d^2 + 0.25 d^3 at d = 1..6 -> the same coefficients, r^2 = 1
    pts = {d: 2 - d + 0.5 * d ** 2 + 0.25 * d ** 3 for d in range(1, 7)}
    fit = fit_critical_n({d: round(v * 4) for d, v in pts.items()}, extrapolate=(10,))
    assert fit.coefficients == pytest.approx((8, -4, 2, 1), abs=1e-8)  # the fit of 4 n(d)
    assert fit.r2 == pytest.approx(1.0)
    assert fit.predictions[10] == pytest.approx(8 - 40 + 200 + 1000)  # = 1168
    assert fit(10) == pytest.approx(1168)


def test_fitting_the_papers_table_gives_the_papers_curve():
    # Table 6 of arXiv:2508.21038, fitted with degree 3, reproduces the published
    # y = -10.5322 + 4.0309 d + 0.0520 d^2 + 0.0037 d^3 (r^2 = 0.999)
    assert sorted(PAPER_CRITICAL_N) == list(range(4, 46))
    assert (PAPER_CRITICAL_N[4], PAPER_CRITICAL_N[6], PAPER_CRITICAL_N[8], PAPER_CRITICAL_N[45]) == (10, 19, 28, 626)
    fit = fit_critical_n(PAPER_CRITICAL_N)
    assert fit.coefficients == pytest.approx(PAPER_FIT, abs=5e-4)
    assert round(fit.r2, 3) == PAPER_FIT_R2
    # the paper's rounded extrapolations: 500k, 1.7m, 4m, 107m, 250m
    for d, value in PAPER_EXTRAPOLATION.items():
        assert fit.predictions[d] == pytest.approx(value, rel=0.03)
        assert paper_fit(d) == pytest.approx(value, rel=0.03)


def test_too_few_points():
    with pytest.raises(ConfigError, match="degree-3 fit needs at least 4"):
        fit_critical_n({4: 9, 5: 14, 6: 19})
    assert fit_critical_n({4: 9, 5: 14}, degree=1).coefficients == pytest.approx((-11, 5))
