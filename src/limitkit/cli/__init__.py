"""The `limitkit` command: one subcommand per verb, each a thin layer over the public API.

Each verb group lives in its own module exposing ``register(subparsers)``; a subcommand sets
``func(args) -> int`` as its default. LimitkitError is printed as one line, exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .._errors import LimitkitError

_GROUPS = ("data", "free", "theory", "evaluate", "reproduce")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="limitkit",
        description="Measure what single-vector embedding retrieval can and cannot represent.",
    )
    parser.add_argument("--version", action="version", version=f"limitkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in _GROUPS:
        importlib.import_module(f"{__name__}.{group}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except LimitkitError as exc:
        print(f"limitkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"limitkit {args.command}: interrupted; finished results are saved, rerun to resume",
              file=sys.stderr)
        return 130
