"""Free-embedding engine benchmark: critical-n searches, step cost vs matmul throughput, memory.

    python benchmarks/bench_free.py            # d = 4, 6, 8 searches + step cost + memory estimate
    python benchmarks/bench_free.py --sweep    # also d = 4 ... 12 (target: under 5 minutes)
    python benchmarks/bench_free.py --big      # also run n = 2000, d = 64 for one step (peak RSS)

Every ratio below is measured within this one process, so machine load affects both sides.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from limitkit.free.config import FreeEmbeddingConfig
from limitkit.free.memory import GB, estimate_bytes, plan_chunk
from limitkit.free.optimize import _blas_threads, train, train_many
from limitkit.free.reference import PAPER_CRITICAL_N
from limitkit.free.search import find_critical_n


def searches(ds, targets=None) -> None:
    print("| d | critical n | paper | wall s | target s | runs |")
    print("|---:|---:|---:|---:|---:|---:|")
    total = 0.0
    for d in ds:
        r = find_critical_n(d, FreeEmbeddingConfig(), seeds=(0,), progress=False)
        total += r.wall_s
        target = (targets or {}).get(d, "")
        print(f"| {d} | {r.critical_n} | {PAPER_CRITICAL_N.get(d, '—')} | {r.wall_s:.2f} | {target} | {len(r.runs)} |",
              flush=True)
    print(f"total {total:.1f} s\n")


def step_vs_matmul(n: int = 300, d: int = 32, steps: int = 30) -> None:
    """Per-step time of a run vs the three products of a step (scores, dU, dV) done as single
    full-size matmuls with the same thread setting (1 BLAS thread, the engine's default)."""
    m = n * (n - 1) // 2
    rng = np.random.default_rng(0)
    U = rng.standard_normal((m, d)).astype(np.float32)
    V = rng.standard_normal((n, d)).astype(np.float32)
    VT = np.ascontiguousarray(V.T)
    L = np.empty((m, n), np.float32)
    gU, gV = np.empty((m, d), np.float32), np.empty((n, d), np.float32)
    cfg = FreeEmbeddingConfig(max_steps=steps, patience=10 ** 9, eval_every=10 ** 9)
    with _blas_threads(cfg.threads):
        mm = []
        for _ in range(5):
            t0 = time.perf_counter()
            np.matmul(U, VT, out=L)
            np.matmul(L, V, out=gU)
            np.matmul(L.T, U, out=gV)
            mm.append(time.perf_counter() - t0)
    matmul = min(mm)
    setup = []
    full = []
    for _ in range(2):
        t0 = time.perf_counter()
        train(n, d, FreeEmbeddingConfig(max_steps=0))
        setup.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        train(n, d, cfg)
        full.append(time.perf_counter() - t0)
    step = (min(full) - min(setup)) / steps
    flops = 3 * 2 * m * n * d
    print(f"n={n}, d={d} ({m} queries): matmuls {matmul * 1e3:.1f} ms/step ({flops / matmul / 1e9:.0f} GFLOP/s), "
          f"training step {step * 1e3:.1f} ms -> {step / matmul:.2f}x the matmul time (target <= 3x)\n")


def batching(d: int = 8, ns=range(25, 35)) -> None:
    cfg = FreeEmbeddingConfig()
    t0 = time.perf_counter()
    single = [train(n, d, cfg) for n in ns]
    t_single = time.perf_counter() - t0
    t0 = time.perf_counter()
    batched = train_many([(n, 0) for n in ns], d, cfg)
    t_batch = time.perf_counter() - t0
    same = all(a.U.tobytes() == b.U.tobytes() and a.steps == b.steps for a, b in zip(single, batched))
    steps = sum(r.steps for r in single)
    print(f"d={d}, n={ns.start}..{ns.stop - 1} ({steps} run-steps): one at a time {t_single:.2f} s "
          f"({t_single / steps * 1e6:.0f} us/run-step), batched {t_batch:.2f} s "
          f"({t_batch / steps * 1e6:.0f} us/run-step), identical results: {same}\n")


def numpy_vs_torch(n: int = 20, d: int = 6, steps: int = 2000) -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: numpy vs torch skipped\n")
        return
    out = []
    for backend in ("numpy", "torch"):
        cfg = FreeEmbeddingConfig(max_steps=steps, patience=10 ** 9, backend=backend, threads=1)
        train(n, d, FreeEmbeddingConfig(max_steps=5, backend=backend))  # warm-up (imports)
        t0 = time.perf_counter()
        train(n, d, cfg)
        out.append((time.perf_counter() - t0) / steps)
    print(f"n={n}, d={d}: numpy {out[0] * 1e6:.0f} us/step, torch (1 thread, CPU) {out[1] * 1e6:.0f} us/step "
          f"-> numpy {out[1] / out[0]:.1f}x faster\n")


def memory(n: int = 2000, d: int = 64, run: bool = False) -> None:
    m = n * (n - 1) // 2
    cfg = FreeEmbeddingConfig()
    chunk = plan_chunk(n, m, 2 * m, d, cfg)
    est = estimate_bytes(n, m, 2 * m, d, cfg, chunk)
    print(f"n={n}, d={d}: {m} queries, estimate {est / GB:.2f} GB with chunks of {chunk} queries "
          f"(limit {cfg.memory_limit_gb:g} GB)")
    if run:
        t0 = time.perf_counter()
        r = train(n, d, FreeEmbeddingConfig(max_steps=1))
        print(f"  ran 1 step + final evaluation in {time.perf_counter() - t0:.0f} s, loss {r.final_loss:.3f}, "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2:.2f} GB")
    print()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sweep", action="store_true", help="also search d = 4 ... 12")
    p.add_argument("--big", action="store_true", help="also run n = 2000, d = 64 for one step")
    args = p.parse_args()
    searches((4, 6, 8), targets={4: 2, 6: 3, 8: 5})
    step_vs_matmul()
    batching()
    numpy_vs_torch()
    memory(run=args.big)
    if args.sweep:
        searches(range(4, 13))


if __name__ == "__main__":
    main()
