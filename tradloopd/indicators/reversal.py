"""Stop-and-reverse trend followers: Parabolic SAR and Supertrend.

Both are path-dependent state machines with no vectorised form: the batch functions run
compiled loops (`kernels.stops`) that take the streaming classes' steps with the same
float operations, so batch and streaming values are identical.
"""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.inputs import blank, positive, same_length
from tradloopd.indicators.inputs import period as check_period
from tradloopd.indicators.volatility import ATR, atr_full, period_

NAN = math.nan


class PSAR:
    """Streaming Parabolic SAR, stepped exactly like TA-Lib's SAR."""

    __slots__ = ("_acc", "_af", "_ep", "_hi", "_long", "_lo", "_max", "_n", "_sar")

    def __init__(self, acceleration: float = 0.02, maximum: float = 0.2) -> None:
        self._max = positive("maximum", maximum)
        self._acc = min(positive("acceleration", acceleration), self._max)
        self._af, self._n = self._acc, 0
        self._hi = self._lo = self._ep = self._sar = NAN
        self._long = True

    def update(self, high: float, low: float) -> float:
        self._n += 1
        if self._n == 1:
            self._hi, self._lo = high, low
            return NAN
        if self._n == 2:
            self._start(high, low)
        prev_hi, prev_lo = self._hi, self._lo
        self._hi, self._lo = high, low
        return (
            self._step_long(high, low, prev_hi, prev_lo)
            if self._long
            else self._step_short(high, low, prev_hi, prev_lo)
        )

    def _start(self, high: float, low: float) -> None:
        down, up = self._lo - low, high - self._hi
        self._long = not (down > 0 and up < down)
        self._ep, self._sar = (high, self._lo) if self._long else (low, self._hi)
        self._hi, self._lo = high, low

    def _step_long(self, high: float, low: float, prev_hi: float, prev_lo: float) -> float:
        if low <= self._sar:
            self._long, out = False, max(self._ep, prev_hi, high)
            self._af, self._ep = self._acc, low
            self._sar = max(out + self._af * (self._ep - out), prev_hi, high)
            return out
        out = self._sar
        if high > self._ep:
            self._ep, self._af = high, min(self._af + self._acc, self._max)
        self._sar = min(out + self._af * (self._ep - out), prev_lo, low)
        return out

    def _step_short(self, high: float, low: float, prev_hi: float, prev_lo: float) -> float:
        if high >= self._sar:
            self._long, out = True, min(self._ep, prev_lo, low)
            self._af, self._ep = self._acc, high
            self._sar = min(out + self._af * (self._ep - out), prev_lo, low)
            return out
        out = self._sar
        if low < self._ep:
            self._ep, self._af = low, min(self._af + self._acc, self._max)
        self._sar = max(out + self._af * (self._ep - out), prev_hi, high)
        return out


def psar(high: np.ndarray, low: np.ndarray, acceleration: float = 0.02, maximum: float = 0.2) -> np.ndarray:
    """Parabolic SAR (Wilder); the first bar is NaN, the direction starts from bar 1's moves."""
    from tradloopd.indicators.kernels import stops

    h, lo = same_length(high=high, low=low)
    top = positive("maximum", maximum)
    acc = min(positive("acceleration", acceleration), top)
    out = blank(len(h), 1)
    stops.psar_into(h, lo, acc, top, out)
    return out


class _Bands:
    """Supertrend's ratcheting final bands and direction (+1 up, -1 down)."""

    __slots__ = ("close", "direction", "lower", "upper")

    def __init__(self) -> None:
        self.upper = self.lower = self.close = NAN
        self.direction = 1.0

    def step(self, basic_up: float, basic_dn: float, close: float) -> tuple[float, float]:
        first = math.isnan(self.upper)
        if first or basic_up < self.upper or self.close > self.upper:
            self.upper = basic_up
        if first or basic_dn > self.lower or self.close < self.lower:
            self.lower = basic_dn
        if self.direction > 0 and close < self.lower:
            self.direction = -1.0
        elif self.direction < 0 and close > self.upper:
            self.direction = 1.0
        self.close = close
        return (self.lower if self.direction > 0 else self.upper), self.direction


def supertrend(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 10, multiplier: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Supertrend: (value, direction) from hl2 -/+ multiplier * Wilder ATR(period)."""
    from tradloopd.indicators.kernels import stops

    h, lo, c = same_length(high=high, low=low, close=close)
    n = len(c)
    p = check_period("period", period, n)
    m = positive("multiplier", multiplier)
    value, direction = blank(n, p), blank(n, p)
    stops.supertrend_into(h, lo, c, atr_full(h, lo, c, p), p, m, value, direction)
    return value, direction


class Supertrend:
    """Streaming Supertrend: update(high, low, close) -> (value, direction)."""

    __slots__ = ("_atr", "_bands", "_m")

    def __init__(self, period: int = 10, multiplier: float = 3.0) -> None:
        self._atr, self._bands = ATR(period_(period)), _Bands()
        self._m = positive("multiplier", multiplier)

    def update(self, high: float, low: float, close: float) -> tuple[float, float]:
        rng = self._atr.update(high, low, close)
        if math.isnan(rng):
            return NAN, NAN
        mid = (high + low) / 2.0
        return self._bands.step(mid + self._m * rng, mid - self._m * rng, close)
