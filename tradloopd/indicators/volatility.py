"""Volatility: true range, ATR/NATR (Wilder), Bollinger, Keltner, Donchian, std, HV, z-score."""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.grid import WindowSum, rolling_var
from tradloopd.indicators.inputs import IndicatorError, blank, period, positive, same_length, series
from tradloopd.indicators.moving import EMA, ema_full
from tradloopd.indicators.windows import WindowMax

NAN = math.nan


def trange(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """True range; bar 0 is NaN (no previous close)."""
    from tradloopd.indicators.kernels import smoothing

    h, lo, c = same_length(high=high, low=low, close=close)
    out = blank(len(c), 1)
    smoothing.trange_into(h, lo, c, out)
    return out


def atr_full(h: np.ndarray, lo: np.ndarray, c: np.ndarray, p: int, percent: bool = False) -> np.ndarray:
    """Wilder ATR (NATR with `percent`) of checked series, NaN for the first p bars."""
    from tradloopd.indicators.kernels import smoothing

    out = blank(len(c), p)
    smoothing.atr_into(h, lo, c, p, percent, out)
    return out


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> np.ndarray:
    """Average true range (Wilder smoothing)."""
    h, lo, c = same_length(high=high, low=low, close=close)
    return atr_full(h, lo, c, _period(period, len(c)))


def _period(value: int, n: int, name: str = "period", minimum: int = 1) -> int:
    return period(name, value, max(n, 0), minimum)


def natr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> np.ndarray:
    """Normalised ATR: 100 * ATR / close."""
    h, lo, c = same_length(high=high, low=low, close=close)
    return atr_full(h, lo, c, _period(period, len(c)), percent=True)


def _mean_and_std(x: np.ndarray, p: int, mid: np.ndarray, sd: np.ndarray) -> None:
    """Window means into `mid`, population stds into `sd` (exact on a grid), from bar p-1."""
    from tradloopd.indicators.kernels import sums

    sums.moments_on(x, p, sums.decimals(x), mid[p - 1 :], sd[p - 1 :])


def bbands(close: np.ndarray, period: int = 20, k: float = 2.0) -> tuple[np.ndarray, ...]:
    """Bollinger Bands: (upper, middle, lower, bandwidth, percent_b), population std."""
    from tradloopd.indicators.kernels import ratios

    x = series("close", close)
    p = _period(period, len(x))
    k = positive("k", k)
    outs = blank(len(x), p - 1, rows=5)
    _mean_and_std(x, p, outs[1], outs[0])  # the std sits in the upper row until the bands replace it
    ratios.bands_into(x, outs[1], outs[0], p, k, outs)
    return tuple(outs)


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
    mid = ema_full(c, _period(period, n))
    rng = atr_full(h, lo, c, _period(atr_period, n, "atr_period"))
    m = positive("multiplier", multiplier)
    rng *= m
    return mid + rng, mid, mid - rng


def donchian(high: np.ndarray, low: np.ndarray, period: int = 20) -> tuple[np.ndarray, ...]:
    """Donchian channels: (upper, middle, lower) = highest high, midpoint, lowest low."""
    from tradloopd.indicators.kernels import extremes

    h, lo = same_length(high=high, low=low)
    p = _period(period, len(h))
    outs = blank(len(h), p - 1, rows=3)
    extremes.extremes_into(h, lo, lo, p, extremes.CHANNEL, outs)
    return tuple(outs)


def stddev(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Rolling population standard deviation."""
    from tradloopd.indicators.kernels import sums

    x = series("close", close)
    p = _period(period, len(x))
    out = blank(len(x), p - 1)
    sums.window_var(x, p, sums.decimals(x), True, out[p - 1 :])
    return out


def zscore(close: np.ndarray, period: int = 20) -> np.ndarray:
    """(close - rolling mean) / rolling population std; NaN where the std is 0."""
    from tradloopd.indicators.kernels import ratios

    x = series("close", close)
    p = _period(period, len(x))
    mid, sd = blank(len(x), p - 1), np.empty(len(x))
    _mean_and_std(x, p, mid, sd)
    ratios.zscore_into(x, mid, sd, p)
    return mid


def hv(close: np.ndarray, period: int = 20, annualization: float = 252.0) -> np.ndarray:
    """Historical volatility: sample std of log returns over `period` * sqrt(annualization)."""
    from tradloopd.indicators.kernels import ratios

    x = series("close", close)
    p = _period(period, len(x), minimum=2)
    ann = positive("annualization", annualization)
    if (x <= 0).any():
        raise IndicatorError("close: historical volatility needs prices > 0")
    r = np.empty(len(x) - 1)
    ratios.log_returns_into(x, r)
    out = blank(len(x), p)
    ratios.hv_into(rolling_var(r, p), p, ann, out)
    return out


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
