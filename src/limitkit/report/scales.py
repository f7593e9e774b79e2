"""What each `--scale` of `limitkit reproduce` runs. Sizes are chosen so `quick` finishes in about
15 minutes on a 2-core CPU and `tiny` (for tests) in seconds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class Scale:
    name: str
    # data
    large_docs: int  # documents in the generated LIMIT-size corpus (LIMIT: 50,000)
    # free embedding
    free_dims: tuple[int, ...]
    free_seeds: tuple[int, ...]
    free_max_s_per_d: float | None  # skip a d whose estimated search time exceeds this (None: run all)
    # theory
    precision_ks: tuple[int, ...]
    precision_dtypes: tuple[str, ...]
    precision_n_max: dict[int, int]  # k -> largest n scanned
    refine_ns: dict[int, tuple[int, ...]]  # d -> n at which the margin-refined top-2 construction is checked (float32)
    # retrieval
    small_retrievers: tuple[str, ...]  # on LIMIT-small (46 documents)
    large_retrievers: tuple[str, ...]  # on the LIMIT-size corpus
    truncation_retriever: str
    truncation_dims: tuple[int, ...]
    pattern_retrievers: tuple[str, ...]
    drowning_sizes: tuple[int, ...]
    drowning_retrievers: tuple[str, ...]


SCALES: dict[str, Scale] = {
    "tiny": Scale(
        name="tiny", large_docs=300, free_dims=(3,), free_seeds=(0,), free_max_s_per_d=None,
        precision_ks=(2,), precision_dtypes=("float64", "float32"), precision_n_max={2: 60}, refine_ns={4: (20, 40)},
        small_retrievers=("bm25", "tfidf", "token-sum:256", "fake:16"),
        large_retrievers=("bm25", "fake:16"),
        truncation_retriever="fake:32", truncation_dims=(4, 8, 16, 32),
        pattern_retrievers=("bm25",), drowning_sizes=(0, 100), drowning_retrievers=("bm25",),
    ),
    "quick": Scale(
        name="quick", large_docs=50_000, free_dims=tuple(range(4, 17)), free_seeds=(0,), free_max_s_per_d=None,
        precision_ks=(2, 3, 4), precision_dtypes=("float64", "float32", "float16", "bfloat16"),
        precision_n_max={2: 400, 3: 120, 4: 60}, refine_ns={4: (165, 200, 225), 6: (200, 300, 340), 8: (300, 400, 460)},
        small_retrievers=("bm25", "dense", "multivector", "tfidf", "token-sum:4096"),
        large_retrievers=("bm25", "tfidf", "token-sum:4096"),
        truncation_retriever="dense", truncation_dims=(4, 8, 16, 32, 64, 128, 256, 384),
        pattern_retrievers=("bm25", "dense"), drowning_sizes=(0, 100, 1000, 5000),
        drowning_retrievers=("bm25", "dense", "token-sum:4096"),
    ),
    "paper": Scale(
        name="paper", large_docs=50_000, free_dims=tuple(range(4, 46)), free_seeds=(0,),
        free_max_s_per_d=1800.0,
        precision_ks=(2, 3, 4), precision_dtypes=("float64", "float32", "float16", "bfloat16"),
        precision_n_max={2: 600, 3: 150, 4: 80}, refine_ns={4: (165, 200, 225, 250), 6: (200, 300, 340, 360),
                                                                 8: (300, 400, 460, 480)},
        small_retrievers=("bm25", "dense", "multivector", "tfidf", "token-sum:4096"),
        large_retrievers=("bm25", "dense", "tfidf", "token-sum:4096"),
        truncation_retriever="dense", truncation_dims=(4, 8, 16, 32, 64, 128, 256, 384),
        pattern_retrievers=("bm25", "dense", "multivector"), drowning_sizes=(0, 1000, 10_000, 50_000),
        drowning_retrievers=("bm25", "dense", "token-sum:4096"),
    ),
}
