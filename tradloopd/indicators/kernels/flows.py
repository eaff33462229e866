"""Volume flows and running totals (OBV, A/D, VPT, VWAP, money flows), compiled.

The running totals add one bar at a time, as the streaming classes do.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DAY_NS = 86_400 * 10**9
MONDAY_OFFSET_DAYS = 3  # 1970-01-01 was a Thursday


@njit(cache=True)
def obv_into(c: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    """On-balance volume from bar 0's volume."""
    total = v[0]
    out[0] = total
    for t in range(1, len(c)):
        if c[t] > c[t - 1]:
            total += v[t]
        elif c[t] < c[t - 1]:
            total -= v[t]
        out[t] = total


@njit(cache=True)
def multiplier(h: float, lo: float, c: float) -> float:
    """((c - l) - (h - c)) / (h - l), 0 for a bar with h = l."""
    rng = h - lo
    return ((c - lo) - (h - c)) / rng if rng != 0.0 else 0.0


@njit(cache=True)
def ad_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    """Accumulation/distribution line."""
    total = 0.0
    for t in range(len(c)):
        total += multiplier(h[t], lo[t], c[t]) * v[t]
        out[t] = total


@njit(cache=True)
def flow_volume_into(h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    """Money-flow volume of each bar (Chaikin)."""
    for t in range(len(c)):
        out[t] = multiplier(h[t], lo[t], c[t]) * v[t]


@njit(cache=True)
def vpt_into(c: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    """Volume-price trend from bar 1."""
    total = 0.0
    for t in range(1, len(c)):
        prev = c[t - 1]
        total += v[t] * ((c[t] - prev) / prev if prev != 0.0 else 0.0)
        out[t] = total


@njit(cache=True)
def force_raw_into(c: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    """(close - previous close) * volume from bar 1."""
    for t in range(1, len(c)):
        out[t] = (c[t] - c[t - 1]) * v[t]


@njit(cache=True)
def money_flows_into(
    h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray, pos: np.ndarray, neg: np.ndarray
) -> None:
    """Typical price * volume as positive or negative flow by the sign of the typical price's move.

    pos[k], neg[k] belong to bar k+1.
    """
    prev = (h[0] + lo[0] + c[0]) / 3.0
    for t in range(1, len(c)):
        tp = (h[t] + lo[t] + c[t]) / 3.0
        flow = tp * v[t]
        pos[t - 1] = flow if tp > prev else 0.0
        neg[t - 1] = flow if tp < prev else 0.0
        prev = tp


@njit(cache=True)
def _period_id(ts: int, anchor: int) -> int:
    days = ts // DAY_NS
    return days if anchor == 1 else (days + MONDAY_OFFSET_DAYS) // 7


@njit(cache=True)
def vwap_into(
    ts: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray,
    anchor: int, gap_ns: int, out: np.ndarray,
) -> int:  # fmt: skip
    """Anchored VWAP (anchor 0 none, 1 day, 2 week, 3 session); returns the index of a
    timestamp not after its predecessor, or -1.
    """
    pv_sum, v_sum = 0.0, 0.0
    last_id = 0
    for t in range(len(c)):
        if t > 0 and ts[t] <= ts[t - 1]:
            return t
        if anchor == 3:
            new = t == 0 or ts[t] - ts[t - 1] > gap_ns
        elif anchor != 0:
            pid = _period_id(ts[t], anchor)
            new = t == 0 or pid != last_id
            last_id = pid
        else:
            new = t == 0
        if new:
            pv_sum, v_sum = 0.0, 0.0
        pv_sum += (h[t] + lo[t] + c[t]) / 3.0 * v[t]
        v_sum += v[t]
        out[t] = pv_sum / v_sum if v_sum != 0.0 else np.nan
    return -1
