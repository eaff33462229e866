"""Rolling window extremes (max, min and their positions) in batch and streaming form."""

from __future__ import annotations

from collections import deque

import numpy as np


def rolling_max(x: np.ndarray, p: int) -> np.ndarray:
    """Max of each window of `p` (valid part), by doubling windows: O(n log p), exact."""
    m, w = x, 1
    while 2 * w <= p:
        m = np.maximum(m[:-w], m[w:])
        w *= 2
    return np.maximum(m[: len(x) - p + 1], m[p - w :])


def rolling_min(x: np.ndarray, p: int) -> np.ndarray:
    """Min of each window of `p` (valid part)."""
    return -rolling_max(-x, p)


def rolling_argmax(x: np.ndarray, p: int) -> np.ndarray:
    """Index (into x) of each window's max, the latest one on ties (valid part)."""
    m, idx, w = x, np.arange(len(x)), 1
    while 2 * w <= p:
        m, idx = _pick(m[:-w], idx[:-w], m[w:], idx[w:])
        w *= 2
    n = len(x) - p + 1
    return _pick(m[:n], idx[:n], m[p - w :], idx[p - w :])[1]


def _pick(m1: np.ndarray, i1: np.ndarray, m2: np.ndarray, i2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    later = m2 >= m1
    return np.where(later, m2, m1), np.where(later, i2, i1)


class WindowMax:
    """Streaming max of the last `p` values (monotonic deque, O(1) amortised).

    `age` is how many bars ago the max was seen (0 = this bar), latest on ties.
    """

    __slots__ = ("_dq", "_n", "_p", "_sign")

    def __init__(self, p: int, *, minimum: bool = False) -> None:
        self._p = p
        self._n = 0
        self._sign = -1.0 if minimum else 1.0
        self._dq: deque[tuple[int, float]] = deque()

    @property
    def full(self) -> bool:
        return self._n >= self._p

    def push(self, value: float) -> float:
        """Add `value` and return the window's extreme."""
        dq, v = self._dq, self._sign * value
        while dq and dq[-1][1] <= v:
            dq.pop()
        dq.append((self._n, v))
        if dq[0][0] <= self._n - self._p:
            dq.popleft()
        self._n += 1
        return self._sign * dq[0][1]

    @property
    def age(self) -> int:
        return self._n - 1 - self._dq[0][0]
