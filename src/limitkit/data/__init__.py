"""LIMIT data: the Dataset type, MTEB/BEIR I/O, official datasets, LIMIT-style generation, statistics."""
