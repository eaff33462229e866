"""Volatility: true range, ATR/NATR (Wilder), Bollinger, Keltner, Donchian, std, HV, z-score."""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.grid import WindowSum, rolling_mean, rolling_var
from tradloopd.indicators.inputs import IndicatorError, period, positive, same_length, series, warmed
from tradloopd.indicators.moving import EMA, ema_valid
from tradloopd.indicators.recursion import seeded_smooth
from tradloopd.indicators.windows import WindowMax, rolling_max, rolling_min

NAN = math.nan


def true_range_valid(h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    """True range from bar 1 on: max(high-low, |high-prev close|, |low-prev close|)."""
    prev = c[:-1]
    return np.maximum(h[1:] - lo[1:], np.maximum(np.abs(h[1:] - prev), np.abs(lo[1:] - prev)))


def trange(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """True range; bar 0 is NaN (no previous close)."""
    h, lo, c = same_length(high=high, low=low, close=close)
    return warmed(true_range_valid(h, lo, c), len(c))


def atr_valid(h: np.ndarray, lo: np.ndarray, c: np.ndarray, p: int) -> np.ndarray:
    """Wilder ATR from bar p on: seeded with the mean of TR[1..p], then alpha = 1/p."""
    return seeded_smooth(true_range_valid(h, lo, c), p, 1.0 / p)


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> np.ndarray:
    """Average true range (Wilder smoothing)."""
    h, lo, c = same_length(high=high, low=low, close=close)
    p = _period(period, len(c))
    return warmed(atr_valid(h, lo, c, p), len(c))


def _period(value: int, n: int, name: str = "period", minimum: int = 1) -> int:
    return period(name, value, max(n, 0), minimum)


def natr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> np.ndarray:
    """Normalised ATR: 100 * ATR / close."""
    out = atr(high, low, close, period)
    c = np.asarray(close, dtype=np.float64)
    return np.divide(100.0 * out, c, out=np.full(len(c), NAN), where=c != 0)


def _bands(x: np.ndarray, mid: np.ndarray, sd: np.ndarray, k: float) -> tuple[np.ndarray, ...]:
    upper, lower = mid + k * sd, mid - k * sd
    width = upper - lower
    bandwidth = np.full(len(mid), NAN)
    np.divide(width, mid, out=bandwidth, where=mid != 0)
    pct_b = np.full(len(mid), NAN)
    np.divide(x - lower, width, out=pct_b, where=width != 0)
    return upper, mid, lower, bandwidth, pct_b


def bbands(close: np.ndarray, period: int = 20, k: float = 2.0) -> tuple[np.ndarray, ...]:
    """Bollinger Bands: (upper, middle, lower, bandwidth, percent_b), population std."""
    x = series("close", close)
    p = _period(period, len(x))
    k = positive("k", k)
    mid, sd = rolling_mean(x, p), np.sqrt(rolling_var(x, p))
    return tuple(warmed(a, len(x)) for a in _bands(x[p - 1 :], mid, sd, k))


def keltner(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    period: int = 20,
    multiplier: float = 2.0,
    atr_period: int = 10,
) -> tuple[np.ndarray, ...]:
    """Keltner channels: EMA(close, period) +- multiplier * ATR(atr_period)."""
    h, lo, c = same_length(high=high, low=low, close=close)
    n = len(c)
    mid = warmed(ema_valid(c, _period(period, n)), n)
    rng = warmed(atr_valid(h, lo, c, _period(atr_period, n, "atr_period")), n)
    m = positive("multiplier", multiplier)
    return mid + m * rng, mid, mid - m * rng


def donchian(high: np.ndarray, low: np.ndarray, period: int = 20) -> tuple[np.ndarray, ...]:
    """Donchian channels: (upper, middle, lower) = highest high, midpoint, lowest low."""
    h, lo = same_length(high=high, low=low)
    p = _period(period, len(h))
    up, dn = rolling_max(h, p), rolling_min(lo, p)
    return warmed(up, len(h)), warmed((up + dn) / 2.0, len(h)), warmed(dn, len(h))


def stddev(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Rolling population standard deviation."""
    x = series("close", close)
    p = _period(period, len(x))
    return warmed(np.sqrt(rolling_var(x, p)), len(x))


def zscore(close: np.ndarray, period: int = 20) -> np.ndarray:
    """(close - rolling mean) / rolling population std; NaN where the std is 0."""
    x = series("close", close)
    p = _period(period, len(x))
    mid, sd = rolling_mean(x, p), np.sqrt(rolling_var(x, p))
    out = np.full(len(mid), NAN)
    np.divide(x[p - 1 :] - mid, sd, out=out, where=sd != 0)
    return warmed(out, len(x))


def hv(close: np.ndarray, period: int = 20, annualization: float = 252.0) -> np.ndarray:
    """Historical volatility: sample std of log returns over `period` * sqrt(annualization)."""
    x = series("close", close)
    p = _period(period, len(x), minimum=2)
    ann = positive("annualization", annualization)
    if (x <= 0).any():
        raise IndicatorError("close: historical volatility needs prices > 0")
    r = np.log(x[1:] / x[:-1])
    var = rolling_var(r, p) * (p / (p - 1))
    return warmed(np.sqrt(var * ann), len(x))


class TrueRange:
    """Streaming true range."""

    __slots__ = ("_prev",)

    def __init__(self) -> None:
        self._prev = NAN

    def update(self, high: float, low: float, close: float) -> float:
        prev, self._prev = self._prev, close
        if math.isnan(prev):
            return NAN
        return max(high - low, abs(high - prev), abs(low - prev))


class ATR:
    """Streaming Wilder ATR."""

    __slots__ = ("_avg", "_tr")

    def __init__(self, period: int = 14) -> None:
        p = period_(period)
        self._tr, self._avg = TrueRange(), EMA(p, alpha=1.0 / p)

    def update(self, high: float, low: float, close: float) -> float:
        tr = self._tr.update(high, low, close)
        return NAN if math.isnan(tr) else self._avg.update(tr)


class NATR:
    """Streaming normalised ATR."""

    __slots__ = ("_atr",)

    def __init__(self, period: int = 14) -> None:
        self._atr = ATR(period)

    def update(self, high: float, low: float, close: float) -> float:
        value = self._atr.update(high, low, close)
        return 100.0 * value / close if close != 0 else NAN


class BBands:
    """Streaming Bollinger Bands: (upper, middle, lower, bandwidth, percent_b)."""

    __slots__ = ("_k", "_w")

    def __init__(self, period: int = 20, k: float = 2.0) -> None:
        self._w, self._k = WindowSum(period_(period)), positive("k", k)

    def update(self, close: float) -> tuple[float, ...]:
        self._w.push(close)
        if not self._w.full:
            return (NAN,) * 5
        mid, sd = self._w.mean(), math.sqrt(self._w.var())
        upper, lower = mid + self._k * sd, mid - self._k * sd
        width = upper - lower
        bw = width / mid if mid != 0 else NAN
        return upper, mid, lower, bw, (close - lower) / width if width != 0 else NAN


def period_(value: int, name: str = "period", minimum: int = 1) -> int:
    """Check a streaming indicator's period (no data length to compare with)."""
    return period(name, value, None, minimum)


class Keltner:
    """Streaming Keltner channels: (upper, middle, lower)."""

    __slots__ = ("_atr", "_ema", "_m")

    def __init__(self, period: int = 20, multiplier: float = 2.0, atr_period: int = 10) -> None:
        self._ema, self._atr = EMA(period_(period)), ATR(period_(atr_period, "atr_period"))
        self._m = positive("multiplier", multiplier)

    def update(self, high: float, low: float, close: float) -> tuple[float, float, float]:
        mid, rng = self._ema.update(close), self._atr.update(high, low, close)
        return mid + self._m * rng, mid, mid - self._m * rng


class Donchian:
    """Streaming Donchian channels: (upper, middle, lower)."""

    __slots__ = ("_hi", "_lo")

    def __init__(self, period: int = 20) -> None:
        p = period_(period)
        self._hi, self._lo = WindowMax(p), WindowMax(p, minimum=True)

    def update(self, high: float, low: float) -> tuple[float, float, float]:
        up, dn = self._hi.push(high), self._lo.push(low)
        if not self._hi.full:
            return NAN, NAN, NAN
        return up, (up + dn) / 2.0, dn


class StdDev:
    """Streaming rolling population standard deviation."""

    __slots__ = ("_w",)

    def __init__(self, period: int = 20) -> None:
        self._w = WindowSum(period_(period))

    def update(self, close: float) -> float:
        self._w.push(close)
        return math.sqrt(self._w.var()) if self._w.full else NAN


class ZScore:
    """Streaming z-score of close against its rolling mean and std."""

    __slots__ = ("_w",)

    def __init__(self, period: int = 20) -> None:
        self._w = WindowSum(period_(period))

    def update(self, close: float) -> float:
        self._w.push(close)
        if not self._w.full:
            return NAN
        sd = math.sqrt(self._w.var())
        return (close - self._w.mean()) / sd if sd != 0 else NAN


class HV:
    """Streaming historical volatility of log returns."""

    __slots__ = ("_ann", "_p", "_prev", "_w")

    def __init__(self, period: int = 20, annualization: float = 252.0) -> None:
        self._p = period_(period, minimum=2)
        self._w, self._ann, self._prev = WindowSum(self._p), positive("annualization", annualization), NAN

    def update(self, close: float) -> float:
        prev, self._prev = self._prev, close
        if math.isnan(prev):
            return NAN
        self._w.push(math.log(close / prev))
        if not self._w.full:
            return NAN
        return math.sqrt(self._w.var() * (self._p / (self._p - 1)) * self._ann)
