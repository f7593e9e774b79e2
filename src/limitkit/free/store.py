"""Results store: one SQLite row per finished run, keyed by the signature of (n, d, seed, config).

Each run is committed as soon as it finishes, so a killed search loses at most the runs in flight
and a rerun with the same settings reads the finished ones back instead of training them again.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Iterator

from .. import _provenance
from .._errors import DataFormatError
from .config import FreeEmbeddingConfig, run_signature
from .optimize import RunResult

_COLUMNS = ("n", "d", "seed", "success", "steps", "final_loss", "best_accuracy", "final_accuracy",
            "min_margin", "m", "stop_reason", "wall_s", "device")
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    signature TEXT PRIMARY KEY,
    n INTEGER NOT NULL, d INTEGER NOT NULL, seed INTEGER NOT NULL,
    success INTEGER NOT NULL, steps INTEGER NOT NULL, final_loss REAL, best_accuracy REAL,
    final_accuracy REAL, min_margin REAL, m INTEGER, stop_reason TEXT, wall_s REAL, device TEXT,
    config TEXT NOT NULL, provenance TEXT NOT NULL, created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_d_n ON runs (d, n);
"""


def _float(x: Any) -> float | None:
    # NaN and +-inf are stored as NULL (min_margin's exact value is also kept in the provenance JSON)
    x = float(x)
    return x if x == x and abs(x) != float("inf") else None


class ResultStore:
    """Embedded SQLite store of free-embedding runs (``with ResultStore(path) as db: ...``)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = sqlite3.connect(self.path)
            self._con.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise DataFormatError(f"{self.path} is not a limitkit results store (SQLite): {exc}; "
                                  "pass a new path or delete the file") from exc

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    def __len__(self) -> int:
        return self._con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def put(self, result: RunResult) -> str:
        """Write (or replace) one run and commit; returns its signature."""
        sig = run_signature(result.n, result.d, result.seed, result.config)
        prov = _provenance.record(result.config, seed=result.seed, wall_s=result.wall_s,
                                  final_loss=result.final_loss, min_margin=result.min_margin)
        row = (sig, result.n, result.d, result.seed, int(result.success), result.steps, _float(result.final_loss),
               _float(result.best_accuracy), _float(result.final_accuracy), _float(result.min_margin), result.m,
               result.stop_reason, result.wall_s, result.device, json.dumps(result.config.to_dict(), sort_keys=True),
               json.dumps(_provenance.to_jsonable(prov)), prov["created"])
        with self._con:
            self._con.execute(f"INSERT OR REPLACE INTO runs VALUES ({','.join('?' * len(row))})", row)
        return sig

    def get(self, n: int, d: int, seed: int, config: FreeEmbeddingConfig) -> RunResult | None:
        """The stored run with exactly these settings, or None."""
        cur = self._con.execute("SELECT * FROM runs WHERE signature = ?", (run_signature(n, d, seed, config),))
        row = cur.fetchone()
        return None if row is None else self._result(cur.description, row)

    def runs(self, *, d: int | None = None, n: int | None = None, seed: int | None = None,
             config: FreeEmbeddingConfig | None = None) -> list[RunResult]:
        """Stored runs matching every given filter, ordered by (d, n, seed)."""
        where, args = [], []
        for col, val in (("d", d), ("n", n), ("seed", seed)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(int(val))
        if config is not None:
            where.append("config = ?")
            args.append(json.dumps(config.to_dict(), sort_keys=True))
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY d, n, seed"
        cur = self._con.execute(sql, args)
        return [self._result(cur.description, row) for row in cur.fetchall()]

    def rows(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Stored runs as flat dicts (the config as its fields, prefixed ``config.``)."""
        for r in self.runs(**filters):
            row = {c: getattr(r, c) for c in _COLUMNS}
            row.update({f"config.{k}": v for k, v in r.config.to_dict().items()})
            yield row

    def export_json(self, path: str | os.PathLike, **filters: Any) -> int:
        rows = list(self.rows(**filters))
        _provenance.write_json(path, {"provenance": _provenance.record(store=str(self.path)), "runs": rows})
        return len(rows)

    def export_csv(self, path: str | os.PathLike, **filters: Any) -> int:
        rows = list(self.rows(**filters))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = list(_COLUMNS) + [f"config.{k}" for k in FreeEmbeddingConfig().to_dict()]
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
        return len(rows)

    @staticmethod
    def _result(description, row) -> RunResult:
        rec = dict(zip((c[0] for c in description), row))
        nan = float("nan")
        return RunResult(
            n=rec["n"], d=rec["d"], seed=rec["seed"], success=bool(rec["success"]), steps=rec["steps"],
            final_loss=nan if rec["final_loss"] is None else rec["final_loss"],
            best_accuracy=nan if rec["best_accuracy"] is None else rec["best_accuracy"],
            min_margin=json.loads(rec["provenance"]).get("min_margin", nan) if rec["min_margin"] is None
            else rec["min_margin"],
            wall_s=rec["wall_s"], device=rec["device"],
            config=FreeEmbeddingConfig.from_dict(json.loads(rec["config"])), m=rec["m"],
            final_accuracy=nan if rec["final_accuracy"] is None else rec["final_accuracy"],
            stop_reason=rec["stop_reason"])
