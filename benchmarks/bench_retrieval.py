"""Retrieval speed on this machine: BM25 at 50k documents, dense MiniLM documents/s (+ cache), MaxSim.

Run:  python benchmarks/bench_retrieval.py            (add --quick for a smaller, faster run)

1. BM25 (bm25s, stemming) on a generated LIMIT-style corpus (50,000 documents, 1000 queries):
   index + search for the top 100, wall time, and the recall it reaches.
2. Dense all-MiniLM-L6-v2 (bundled, offline): documents/s encoding N generated documents into a
   fresh on-disk cache (batched, sorted by length), then the same call again: cache hits, no encoding.
3. Multi-vector MaxSim: 1000 queries x 46 documents (LIMIT-small shape): token encoding time, and the
   MaxSim scoring + top-k time with the token vectors already cached.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from limitkit.data.generate import GenerateConfig, generate_dataset  # noqa: E402
from limitkit.evaluation.metrics import evaluate_run  # noqa: E402
from limitkit.retrievers.base import document_text  # noqa: E402
from limitkit.retrievers.registry import make_retriever  # noqa: E402


def bench_bm25(n_docs: int) -> None:
    t = time.perf_counter()
    ds = generate_dataset(GenerateConfig(n_docs=n_docs))
    gen = time.perf_counter() - t
    r = make_retriever("bm25")
    t0 = time.perf_counter()
    r.index(ds.corpus)
    t1 = time.perf_counter()
    run = r.search(ds.queries, 100)
    t2 = time.perf_counter()
    m = evaluate_run(run, ds.qrels, (2, 10, 100)).aggregate
    print(f"bm25: {n_docs} docs x {len(ds.queries)} queries: index {t1 - t0:.2f} s + search {t2 - t1:.2f} s "
          f"= {t2 - t0:.2f} s (generation {gen:.2f} s not counted); recall@2/10/100 = "
          f"{100 * m['recall@2']:.1f} / {100 * m['recall@10']:.1f} / {100 * m['recall@100']:.1f}")


def bench_dense(n_docs: int) -> None:
    ds = generate_dataset(GenerateConfig(n_docs=n_docs))
    texts = [document_text(d) for d in ds.corpus.values()]
    with tempfile.TemporaryDirectory() as cache:
        r = make_retriever("dense", cache_dir=cache)
        _ = r.model  # load outside the timing
        t = time.perf_counter()
        r.encode_documents(texts)
        cold = time.perf_counter() - t
        misses = r._cache("document").misses
        r2 = make_retriever("dense", cache_dir=cache)  # a new process would see the same: cache read from disk
        t = time.perf_counter()
        r2.encode_documents(texts)
        warm = time.perf_counter() - t
        c = r2._cache("document")
        print(f"dense MiniLM: {n_docs} docs encoded in {cold:.1f} s = {n_docs / cold:.0f} docs/s "
              f"({misses} encoded, batch 32, length-sorted); rerun {warm:.2f} s with {c.hits} cache hits, "
              f"{c.misses} encoded")


def bench_multivector(limit_small: Path | None) -> None:
    if limit_small is not None and (limit_small / "corpus.jsonl").exists():
        from limitkit.data.io import load_dataset

        ds = load_dataset(limit_small)
    else:
        ds = generate_dataset(GenerateConfig())
    with tempfile.TemporaryDirectory() as cache:
        r = make_retriever("multivector", cache_dir=cache)
        _ = r.encoder.model
        t = time.perf_counter()
        r.index(ds.corpus)
        r._tokens(list(ds.queries.values()), is_query=True)
        enc = time.perf_counter() - t
        t = time.perf_counter()
        run = r.search(ds.queries, 46)
        score = time.perf_counter() - t
    m = evaluate_run(run, ds.qrels, (2, 10)).aggregate
    print(f"multivector MaxSim: {len(ds.queries)} queries x {len(ds.corpus)} docs: token encoding {enc:.1f} s, "
          f"MaxSim + top-k {score:.2f} s; recall@2/10 = {100 * m['recall@2']:.1f} / {100 * m['recall@10']:.1f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="5k BM25 documents, 300 dense documents")
    p.add_argument("--limit-small", type=Path,
                   default=Path(__file__).resolve().parents[2] / "shared" / "data" / "limit-small")
    p.add_argument("--skip-dense", action="store_true", help="BM25 only (no sentence-transformers)")
    a = p.parse_args()
    bench_bm25(5000 if a.quick else 50000)
    if not a.skip_dense:
        bench_dense(300 if a.quick else 2000)
        bench_multivector(a.limit_small)


if __name__ == "__main__":
    main()
