"""Period boundaries from int64 ns UTC timestamps: UTC day, ISO week (Monday), trading session."""

from __future__ import annotations

import numpy as np

from tradloopd.indicators.inputs import IndicatorError

DAY_NS = 86_400 * 10**9
_MONDAY_OFFSET_DAYS = 3  # 1970-01-01 was a Thursday
ANCHORS = ("none", "session", "day", "week")


def period_id(ts: int, anchor: str) -> int:
    """Index of the UTC day or Monday-started UTC week holding `ts` (0 for "none")."""
    if anchor == "day":
        return ts // DAY_NS
    if anchor == "week":
        return (ts // DAY_NS + _MONDAY_OFFSET_DAYS) // 7
    return 0


def starts(ts: np.ndarray, anchor: str, gap_ns: int) -> np.ndarray:
    """Boolean mask of bars that open a new anchored period (bar 0 always does)."""
    ts = np.asarray(ts, dtype=np.int64)
    if len(ts) > 1 and (np.diff(ts) <= 0).any():
        raise IndicatorError("ts: timestamps must be strictly increasing")
    new = np.zeros(len(ts), dtype=bool)
    if len(ts) == 0:
        return new
    new[0] = True
    if anchor == "session":
        new[1:] = np.diff(ts) > gap_ns
    elif anchor in ("day", "week"):
        days = ts // DAY_NS
        ids = days if anchor == "day" else (days + _MONDAY_OFFSET_DAYS) // 7
        new[1:] = ids[1:] != ids[:-1]
    return new


class Boundary:
    """Streaming detector of the same period starts as `starts`."""

    __slots__ = ("_anchor", "_gap", "_last_id", "_last_ts")

    def __init__(self, anchor: str, gap_ns: int) -> None:
        self._anchor, self._gap = anchor, gap_ns
        self._last_ts: int | None = None
        self._last_id = 0

    def is_new(self, ts: int) -> bool:
        """True if the bar at `ts` opens a new period."""
        last, self._last_ts = self._last_ts, ts
        pid, last_id = period_id(ts, self._anchor), self._last_id
        self._last_id = pid
        if last is None:
            return True
        if self._anchor == "session":
            return ts - last > self._gap
        return pid != last_id
