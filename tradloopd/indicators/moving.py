"""Moving averages (SMA, EMA, WMA, DEMA, TEMA, HMA, VWMA) in batch and streaming form."""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.grid import WindowSum, rolling_mean, rolling_sum, window_diff_sums
from tradloopd.indicators.inputs import IndicatorError, same_length, series, warmed
from tradloopd.indicators.inputs import period as period_check
from tradloopd.indicators.recursion import seeded_smooth

NAN = math.nan


def sma(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Simple moving average, correctly rounded when the input lies on a decimal grid."""
    x = series("close", close)
    p = _period(period, len(x))
    return warmed(rolling_mean(x, p), len(x))


def _period(value: int, n: int) -> int:
    return period_check("period", value, n)


def ema_valid(x: np.ndarray, p: int) -> np.ndarray:
    """EMA of a valid (NaN-free) series; element 0 sits at x's index p-1."""
    return seeded_smooth(x, p, 2.0 / (p + 1))


def ema(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Exponential moving average, alpha = 2/(period+1), seeded with the SMA of the first period."""
    x = series("close", close)
    p = _period(period, len(x))
    return warmed(ema_valid(x, p), len(x))


def wma_valid(x: np.ndarray, p: int) -> np.ndarray:
    """Linearly weighted MA of a valid series (weights 1..p, newest heaviest)."""
    if len(x) < p:
        return np.empty(0)
    total = window_diff_sums(x, p)
    steps = np.empty(len(x) - p + 1)
    steps[0] = np.cumsum(np.arange(1, p + 1) * x[:p])[-1]
    np.subtract(p * x[p:], total[:-1], out=steps[1:])
    return np.cumsum(steps, out=steps) / (p * (p + 1) / 2)


def wma(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Weighted moving average with weights 1..period."""
    x = series("close", close)
    p = _period(period, len(x))
    return warmed(wma_valid(x, p), len(x))


def dema(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Double EMA: 2*EMA - EMA(EMA)."""
    x = series("close", close)
    p = _period(period, len(x))
    e1 = ema_valid(x, p)
    e2 = ema_valid(e1, p)
    return warmed(2.0 * e1[p - 1 :] - e2, len(x))


def tema(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Triple EMA: 3*EMA - 3*EMA(EMA) + EMA(EMA(EMA))."""
    x = series("close", close)
    p = _period(period, len(x))
    e1 = ema_valid(x, p)
    e2 = ema_valid(e1, p)
    e3 = ema_valid(e2, p)
    return warmed(3.0 * e1[2 * p - 2 :] - 3.0 * e2[p - 1 :] + e3, len(x))


def hma(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Hull MA: WMA(2*WMA(x, period//2) - WMA(x, period), floor(sqrt(period)))."""
    x = series("close", close)
    p = _period(period, len(x))
    if p < 2:
        raise IndicatorError("period: must be >= 2 for HMA")
    half, root = p // 2, math.isqrt(p)
    raw = 2.0 * wma_valid(x, half)[p - half :] - wma_valid(x, p)
    return warmed(wma_valid(raw, root), len(x))


def vwma(close: np.ndarray, volume: np.ndarray, period: int = 20) -> np.ndarray:
    """Volume-weighted MA: sum(close*volume)/sum(volume); NaN where the window volume is 0."""
    x, v = same_length(close=close, volume=volume)
    p = _period(period, len(x))
    pv = window_diff_sums(x * v, p)
    vol = rolling_sum(v, p)
    out = np.full(len(vol), NAN)
    np.divide(pv, vol, out=out, where=vol != 0)
    return warmed(out, len(x))


class SMA:
    """Streaming SMA; bit-identical to `sma` on decimal-grid input."""

    __slots__ = ("_w",)

    def __init__(self, period: int = 20) -> None:
        self._w = WindowSum(_check(period))

    def update(self, close: float) -> float:
        self._w.push(close)
        return self._w.mean() if self._w.full else NAN


def _check(p: int, name: str = "period") -> int:
    return period_check(name, p)


class EMA:
    """Streaming EMA seeded with the mean of the first `period` values."""

    __slots__ = ("_alpha", "_beta", "_n", "_p", "_sum", "value")

    def __init__(self, period: int = 20, alpha: float | None = None, start: float | None = None) -> None:
        """`alpha` overrides 2/(period+1); `start` skips the SMA seed and starts from it."""
        self._p = _check(period)
        self._alpha = 2.0 / (self._p + 1) if alpha is None else alpha
        self._beta = 1.0 - self._alpha
        self._n = 0 if start is None else self._p
        self._sum = 0.0
        self.value = NAN if start is None else start

    def update(self, close: float) -> float:
        if self._n >= self._p:
            self.value = self._alpha * close + self._beta * self.value
            return self.value
        self._n += 1
        self._sum += close
        if self._n == self._p:
            self.value = self._sum / self._p
        return self.value


class WMA:
    """Streaming weighted MA (weights 1..period), same float steps as `wma`."""

    __slots__ = ("_buf", "_i", "_n", "_p", "_s", "_w")

    def __init__(self, period: int = 20) -> None:
        self._p = _check(period)
        self._buf = [0.0] * self._p
        self._i = self._n = 0
        self._s = self._w = 0.0

    def update(self, close: float) -> float:
        p, i = self._p, self._i
        if self._n >= p:
            self._w += p * close - self._s
            self._s += close - self._buf[i]
        else:
            self._n += 1
            self._w += self._n * close
            self._s += close
        self._buf[i] = close
        self._i = i + 1 if i + 1 < p else 0
        return self._w / (p * (p + 1) / 2) if self._n >= p else NAN


class DEMA:
    """Streaming double EMA."""

    __slots__ = ("_e1", "_e2")

    def __init__(self, period: int = 20) -> None:
        self._e1, self._e2 = EMA(period), EMA(period)

    def update(self, close: float) -> float:
        e1 = self._e1.update(close)
        if math.isnan(e1):
            return NAN
        e2 = self._e2.update(e1)
        return NAN if math.isnan(e2) else 2.0 * e1 - e2


class TEMA:
    """Streaming triple EMA."""

    __slots__ = ("_e1", "_e2", "_e3")

    def __init__(self, period: int = 20) -> None:
        self._e1, self._e2, self._e3 = EMA(period), EMA(period), EMA(period)

    def update(self, close: float) -> float:
        e1 = self._e1.update(close)
        e2 = NAN if math.isnan(e1) else self._e2.update(e1)
        e3 = NAN if math.isnan(e2) else self._e3.update(e2)
        return NAN if math.isnan(e3) else 3.0 * e1 - 3.0 * e2 + e3


class HMA:
    """Streaming Hull moving average."""

    __slots__ = ("_full", "_half", "_root")

    def __init__(self, period: int = 20) -> None:
        p = _check(period, "period")
        if p < 2:
            raise IndicatorError("period: must be >= 2 for HMA")
        self._half, self._full, self._root = WMA(p // 2), WMA(p), WMA(math.isqrt(p))

    def update(self, close: float) -> float:
        half, full = self._half.update(close), self._full.update(close)
        return NAN if math.isnan(full) else self._root.update(2.0 * half - full)


class VWMA:
    """Streaming volume-weighted moving average."""

    __slots__ = ("_buf", "_i", "_n", "_p", "_pv", "_vol")

    def __init__(self, period: int = 20) -> None:
        self._p = _check(period)
        self._buf = [0.0] * self._p
        self._i = self._n = 0
        self._pv = 0.0
        self._vol = WindowSum(self._p)

    def update(self, close: float, volume: float) -> float:
        pv, i = close * volume, self._i
        self._pv += pv - self._buf[i] if self._n >= self._p else pv
        self._buf[i] = pv
        self._i = i + 1 if i + 1 < self._p else 0
        self._n += 1
        self._vol.push(volume)
        if self._n < self._p:
            return NAN
        vol = self._vol.total()
        return self._pv / vol if vol != 0 else NAN
