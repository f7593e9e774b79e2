"""Memory estimate of a free-embedding run, and the query chunk size that keeps it under the limit.

The loss separates over queries, so only a (chunk x n) block of scores exists at a time; what
cannot be chunked is the state of every vector: the parameters, their gradient and Adam moments.
Bytes for m queries, n documents, nnz relevant pairs, dimension d, item size b (4 or 8):

    numpy engine: (m + n) d b * 4    parameters, gradient, two Adam moments (the initial vectors
                                     are dropped once copied in; the final ones are returned as views)
                  + nnz 8 * 6 + m 8 * 2   query sets and per-block indices (incl. building them)
                  + chunk (n (b + 1 [+ b for sigmoid]) + d b + 32 k + 16)   one score block, temporaries
    torch engine: the same fixed part, + chunk (6 n b + d b) (autograd keeps about five blocks)
    Runs stepped together (``train_many``) are grouped so that their sum, plus the copy made when
    one of them ends, stays under the limit.
"""

from __future__ import annotations

from .._errors import ResourceError
from .config import FreeEmbeddingConfig

GB = 1024 ** 3
# default block of scores: about 2^18 entries (1 MiB in float32) stays in cache and keeps the
# per-block interpreter overhead negligible; a GPU wants far fewer, larger blocks (fewer launches)
_CACHE_ENTRIES = 1 << 18
_TORCH_ENTRIES = 1 << 26


def _itemsize(config: FreeEmbeddingConfig) -> int:
    return 4 if config.dtype == "float32" else 8


def fixed_bytes(n: int, m: int, nnz: int, d: int, config: FreeEmbeddingConfig, backend: str = "numpy") -> int:
    """Bytes that do not shrink with the chunk size."""
    return (m + n) * d * _itemsize(config) * 4 + nnz * 8 * 6 + m * 8 * 2


def per_query_bytes(n: int, d: int, k: int, config: FreeEmbeddingConfig, backend: str = "numpy") -> int:
    """Bytes per query row of the score block and its temporaries."""
    b = _itemsize(config)
    if backend == "torch":
        return n * b * 6 + d * b
    extra = b if config.loss == "sigmoid" else 0
    return n * (b + 1 + extra) + d * b + 32 * max(k, 1) + 16


def estimate_bytes(n: int, m: int, nnz: int, d: int, config: FreeEmbeddingConfig, chunk: int,
                   backend: str = "numpy") -> int:
    k = max(1, round(nnz / m)) if m else 1
    return fixed_bytes(n, m, nnz, d, config, backend) + min(chunk, max(m, 1)) * per_query_bytes(n, d, k, config, backend)


def plan_chunk(n: int, m: int, nnz: int, d: int, config: FreeEmbeddingConfig, backend: str = "numpy") -> int:
    """The query chunk size to use: ``config.chunk_size`` if it fits, else the default (cache-sized
    blocks for NumPy, large blocks for torch) capped by the memory limit (host memory for NumPy,
    device memory for torch on a GPU). Raises ResourceError (with a size that fits) otherwise."""
    limit = config.memory_limit_gb * GB
    k = max(1, round(nnz / m)) if m else 1
    fixed = fixed_bytes(n, m, nnz, d, config, backend)
    row = per_query_bytes(n, d, k, config, backend)
    fits = int((limit - fixed) // row)
    what = f"n={n}, d={d}, {m} queries, {config.dtype}"
    if fits < 1:
        raise ResourceError(
            f"a free-embedding run with {what} needs {fixed / GB:.2f} GB for its vectors and optimiser "
            f"state alone, over memory_limit_gb={config.memory_limit_gb:g}; no chunk size fits. Use fewer "
            f"queries (num_queries), {'float32, ' if config.dtype == 'float64' else ''}a smaller n, or raise "
            f"memory_limit_gb if the machine has the memory.")
    if config.chunk_size is not None:
        chunk = max(1, min(config.chunk_size, max(m, 1)))
        if chunk > fits:
            need = fixed + chunk * row
            raise ResourceError(
                f"a free-embedding run with {what} and chunk_size={config.chunk_size} needs about "
                f"{need / GB:.2f} GB, over memory_limit_gb={config.memory_limit_gb:g}; chunk_size={fits} fits "
                f"(about {(fixed + fits * row) / GB:.2f} GB).")
        return chunk
    default = max(1, (_TORCH_ENTRIES if backend == "torch" else _CACHE_ENTRIES) // max(n, 1))
    return max(1, min(default, fits, max(m, 1)))
