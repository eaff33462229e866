"""Stop-and-reverse state machines (Parabolic SAR, Supertrend's bands), compiled.

Each loop takes the streaming class's steps in the same order with the same float
operations, so batch and streaming agree bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def psar_into(h: np.ndarray, lo: np.ndarray, acc: float, maximum: float, out: np.ndarray) -> None:
    """Wilder's parabolic SAR stepped like TA-Lib's SAR, from bar 1 (see `PSAR`)."""
    if len(h) < 2:
        return
    down, up = lo[0] - lo[1], h[1] - h[0]
    long = not (down > 0 and up < down)
    ep, sar = (h[1], lo[0]) if long else (lo[1], h[0])
    af = acc
    for t in range(1, len(h)):
        high, low = h[t], lo[t]
        prev_hi, prev_lo = (h[t - 1], lo[t - 1]) if t > 1 else (high, low)
        if long:
            if low <= sar:
                long, value = False, max(ep, prev_hi, high)
                af, ep = acc, low
                sar = max(value + af * (ep - value), prev_hi, high)
            else:
                value = sar
                if high > ep:
                    ep, af = high, min(af + acc, maximum)
                sar = min(value + af * (ep - value), prev_lo, low)
        elif high >= sar:
            long, value = True, min(ep, prev_lo, low)
            af, ep = acc, high
            sar = min(value + af * (ep - value), prev_lo, low)
        else:
            value = sar
            if low < ep:
                ep, af = low, min(af + acc, maximum)
            sar = max(value + af * (ep - value), prev_hi, high)
        out[t] = value


@njit(cache=True)
def supertrend_into(
    h: np.ndarray, lo: np.ndarray, c: np.ndarray, rng: np.ndarray, p: int, m: float,
    value: np.ndarray, direction: np.ndarray,
) -> None:  # fmt: skip
    """Ratcheting bands hl2 -/+ m*ATR and the trend direction, from bar p (rng = ATR)."""
    upper = lower = prev_close = np.nan
    trend = 1.0
    for t in range(p, len(c)):
        mid = (h[t] + lo[t]) / 2.0
        basic_up, basic_dn = mid + m * rng[t], mid - m * rng[t]
        first = t == p
        if first or basic_up < upper or prev_close > upper:
            upper = basic_up
        if first or basic_dn > lower or prev_close < lower:
            lower = basic_dn
        if trend > 0 and c[t] < lower:
            trend = -1.0
        elif trend < 0 and c[t] > upper:
            trend = 1.0
        prev_close = c[t]
        value[t] = lower if trend > 0 else upper
        direction[t] = trend
