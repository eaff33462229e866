"""Anchored levels: VWAP (cumulative, per session/day/week) and pivot points from the prior period."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from tradloopd.indicators.anchors import ANCHORS, Boundary, starts
from tradloopd.indicators.inputs import IndicatorError, choice, period, same_length

NAN = math.nan
PIVOT_METHODS = ("classic", "fibonacci", "woodie", "camarilla")
_FIB = (0.382, 0.618, 1.0)
_CAMARILLA = (1.1 / 12, 1.1 / 6, 1.1 / 4, 1.1 / 2)


def vwap(
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    anchor: str = "none",
    session_gap_min: int = 60,
) -> np.ndarray:
    """VWAP of the typical price, restarted at each anchor; NaN while the period has no volume."""
    from tradloopd.indicators.kernels import flows

    h, lo, c, v = same_length(high=high, low=low, close=close, volume=volume)
    choice("anchor", anchor, ANCHORS)
    gap = period("session_gap_min", session_gap_min) * 60 * 10**9
    _check_ts(ts, len(c))
    out = np.empty(len(c))
    code = {"none": 0, "day": 1, "week": 2, "session": 3}[anchor]
    if flows.vwap_into(np.asarray(ts, dtype=np.int64), h, lo, c, v, code, gap, out) >= 0:
        raise IndicatorError("ts: timestamps must be strictly increasing")
    return out


def _check_ts(ts: np.ndarray, n: int) -> None:
    if len(ts) != n:
        raise IndicatorError(f"ts: length {len(ts)} differs from the bars ({n})")


class VWAP:
    """Streaming anchored VWAP: update(ts, high, low, close, volume)."""

    __slots__ = ("_boundary", "_pv", "_v")

    def __init__(self, anchor: str = "none", session_gap_min: int = 60) -> None:
        gap = period("session_gap_min", session_gap_min) * 60 * 10**9
        self._boundary = Boundary(choice("anchor", anchor, ANCHORS), gap)
        self._pv = self._v = 0.0

    def update(self, ts: int, high: float, low: float, close: float, volume: float) -> float:
        if self._boundary.is_new(ts):
            self._pv = self._v = 0.0
        self._pv += (high + low + close) / 3.0 * volume
        self._v += volume
        return self._pv / self._v if self._v != 0 else NAN


def pivot_outputs(params: Mapping[str, object]) -> tuple[str, ...]:
    """Output names: r4/s4 exist only for Camarilla."""
    if params.get("method") == "camarilla":
        return ("pivot", "r1", "r2", "r3", "r4", "s1", "s2", "s3", "s4")
    return ("pivot", "r1", "r2", "r3", "s1", "s2", "s3")


def _levels(method: str, h: np.ndarray | float, lo: np.ndarray | float, c: np.ndarray | float) -> tuple:
    rng = h - lo
    p = (h + lo + 2.0 * c) / 4.0 if method == "woodie" else (h + lo + c) / 3.0
    if method == "fibonacci":
        return (p, *(p + f * rng for f in _FIB), *(p - f * rng for f in _FIB))
    if method == "camarilla":
        return (p, *(c + f * rng for f in _CAMARILLA), *(c - f * rng for f in _CAMARILLA))
    r1, s1 = 2.0 * p - lo, 2.0 * p - h
    r3, s3 = h + 2.0 * (p - lo), lo - 2.0 * (h - p)
    return p, r1, p + rng, r3, s1, p - rng, s3


def pivots(
    ts: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    method: str = "classic",
    anchor: str = "day",
) -> tuple[np.ndarray, ...]:
    """Pivot levels on every bar from the previous period's high, low and close."""
    h, lo, c = same_length(high=high, low=low, close=close)
    choice("method", method, PIVOT_METHODS)
    choice("anchor", anchor, ("day", "week"))
    _check_ts(ts, len(c))
    new = starts(ts, anchor, 0)
    first = np.flatnonzero(new)
    n = len(c)
    if len(first) < 2:
        return tuple(np.full(n, NAN) for _ in pivot_outputs({"method": method}))
    ph, pl = np.maximum.reduceat(h, first), np.minimum.reduceat(lo, first)
    pc = c[np.r_[first[1:], n] - 1]
    prev = np.cumsum(new) - 2
    valid = prev >= 0
    out = []
    for level in _levels(method, ph, pl, pc):
        arr = np.full(n, NAN)
        arr[valid] = level[prev[valid]]
        out.append(arr)
    return tuple(out)


class Pivots:
    """Streaming pivot points: update(ts, high, low, close) -> levels of the previous period."""

    __slots__ = ("_boundary", "_cur", "_levels", "_method")

    def __init__(self, method: str = "classic", anchor: str = "day") -> None:
        self._method = choice("method", method, PIVOT_METHODS)
        self._boundary = Boundary(choice("anchor", anchor, ("day", "week")), 0)
        self._cur: list[float] | None = None
        self._levels = (NAN,) * len(pivot_outputs({"method": method}))

    def update(self, ts: int, high: float, low: float, close: float) -> tuple[float, ...]:
        if self._boundary.is_new(ts):
            if self._cur is not None:
                self._levels = _levels(self._method, *self._cur)
            self._cur = [high, low, close]
        else:
            cur = self._cur
            assert cur is not None
            cur[0], cur[1], cur[2] = max(cur[0], high), min(cur[1], low), close
        return self._levels
