"""Rolling least-squares line over the last `period` bars: value, slope, intercept, r², z-score."""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.grid import WindowSum, rolling_var
from tradloopd.indicators.inputs import blank, series
from tradloopd.indicators.inputs import period as check_period
from tradloopd.indicators.volatility import period_

NAN = math.nan


def _axis(p: int) -> tuple[float, float]:
    """Sum of x and centred sum of squares for x = 0..p-1 (oldest bar at 0)."""
    sum_x = p * (p - 1) / 2.0
    return sum_x, p * (p - 1) * (2 * p - 1) / 6.0 - sum_x * sum_x / p


def _fit(s: float | np.ndarray, ws: float | np.ndarray, syy: float | np.ndarray, p: int) -> tuple:
    """From window sum s, weighted sum ws (weights 1..p) and spread syy: slope, intercept, r²."""
    sum_x, sxx = _axis(p)
    sxy = (ws - s) - sum_x * s / p
    slope = sxy / sxx if sxx != 0 else sxy * 0.0
    intercept = (s - slope * sum_x) / p
    explained = sxy * slope
    return slope, intercept, explained


def linreg(close: np.ndarray, period: int = 14) -> tuple[np.ndarray, ...]:
    """(value, slope, intercept, r2, zscore) of the least-squares line through each window.

    value is the line at the newest bar, intercept at the oldest bar; zscore is
    (close - value) / population std of the window's residuals (0 where they are all 0).
    """
    from tradloopd.indicators.kernels import weighted

    x = series("close", close)
    n = len(x)
    p = check_period("period", period, n)
    outs = blank(n, p - 1, rows=5)
    weighted.linreg_into(x, rolling_var(x, p), p, outs)
    return tuple(outs)


class LinReg:
    """Streaming rolling regression: update(close) -> (value, slope, intercept, r2, zscore)."""

    __slots__ = ("_buf", "_i", "_n", "_p", "_s", "_shift", "_var", "_ws")

    def __init__(self, period: int = 14) -> None:
        self._p = period_(period)
        self._buf, self._i, self._n = [0.0] * self._p, 0, 0
        self._s = self._ws = 0.0
        self._shift = NAN
        self._var = WindowSum(self._p)

    def update(self, close: float) -> tuple[float, ...]:
        if math.isnan(self._shift):
            self._shift = close
        p, i, y = self._p, self._i, close - self._shift
        if self._n >= p:
            self._ws += p * y - self._s
            self._s += y - self._buf[i]
        else:
            self._n += 1
            self._ws += self._n * y
            self._s += y
        self._buf[i], self._i = y, (i + 1) % p
        self._var.push(close)
        if self._n < p:
            return (NAN,) * 5
        return self._outputs(y)

    def _outputs(self, y: float) -> tuple[float, ...]:
        p = self._p
        syy = self._var.var() * p
        slope, intercept, explained = _fit(self._s, self._ws, syy, p)
        r2 = min(explained / syy, 1.0) if syy != 0 else 0.0
        res = math.sqrt(max(syy - explained, 0.0) / p)
        value = intercept + slope * (p - 1)
        z = (y - value) / res if res != 0 else 0.0
        return value + self._shift, slope, intercept + self._shift, r2, z
