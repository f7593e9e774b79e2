"""`limitkit generate | stats | convert | download`: LIMIT data in and out."""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

_GENERATE_HELP = {
    "n_docs": "number of documents (people)",
    "n_queries": "number of queries",
    "k": "relevant documents per query",
    "attributes_per_doc": "attributes each document lists",
    "pattern": "qrel pattern",
    "seed": "random seed (same seed, same bytes)",
    "cycle_docs": "cycle pattern: cycle length (0 = max(n_queries, k+1))",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..data.generate import PATTERNS, GenerateConfig

    p = subparsers.add_parser("generate", help="write a LIMIT-style dataset folder and print its stats",
                              description="Write corpus/queries/qrels (MTEB jsonl), README.md card and "
                                          "manifest.json, then print the dataset statistics.")
    p.add_argument("--out", required=True, help="output folder")
    for f in dataclasses.fields(GenerateConfig):  # one flag per config field
        kwargs = {"default": f.default, "help": f"{_GENERATE_HELP[f.name]} (default: %(default)s)"}
        if f.name == "pattern":
            kwargs["choices"] = PATTERNS
        else:
            kwargs["type"] = int
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, **kwargs)
    p.set_defaults(func=_generate)

    p = subparsers.add_parser("stats", help="counts, qrel density, attribute frequencies, LIMIT invariant")
    _add_source(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    p.set_defaults(func=_stats)

    p = subparsers.add_parser("convert", help="rewrite a dataset in MTEB jsonl or BEIR layout")
    _add_source(p)
    p.add_argument("out", help="output folder")
    p.add_argument("--format", dest="fmt", choices=("mteb", "beir"), required=True)
    p.set_defaults(func=_convert)

    from ..data.hub import OFFICIAL

    p = subparsers.add_parser("download", help="download an official LIMIT dataset from the HF Hub")
    p.add_argument("name", choices=sorted(OFFICIAL))
    p.add_argument("--out", required=True, help="folder; files go to OUT/NAME (use OUT as --data-dir)")
    p.add_argument("--revision", default=None, help="hub revision (default: the pinned one)")
    p.set_defaults(func=_download)


def _add_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="dataset folder, or 'limit' / 'limit-small'")
    p.add_argument("--data-dir", default=None, help="folder holding limit/ and limit-small/ (offline)")
    p.add_argument("--revision", default=None, help="hub revision for official names")
    p.add_argument("--split", default="test", help="qrels split (default: test)")


def _load(args):
    from ..data.io import load_dataset

    return load_dataset(args.source, data_dir=args.data_dir, revision=args.revision, split=args.split)


def _generate(args) -> int:
    from ..data.generate import GenerateConfig, generate
    from ..data.io import load_dataset
    from ..data.stats import dataset_stats, format_stats

    config = GenerateConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(GenerateConfig)})
    path = generate(config, args.out)
    print(path)
    print()
    print(format_stats(dataset_stats(load_dataset(path))), end="")
    return 0


def _stats(args) -> int:
    from ..data.stats import dataset_stats, format_stats

    stats = dataset_stats(_load(args))
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats), end="\n" if args.json else "")
    return 0


def _convert(args) -> int:
    from .._provenance import record, write_json
    from ..data.io import save_dataset

    started = time.perf_counter()
    ds = _load(args)
    files = save_dataset(ds, args.out, fmt=args.fmt, split=args.split)
    write_json(f"{args.out}/manifest.json",
               record(started=started, data=files, source=ds.source, source_sha256=dict(ds.checksums),
                      format=args.fmt))
    for name, digest in files.items():
        print(f"{digest}  {args.out}/{name}")
    return 0


def _download(args) -> int:
    from ..data.hub import download

    print(download(args.name, args.out, revision=args.revision))
    return 0
