"""limitkit: measure what single-vector embedding retrieval can and cannot represent.

Public API (imported lazily so ``import limitkit`` stays light):

- data:   ``Dataset``, ``QrelMatrix``, ``load_dataset``, ``save_dataset``, ``generate``
- free embedding: ``FreeEmbeddingConfig``, ``find_critical_n``
- theory: ``construct``
- evaluation: ``evaluate``
- the whole study: ``reproduce``
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_API = {
    "QrelMatrix": "limitkit.qrels",
    "Dataset": "limitkit.data.dataset",
    "load_dataset": "limitkit.data.io",
    "save_dataset": "limitkit.data.io",
    "generate": "limitkit.data.generate",
    "FreeEmbeddingConfig": "limitkit.free.config",
    "find_critical_n": "limitkit.free.search",
    "construct": "limitkit.theory.constructions",
    "evaluate": "limitkit.evaluation.harness",
    "reproduce": "limitkit.report.reproduce",
}
__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'limitkit' has no attribute {name!r}")


def __dir__():
    return __all__
