"""Polynomial fit of critical n against d, with extrapolation (the paper fits degree 3).

Least squares of n*(d) = c_0 + c_1 d + ... + c_p d^p (numpy.polynomial, on a scaled domain for
conditioning, converted back to plain coefficients); r^2 = 1 - SS_res / SS_tot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .._errors import ConfigError


@dataclass(frozen=True)
class FitResult:
    degree: int
    coefficients: tuple[float, ...]  # c_0, c_1, ... (lowest power first)
    r2: float
    predictions: dict[int, float]  # extrapolated d -> fitted critical n
    points: dict[int, int]

    def __call__(self, d: float) -> float:
        return float(sum(c * d ** i for i, c in enumerate(self.coefficients)))

    def formula(self) -> str:
        terms = [f"{self.coefficients[0]:.4f}"]
        terms += [f"{c:+.4f} d" + (f"^{i}" if i > 1 else "") for i, c in enumerate(self.coefficients) if i]
        return "n*(d) = " + " ".join(terms)


def fit_critical_n(points: Mapping[int, int], degree: int = 3,
                   extrapolate: Sequence[int] = (512, 768, 1024, 3072, 4096)) -> FitResult:
    """Fit critical n (values) against d (keys) by a degree-``degree`` polynomial."""
    pts = {int(d): int(n) for d, n in points.items() if n is not None}
    if not isinstance(degree, int) or degree < 0:
        raise ConfigError(f"fit degree must be an integer >= 0, got {degree!r}")
    if len(pts) < degree + 1:
        raise ConfigError(f"a degree-{degree} fit needs at least {degree + 1} (d, critical n) points, "
                          f"got {len(pts)}: {pts}; sweep more d values or lower the degree")
    d = np.array(sorted(pts), dtype=np.float64)
    y = np.array([pts[int(x)] for x in d], dtype=np.float64)
    poly = np.polynomial.Polynomial.fit(d, y, degree).convert()
    coef = np.zeros(degree + 1)
    coef[:len(poly.coef)] = poly.coef
    ss_tot = float(((y - y.mean()) ** 2).sum())
    ss_res = float(((y - poly(d)) ** 2).sum())
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return FitResult(degree, tuple(float(c) for c in coef), r2,
                     {int(x): float(poly(x)) for x in extrapolate}, dict(sorted(pts.items())))
