"""Figure 1: critical n against embedding dimension d.

On one log-scale figure: the paper's free-embedding critical n, ours (from the free-embedding
store), the precision-limited critical n of the exact constructions (the largest n for which the
construction is still exact in a dtype; it stays valid for every larger d by zero padding, drawn
as a dotted continuation), and a polynomial fit.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .._errors import ConfigError
from .._lazy import require

__all__ = ["plot_critical_n", "critical_n_from_store"]

_MARKERS = ("D", "v", "P", "X", "*", "h", "<", ">")


def plot_critical_n(path: str | os.PathLike, *, paper: Mapping[int, int] | None = None,
                    ours: Mapping[int, int] | None = None,
                    precision_limits: Mapping[str, Mapping[int, int]] | None = None,
                    fit: Sequence[float] | Callable[[np.ndarray], np.ndarray] | None = None,
                    fit_label: str | None = None, censored: Mapping[str, Iterable[int]] | None = None,
                    title: str = "Critical number of documents n for all top-2 subsets, by dimension d") -> Path:
    """Write the figure as PNG and return its path.

    ``fit``: polynomial coefficients, highest degree first (``numpy.polyval``), or a callable of
    d. ``censored[label]``: dimensions whose precision limit is only a lower bound (the scan
    never failed); drawn with an upward triangle.
    """
    matplotlib = require("matplotlib")
    matplotlib.use("Agg", force=True)
    plt = require("matplotlib.pyplot")
    series = [s for s in (paper, ours) if s] + [s for s in (precision_limits or {}).values() if s]
    if not series:
        raise ConfigError("nothing to plot: give at least one of paper, ours or precision_limits")
    ds_all = [int(d) for s in series for d in s]
    d_lo, d_hi = min(ds_all), max(ds_all)
    fig, ax = plt.subplots(figsize=(9, 7), dpi=150)
    if paper:
        d, n = _xy(paper)
        ax.plot(d, n, "o", color="black", ms=5, label="paper: free embeddings (Weller et al.)")
    if ours:
        d, n = _xy(ours)
        ax.plot(d, n, "s", color="tab:blue", ms=5, mfc="none", mew=1.4, label="ours: free embeddings (limitkit)")
    if fit is not None:
        xs = np.linspace(d_lo, d_hi, 200)
        ys = fit(xs) if callable(fit) else np.polyval(np.asarray(fit, dtype=float), xs)
        ok = ys > 0
        ax.plot(xs[ok], ys[ok], "--", color="gray", lw=1.2, label=fit_label or "polynomial fit")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"][1:]
    for i, (label, lim) in enumerate((precision_limits or {}).items()):
        if not lim:
            continue
        d, n = _xy(lim)
        color = colors[i % len(colors)]
        cens = set(int(x) for x in (censored or {}).get(label, ()))
        exact = np.array([x not in cens for x in d])
        ax.plot(d, n, "-", color=color, lw=1.0, alpha=0.8)
        if exact.any():
            ax.plot(d[exact], n[exact], _MARKERS[i % len(_MARKERS)], color=color, ms=7, label=label)
        if (~exact).any():
            ax.plot(d[~exact], n[~exact], "^", color=color, ms=8, mfc="none", mew=1.5,
                    label=f"{label} (never failed: lower bound)")
        ax.hlines(n[-1], d[-1], d_hi + 1, colors=color, linestyles=":", lw=1.0)  # zero padding keeps it
    if precision_limits:
        ax.plot([], [], ":", color="gray", label="dotted: still exact at larger d (zero padding)")
    ax.set_yscale("log")
    ax.set_xlim(d_lo - 1, d_hi + 1)
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("critical n (documents; all C(n, 2) pairs exact)")
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * 1.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=2, frameon=False)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", bbox_inches="tight")  # keeps the legend below the axes
    plt.close(fig)
    return out


def critical_n_from_store(path: str | os.PathLike, *, k: int = 2) -> dict[int, int]:
    """Our critical n per d from a free-embedding store: the largest n any run with the reference
    loss, no success margin and top-k size ``k`` solved."""
    from ..free.store import ResultStore

    if not Path(path).exists():
        raise ConfigError(f"free-embedding store {path} does not exist; run `limitkit critical-n` first "
                          f"or leave out --store")
    best: dict[int, int] = {}
    with ResultStore(path) as store:
        for r in store.runs():
            cfg = r.config
            if r.success and cfg.k == k and cfg.margin == 0 and cfg.loss == "infonce-mean" and cfg.num_queries is None:
                best[int(r.d)] = max(best.get(int(r.d), 0), int(r.n))
    return dict(sorted(best.items()))


def _xy(mapping: Mapping[int, int]) -> tuple[np.ndarray, np.ndarray]:
    items = sorted((int(d), float(n)) for d, n in mapping.items())
    return np.array([d for d, _ in items]), np.array([n for _, n in items])
