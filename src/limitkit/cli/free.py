"""``limitkit critical-n``: critical-n searches over several d, beside the paper's values, with the fit.

    limitkit critical-n --d 4-16 [--seeds 0,1,2] [--store runs.sqlite] [--loss ...] [--margin ...]
                        [--dtype ...] [--device ...] [--quiet] [--json OUT] [--csv OUT]

Every ``FreeEmbeddingConfig`` field is a flag of the same name (``--num-queries``, ``--eval-every``, ...).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
import time
from pathlib import Path

from .._errors import ConfigError

_CHOICES = {"loss": ("infonce-mean", "infonce-multi", "sigmoid"), "dtype": ("float32", "float64"),
            "backend": ("auto", "numpy", "torch")}


def _int_list(text: str) -> list[int]:
    """'4-8,10,12-14' -> [4, 5, 6, 7, 8, 10, 12, 13, 14]."""
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part[1:]:
                lo, hi = part.split("-", 1) if not part.startswith("-") else (part, part)
                out.extend(range(int(lo), int(hi) + 1))
            elif part:
                out.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list like '4-16' or '0,1,2'") from None
    if not out:
        raise argparse.ArgumentTypeError(f"{text!r} names no values")
    return list(dict.fromkeys(out))


def _optional_int(text: str) -> int | None:
    return None if text.lower() in ("none", "") else int(text)


def _config_flags(p: argparse.ArgumentParser) -> None:
    from ..free.config import FreeEmbeddingConfig

    group = p.add_argument_group("protocol (FreeEmbeddingConfig fields; defaults = the reference)")
    for f in dataclasses.fields(FreeEmbeddingConfig):
        kind = str(f.type)
        typ = _optional_int if "None" in kind and "int" in kind else int if kind == "int" else \
            float if kind == "float" else str
        group.add_argument(f"--{f.name.replace('_', '-')}", dest=f"cfg_{f.name}", type=typ, default=f.default,
                           choices=_CHOICES.get(f.name), metavar=None if f.name in _CHOICES else f.name.upper(),
                           help=f"default: {f.default}")


def register(subparsers) -> None:
    p = subparsers.add_parser("critical-n", help="search the critical n of free embeddings for several d",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--d", type=_int_list, required=True, help="dimensions, e.g. 4-16 or 4,6,8")
    p.add_argument("--seeds", type=_int_list, default=[0], help="seeds per point, e.g. 0,1,2 (default 0)")
    p.add_argument("--start-n", type=int, default=None, help="first n of every search (default d + 1)")
    p.add_argument("--store", type=Path, default=None, help="SQLite results store; rerun to resume")
    p.add_argument("--fit-degree", type=int, default=3, help="degree of the fit of critical n on d (default 3)")
    p.add_argument("--extrapolate", type=_int_list, default=[512, 768, 1024, 3072, 4096],
                   help="d values to extrapolate the fit to")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument("--json", type=Path, default=None, help="write results, fit and provenance as JSON")
    p.add_argument("--csv", type=Path, default=None, help="write every run as CSV")
    _config_flags(p)
    p.set_defaults(func=run_critical_n)


def _config(args):
    from ..free.config import FreeEmbeddingConfig

    return FreeEmbeddingConfig(**{f.name: getattr(args, f"cfg_{f.name}") for f in dataclasses.fields(FreeEmbeddingConfig)})


def _fmt(x, spec: str = "") -> str:
    return "—" if x is None else format(x, spec)


def table(results, fit=None) -> str:
    """Markdown table of the searches (ours beside the paper), then the fit."""
    from ..free.reference import PAPER_CRITICAL_N, PAPER_EXTRAPOLATION

    lines = ["| d | critical n | median over seeds | seeds solving n* | paper | ours - paper | runs | wall s |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        paper = PAPER_CRITICAL_N.get(r.d)
        diff = r.critical_n - paper if r.critical_n is not None and paper is not None else None
        rate = r.success_rate.get(r.critical_n) if r.critical_n is not None else None
        lines.append(f"| {r.d} | {_fmt(r.critical_n)} | {_fmt(r.median_critical_n, 'g')} | "
                     f"{_fmt(rate, '.0%')} | {_fmt(paper)} | {_fmt(diff, '+d')} | {len(r.runs)} | {r.wall_s:.1f} |")
    if fit is not None:
        lines += ["", f"Fit (degree {fit.degree}): {fit.formula()}, r^2 = {fit.r2:.4f}", "",
                  "| d | fitted critical n | paper's extrapolation |", "|---:|---:|---:|"]
        lines += [f"| {d} | {v:,.0f} | {_fmt(PAPER_EXTRAPOLATION.get(d), ',')} |" for d, v in fit.predictions.items()]
    return "\n".join(lines)


def run_critical_n(args) -> int:
    from .. import _provenance
    from ..free.fit import fit_critical_n
    from ..free.search import find_critical_n

    config = _config(args)
    started = time.perf_counter()
    results = []
    for d in args.d:
        if d < 1:
            raise ConfigError(f"--d values must be >= 1, got {d}")
        results.append(find_critical_n(d, config, seeds=args.seeds, start_n=args.start_n, store=args.store,
                                       progress=not args.quiet))
        if not args.quiet:
            r = results[-1]
            print(f"d={d}: critical n = {r.critical_n} ({len(r.runs)} runs, {r.wall_s:.1f} s)", file=sys.stderr)
    found = {r.d: r.critical_n for r in results if r.critical_n is not None}
    fit = None
    if len(found) >= args.fit_degree + 1:
        fit = fit_critical_n(found, args.fit_degree, args.extrapolate)
    print(table(results, fit))
    if fit is None:
        print(f"\n(no fit: a degree-{args.fit_degree} fit needs at least {args.fit_degree + 1} values of d)")
    if args.json is not None:
        _provenance.write_json(args.json, {
            "provenance": _provenance.record(config, started=started, seeds=list(args.seeds),
                                             d=list(args.d), start_n=args.start_n),
            "results": [{k: v for k, v in dataclasses.asdict(r).items() if k != "runs"}
                        | {"runs": [_run_row(x) for x in r.runs]} for r in results],
            "fit": None if fit is None else dataclasses.asdict(fit)})
    if args.csv is not None:
        rows = [_run_row(x) for r in results for x in r.runs]
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["n"])
            w.writeheader()
            w.writerows(rows)
    return 0


def _run_row(r) -> dict:
    row = {f.name: getattr(r, f.name) for f in dataclasses.fields(r) if f.name not in ("U", "V", "config")}
    row.update({f"config.{k}": v for k, v in r.config.to_dict().items()})
    return row
