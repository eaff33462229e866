"""Capped exponential backoff with jitter, for retrying a venue that failed."""

from __future__ import annotations

import random


class Backoff:
    """The n-th consecutive failure waits between half and all of `initial_s * 2**n`, at most `max_s`.

    Half-to-full ("equal") jitter keeps a floor under every wait while spreading reconnects of many
    clients apart. `rng` is injectable so tests see the same delays every run.
    """

    def __init__(self, *, initial_s: float, max_s: float, rng: random.Random | None = None) -> None:
        if initial_s <= 0 or max_s < initial_s:
            raise ValueError(f"backoff needs 0 < initial_s <= max_s, got {initial_s} and {max_s}")
        self.initial_s = initial_s
        self.max_s = max_s
        self._rng = rng or random.Random()
        self.failures = 0

    def next_delay_s(self) -> float:
        """Count one more failure and return how long to wait before trying again."""
        ceiling = min(self.max_s, self.initial_s * 2.0 ** min(self.failures, 60))
        self.failures += 1
        return ceiling / 2.0 + self._rng.random() * ceiling / 2.0

    def reset(self) -> None:
        """The venue answered: the next failure starts from `initial_s` again."""
        self.failures = 0
