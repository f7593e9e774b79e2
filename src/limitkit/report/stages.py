"""Stage runner for `limitkit reproduce`: each stage's result is stored as JSON the moment it
finishes, reused on --resume when its signature matches, and a failing stage is recorded
(with its error) without stopping the others."""

from __future__ import annotations

import hashlib
import json
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .._provenance import record, to_jsonable, write_json


@dataclass(frozen=True)
class StageOutcome:
    name: str
    status: str  # "ok" | "failed" | "reused"
    result: dict[str, Any] | None
    error: str | None
    wall_s: float


def signature(*parts: Any) -> str:
    """sha256 (first 16 hex) of the JSON form of the parts: what a stored result must match to be reused."""
    blob = json.dumps(to_jsonable(parts), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def run_stage(name: str, fn: Callable[[], dict[str, Any]], *, store_dir: Path, sig: str, config: Any,
              resume: bool, log: Callable[[str], None]) -> StageOutcome:
    """Run ``fn`` unless a stored ok result with the same signature exists and ``resume`` is set."""
    path = store_dir / f"{name}.json"
    if resume and path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("status") == "ok" and stored.get("signature") == sig:
            log(f"[{name}] reused stored result ({path})")
            wall = float(stored.get("provenance", {}).get("wall_s") or 0.0)  # time of the run that produced it
            return StageOutcome(name, "reused", stored["result"], None, wall)
    log(f"[{name}] running ...")
    t0 = time.perf_counter()
    try:
        result = fn()
        status, error = "ok", None
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a failed stage is reported, the others still run
        result, status = None, "failed"
        error = f"{type(exc).__name__}: {exc}"
        log(f"[{name}] FAILED: {error}")
        traceback.print_exc(file=sys.stderr)
    wall = time.perf_counter() - t0
    write_json(path, {"stage": name, "status": status, "signature": sig, "error": error,
                      "provenance": record(config, started=t0), "result": result})
    if status == "ok":
        log(f"[{name}] done in {wall:.1f} s")
    return StageOutcome(name, status, result, error, wall)
