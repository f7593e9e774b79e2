"""Wall time (and peak memory) of `limitkit.data.generate.generate` for LIMIT-small and LIMIT sizes.

Usage: python benchmarks/bench_generate.py [--sizes 46 50000] [--repeat 3]
Each size runs in a fresh subprocess so peak RSS (ru_maxrss) is that run's own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, resource, sys, time
from limitkit.data.generate import GenerateConfig, generate
n, out = int(sys.argv[1]), sys.argv[2]
t = time.perf_counter()
generate(GenerateConfig(n_docs=n), out)
wall = time.perf_counter() - t
print(json.dumps({"n_docs": n, "wall_s": wall, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[46, 50_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print("| n_docs | wall s (best of %d) | wall s (all) | peak RSS MiB |" % args.repeat)
    print("| --- | --- | --- | --- |")
    for n in args.sizes:
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as out:
                res = subprocess.run([sys.executable, "-c", _CHILD, str(n), out], check=True,
                                     capture_output=True, text=True)
                runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
        walls = [r["wall_s"] for r in runs]
        print(f"| {n} | {min(walls):.2f} | {', '.join(f'{w:.2f}' for w in walls)} | "
              f"{max(r['peak_rss_mib'] for r in runs):.0f} |")


if __name__ == "__main__":
    main()
