"""Timestamp columns to int64 nanoseconds UTC, and nanoseconds back to text for messages.

Accepted forms, decided once per column:

- datetime values (Parquet timestamps, pandas datetimes): tz-aware ones are converted to UTC,
  naive ones are taken as UTC;
- ISO-8601 text, with or without `Z` or an offset (`2024-01-31T09:30:00+02:00`), with a space
  instead of `T`, or a plain date (`2024-01-31`, meaning 00:00 UTC); naive text is UTC;
- epoch numbers (integers or decimals). The unit is decided by magnitude:
  |x| < 1e11 is seconds, < 1e14 milliseconds, < 1e17 microseconds, otherwise nanoseconds.
  (So epoch milliseconds before 1973-03-03 would be read as seconds.) The column takes the unit
  most of its values have; a value whose magnitude says another unit is a bad timestamp.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

_NS_PER_UNIT = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_EPOCH_UNITS = ("s", "ms", "us", "ns")
_EPOCH_BOUNDS = np.array([1e11, 1e14, 1e17])
_INT64_MAX = np.iinfo(np.int64).max
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ns(values: pd.Series | pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Convert a timestamp column to (int64 ns UTC, bad mask); bad rows hold 0.

    Arrow string columns take a fast path (Arrow's own ISO-8601 and integer parsers); anything
    that path cannot read whole goes through pandas, value by value."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(values, pa.Array | pa.ChunkedArray):
        converted = _arrow_text_to_ns(values) if pa.types.is_string(values.type) else None
        if converted is not None:
            return converted
        values = values.to_pandas()
    if isinstance(values.dtype, pd.DatetimeTZDtype) or values.dtype.kind == "M":
        return _datetimes_to_ns(values)
    if values.dtype.kind in "iu":
        return _epoch_to_ns(values.to_numpy(dtype=np.int64, na_value=0), values.isna().to_numpy())
    if values.dtype.kind == "f":
        return _epoch_to_ns(values.to_numpy(dtype=np.float64), None)
    if _looks_numeric(values.dropna().iloc[:200].tolist()):
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        return _epoch_to_ns(numbers, None)
    parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
    return _datetimes_to_ns(parsed)


def _arrow_text_to_ns(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray] | None:
    """Whole-column conversion by Arrow, or None when some value needs a closer look."""
    import pyarrow as pa

    if values.null_count:
        return None
    if _looks_numeric(values.slice(0, 100).to_pylist()):
        targets = [pa.int64(), pa.float64()]
    else:
        targets = [pa.timestamp("ns", "UTC"), pa.timestamp("ns")]
    for target in targets:
        try:
            converted = values.cast(target).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if pa.types.is_timestamp(target):
            return converted.view(np.int64), np.zeros(len(converted), dtype=bool)
        return _epoch_to_ns(converted, None)
    return None


def _looks_numeric(texts: list[object]) -> bool:
    """True when most of the first 100 non-empty cells are plain numbers (epoch values)."""
    cells = [str(text) for text in texts if text is not None and str(text).strip()][:100]
    return sum(1 for cell in cells if _NUMBER.fullmatch(cell)) * 2 > len(cells)


def _datetimes_to_ns(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    index = pd.DatetimeIndex(values)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    bad = np.asarray(index.isna())
    ticks = index.asi8.copy()
    ticks[bad] = 0
    return _scale(ticks, _NS_PER_UNIT[index.unit], bad)


def _epoch_to_ns(numbers: np.ndarray, missing: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Epoch numbers (int64, or float64 with NaN for missing) to ns, unit told by magnitude."""
    bad = ~np.isfinite(numbers) if missing is None else missing.copy()
    magnitude = np.abs(np.where(bad, 0, numbers))
    units = np.searchsorted(_EPOCH_BOUNDS, magnitude, side="right")
    column_unit = int(np.bincount(units[~bad], minlength=4).argmax())
    bad |= units != column_unit
    scale = _NS_PER_UNIT[_EPOCH_UNITS[column_unit]]
    if numbers.dtype.kind == "i":
        return _scale(numbers, scale, bad)
    numbers = np.where(bad, 0.0, numbers)
    if np.all(numbers == np.rint(numbers)) and magnitude.max(initial=0) < 2**53:
        return _scale(numbers.astype(np.int64), scale, bad)
    bad |= np.abs(numbers) * scale >= _INT64_MAX
    numbers = np.where(bad, 0.0, numbers)
    whole = np.floor(numbers)  # whole units and fraction apart, so the fraction keeps its digits
    ticks, bad = _scale(whole.astype(np.int64), scale, bad)
    return ticks + np.rint((numbers - whole) * scale).astype(np.int64), bad


def _scale(ticks: np.ndarray, scale: int, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multiply integer ticks by `scale`, marking as bad what would overflow int64."""
    if scale == 1:
        return ticks, bad
    bad = bad | (np.abs(ticks) > _INT64_MAX // scale)
    return np.where(bad, 0, ticks) * scale, bad


def format_ts(ns: int) -> str:
    """ISO-8601 UTC text for messages: `2024-01-31T09:30:00Z` (fractions only when present)."""
    seconds, fraction = divmod(int(ns), 1_000_000_000)
    text = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    if fraction:
        text += f".{fraction:09d}".rstrip("0")
    return text + "Z"


def format_duration(ns: int) -> str:
    """Compact duration text: `5m`, `1h`, `1d`, `2d 8h`, `1m 30s`, `250ms`."""
    rest = int(ns)
    parts = []
    for label, size in (("d", 86_400 * 10**9), ("h", 3_600 * 10**9), ("m", 60 * 10**9), ("s", 10**9)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{label}")
    if rest:
        parts.append(_format_subsecond(rest))
    return " ".join(parts) or "0s"


def _format_subsecond(ns: int) -> str:
    if ns % 1_000_000 == 0:
        return f"{ns // 1_000_000}ms"
    if ns % 1_000 == 0:
        return f"{ns // 1_000}us"
    return f"{ns}ns"
