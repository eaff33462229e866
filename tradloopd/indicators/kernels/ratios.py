"""Per-bar ratios built from window quantities: Bollinger outputs, z-score, CCI, shares, compiled.

Each formula is the streaming class's, with the same float operations.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def bands_into(x: np.ndarray, mid: np.ndarray, sd: np.ndarray, p: int, k: float, outs: np.ndarray) -> None:
    """Rows of `outs`: upper, middle, lower, bandwidth, percent_b from bar p-1."""
    for t in range(p - 1, len(x)):
        m, s = mid[t], sd[t]
        upper, lower = m + k * s, m - k * s
        width = upper - lower
        outs[0, t], outs[1, t], outs[2, t] = upper, m, lower
        outs[3, t] = width / m if m != 0.0 else np.nan
        outs[4, t] = (x[t] - lower) / width if width != 0.0 else np.nan


@njit(cache=True)
def zscore_into(x: np.ndarray, mid: np.ndarray, sd: np.ndarray, p: int) -> None:
    """(x - mid) / sd in place of `mid` from bar p-1; NaN where sd is 0."""
    for t in range(p - 1, len(x)):
        mid[t] = (x[t] - mid[t]) / sd[t] if sd[t] != 0.0 else np.nan


@njit(cache=True)
def log_returns_into(x: np.ndarray, out: np.ndarray) -> None:
    """log(x[t] / x[t-1]) into out[t-1]."""
    for t in range(1, len(x)):
        out[t - 1] = math.log(x[t] / x[t - 1])


@njit(cache=True)
def hv_into(var: np.ndarray, p: int, ann: float, out: np.ndarray) -> None:
    """sqrt(var * p/(p-1) * ann) from the window variances of the returns (bar p on)."""
    for k in range(len(var)):
        out[p + k] = np.sqrt(var[k] * (p / (p - 1)) * ann)


@njit(cache=True)
def cci_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, p: int, out: np.ndarray) -> None:
    """(tp - mean) / (0.015 * mean |tp - mean|) over each window; 0 if the deviation is 0.

    The mean is a compensated sum of the window (the streaming form takes `math.fsum`).
    """
    tp = np.empty(len(c))
    for t in range(len(c)):
        tp[t] = (h[t] + lo[t] + c[t]) / 3.0
    for t in range(p - 1, len(c)):
        total, carry = 0.0, 0.0
        for i in range(t - p + 1, t + 1):
            v = tp[i]
            s = total + v
            carry += (total - s) + v if abs(total) >= abs(v) else (v - s) + total
            total = s
        mean = (total + carry) / p
        dev = 0.0
        for i in range(t - p + 1, t + 1):
            dev += abs(tp[i] - mean)
        dev /= p
        out[t] = (tp[t] - mean) / (0.015 * dev) if dev != 0.0 else 0.0


@njit(cache=True)
def ultosc_bars_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, bp: np.ndarray, tr: np.ndarray) -> None:
    """Buying pressure and true range of bar t+1 into bp[t], tr[t]."""
    for t in range(1, len(c)):
        floor = min(lo[t], c[t - 1])
        bp[t - 1] = c[t] - floor
        tr[t - 1] = max(h[t], c[t - 1]) - floor


@njit(cache=True)
def share_into(part: np.ndarray, whole: np.ndarray, start: int, percent: bool, out: np.ndarray) -> None:
    """part/whole (100*part/whole with `percent`; 0 where whole is 0) into out[start:]."""
    for k in range(len(part)):
        w = whole[k]
        if w == 0.0:
            out[start + k] = 0.0
        elif percent:
            out[start + k] = 100.0 * part[k] / w
        else:
            out[start + k] = part[k] / w
