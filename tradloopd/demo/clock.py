"""The demo venue's clock: wall time shifted by an offset, or frozen at an instant a test sets."""

from __future__ import annotations

import threading

from tradloopd.clock import Clock, WallClock


class VenueClock:
    """A `Clock` that tests can freeze, move and shift; safe to read from the server's threads.

    Running, it is `source` plus `offset_ns`. Frozen, it stays at one instant until `advance` or
    `set` moves it. Give the same instance to the fake venue and to the code under test and both
    agree on what time it is.
    """

    def __init__(self, *, offset_ns: int = 0, frozen_ns: int | None = None,
                 source: Clock | None = None) -> None:
        self._source = source or WallClock()
        self._offset_ns = offset_ns
        self._frozen_ns = frozen_ns
        self._lock = threading.Lock()

    def now_ns(self) -> int:
        with self._lock:
            if self._frozen_ns is not None:
                return self._frozen_ns
            return self._source.now_ns() + self._offset_ns

    @property
    def frozen(self) -> bool:
        return self._frozen_ns is not None

    @property
    def offset_ns(self) -> int:
        return self._offset_ns

    def freeze(self, at_ns: int | None = None) -> None:
        """Stop the clock at `at_ns` (default: now)."""
        at = self.now_ns() if at_ns is None else at_ns
        with self._lock:
            self._frozen_ns = at

    def set(self, at_ns: int) -> None:
        """Freeze the clock at `at_ns`, which may not be earlier than now."""
        with self._lock:
            now = self._frozen_ns if self._frozen_ns is not None else self._source.now_ns() + self._offset_ns
            if at_ns < now:
                raise ValueError(f"venue clock cannot go back from {now} to {at_ns}")
            self._frozen_ns = at_ns

    def advance(self, ns: int) -> None:
        """Move the clock forward: a frozen clock jumps, a running one gains `ns` of offset."""
        if ns < 0:
            raise ValueError(f"venue clock cannot go back by {ns} ns")
        with self._lock:
            if self._frozen_ns is not None:
                self._frozen_ns += ns
            else:
                self._offset_ns += ns

    def resume(self) -> None:
        """Let a frozen clock run again from where it stands."""
        with self._lock:
            if self._frozen_ns is not None:
                self._offset_ns = self._frozen_ns - self._source.now_ns()
                self._frozen_ns = None
