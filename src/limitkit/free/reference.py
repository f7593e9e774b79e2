"""The paper's published free-embedding results, shipped as reference data.

Source: Weller, Boratko, Naim, Lee, "On the Theoretical Limitations of Embedding-Based
Retrieval", arXiv:2508.21038 (v1, 2025), https://arxiv.org/abs/2508.21038:

- ``PAPER_CRITICAL_N``: Appendix 11 "Table Forms of Figures", Table 6 "Critical Values of n for
  different d values in the Free Embedding optimization experiments" (the data of Figure 2),
  d = 4 ... 45, k = 2. Transcribed from two independent text extractions of the paper (a
  markdown and a plain-text rendering), which agree on all 42 values.
- ``PAPER_FIT``: Section 4 "Results": the 3rd-degree fit
  y = -10.5322 + 4.0309 d + 0.0520 d^2 + 0.0037 d^3 (r^2 = 0.999), coefficients lowest power first.
- ``PAPER_EXTRAPOLATION``: the same paragraph's extrapolated critical n, as rounded in the text:
  500k (512), 1.7m (768), 4m (1024), 107m (3072), 250m (4096).
"""

from __future__ import annotations

SOURCE = ("arXiv:2508.21038v1 (Weller et al., 2025), Appendix 11, Table 6; fit and extrapolation "
          "from Section 4, Results. https://arxiv.org/abs/2508.21038")

PAPER_CRITICAL_N: dict[int, int] = {
    4: 10, 5: 14, 6: 19, 7: 24, 8: 28, 9: 32, 10: 36, 11: 42, 12: 47, 13: 54, 14: 62, 15: 70,
    16: 79, 17: 89, 18: 99, 19: 109, 20: 120, 21: 132, 22: 144, 23: 157, 24: 170, 25: 184,
    26: 198, 27: 213, 28: 229, 29: 245, 30: 261, 31: 278, 32: 296, 33: 314, 34: 333, 35: 352,
    36: 372, 37: 392, 38: 413, 39: 434, 40: 460, 41: 484, 42: 505, 43: 545, 44: 605, 45: 626,
}

PAPER_FIT: tuple[float, ...] = (-10.5322, 4.0309, 0.0520, 0.0037)
PAPER_FIT_R2 = 0.999

PAPER_EXTRAPOLATION: dict[int, int] = {
    512: 500_000, 768: 1_700_000, 1024: 4_000_000, 3072: 107_000_000, 4096: 250_000_000,
}


def paper_fit(d: float) -> float:
    """The paper's cubic at d."""
    return sum(c * d ** i for i, c in enumerate(PAPER_FIT))
