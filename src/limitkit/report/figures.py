"""Report figures other than Figure 1 (see fig_critical_n.py): matplotlib, Agg backend, PNG at 150 dpi."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from .._lazy import require


def _plt():
    mpl = require("matplotlib")
    mpl.use("Agg")
    return require("matplotlib.pyplot")


def plot_retrieval(path: Path, panels: Mapping[str, Mapping[str, Mapping[str, float]]],
                   metrics: Sequence[str] = ("recall@2", "recall@10", "recall@100")) -> Path:
    """Figure 2: one panel per dataset; grouped bars (one group per retriever, one bar per metric).

    ``panels[dataset][label][metric]`` in percent; labels starting with "paper:" are drawn hatched.
    """
    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 5.2), squeeze=False)
    colors = {m: c for m, c in zip(metrics, ("#4C72B0", "#DD8452", "#55A868", "#C44E52"))}
    for ax, (title, rows) in zip(axes[0], panels.items()):
        labels = list(rows)
        width = 0.8 / len(metrics)
        for j, m in enumerate(metrics):
            xs = [i + (j - (len(metrics) - 1) / 2) * width for i in range(len(labels))]
            vals = [rows[lab].get(m) for lab in labels]
            for x, v, lab in zip(xs, vals, labels):
                if v is None:
                    continue
                ax.bar(x, v, width, color=colors[m], hatch="//" if lab.startswith("paper:") else None,
                       edgecolor="white" if not lab.startswith("paper:") else "black", linewidth=0.5,
                       label=m if x == xs[0] or lab == labels[0] else None)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=35, ha="right", fontsize=8)
        ax.set_ylabel("Recall@k (%)")
        ax.set_ylim(0, 105)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        handles, labs = ax.get_legend_handles_labels()
        uniq = dict(zip(labs, handles))
        ax.legend(uniq.values(), [f"{k} (hatched: paper)" for k in uniq], fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return Path(path)


def plot_curves(path: Path, curves: Mapping[str, Sequence[tuple[float, float]]], *, xlabel: str,
                ylabel: str, title: str, logx: bool = False) -> Path:
    """Line plot, one line per label: ``curves[label] = [(x, y), ...]``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, pts in curves.items():
        pts = sorted(pts)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    if logx:
        ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return Path(path)


def plot_groups(path: Path, groups: Mapping[str, Mapping[str, float]], *, ylabel: str, title: str) -> Path:
    """Grouped bars: ``groups[group][series] = value`` (e.g. pattern -> retriever -> Recall@2 %)."""
    plt = _plt()
    names = list(groups)
    series = sorted({s for g in groups.values() for s in g})
    width = 0.8 / max(len(series), 1)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for j, s in enumerate(series):
        xs = [i + (j - (len(series) - 1) / 2) * width for i in range(len(names))]
        ax.bar(xs, [groups[g].get(s, 0.0) for g in names], width, label=s)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(0, 105)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return Path(path)
