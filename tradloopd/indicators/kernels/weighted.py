"""Weighted window sums: WMA, Hull MA, VWMA and the rolling least-squares line, compiled.

Running sums start with the first window summed in order, then move by + (new - old),
exactly as the streaming classes do.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def wma_into(x: np.ndarray, start: int, p: int, out: np.ndarray) -> None:
    """WMA (weights 1..p, newest heaviest) of x[start:] into out[start+p-1:]."""
    if len(x) - start < p:
        return
    den = p * (p + 1) / 2
    total, weighted = 0.0, 0.0
    for k in range(p):
        v = x[start + k]
        weighted += (k + 1) * v
        total += v
    out[start + p - 1] = weighted / den
    for t in range(start + p, len(x)):
        weighted += p * x[t] - total
        total += x[t] - x[t - p]
        out[t] = weighted / den


@njit(cache=True)
def hma_into(x: np.ndarray, p: int, out: np.ndarray) -> None:
    """Hull MA: WMA(2*WMA(x, p//2) - WMA(x, p), isqrt(p)) from bar p + isqrt(p) - 2."""
    half, root = p // 2, int(np.sqrt(p))
    while root * root > p:
        root -= 1
    while (root + 1) * (root + 1) <= p:
        root += 1
    wh, wf = np.empty(len(x)), np.empty(len(x))
    wma_into(x, 0, half, wh)
    wma_into(x, 0, p, wf)
    for t in range(p - 1, len(x)):
        wf[t] = 2.0 * wh[t] - wf[t]
    wma_into(wf, p - 1, root, out)


@njit(cache=True)
def vwma_into(x: np.ndarray, v: np.ndarray, vol: np.ndarray, p: int, out: np.ndarray) -> None:
    """sum(x*v)/vol over each window of p (vol[k]: volume of the window ending at p-1+k)."""
    pv = 0.0
    for t in range(len(x)):
        pv += x[t] * v[t] - x[t - p] * v[t - p] if t >= p else x[t] * v[t]
        if t >= p - 1:
            w = vol[t - p + 1]
            out[t] = pv / w if w != 0.0 else np.nan


@njit(cache=True)
def linreg_into(x: np.ndarray, var: np.ndarray, p: int, outs: np.ndarray) -> None:
    """Rows of `outs`: value, slope, intercept, r2, zscore, from bar p-1 (var: window variances)."""
    sum_x = p * (p - 1) / 2.0
    sxx = p * (p - 1) * (2 * p - 1) / 6.0 - sum_x * sum_x / p
    shift = x[0]
    s, ws = 0.0, 0.0
    for t in range(len(x)):
        y = x[t] - shift
        if t < p:
            ws += (t + 1) * y
            s += y
        else:
            ws += p * y - s
            s += y - (x[t - p] - shift)
        if t < p - 1:
            continue
        syy = var[t - p + 1] * p
        sxy = (ws - s) - sum_x * s / p
        slope = sxy / sxx if sxx != 0.0 else sxy * 0.0
        intercept = (s - slope * sum_x) / p
        explained = sxy * slope
        res = np.sqrt(max(syy - explained, 0.0) / p)
        value = intercept + slope * (p - 1)
        outs[0, t] = value + shift
        outs[1, t] = slope
        outs[2, t] = intercept + shift
        outs[3, t] = min(explained / syy, 1.0) if syy != 0.0 else 0.0
        outs[4, t] = (y - value) / res if res != 0.0 else 0.0
