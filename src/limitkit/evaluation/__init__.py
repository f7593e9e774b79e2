"""Evaluation: metrics, the retriever x dataset harness, and the paper's ablations."""
