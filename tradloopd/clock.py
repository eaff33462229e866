"""Time for every core: integer nanoseconds UTC from an injected clock, and timers that fire on it."""

from __future__ import annotations

import heapq
import time
from typing import Protocol

NS_PER_SECOND = 1_000_000_000


class Clock(Protocol):
    """Where cores read the current time; wall time live, simulated time in replay and tests."""

    def now_ns(self) -> int: ...


class WallClock:
    """The real UTC time, for the live daemon."""

    def now_ns(self) -> int:
        return time.time_ns()


class SimClock:
    """A clock that only moves when the replay driver (or a test) sets it, and never backwards."""

    __slots__ = ("_now_ns",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now_ns = start_ns

    def now_ns(self) -> int:
        return self._now_ns

    def set(self, ts_ns: int) -> None:
        if ts_ns < self._now_ns:
            raise ValueError(f"simulated clock cannot go back from {self._now_ns} to {ts_ns}")
        self._now_ns = ts_ns


class Timers:
    """Named deadlines in clock time; the owner asks for the ones due and handles them in order.

    Ties fire in the order they were scheduled, so replay stays deterministic.
    """

    __slots__ = ("_heap", "_seq", "_live")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, str]] = []
        self._seq = 0
        self._live: dict[str, int] = {}

    def schedule(self, name: str, at_ns: int) -> None:
        """Set (or move) the deadline called `name`."""
        self._seq += 1
        self._live[name] = self._seq
        heapq.heappush(self._heap, (at_ns, self._seq, name))

    def cancel(self, name: str) -> None:
        self._live.pop(name, None)

    def next_deadline(self) -> int | None:
        while self._heap and self._live.get(self._heap[0][2]) != self._heap[0][1]:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ns: int) -> list[str]:
        """Remove and return the names whose deadline is at or before `now_ns`, earliest first."""
        due: list[str] = []
        while (deadline := self.next_deadline()) is not None and deadline <= now_ns:
            _, _seq, name = heapq.heappop(self._heap)
            del self._live[name]
            due.append(name)
        return due

    def __len__(self) -> int:
        return len(self._live)
