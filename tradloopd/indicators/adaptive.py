"""Kaufman's adaptive moving average (KAMA), whose smoothing follows the efficiency ratio."""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.grid import WindowSum, rolling_sum
from tradloopd.indicators.inputs import blank, series
from tradloopd.indicators.inputs import period as check_period
from tradloopd.indicators.volatility import period_

NAN = math.nan


def _constants(fast: int, slow: int) -> tuple[float, float]:
    slow_sc = 2.0 / (slow + 1)
    return slow_sc, 2.0 / (fast + 1) - slow_sc


def kama(close: np.ndarray, period: int = 10, fast: int = 2, slow: int = 30) -> np.ndarray:
    """KAMA: k += sc*(close-k), sc = (ER*(2/(fast+1) - 2/(slow+1)) + 2/(slow+1))**2."""
    from tradloopd.indicators.kernels import smoothing

    x = series("close", close)
    n = len(x)
    p = check_period("period", period, n)
    f, s = check_period("fast", fast), check_period("slow", slow)
    out = blank(n, p)
    if n <= p:
        return out
    moves = np.subtract(x[1:], x[:-1])
    vol = rolling_sum(np.abs(moves, out=moves), p)
    slow_sc, diff = _constants(f, s)
    smoothing.kama_into(x, vol, p, slow_sc, diff, out)
    return out


class KAMA:
    """Streaming KAMA."""

    __slots__ = ("_buf", "_diff", "_i", "_n", "_p", "_prev", "_slow", "_vol", "value")

    def __init__(self, period: int = 10, fast: int = 2, slow: int = 30) -> None:
        self._p = period_(period)
        self._slow, self._diff = _constants(period_(fast, "fast"), period_(slow, "slow"))
        self._vol = WindowSum(self._p)
        self._buf, self._i, self._n = [0.0] * self._p, 0, 0
        self._prev = NAN
        self.value = NAN

    def update(self, close: float) -> float:
        prev, self._prev = self._prev, close
        i, old = self._i, self._buf[self._i]
        self._buf[i], self._i = close, (i + 1) % self._p
        self._n += 1
        if math.isnan(prev):
            return NAN
        self._vol.push(abs(close - prev))
        if self._n <= self._p:
            self.value = close
            return NAN
        change, vol = close - old, self._vol.total()
        er = 1.0 if vol <= abs(change) or vol == 0 else abs(change) / vol
        sc = (er * self._diff + self._slow) ** 2
        self.value = (1.0 - sc) * self.value + sc * close
        return self.value
