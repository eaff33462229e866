"""Momentum oscillators: RSI, MACD, stochastics, Williams %R, CCI, ROC, momentum and friends."""

from __future__ import annotations

import math

import numpy as np

from tradloopd.indicators.inputs import IndicatorError, blank, period, same_length, series
from tradloopd.indicators.moving import EMA, SMA, TRIX_KIND, ema_cascade, ema_full
from tradloopd.indicators.volatility import period_

NAN = math.nan


def rsi_full(x: np.ndarray, p: int) -> np.ndarray:
    """Wilder RSI of a checked series, NaN for the first p bars (50 where nothing moved)."""
    from tradloopd.indicators.kernels import smoothing

    out = blank(len(x), p)
    smoothing.rsi_into(x, p, out)
    return out


def rsi(close: np.ndarray, period: int = 14) -> np.ndarray:
    """Relative strength index with Wilder smoothing: 100 * avg gain / (avg gain + avg loss)."""
    x = series("close", close)
    return rsi_full(x, _period(period, len(x)))


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


def macd(
    close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MACD: (macd, signal, histogram) = EMA(fast) - EMA(slow), EMA(signal) of it, difference."""
    x = series("close", close)
    n = len(x)
    f, s = _period(fast, n, "fast"), _period(slow, n, "slow")
    sig = _period(signal, n, "signal")
    if f >= s:
        raise IndicatorError(f"fast: must be shorter than slow ({f} >= {s})")
    from tradloopd.indicators.kernels import smoothing

    line, signal_, hist = blank(n, s - 1), blank(n, s + sig - 2), blank(n, s + sig - 2)
    smoothing.macd_into(x, f, s, sig, line, signal_, hist)
    return line, signal_, hist


def change(x: np.ndarray, lag: int, percent: bool = False) -> np.ndarray:
    """x[t] - x[t-lag] (or 100*(x[t]/x[t-lag] - 1), NaN where x[t-lag] is 0); NaN for t < lag.

    One numpy ufunc pass each: on these single-operation loops numpy's are the fastest.
    """
    out = blank(len(x), lag)
    new, prev, dest = x[lag:], x[: len(x) - lag], out[lag:]
    if not percent:
        np.subtract(new, prev, out=dest)
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(new, prev, out=dest)
    dest -= 1.0
    dest *= 100.0
    if not prev.all():
        dest[prev == 0.0] = np.nan
    return out


def _change(close: np.ndarray, period: int, percent: bool) -> np.ndarray:
    x = series("close", close)
    return change(x, _period(period, len(x)), percent)


def roc(close: np.ndarray, period: int = 10) -> np.ndarray:
    """Rate of change in percent: 100 * (close / close[t-period] - 1); NaN where that is 0."""
    return _change(close, period, True)


def mom(close: np.ndarray, period: int = 10) -> np.ndarray:
    """Momentum: close - close[t-period]."""
    return _change(close, period, False)


def tsi(
    close: np.ndarray, long: int = 25, short: int = 13, signal: int = 13
) -> tuple[np.ndarray, np.ndarray]:
    """True strength index: 100 * EMA(EMA(dp, long), short) / same of |dp|, and its EMA signal."""
    from tradloopd.indicators.kernels import ratios

    x = series("close", close)
    n = len(x)
    lp, sp = _period(long, n, "long"), _period(short, n, "short")
    sig = _period(signal, n, "signal")
    d = change(x, 1)
    num = ema_full(ema_full(d, lp, 1), sp, lp)
    den = ema_full(ema_full(np.abs(d, out=d), lp, 1), sp, lp)
    warm = lp + sp - 1
    line = blank(n, warm)
    ratios.share_into(num[warm:], den[warm:], warm, True, line)
    return line, ema_full(line, sig, warm)


def ao(high: np.ndarray, low: np.ndarray, fast: int = 5, slow: int = 34) -> np.ndarray:
    """Awesome oscillator: SMA(hl2, fast) - SMA(hl2, slow)."""
    from tradloopd.indicators.kernels import sums

    h, lo = same_length(high=high, low=low)
    n = len(h)
    f, s = _period(fast, n, "fast"), _period(slow, n, "slow")
    if f >= s:
        raise IndicatorError(f"fast: must be shorter than slow ({f} >= {s})")
    mid = (h + lo) / 2.0
    d = sums.decimals(mid)
    out, slow_mean = blank(n, f - 1), blank(n, s - 1)
    sums.sums_on(mid, f, d, True, out[f - 1 :])
    sums.sums_on(mid, s, d, True, slow_mean[s - 1 :])
    out -= slow_mean
    return out


def trix(close: np.ndarray, period: int = 15) -> np.ndarray:
    """TRIX: 1-bar rate of change (percent) of a triple EMA."""
    return ema_cascade(close, period, TRIX_KIND)


class MACD:
    """Streaming MACD: update(close) -> (macd, signal, histogram)."""

    __slots__ = ("_fast", "_signal", "_slow")

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        f, s = period_(fast, "fast"), period_(slow, "slow")
        if f >= s:
            raise IndicatorError(f"fast: must be shorter than slow ({f} >= {s})")
        self._fast, self._slow, self._signal = EMA(f), EMA(s), EMA(period_(signal, "signal"))

    def update(self, close: float) -> tuple[float, float, float]:
        f, s = self._fast.update(close), self._slow.update(close)
        if math.isnan(s):
            return NAN, NAN, NAN
        line = f - s
        sig = self._signal.update(line)
        return line, sig, line - sig


class _Lagged:
    """The value `p` bars ago, from a ring buffer."""

    __slots__ = ("_buf", "_i", "_n", "_p")

    def __init__(self, p: int) -> None:
        self._p, self._buf, self._i, self._n = p, [0.0] * p, 0, 0

    def push(self, value: float) -> float:
        """Store `value`; return the value `p` bars before it (NaN until there is one)."""
        i = self._i
        old = self._buf[i] if self._n >= self._p else NAN
        self._buf[i] = value
        self._i = i + 1 if i + 1 < self._p else 0
        self._n += 1
        return old


class ROC:
    """Streaming rate of change (percent)."""

    __slots__ = ("_lag",)

    def __init__(self, period: int = 10) -> None:
        self._lag = _Lagged(period_(period))

    def update(self, close: float) -> float:
        prev = self._lag.push(close)
        return (close / prev - 1.0) * 100.0 if prev != 0 else NAN


class MOM:
    """Streaming momentum."""

    __slots__ = ("_lag",)

    def __init__(self, period: int = 10) -> None:
        self._lag = _Lagged(period_(period))

    def update(self, close: float) -> float:
        return close - self._lag.push(close)


class TSI:
    """Streaming true strength index: update(close) -> (tsi, signal)."""

    __slots__ = ("_den", "_num", "_prev", "_signal")

    def __init__(self, long: int = 25, short: int = 13, signal: int = 13) -> None:
        lp, sp = period_(long, "long"), period_(short, "short")
        self._num, self._den = (EMA(lp), EMA(sp)), (EMA(lp), EMA(sp))
        self._signal, self._prev = EMA(period_(signal, "signal")), NAN

    def update(self, close: float) -> tuple[float, float]:
        prev, self._prev = self._prev, close
        if math.isnan(prev):
            return NAN, NAN
        num, den = _chain(self._num, close - prev), _chain(self._den, abs(close - prev))
        if math.isnan(den):
            return NAN, NAN
        line = 100.0 * num / den if den != 0 else 0.0
        return line, self._signal.update(line)


def _chain(emas: tuple[EMA, ...], value: float) -> float:
    for e in emas:
        if math.isnan(value):
            return NAN
        value = e.update(value)
    return value


class AO:
    """Streaming awesome oscillator."""

    __slots__ = ("_fast", "_slow")

    def __init__(self, fast: int = 5, slow: int = 34) -> None:
        f, s = period_(fast, "fast"), period_(slow, "slow")
        if f >= s:
            raise IndicatorError(f"fast: must be shorter than slow ({f} >= {s})")
        self._fast, self._slow = SMA(f), SMA(s)

    def update(self, high: float, low: float) -> float:
        mid = (high + low) / 2.0
        return self._fast.update(mid) - self._slow.update(mid)


class TRIX:
    """Streaming TRIX."""

    __slots__ = ("_emas", "_prev")

    def __init__(self, period: int = 15) -> None:
        p = period_(period)
        self._emas, self._prev = (EMA(p), EMA(p), EMA(p)), NAN

    def update(self, close: float) -> float:
        e3 = _chain(self._emas, close)
        prev, self._prev = self._prev, e3
        return (e3 / prev - 1.0) * 100.0 if prev != 0 else NAN
