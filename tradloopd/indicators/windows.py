"""Streaming rolling window extremes (max, min and the age of the extreme); batch: `kernels.extremes`."""

from __future__ import annotations

from collections import deque


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
