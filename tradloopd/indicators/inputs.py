"""Validation of indicator inputs: one error type, checked series, periods and lengths."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tradloopd.errors import TradloopError


class IndicatorError(TradloopError, ValueError):
    """An indicator was given bad input; the message names the argument."""


def series(name: str, values: Any) -> np.ndarray:
    """Return `values` as a finite 1-d float64 array, or raise naming `name`."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise IndicatorError(f"{name}: expected a 1-d array, got shape {arr.shape}")
    # One pass summing (NaN/inf propagate) before the exact check, which runs only then.
    if not math.isfinite(float(np.add.reduce(arr))) and not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise IndicatorError(f"{name}: NaN or infinite value at index {bad}")
    return arr


def same_length(**arrays: Any) -> tuple[np.ndarray, ...]:
    """Check every series and that all have one length; return them in argument order."""
    checked = {name: series(name, values) for name, values in arrays.items()}
    lengths = {name: len(arr) for name, arr in checked.items()}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise IndicatorError(f"series lengths differ: {listing}")
    return tuple(checked.values())


def period(name: str, value: Any, n: int | None = None, minimum: int = 1) -> int:
    """Check a window length: an int >= `minimum` and, given `n`, not longer than the data."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise IndicatorError(f"{name}: expected an integer period, got {value!r}")
    if value < minimum:
        raise IndicatorError(f"{name}: must be >= {minimum}, got {value}")
    if n is not None and value > n:
        raise IndicatorError(f"{name}: period {value} is longer than the data ({n} bars)")
    return int(value)


def positive(name: str, value: Any, allow_zero: bool = False) -> float:
    """Check a real parameter is finite and > 0 (or >= 0 with `allow_zero`)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise IndicatorError(f"{name}: expected a number, got {value!r}")
    fval = float(value)
    if not math.isfinite(fval) or fval < 0 or (fval == 0 and not allow_zero):
        raise IndicatorError(f"{name}: must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return fval


def choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """Check a string parameter is one of `allowed`."""
    if value not in allowed:
        raise IndicatorError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def warmed(values: np.ndarray, n: int) -> np.ndarray:
    """Place `values` (the valid tail) at the end of a NaN array of length `n`."""
    out = np.full(n, np.nan)
    if len(values):
        out[n - len(values) :] = values
    return out


def blank(n: int, warmup: int, rows: int = 0) -> np.ndarray:
    """An output of length `n` whose first `warmup` values are NaN (the rest is filled later).

    With `rows`, a (rows, n) array: one output per row.
    """
    out = np.empty((rows, n) if rows else n)
    out[..., : min(warmup, n)] = np.nan
    return out
