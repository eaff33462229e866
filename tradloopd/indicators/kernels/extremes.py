"""Sliding window extremes, compiled: Donchian, midpoints, raw stochastic, Williams %R, Aroon.

One loop keeps the position and value of the window's highest high and lowest low and
rescans the window only when that position leaves it (as TA-Lib does), the latest
extreme winning ties. Max and min are exact, so batch equals streaming bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

CHANNEL, MIDPOINT, STOCH, WILLR, AROON = 0, 1, 2, 3, 4


@njit(cache=True)
def extremes_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, p: int, kind: int, outs: np.ndarray) -> None:
    """Per-bar outputs from the window's extremes into the rows of `outs`, by `kind`.

    CHANNEL: upper, middle, lower (from bar p-1). MIDPOINT: (HH + LL)/2 (from bar p-1).
    STOCH: 100*(c - LL)/(HH - LL), WILLR: -100*(HH - c)/(HH - LL), 0 if HH = LL (from bar
    p-1). AROON: up, down, oscillator over windows of p+1 bars (from bar p).
    """
    span = p + 1 if kind == AROON else p
    hi_at, lo_at, hh, ll = -1, -1, 0.0, 0.0
    for t in range(len(h)):
        start = max(t - span + 1, 0)
        if hi_at < start:
            hi_at, hh = start, h[start]
            for i in range(start + 1, t + 1):
                if h[i] >= hh:
                    hi_at, hh = i, h[i]
        elif h[t] >= hh:
            hi_at, hh = t, h[t]
        if lo_at < start:
            lo_at, ll = start, lo[start]
            for i in range(start + 1, t + 1):
                if lo[i] <= ll:
                    lo_at, ll = i, lo[i]
        elif lo[t] <= ll:
            lo_at, ll = t, lo[t]
        if t < span - 1:
            continue
        if kind == CHANNEL:
            outs[0, t], outs[1, t], outs[2, t] = hh, (hh + ll) / 2.0, ll
        elif kind == MIDPOINT:
            outs[0, t] = (hh + ll) / 2.0
        elif kind == AROON:
            up = 100.0 * (p - (t - hi_at)) / p
            down = 100.0 * (p - (t - lo_at)) / p
            outs[0, t], outs[1, t], outs[2, t] = up, down, up - down
        elif hh == ll:
            outs[0, t] = 0.0
        elif kind == WILLR:
            outs[0, t] = -100.0 * (hh - c[t]) / (hh - ll)
        else:
            outs[0, t] = 100.0 * (c[t] - ll) / (hh - ll)
