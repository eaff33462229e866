"""Moving averages (SMA, EMA, WMA, DEMA, TEMA, HMA, VWMA) in batch and streaming form."""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.grid import WindowSum, rolling_sum
from tradloopd.indicators.inputs import IndicatorError, blank, same_length, series
from tradloopd.indicators.inputs import period as period_check

NAN = math.nan


def sma(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Simple moving average, correctly rounded when the input lies on a decimal grid."""
    from tradloopd.indicators.kernels import sums

    x = series("close", close)
    p = _period(period, len(x))
    out = blank(len(x), p - 1)
    sums.window_sums(x, p, True, out[p - 1 :])
    return out


def _period(value: int, n: int) -> int:
    return period_check("period", value, n)


def ema_full(x: np.ndarray, p: int, start: int = 0, alpha: float | None = None) -> np.ndarray:
    """EMA of x[start:] seeded with the mean of its first `p` (alpha 2/(p+1)); NaN before."""
    from tradloopd.indicators.kernels import smoothing

    out = blank(len(x), start + p - 1)
    smoothing.ema_into(x, start, p, 2.0 / (p + 1) if alpha is None else alpha, out)
    return out


def ema(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Exponential moving average, alpha = 2/(period+1), seeded with the SMA of the first period."""
    x = series("close", close)
    return ema_full(x, _period(period, len(x)))


def wma(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Weighted moving average with weights 1..period."""
    from tradloopd.indicators.kernels import weighted

    x = series("close", close)
    p = _period(period, len(x))
    out = blank(len(x), p - 1)
    weighted.wma_into(x, 0, p, out)
    return out


DEMA_KIND, TEMA_KIND, TRIX_KIND = 2, 3, 4


def ema_cascade(close: np.ndarray, period: int, kind: int) -> np.ndarray:
    """DEMA, TEMA or TRIX (`*_KIND`) in one compiled pass over the EMA chain."""
    from tradloopd.indicators.kernels import smoothing

    x = series("close", close)
    p = _period(period, len(x))
    out = blank(len(x), kind * (p - 1) + (kind == TRIX_KIND))
    smoothing.cascade_into(x, p, kind, out)
    return out


def dema(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Double EMA: 2*EMA - EMA(EMA)."""
    return ema_cascade(close, period, DEMA_KIND)


def tema(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Triple EMA: 3*EMA - 3*EMA(EMA) + EMA(EMA(EMA))."""
    return ema_cascade(close, period, TEMA_KIND)


def hma(close: np.ndarray, period: int = 20) -> np.ndarray:
    """Hull MA: WMA(2*WMA(x, period//2) - WMA(x, period), floor(sqrt(period)))."""
    from tradloopd.indicators.kernels import weighted

    x = series("close", close)
    p = _period(period, len(x))
    if p < 2:
        raise IndicatorError("period: must be >= 2 for HMA")
    out = blank(len(x), p + math.isqrt(p) - 2)
    weighted.hma_into(x, p, out)
    return out


def vwma(close: np.ndarray, volume: np.ndarray, period: int = 20) -> np.ndarray:
    """Volume-weighted MA: sum(close*volume)/sum(volume); NaN where the window volume is 0."""
    from tradloopd.indicators.kernels import weighted

    x, v = same_length(close=close, volume=volume)
    p = _period(period, len(x))
    out = blank(len(x), p - 1)
    weighted.vwma_into(x, v, rolling_sum(v, p), p, out)
    return out


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
