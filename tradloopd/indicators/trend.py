"""Trend strength and direction: ADX with +DI/-DI, Aroon, Ichimoku."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from tradloopd.indicators.inputs import blank, period, same_length
from tradloopd.indicators.moving import EMA
from tradloopd.indicators.volatility import TrueRange, period_
from tradloopd.indicators.windows import WindowMax

NAN = math.nan


def adx(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average directional index with +DI and -DI (Wilder): returns (adx, plus_di, minus_di)."""
    from tradloopd.indicators.kernels import smoothing

    h, lo, c = same_length(high=high, low=low, close=close)
    n = len(c)
    p = _period(period, n)
    adx_, pdi, mdi = blank(n, 2 * p - 1), blank(n, p), blank(n, p)
    smoothing.adx_into(h, lo, c, p, adx_, pdi, mdi)
    return adx_, pdi, mdi


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


def aroon(high: np.ndarray, low: np.ndarray, period: int = 25) -> tuple[np.ndarray, ...]:
    """Aroon (up, down, oscillator): 100 * (period - bars since the extreme) / period.

    The window is period+1 bars (as TA-Lib); on ties the latest extreme counts.
    """
    from tradloopd.indicators.kernels import extremes

    h, lo = same_length(high=high, low=low)
    n = len(h)
    p = _period(period, n - 1 if n else 0)
    outs = blank(n, p, rows=3)
    extremes.extremes_into(h, lo, lo, p, extremes.AROON, outs)
    return tuple(outs)


class Aroon:
    """Streaming Aroon: update(high, low) -> (up, down, oscillator)."""

    __slots__ = ("_hi", "_lo", "_p")

    def __init__(self, period: int = 25) -> None:
        self._p = period_(period)
        self._hi, self._lo = WindowMax(self._p + 1), WindowMax(self._p + 1, minimum=True)

    def update(self, high: float, low: float) -> tuple[float, float, float]:
        self._hi.push(high)
        self._lo.push(low)
        if not self._hi.full:
            return NAN, NAN, NAN
        p = self._p
        up, down = 100.0 * (p - self._hi.age) / p, 100.0 * (p - self._lo.age) / p
        return up, down, up - down


def _midpoint(h: np.ndarray, lo: np.ndarray, p: int) -> np.ndarray:
    from tradloopd.indicators.kernels import extremes

    out = blank(len(h), p - 1, rows=1)
    extremes.extremes_into(h, lo, lo, p, extremes.MIDPOINT, out)
    return out[0]


def _delay(x: np.ndarray, d: int) -> np.ndarray:
    out = blank(len(x), d)
    out[d:] = x[: len(x) - d]
    return out


def ichimoku(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    tenkan: int = 9,
    kijun: int = 26,
    senkou: int = 52,
    displacement: int = 26,
) -> tuple[np.ndarray, ...]:
    """Ichimoku (tenkan, kijun, senkou_a, senkou_b, chikou), all known at their bar.

    senkou_a/b at bar t are the spans computed at t-displacement (the cloud drawn ahead
    lands on t); chikou at t is close[t], the point drawn displacement bars back.
    """
    h, lo, c = same_length(high=high, low=low, close=close)
    n = len(c)
    pt, pk, ps = (
        _period(v, n, name) for name, v in (("tenkan", tenkan), ("kijun", kijun), ("senkou", senkou))
    )
    d = period("displacement", displacement, n, minimum=0)
    conv, base = _midpoint(h, lo, pt), _midpoint(h, lo, pk)
    span_a, span_b = _delay((conv + base) / 2.0, d), _delay(_midpoint(h, lo, ps), d)
    return conv, base, span_a, span_b, c.copy()


class Ichimoku:
    """Streaming Ichimoku: update(high, low, close) -> (tenkan, kijun, senkou_a, senkou_b, chikou)."""

    __slots__ = ("_d", "_lag", "_windows")

    def __init__(self, tenkan: int = 9, kijun: int = 26, senkou: int = 52, displacement: int = 26) -> None:
        ps = (period_(tenkan, "tenkan"), period_(kijun, "kijun"), period_(senkou, "senkou"))
        self._windows = [(WindowMax(p), WindowMax(p, minimum=True)) for p in ps]
        self._d = period("displacement", displacement, None, minimum=0)
        self._lag: deque[tuple[float, float]] = deque(maxlen=self._d + 1)

    def update(self, high: float, low: float, close: float) -> tuple[float, ...]:
        mids = []
        for hi, lo in self._windows:
            top, bottom = hi.push(high), lo.push(low)
            mids.append((top + bottom) / 2.0 if hi.full else NAN)
        conv, base, slow = mids
        self._lag.append(((conv + base) / 2.0, slow))
        span_a, span_b = self._lag[0] if len(self._lag) > self._d else (NAN, NAN)
        return conv, base, span_a, span_b, close
