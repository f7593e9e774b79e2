"""`limitkit reproduce`: the whole study in one command."""

from __future__ import annotations

import argparse

from ..report.reproduce import STAGES, ReproduceConfig, reproduce
from ..report.scales import SCALES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="run the whole LIMIT study and write report.html / report.md",
                       description="Run data generation, theory tables, the free-embedding critical-n search, "
                                   "retrieval evaluation and ablations; write OUT/report.html. Exit status 1 when "
                                   "any stage failed (the others still run and are reported).")
    p.add_argument("--out", default=ReproduceConfig.out, help="output folder (default: %(default)s)")
    p.add_argument("--scale", choices=list(SCALES), default=ReproduceConfig.scale,
                   help="quick: ~10 min on a 2-core CPU; paper: the paper's sizes where feasible (prints its plan); tiny: seconds")
    p.add_argument("--data-dir", default=None,
                   help="folder with the official limit-small/ (and limit/) in MTEB layout; without it only "
                        "generated LIMIT-style data is used")
    p.add_argument("--seed", type=int, default=ReproduceConfig.seed)
    p.add_argument("--resume", action="store_true", help="reuse stored stage results whose signature matches")
    p.add_argument("--stages", default=",".join(STAGES), help="comma-separated subset of: " + ",".join(STAGES))
    p.add_argument("--device", default=ReproduceConfig.device,
                   help="device of the free-embedding runs: cpu (default), auto (CUDA when present), cuda, cuda:N")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--plan", action="store_true",
                   help="print what would run (time and memory estimates, what is skipped and why) and exit")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    stages = tuple(s.strip() for s in args.stages.split(",") if s.strip())
    config = ReproduceConfig(out=args.out, scale=args.scale, data_dir=args.data_dir, seed=args.seed,
                             resume=args.resume, stages=stages, quiet=args.quiet, device=args.device)
    if args.plan:
        from ..report.reproduce import plan

        print("\n".join(plan(SCALES[config.scale], config)))
        return 0
    result = reproduce(config)
    print(result.report_html)
    return 0 if result.ok else 1
