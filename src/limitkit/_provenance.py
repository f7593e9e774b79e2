"""Provenance records attached to every artifact: version, config, seed, checksums, timing, machine."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any


def version() -> str:
    from . import __version__

    return __version__


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def machine() -> dict[str, Any]:
    """Description of the machine a result was produced on."""
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except ImportError:  # pragma: no cover
        pass
    if "torch" in sys.modules:  # report torch only when it was actually used
        torch = sys.modules["torch"]
        info["torch"] = torch.__version__
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, paths, numpy scalars/arrays and tuples -> plain JSON values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy scalar or array
        return obj.tolist()
    return obj


def record(config: Any = None, *, seed: int | None = None, started: float | None = None,
           data: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """A provenance dict: ``{"limitkit": version, "config", "seed", "data_sha256", "wall_s", "machine", "time"}``."""
    rec: dict[str, Any] = {
        "limitkit": version(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
    }
    if config is not None:
        rec["config"] = to_jsonable(config)
    if seed is not None:
        rec["seed"] = seed
    if data:
        rec["data_sha256"] = dict(data)
    if started is not None:
        rec["wall_s"] = round(time.perf_counter() - started, 4)
    rec.update(to_jsonable(extra))
    return rec


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write JSON atomically (temp file + rename) so a killed run never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(to_jsonable(obj), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
