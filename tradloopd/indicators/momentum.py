"""Momentum oscillators: RSI, MACD, stochastics, Williams %R, CCI, ROC, momentum and friends."""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.inputs import period, series, warmed
from tradloopd.indicators.moving import EMA
from tradloopd.indicators.recursion import seeded_smooth
from tradloopd.indicators.volatility import period_

NAN = math.nan


def _rsi_from(gain: np.ndarray, loss: np.ndarray) -> np.ndarray:
    total = gain + loss
    return np.divide(100.0 * gain, total, out=np.full(len(total), 50.0), where=total != 0)


def rsi_valid(x: np.ndarray, p: int) -> np.ndarray:
    """Wilder RSI of a valid series, from x's index p on (50 where nothing moved)."""
    d = x[1:] - x[:-1]
    gain = seeded_smooth(np.maximum(d, 0.0), p, 1.0 / p)
    loss = seeded_smooth(np.maximum(-d, 0.0), p, 1.0 / p)
    return _rsi_from(gain, loss)


def rsi(close: np.ndarray, period: int = 14) -> np.ndarray:
    """Relative strength index with Wilder smoothing: 100 * avg gain / (avg gain + avg loss)."""
    x = series("close", close)
    p = _period(period, len(x))
    return warmed(rsi_valid(x, p), len(x))


def _period(value: int, n: int, name: str = "period", minimum: int = 1) -> int:
    return period(name, value, max(n, 0), minimum)


class RSI:
    """Streaming Wilder RSI."""

    __slots__ = ("_gain", "_loss", "_prev")

    def __init__(self, period: int = 14) -> None:
        p = period_(period)
        self._gain, self._loss = EMA(p, alpha=1.0 / p), EMA(p, alpha=1.0 / p)
        self._prev = NAN

    def update(self, close: float) -> float:
        prev, self._prev = self._prev, close
        if math.isnan(prev):
            return NAN
        d = close - prev
        gain = self._gain.update(max(d, 0.0))
        loss = self._loss.update(max(-d, 0.0))
        total = gain + loss
        if math.isnan(total):
            return NAN
        return 100.0 * gain / total if total != 0 else 50.0
