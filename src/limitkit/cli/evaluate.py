"""``limitkit eval`` (retrievers x datasets) and ``limitkit ablate truncation|pattern|drowning``.

Examples::

    limitkit eval --retriever bm25 --retriever dense --dataset limit-small --data-dir ../shared/data
    limitkit eval --retriever token-sum:4096 --dataset path/to/folder --k 2 10 100 --out results/
    limitkit ablate truncation --retriever dense --dataset limit-small --data-dir DIR --dims 32 64 128
    limitkit ablate pattern --retriever bm25 --retriever dense --n-docs 2000
    limitkit ablate drowning --retriever bm25 --distractors 0 100 1000 10000
"""

from __future__ import annotations

import argparse
import sys

from .._errors import ConfigError
from ..evaluation.metrics import DEFAULT_KS

__all__ = ["register"]

_PROMPTED = ("dense", "multivector")


def _common(p: argparse.ArgumentParser, *, default_retriever: str) -> None:
    p.add_argument("--retriever", dest="retrievers", action="append", metavar="SPEC",
                   help=f"retriever spec, repeatable (default: {default_retriever}); e.g. bm25, dense, "
                        "dense:<model or path>, multivector, tfidf, exact-match, token-sum:4096, fake:64")
    p.add_argument("--query-prompt", default="", help="prefix for queries (dense/multivector retrievers)")
    p.add_argument("--doc-prompt", default="", help="prefix for documents (dense/multivector retrievers)")
    p.add_argument("--engine", choices=("pytrec_eval", "simple"), default="pytrec_eval",
                   help="metric engine (default pytrec_eval; 'simple' = limitkit's own kernels)")
    p.add_argument("--out", help="folder for results JSON/markdown (finished parts are reused on rerun)")
    p.add_argument("--cache-dir", help="embedding cache folder (reruns re-encode nothing)")
    p.add_argument("--quiet", action="store_true", help="no progress output on stderr")


def register(subparsers) -> None:
    p = subparsers.add_parser("eval", help="evaluate retrievers on datasets (recall/nDCG/MRR, paper numbers beside)",
                              description="Evaluate retrievers on datasets and print a markdown table with the "
                                          "LIMIT paper's published numbers beside ours.")
    _common(p, default_retriever="bm25")
    p.add_argument("--dataset", dest="datasets", action="append", required=True, metavar="NAME|PATH",
                   help="dataset folder, or an official name (limit, limit-small) looked up in --data-dir; repeatable")
    p.add_argument("--data-dir", help="folder holding official datasets as <data-dir>/<name>/")
    p.add_argument("--k", dest="ks", type=int, nargs="+", default=list(DEFAULT_KS), metavar="K",
                   help=f"cutoffs (default: {' '.join(map(str, DEFAULT_KS))})")
    p.set_defaults(func=run_eval)

    ab = subparsers.add_parser("ablate", help="the paper's ablations: truncation, pattern, drowning")
    sub = ab.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)

    t = sub.add_parser("truncation", help="recall vs embedding dimension (first d coordinates, renormalised)")
    _common(t, default_retriever="dense")
    t.add_argument("--dataset", required=True, metavar="NAME|PATH", help="dataset folder or official name")
    t.add_argument("--data-dir", help="folder holding official datasets as <data-dir>/<name>/")
    t.add_argument("--dims", type=int, nargs="+", default=[32, 64, 128, 256, 384], metavar="D")
    t.add_argument("--k", dest="ks", type=int, nargs="+", default=[2, 10, 20, 100], metavar="K")
    t.set_defaults(func=run_truncation)

    for name, help_text in (("pattern", "dense vs random vs cycle vs disjoint qrel patterns (generated data)"),
                            ("drowning", "recall vs number of distractor documents (generated data)")):
        g = sub.add_parser(name, help=help_text)
        _common(g, default_retriever="bm25")
        if name == "pattern":
            g.add_argument("--patterns", nargs="+", default=["dense", "random", "cycle", "disjoint"])
            g.add_argument("--n-docs", type=int, default=2000, help="documents per generated dataset")
        else:
            g.add_argument("--distractors", type=int, nargs="+", default=[0, 100, 1000, 10000], metavar="N")
            g.add_argument("--n-docs", type=int, default=46, help="documents of the relevant part")
        g.add_argument("--n-queries", type=int, default=1000)
        g.add_argument("--relevant-per-query", type=int, default=2, help="k of the generated qrels")
        g.add_argument("--attributes-per-doc", type=int, default=45)
        g.add_argument("--seed", type=int, default=0)
        g.add_argument("--k", dest="ks", type=int, nargs="+", default=[2, 10, 20, 100], metavar="K")
        g.set_defaults(func=run_pattern if name == "pattern" else run_drowning)


def _retrievers(args, default: str) -> list:
    from ..retrievers.registry import make_retriever

    out = []
    for spec in args.retrievers or [default]:
        opts = {}
        if spec.split(":", 1)[0] in _PROMPTED:
            opts = {"query_prompt": args.query_prompt, "doc_prompt": args.doc_prompt}
        out.append(make_retriever(spec, cache_dir=args.cache_dir, progress=not args.quiet, **opts))
    return out


def run_eval(args) -> int:
    from ..evaluation.harness import evaluate

    result = evaluate(_retrievers(args, "bm25"), args.datasets, ks=args.ks, out=args.out,
                      cache_dir=args.cache_dir, progress=not args.quiet, data_dir=args.data_dir,
                      engine=args.engine)
    print(result.markdown())
    if args.out:
        print(f"\nresults: {args.out}/results.json", file=sys.stderr)
    return 0


def run_truncation(args) -> int:
    from ..evaluation.experiments import truncation_curve

    rets = _retrievers(args, "dense")
    if len(rets) != 1:
        raise ConfigError(f"ablate truncation takes exactly one --retriever, got {len(rets)}")
    result = truncation_curve(rets[0], args.dataset, dims=args.dims, ks=args.ks, out=args.out, cache_dir=args.cache_dir,
                              progress=not args.quiet, data_dir=args.data_dir, engine=args.engine)
    print(result.markdown())
    return 0


def _generate_config(args):
    from ..data.generate import GenerateConfig

    return GenerateConfig(n_docs=args.n_docs, n_queries=args.n_queries, k=args.relevant_per_query,
                          attributes_per_doc=args.attributes_per_doc, seed=args.seed)


def run_pattern(args) -> int:
    from ..evaluation.experiments import pattern_ablation

    result = pattern_ablation(_retrievers(args, "bm25"), patterns=args.patterns, config=_generate_config(args),
                              ks=args.ks, out=args.out, cache_dir=args.cache_dir, progress=not args.quiet,
                              engine=args.engine)
    print(result.markdown())
    return 0


def run_drowning(args) -> int:
    from ..evaluation.experiments import drowning_curve

    result = drowning_curve(_retrievers(args, "bm25"), n_distractors=args.distractors,
                            config=_generate_config(args), ks=args.ks, out=args.out, cache_dir=args.cache_dir,
                            progress=not args.quiet, engine=args.engine)
    print(result.markdown())
    return 0
