"""Market data: load, validate and clean OHLCV bar files, and the embedded offline sample.

Names are imported lazily on first use, so `import tradloopd.data` costs nothing (no numpy,
pandas or pyarrow) until something is actually loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradloopd.data.bars import BarSeries
    from tradloopd.data.check import check_command
    from tradloopd.data.load import load_bars, load_bars_checked, load_many, symbol_from_path
    from tradloopd.data.report import Problem, ValidationReport
    from tradloopd.data.sample import SAMPLE_SYMBOLS, load_sample

_HOMES = {
    "BarSeries": "bars",
    "check_command": "check",
    "load_bars": "load",
    "load_bars_checked": "load",
    "load_many": "load",
    "symbol_from_path": "load",
    "Problem": "report",
    "ValidationReport": "report",
    "SAMPLE_SYMBOLS": "sample",
    "load_sample": "sample",
}

__all__ = [  # noqa: RUF022 - grouped by home module, as in _HOMES
    "BarSeries",
    "check_command",
    "load_bars",
    "load_bars_checked",
    "load_many",
    "symbol_from_path",
    "Problem",
    "ValidationReport",
    "SAMPLE_SYMBOLS",
    "load_sample",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
