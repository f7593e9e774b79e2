from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def limit_small_dir() -> Path:
    """The official LIMIT-small folder from ../shared (skips cleanly when absent)."""
    path = SHARED_DATA / "limit-small"
    if not (path / "corpus.jsonl").exists():
        pytest.skip(f"official LIMIT-small not found at {path}")
    return path


@pytest.fixture(scope="session")
def limit_dir() -> Path:
    """The official LIMIT qrels/queries folder (no corpus) from ../shared."""
    path = SHARED_DATA / "limit"
    if not (path / "qrels.jsonl").exists():
        pytest.skip(f"official LIMIT qrels not found at {path}")
    return path
