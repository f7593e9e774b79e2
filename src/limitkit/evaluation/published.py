"""The LIMIT paper's published numbers (full-dimension rows), shipped so tables show ours beside theirs.

Source: Weller et al., arXiv:2508.21038v2, Appendix G, Table 4 (LIMIT-small: Recall@2/10/20) and
Table 5 (LIMIT: Recall@2/10/100); values in percent as printed. ``paper_results.json`` records
the source of every number; nothing here is computed.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["PAPER_RESULTS", "paper_dataset", "paper_rows", "paper_value"]

_FILE = "paper_results.json"


def _load() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath(_FILE).read_text(encoding="utf-8"))


#: ``PAPER_RESULTS["datasets"]["LIMIT-small"]["rows"]`` -> [{"model", "dim", "recall@2", ...}], plus "source".
PAPER_RESULTS: dict[str, Any] = _load()

#: our retriever name -> the paper's model name, where the two are the same method
SAME_METHOD = {"bm25": "BM25"}


def paper_dataset(name: str) -> str | None:
    """'LIMIT' or 'LIMIT-small' for a dataset name such as 'limit-small' or 'LIMIT', else None."""
    key = name.strip().lower().replace("_", "-")
    key = key.rsplit("/", 1)[-1]
    for official in PAPER_RESULTS["datasets"]:
        if key == official.lower():
            return official
    return None


def paper_rows(dataset: str) -> list[dict[str, Any]]:
    """The paper's full-dimension rows for a dataset name ([] when the paper has none)."""
    official = paper_dataset(dataset)
    return list(PAPER_RESULTS["datasets"][official]["rows"]) if official else []


def paper_value(dataset: str, model: str, metric: str) -> float | None:
    """A published number in percent, e.g. ``paper_value("limit-small", "BM25", "recall@2") == 97.8``."""
    for row in paper_rows(dataset):
        if row["model"] == SAME_METHOD.get(model, model):
            return row.get(metric)
    return None
