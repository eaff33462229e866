"""`metrics.json` of a backtest output directory: the run description and its metrics.

Layout: `{"run": {"strategy", "params", "data", "symbols", "start", "end", "bars", "cash", "fee",
"slippage_bps"}, "metrics": {key: number or null}}`. Undefined metrics are JSON null, never NaN.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tradloopd.errors import DataError

METRICS_FILE = "metrics.json"

RunInfo = dict[str, Any]
Metrics = dict[str, float | int | None]


def write_metrics_json(path: Path, run: Mapping[str, Any], metrics: Mapping[str, Any]) -> Path:
    """Write `run` and `metrics` to `path` (a file, or a directory to hold `metrics.json`)."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_FILE
    document = {"run": _plain(dict(run)), "metrics": _plain(dict(metrics))}
    path.write_text(json.dumps(document, indent=2, allow_nan=False, default=str) + "\n", encoding="utf-8")
    return path


def read_metrics_json(path: Path) -> tuple[RunInfo, Metrics]:
    """The (run, metrics) pair stored at `path` (a file or a run directory)."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"{path}: not found; is this a backtest output directory?") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not a readable metrics file ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("metrics"), dict):
        raise DataError(f"{path}: no 'metrics' object; expected {{'run': ..., 'metrics': ...}}")
    run = document.get("run")
    return (run if isinstance(run, dict) else {}), document["metrics"]


def _plain(value: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python, non-finite floats to None."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
