"""Dataset statistics and the LIMIT invariant check.

For m queries, n documents and the binary relevance A (score >= 1): counts, relevant documents per
query (row sums of A) and queries per document (column sums), qrel graph density nnz(A)/(m n) with
n the corpus size (or, without a corpus, the number of documents named in the qrels), and, when the
documents read "<name> likes a_1, ..., a_{p-1} and a_p.", attribute frequencies and the LIMIT
invariant: for every query "Who likes X?", X occurs in document j iff A[i, j] = 1.
"""

from __future__ import annotations

import re
from collections import Counter
from statistics import median
from typing import Any, Iterable, Mapping

from .dataset import Dataset

__all__ = ["dataset_stats", "format_stats", "parse_likes", "query_attribute"]

_QUERY = re.compile(r"Who likes (.+)\?")
_MAX_EXAMPLES = 10


def query_attribute(text: str) -> str | None:
    """X from "Who likes X?", else None."""
    match = _QUERY.fullmatch(text.strip())
    return match.group(1) if match else None


def _split_likes(doc_id: str, text: str) -> tuple[list[str], str] | None:
    """("a_1".."a_{p-1}", "a_{p-1} and a_p" tail) of "<name> likes ... ." or None when not that form."""
    text = text.strip()
    prefix = f"{doc_id} likes "
    if text.startswith(prefix):
        body = text[len(prefix):]
    elif " likes " in text:
        body = text.split(" likes ", 1)[1]
    else:
        return None
    if not body.endswith("."):
        return None
    items = body[:-1].split(", ")
    return items[:-1], items[-1]


def _resolve_tail(head: list[str], tail: str, known: set[str]) -> list[str]:
    """Split the last piece "Y and Z" at the " and " that leaves known attributes on both sides.

    Attributes may themselves contain " and " (the official data has "Fish and Chips"), so the split
    point is chosen using ``known`` (attributes seen in non-final positions or asked by a query).
    """
    cuts = [m.start() for m in re.finditer(" and ", tail)]
    if not cuts:  # no " and ": a single attribute, "<name> likes X."
        return head + [tail]
    options = [(tail[:c], tail[c + 5:]) for c in cuts]
    best = next((o for o in options if o[0] in known and o[1] in known), None)
    if best is None and not head and tail in known:  # "<name> likes Fish and Chips."
        return [tail]
    best = best or next((o for o in options if o[1] in known), None)
    best = best or next((o for o in options if o[0] in known), None)
    best = best or options[-1]
    return head + list(best)


def parse_likes(corpus: Mapping[str, Any], known: Iterable[str] = ()) -> dict[str, list[str]] | None:
    """{doc id: attributes} for a corpus of "<name> likes A, B and C." documents; None if any isn't."""
    split = {}
    for doc_id, doc in corpus.items():
        parts = _split_likes(doc_id, doc.text)
        if parts is None:
            return None
        split[doc_id] = parts
    known = set(known)
    for head, _ in split.values():
        known.update(head)
    return {d: _resolve_tail(head, tail, known) for d, (head, tail) in split.items()}


def _summary(values: list[int] | list[float]) -> dict[str, float]:
    if not values:
        return {"min": 0, "max": 0, "mean": 0.0, "median": 0.0}
    return {"min": min(values), "max": max(values), "mean": sum(values) / len(values),
            "median": float(median(values))}


def dataset_stats(ds: Dataset) -> dict[str, Any]:
    """Counts, relevance distributions, density, attribute frequencies and the LIMIT invariant."""
    relevant = {q: [d for d, s in ds.qrels.get(q, {}).items() if s > 0] for q in ds.queries}
    per_query = [len(v) for v in relevant.values()]
    doc_degree: Counter[str] = Counter(d for docs in relevant.values() for d in docs)
    if ds.corpus is not None:
        doc_ids = list(ds.corpus)
        n, n_basis = len(doc_ids), "corpus"
    else:
        doc_ids = list(dict.fromkeys(d for docs in ds.qrels.values() for d in docs))
        n, n_basis = len(doc_ids), "documents named in qrels (no corpus)"
    m, nnz = len(ds.queries), sum(per_query)
    stats: dict[str, Any] = {
        "name": ds.name,
        "source": ds.source,
        "n_queries": m,
        "n_docs": len(ds.corpus) if ds.corpus is not None else None,
        "n_qrels": sum(len(v) for v in ds.qrels.values()),
        "n_relevant": nnz,
        "relevant_per_query": {**_summary(per_query),
                               "histogram": {str(c): n_q for c, n_q in sorted(Counter(per_query).items())}},
        "queries_without_relevant": sum(1 for c in per_query if c == 0),
        "relevant_per_doc": _summary([doc_degree.get(d, 0) for d in doc_ids]),
        "distinct_relevant_docs": len(doc_degree),
        "density": nnz / (m * n) if m and n else 0.0,
        "density_n": n_basis,
    }
    stats["attributes"], stats["limit_invariant"] = _attribute_stats(ds, relevant)
    return stats


def _attribute_stats(ds: Dataset, relevant: Mapping[str, list[str]]):
    asked = {q: query_attribute(t) for q, t in ds.queries.items()}
    query_attrs = {a for a in asked.values() if a is not None}
    if ds.corpus is None:
        return None, {"checked": False, "reason": "no corpus: document texts are needed", "holds": None}
    likes = parse_likes(ds.corpus, query_attrs)
    if likes is None:
        reason = "documents are not of the form '<name> likes A, B and C.'"
        return None, {"checked": False, "reason": reason, "holds": None}
    freq: Counter[str] = Counter()
    holders: dict[str, set[str]] = {a: set() for a in query_attrs}
    for doc_id, items in likes.items():
        freq.update(items)
        for a in items:
            if a in holders:
                holders[a].add(doc_id)
    filler = [c for a, c in freq.items() if a not in query_attrs]
    attrs = {
        "per_doc": _summary([len(v) for v in likes.values()]),
        "docs_with_repeated_attribute": sum(1 for v in likes.values() if len(set(v)) != len(v)),
        "distinct": len(freq),
        "query_attributes": len(query_attrs),
        "filler_attributes": len(filler),
        "frequency": _summary(list(freq.values())),
        "filler_frequency": _summary(filler),
        "top": [[a, c] for a, c in sorted(freq.items(), key=lambda x: (-x[1], x[0]))[:10]],
    }
    unparsed = sorted(q for q, a in asked.items() if a is None)
    examples, violations = [], 0
    for q, a in asked.items():
        if a is None:
            continue
        rel = set(relevant[q])
        if holders[a] != rel:
            violations += 1
            if len(examples) < _MAX_EXAMPLES:
                examples.append({"query": q, "attribute": a, "missing": sorted(rel - holders[a]),
                                 "extra": sorted(holders[a] - rel)})
    checked = len(asked) - len(unparsed)
    invariant = {"checked": checked > 0, "reason": None if checked else "no query reads 'Who likes X?'",
                 "queries_checked": checked, "unparsed_queries": len(unparsed),
                 "unparsed_examples": unparsed[:_MAX_EXAMPLES], "violations": violations,
                 "examples": examples, "holds": checked > 0 and violations == 0 and not unparsed}
    return attrs, invariant


def _fmt_summary(s: Mapping[str, float]) -> str:
    return f"min {s['min']} / median {s['median']:g} / mean {s['mean']:.3f} / max {s['max']}"


def format_stats(stats: Mapping[str, Any]) -> str:
    """Markdown rendering of :func:`dataset_stats`."""
    n_docs = stats["n_docs"] if stats["n_docs"] is not None else "none (qrels only)"
    rows = [
        ("queries", stats["n_queries"]),
        ("documents", n_docs),
        ("qrel rows (relevant, score >= 1)", f"{stats['n_qrels']} ({stats['n_relevant']})"),
        ("relevant per query", _fmt_summary(stats["relevant_per_query"])),
        ("relevant-per-query histogram", ", ".join(f"{k}: {v}" for k, v in
                                                   stats["relevant_per_query"]["histogram"].items())),
        ("queries without relevant documents", stats["queries_without_relevant"]),
        ("queries per document", _fmt_summary(stats["relevant_per_doc"])),
        ("distinct relevant documents", stats["distinct_relevant_docs"]),
        (f"qrel density nnz/(m*n), n = {stats['density_n']}", f"{stats['density']:.6g}"),
    ]
    out = [f"## {stats['name'] or 'dataset'}", "", f"source: {stats['source']}", "", "| statistic | value |",
           "| --- | --- |"] + [f"| {k} | {v} |" for k, v in rows]
    attrs = stats.get("attributes")
    if attrs:
        out += ["", "### Attributes", "", "| statistic | value |", "| --- | --- |",
                f"| attributes per document | {_fmt_summary(attrs['per_doc'])} |",
                f"| distinct attributes (query / filler) | {attrs['distinct']} "
                f"({attrs['query_attributes']} / {attrs['filler_attributes']}) |",
                f"| documents per attribute | {_fmt_summary(attrs['frequency'])} |",
                f"| documents per filler attribute | {_fmt_summary(attrs['filler_frequency'])} |",
                f"| most frequent | {', '.join(f'{a} ({c})' for a, c in attrs['top'])} |"]
    inv = stats["limit_invariant"]
    out += ["", "### LIMIT invariant", ""]
    if not inv["checked"]:
        out.append(f"not checked: {inv['reason']}")
    elif inv["holds"]:
        out.append(f"holds: in all {inv['queries_checked']} queries the attribute X of \"Who likes X?\" "
                   f"occurs in exactly the relevant documents")
    else:
        out.append(f"VIOLATED: {inv['violations']} of {inv['queries_checked']} queries; "
                   f"{inv['unparsed_queries']} queries do not read \"Who likes X?\"")
        for e in inv["examples"]:
            out.append(f"- {e['query']} ({e['attribute']}): relevant but lacking it: {e['missing'] or '-'}; "
                       f"having it but not relevant: {e['extra'] or '-'}")
    return "\n".join(out) + "\n"
