"""Range oscillators: stochastic, stochastic RSI, Williams %R, KDJ, CCI, Ultimate Oscillator."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from tradloopd.indicators.grid import WindowSum
from tradloopd.indicators.inputs import blank, period, same_length, series
from tradloopd.indicators.momentum import RSI, rsi_full
from tradloopd.indicators.moving import EMA, SMA
from tradloopd.indicators.volatility import period_
from tradloopd.indicators.windows import WindowMax

NAN = math.nan


def _position(h: np.ndarray, lo: np.ndarray, c: np.ndarray, p: int, williams: bool = False) -> np.ndarray:
    """Raw stochastic (or Williams %R) over windows of `p`, NaN for the first p-1 bars."""
    from tradloopd.indicators.kernels import extremes

    out = blank(len(c), p - 1, rows=1)
    extremes.extremes_into(h, lo, c, p, extremes.WILLR if williams else extremes.STOCH, out)
    return out[0]


def _smoothed(x: np.ndarray, start: int, p: int) -> np.ndarray:
    """Window means of x[start:] (exact on a grid), NaN for the first start+p-1 bars."""
    from tradloopd.indicators.kernels import sums

    out = blank(len(x), start + p - 1)
    sums.window_sums(x[start:], p, True, out[start + p - 1 :])
    return out


def stoch(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    k_period: int = 14,
    k_smooth: int = 3,
    d_period: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """Slow stochastic: (%K, %D) = SMA(raw %K, k_smooth) and SMA(%K, d_period)."""
    h, lo, c = same_length(high=high, low=low, close=close)
    n = len(c)
    p = period("k_period", k_period, n)
    ks, dp = period("k_smooth", k_smooth, n), period("d_period", d_period, n)
    k = _smoothed(_position(h, lo, c, p), p - 1, ks)
    return k, _smoothed(k, p + ks - 2, dp)


def stochrsi(
    close: np.ndarray, period: int = 14, k_period: int = 14, k_smooth: int = 3, d_period: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Stochastic of RSI: (%K, %D); k_smooth=1 gives TA-Lib's STOCHRSI (fastk, fastd)."""
    x = series("close", close)
    n = len(x)
    p = _p("period", period, n)
    kp, ks, dp = _p("k_period", k_period, n), _p("k_smooth", k_smooth, n), _p("d_period", d_period, n)
    r = rsi_full(x, p)
    raw = blank(n, n)
    if n - p >= kp:
        raw[p:] = _position(r[p:], r[p:], r[p:], kp)
    start = p + kp - 1
    k = _smoothed(raw, start, ks)
    return k, _smoothed(k, start + ks - 1, dp)


def _p(name: str, value: int, n: int) -> int:
    return period(name, value, n)


def willr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> np.ndarray:
    """Williams %R: -100 * (highest high - close) / (highest high - lowest low); 0 if flat."""
    h, lo, c = same_length(high=high, low=low, close=close)
    return _position(h, lo, c, _p("period", period, len(c)), williams=True)


def kdj(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    period: int = 9,
    k_smooth: int = 3,
    d_smooth: int = 3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KDJ: K and D smoothed with weight 1/smooth from a start of 50, J = 3K - 2D."""
    from tradloopd.indicators.kernels import smoothing

    h, lo, c = same_length(high=high, low=low, close=close)
    n = len(c)
    p = _p("period", period, n)
    ks, ds = _p("k_smooth", k_smooth, n), _p("d_smooth", d_smooth, n)
    k = _position(h, lo, c, p)
    smoothing.smooth_into(k, p - 1, 1.0 / ks, 50.0, k)
    d = blank(n, p - 1)
    smoothing.smooth_into(k, p - 1, 1.0 / ds, 50.0, d)
    return k, d, 3.0 * k - 2.0 * d


def cci(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 20) -> np.ndarray:
    """Commodity channel index: (tp - SMA(tp)) / (0.015 * mean absolute deviation)."""
    from tradloopd.indicators.kernels import ratios

    h, lo, c = same_length(high=high, low=low, close=close)
    p = _p("period", period, len(c))
    out = blank(len(c), p - 1)
    ratios.cci_into(h, lo, c, p, out)
    return out


def ultosc(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    short: int = 7,
    medium: int = 14,
    long: int = 28,
) -> np.ndarray:
    """Ultimate oscillator: 100 * (4*A_short + 2*A_medium + A_long) / 7, A = sum(bp)/sum(tr)."""
    from tradloopd.indicators.kernels import ratios, sums

    h, lo, c = same_length(high=high, low=low, close=close)
    n = len(c)
    names = (("short", short), ("medium", medium), ("long", long))
    periods = [_p(name, v, n) for name, v in names]
    bp, tr = np.empty(max(n - 1, 0)), np.empty(max(n - 1, 0))
    ratios.ultosc_bars_into(h, lo, c, bp, tr)
    out = blank(n, max(periods))
    sums.ultosc_into(bp, tr, np.array(periods), sums.decimals(bp), sums.decimals(tr), out)
    return out


class Stoch:
    """Streaming slow stochastic: update(high, low, close) -> (k, d)."""

    __slots__ = ("_d", "_hi", "_k", "_lo")

    def __init__(self, k_period: int = 14, k_smooth: int = 3, d_period: int = 3) -> None:
        p = period_(k_period, "k_period")
        self._hi, self._lo = WindowMax(p), WindowMax(p, minimum=True)
        self._k, self._d = SMA(period_(k_smooth, "k_smooth")), SMA(period_(d_period, "d_period"))

    def update(self, high: float, low: float, close: float) -> tuple[float, float]:
        raw = _raw_k_step(self._hi, self._lo, high, low, close)
        if math.isnan(raw):
            return NAN, NAN
        k = self._k.update(raw)
        return (NAN, NAN) if math.isnan(k) else (k, self._d.update(k))


def _raw_k_step(hi: WindowMax, lo: WindowMax, high: float, low: float, close: float) -> float:
    hh, ll = hi.push(high), lo.push(low)
    if not hi.full:
        return NAN
    return 100.0 * (close - ll) / (hh - ll) if hh != ll else 0.0


class StochRSI:
    """Streaming stochastic RSI: update(close) -> (k, d)."""

    __slots__ = ("_rsi", "_stoch")

    def __init__(self, period: int = 14, k_period: int = 14, k_smooth: int = 3, d_period: int = 3) -> None:
        self._rsi, self._stoch = RSI(period), Stoch(k_period, k_smooth, d_period)

    def update(self, close: float) -> tuple[float, float]:
        r = self._rsi.update(close)
        return (NAN, NAN) if math.isnan(r) else self._stoch.update(r, r, r)


class WillR:
    """Streaming Williams %R."""

    __slots__ = ("_hi", "_lo")

    def __init__(self, period: int = 14) -> None:
        p = period_(period)
        self._hi, self._lo = WindowMax(p), WindowMax(p, minimum=True)

    def update(self, high: float, low: float, close: float) -> float:
        hh, ll = self._hi.push(high), self._lo.push(low)
        if not self._hi.full:
            return NAN
        return -100.0 * (hh - close) / (hh - ll) if hh != ll else 0.0


class KDJ:
    """Streaming KDJ: update(high, low, close) -> (k, d, j)."""

    __slots__ = ("_d", "_hi", "_k", "_lo")

    def __init__(self, period: int = 9, k_smooth: int = 3, d_smooth: int = 3) -> None:
        p = period_(period)
        self._hi, self._lo = WindowMax(p), WindowMax(p, minimum=True)
        self._k = EMA(alpha=1.0 / period_(k_smooth, "k_smooth"), start=50.0)
        self._d = EMA(alpha=1.0 / period_(d_smooth, "d_smooth"), start=50.0)

    def update(self, high: float, low: float, close: float) -> tuple[float, float, float]:
        raw = _raw_k_step(self._hi, self._lo, high, low, close)
        if math.isnan(raw):
            return NAN, NAN, NAN
        k = self._k.update(raw)
        d = self._d.update(k)
        return k, d, 3.0 * k - 2.0 * d


class CCI:
    """Streaming CCI; the mean deviation needs one pass over the window (O(period))."""

    __slots__ = ("_buf", "_p")

    def __init__(self, period: int = 20) -> None:
        self._p = period_(period)
        self._buf: deque[float] = deque(maxlen=self._p)

    def update(self, high: float, low: float, close: float) -> float:
        tp = (high + low + close) / 3.0
        self._buf.append(tp)
        if len(self._buf) < self._p:
            return NAN
        mean = math.fsum(self._buf) / self._p
        dev = math.fsum(abs(v - mean) for v in self._buf) / self._p
        return (tp - mean) / (0.015 * dev) if dev != 0 else 0.0


class UltOsc:
    """Streaming ultimate oscillator."""

    __slots__ = ("_bp", "_prev", "_tr")

    def __init__(self, short: int = 7, medium: int = 14, long: int = 28) -> None:
        ps = (period_(short, "short"), period_(medium, "medium"), period_(long, "long"))
        self._bp = [WindowSum(p) for p in ps]
        self._tr = [WindowSum(p) for p in ps]
        self._prev = NAN

    def update(self, high: float, low: float, close: float) -> float:
        prev, self._prev = self._prev, close
        if math.isnan(prev):
            return NAN
        floor = min(low, prev)
        bp, tr = close - floor, max(high, prev) - floor
        total = 0.0
        for weight, b, t in zip((4.0, 2.0, 1.0), self._bp, self._tr, strict=True):
            b.push(bp)
            t.push(tr)
            tsum = t.total()
            total += weight * (b.total() / tsum if tsum != 0 else 0.0)
        return 100.0 * total / 7.0 if all(t.full for t in self._tr) else NAN
