"""Retrievers behind one protocol: index(corpus), then search(queries, k) -> {qid: {docid: score}}."""
