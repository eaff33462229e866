"""Drawdowns of an equity curve: depth, time under water, recovery and the ulcer index.

The running peak starts at the initial cash, so a loss on the very first bar is a drawdown.
Drawdowns are fractions of the peak and negative (-0.25 is 25% below the peak).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tradloopd.analytics.periods import NS_PER_SECOND


def drawdown_series(equity: np.ndarray, initial_cash: float) -> np.ndarray:
    """E_t / max(initial cash, E_0..E_t) - 1 at every mark (0 at a new high)."""
    if len(equity) == 0:
        return np.empty(0)
    peak = np.maximum(np.maximum.accumulate(equity), initial_cash)
    return equity / peak - 1.0


@dataclass(frozen=True, slots=True)
class DrawdownStats:
    """The headline drawdown figures of one curve."""

    max_drawdown: float | None
    longest_s: float | None
    recovery_s: float | None
    ulcer_index: float | None


def drawdown_stats(ts: np.ndarray, equity: np.ndarray, initial_cash: float) -> DrawdownStats:
    """Deepest drawdown, longest time under water, recovery time of the deepest, ulcer index."""
    dd = drawdown_series(equity, initial_cash)
    if len(dd) == 0:
        return DrawdownStats(None, None, None, None)
    return DrawdownStats(
        max_drawdown=float(dd.min()),
        longest_s=_longest_underwater_s(ts, dd),
        recovery_s=_recovery_s(ts, dd),
        ulcer_index=math.sqrt(float(np.mean(dd**2))),
    )


def underwater_runs(dd: np.ndarray) -> np.ndarray:
    """(first, last) mark index of every run of consecutive marks below the peak."""
    under = np.concatenate(([0], (dd < 0).astype(np.int8), [0]))
    edges = np.diff(under)
    return np.column_stack((np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1))


def _longest_underwater_s(ts: np.ndarray, dd: np.ndarray) -> float:
    """Peak mark (or the first mark) to recovery mark (or the last mark), longest such span."""
    runs = underwater_runs(dd)
    if len(runs) == 0:
        return 0.0
    starts = np.maximum(runs[:, 0] - 1, 0)
    ends = np.minimum(runs[:, 1] + 1, len(dd) - 1)
    return float(np.max(ts[ends] - ts[starts])) / NS_PER_SECOND


def _recovery_s(ts: np.ndarray, dd: np.ndarray) -> float | None:
    """Trough of the deepest drawdown to the first mark back at the peak; None if never."""
    trough = int(np.argmin(dd))
    if dd[trough] >= 0:
        return 0.0
    back = np.flatnonzero(dd[trough:] >= 0)
    if len(back) == 0:
        return None
    return float(ts[trough + back[0]] - ts[trough]) / NS_PER_SECOND
