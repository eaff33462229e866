"""Trend strength and direction: ADX with +DI/-DI, Aroon, Ichimoku, linear regression."""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.inputs import period, same_length, warmed
from tradloopd.indicators.moving import EMA
from tradloopd.indicators.recursion import recurse, seeded_smooth
from tradloopd.indicators.volatility import TrueRange, period_, true_range_valid

NAN = math.nan


def _directional_moves(h: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    up, down = h[1:] - h[:-1], lo[:-1] - lo[1:]
    plus = np.where((up > down) & (up > 0), up, 0.0)
    minus = np.where((down > up) & (down > 0), down, 0.0)
    return plus, minus


def _wilder_sum(x: np.ndarray, p: int) -> np.ndarray:
    """Wilder running sum as TA-Lib seeds it: sum of the first p-1, then S*(1-1/p) + x."""
    if len(x) < p:
        return np.empty(0)
    seed = float(np.cumsum(x[: p - 1])[-1]) if p > 1 else 0.0
    return recurse(x[p - 1 :], 1.0, 1.0 - 1.0 / p, seed)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(len(num)), where=den != 0)


def adx(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average directional index with +DI and -DI (Wilder): returns (adx, plus_di, minus_di)."""
    h, lo, c = same_length(high=high, low=low, close=close)
    n = len(c)
    p = _period(period, n)
    plus, minus = _directional_moves(h, lo)
    tr = _wilder_sum(true_range_valid(h, lo, c), p)
    pdi = 100.0 * _ratio(_wilder_sum(plus, p), tr)
    mdi = 100.0 * _ratio(_wilder_sum(minus, p), tr)
    dx = 100.0 * _ratio(np.abs(pdi - mdi), pdi + mdi)
    return warmed(seeded_smooth(dx, p, 1.0 / p), n), warmed(pdi, n), warmed(mdi, n)


def _period(value: int, n: int, name: str = "period") -> int:
    return period(name, value, max(n, 0))


class ADX:
    """Streaming ADX: update(high, low, close) -> (adx, plus_di, minus_di)."""

    __slots__ = ("_adx", "_decay", "_m", "_n", "_p", "_pm", "_prev", "_tr", "_trs", "_pp")

    def __init__(self, period: int = 14) -> None:
        self._p = period_(period)
        self._decay = 1.0 - 1.0 / self._p
        self._tr = TrueRange()
        self._adx = EMA(self._p, alpha=1.0 / self._p)
        self._n = 0
        self._trs = self._pp = self._pm = 0.0
        self._prev = (NAN, NAN)

    def update(self, high: float, low: float, close: float) -> tuple[float, float, float]:
        (ph, pl), self._prev = self._prev, (high, low)
        tr = self._tr.update(high, low, close)
        if math.isnan(tr):
            return NAN, NAN, NAN
        up, down = high - ph, pl - low
        plus = up if up > down and up > 0 else 0.0
        minus = down if down > up and down > 0 else 0.0
        self._n += 1
        if self._n < self._p:
            self._trs += tr
            self._pp += plus
            self._pm += minus
            return NAN, NAN, NAN
        d = self._decay
        self._trs, self._pp, self._pm = tr + d * self._trs, plus + d * self._pp, minus + d * self._pm
        pdi = 100.0 * (self._pp / self._trs if self._trs != 0 else 0.0)
        mdi = 100.0 * (self._pm / self._trs if self._trs != 0 else 0.0)
        total = pdi + mdi
        dx = 100.0 * (abs(pdi - mdi) / total if total != 0 else 0.0)
        return self._adx.update(dx), pdi, mdi
