"""Volume indicators: OBV, A/D line, Chaikin money flow and oscillator, MFI, VPT, force index."""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.grid import WindowSum, rolling_sum
from tradloopd.indicators.inputs import IndicatorError, blank, period, same_length
from tradloopd.indicators.moving import EMA, ema_full
from tradloopd.indicators.volatility import period_

NAN = math.nan


def obv(close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """On-balance volume, starting from bar 0's volume (as TA-Lib)."""
    from tradloopd.indicators.kernels import flows

    c, v = same_length(close=close, volume=volume)
    out = np.empty(len(c))
    if len(c):
        flows.obv_into(c, v, out)
    return out


def ad(high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """Accumulation/distribution line: running sum of ((c-l)-(h-c))/(h-l) * volume."""
    from tradloopd.indicators.kernels import flows

    h, lo, c, v = same_length(high=high, low=low, close=close, volume=volume)
    out = np.empty(len(c))
    flows.ad_into(h, lo, c, v, out)
    return out


def cmf(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, period: int = 20
) -> np.ndarray:
    """Chaikin money flow: sum(money flow volume) / sum(volume) over `period`; 0 if no volume."""
    from tradloopd.indicators.kernels import flows, ratios

    h, lo, c, v = same_length(high=high, low=low, close=close, volume=volume)
    p = _period(period, len(c))
    flow = np.empty(len(c))
    flows.flow_volume_into(h, lo, c, v, flow)
    out = blank(len(c), p - 1)
    ratios.share_into(rolling_sum(flow, p), rolling_sum(v, p), p - 1, False, out)
    return out


def _period(value: int, n: int, name: str = "period") -> int:
    return period(name, value, n)


def adosc(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    fast: int = 3,
    slow: int = 10,
) -> np.ndarray:
    """Chaikin oscillator: EMA(A/D, fast) - EMA(A/D, slow), each EMA seeded with its SMA."""
    line = ad(high, low, close, volume)
    n = len(line)
    f, s = _period(fast, n, "fast"), _period(slow, n, "slow")
    if f >= s:
        raise IndicatorError(f"fast: must be shorter than slow ({f} >= {s})")
    from tradloopd.indicators.kernels import smoothing

    out = blank(n, s - 1)
    smoothing.ema_diff_into(line, f, s, out)
    return out


def mfi(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, period: int = 14
) -> np.ndarray:
    """Money flow index: 100 * positive flow / total flow of typical price * volume."""
    from tradloopd.indicators.kernels import flows, ratios

    h, lo, c, v = same_length(high=high, low=low, close=close, volume=volume)
    n = len(c)
    p = _period(period, n)
    pos, neg = np.empty(max(n - 1, 0)), np.empty(max(n - 1, 0))
    if n:
        flows.money_flows_into(h, lo, c, v, pos, neg)
    pos, neg = rolling_sum(pos, p), rolling_sum(neg, p)
    neg += pos
    out = blank(n, p)
    ratios.share_into(pos, neg, p, True, out)
    return out


def vpt(close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """Volume-price trend: running sum of volume * (close / previous close - 1), from bar 1."""
    from tradloopd.indicators.kernels import flows

    c, v = same_length(close=close, volume=volume)
    out = blank(len(c), 1)
    flows.vpt_into(c, v, out)
    return out


def force(close: np.ndarray, volume: np.ndarray, period: int = 13) -> np.ndarray:
    """Force index: EMA(period) of (close - previous close) * volume."""
    from tradloopd.indicators.kernels import flows

    c, v = same_length(close=close, volume=volume)
    p = _period(period, len(c))
    raw = blank(len(c), 1)
    flows.force_raw_into(c, v, raw)
    return ema_full(raw, p, 1)


class OBV:
    """Streaming on-balance volume."""

    __slots__ = ("_prev", "value")

    def __init__(self) -> None:
        self._prev, self.value = NAN, NAN

    def update(self, close: float, volume: float) -> float:
        prev, self._prev = self._prev, close
        if math.isnan(prev):
            self.value = volume
        else:
            self.value += (close > prev) * volume - (close < prev) * volume
        return self.value


def _multiplier(high: float, low: float, close: float) -> float:
    rng = high - low
    return ((close - low) - (high - close)) / rng if rng != 0 else 0.0


class AD:
    """Streaming accumulation/distribution line."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def update(self, high: float, low: float, close: float, volume: float) -> float:
        self.value += _multiplier(high, low, close) * volume
        return self.value


class CMF:
    """Streaming Chaikin money flow."""

    __slots__ = ("_flow", "_vol")

    def __init__(self, period: int = 20) -> None:
        p = period_(period)
        self._flow, self._vol = WindowSum(p), WindowSum(p)

    def update(self, high: float, low: float, close: float, volume: float) -> float:
        self._flow.push(_multiplier(high, low, close) * volume)
        self._vol.push(volume)
        if not self._vol.full:
            return NAN
        vol = self._vol.total()
        return self._flow.total() / vol if vol != 0 else 0.0


class ADOSC:
    """Streaming Chaikin oscillator."""

    __slots__ = ("_ad", "_fast", "_slow")

    def __init__(self, fast: int = 3, slow: int = 10) -> None:
        f, s = period_(fast, "fast"), period_(slow, "slow")
        if f >= s:
            raise IndicatorError(f"fast: must be shorter than slow ({f} >= {s})")
        self._ad, self._fast, self._slow = AD(), EMA(f), EMA(s)

    def update(self, high: float, low: float, close: float, volume: float) -> float:
        line = self._ad.update(high, low, close, volume)
        return self._fast.update(line) - self._slow.update(line)


class MFI:
    """Streaming money flow index."""

    __slots__ = ("_neg", "_pos", "_prev")

    def __init__(self, period: int = 14) -> None:
        p = period_(period)
        self._pos, self._neg, self._prev = WindowSum(p), WindowSum(p), NAN

    def update(self, high: float, low: float, close: float, volume: float) -> float:
        tp = (high + low + close) / 3.0
        prev, self._prev = self._prev, tp
        if math.isnan(prev):
            return NAN
        flow = tp * volume
        self._pos.push(flow if tp > prev else 0.0)
        self._neg.push(flow if tp < prev else 0.0)
        if not self._pos.full:
            return NAN
        pos, neg = self._pos.total(), self._neg.total()
        return 100.0 * pos / (pos + neg) if pos + neg != 0 else 0.0


class VPT:
    """Streaming volume-price trend."""

    __slots__ = ("_prev", "value")

    def __init__(self) -> None:
        self._prev, self.value = NAN, 0.0

    def update(self, close: float, volume: float) -> float:
        prev, self._prev = self._prev, close
        if math.isnan(prev):
            return NAN
        self.value += volume * ((close - prev) / prev if prev != 0 else 0.0)
        return self.value


class Force:
    """Streaming force index."""

    __slots__ = ("_ema", "_prev")

    def __init__(self, period: int = 13) -> None:
        self._ema, self._prev = EMA(period_(period)), NAN

    def update(self, close: float, volume: float) -> float:
        prev, self._prev = self._prev, close
        return NAN if math.isnan(prev) else self._ema.update((close - prev) * volume)
