"""The rest of the catalogue against TA-Lib (1e-9), where TA-Lib has the indicator."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tradloopd import indicators as ti

talib = pytest.importorskip("talib")
Check = Callable[..., None]
Bars = dict[str, np.ndarray]


def _hlc(bars: Bars) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return bars["high"], bars["low"], bars["close"]


def test_adaptive_and_trend(dataset: Bars, check_close: Check) -> None:
    h, lo, c = _hlc(dataset)
    check_close(ti.kama(c, 10), talib.KAMA(c, 10))
    check_close(ti.kama(c, 30), talib.KAMA(c, 30))
    check_close(ti.trix(c, 15), talib.TRIX(c, 15))
    value, slope, intercept, _, _ = ti.linreg(c, 14)
    check_close(value, talib.LINEARREG(c, 14))
    check_close(intercept, talib.LINEARREG_INTERCEPT(c, 14))
    check_close(slope, talib.LINEARREG_SLOPE(c, 14))
    check_close(ti.psar(h, lo), talib.SAR(h, lo))
    check_close(ti.psar(h, lo, 0.05, 0.3), talib.SAR(h, lo, 0.05, 0.3))
    up, down, osc = ti.aroon(h, lo, 14)
    ref_down, ref_up = talib.AROON(h, lo, 14)
    check_close(up, ref_up)
    check_close(down, ref_down)
    check_close(osc, talib.AROONOSC(h, lo, 14))


def test_momentum(dataset: Bars, check_close: Check) -> None:
    h, lo, c = _hlc(dataset)
    check_close(ti.roc(c, 10), talib.ROC(c, 10))
    check_close(ti.mom(c, 10), talib.MOM(c, 10))
    check_close(ti.willr(h, lo, c, 14), talib.WILLR(h, lo, c, 14))
    check_close(ti.cci(h, lo, c, 20), talib.CCI(h, lo, c, 20))
    check_close(ti.ultosc(h, lo, c), talib.ULTOSC(h, lo, c, 7, 14, 28))
    line, signal, hist = ti.macd(c, 12, 26, 9)
    check_close(line, talib.EMA(c, 12) - talib.EMA(c, 26))
    ref_signal = np.full(len(c), np.nan)
    ref_signal[25:] = talib.EMA(line[25:], 9)
    check_close(signal, ref_signal)
    check_close(hist, line - ref_signal)
    mid = (h + lo) / 2.0
    check_close(ti.ao(h, lo), talib.SMA(mid, 5) - talib.SMA(mid, 34))


def _check_from(ours: np.ndarray, ref: np.ndarray, warmup: int, check_close: Check) -> None:
    """TA-Lib aligns every output to the longest lookback; compare where it has values."""
    assert np.isnan(ours[:warmup]).all() and not np.isnan(ours[warmup:]).any()
    start = int(np.argmax(~np.isnan(ref)))
    check_close(ours[start:], ref[start:])


def test_stochastics(dataset: Bars, check_close: Check) -> None:
    h, lo, c = _hlc(dataset)
    k, d = ti.stoch(h, lo, c, 14, 3, 3)
    ref_k, ref_d = talib.STOCH(h, lo, c, 14, 3, 0, 3, 0)
    _check_from(k, ref_k, 13 + 2, check_close)
    check_close(d, ref_d)


def test_stochrsi_where_rsi_moves(dataset: Bars, check_close: Check) -> None:
    """Where RSI is flat to rounding, the stochastic of it is 0/0 noise in any library."""
    c = dataset["close"]
    k, d = ti.stochrsi(c, 14, 14, 1, 3)
    ref_k, ref_d = talib.STOCHRSI(c, 14, 14, 3, 0)
    r = ti.rsi(c, 14)
    flat = np.nan_to_num(talib.MAX(r, 14) - talib.MIN(r, 14), nan=1.0) < 1e-6
    flat_d = talib.MAX(flat.astype(float), 3) > 0
    assert np.isnan(k[:27]).all() and not np.isnan(k[27:]).any()
    check_close(np.where(flat, np.nan, k)[29:], np.where(flat, np.nan, ref_k)[29:])
    check_close(np.where(flat_d, np.nan, d), np.where(flat_d, np.nan, ref_d))


def test_volume(dataset: Bars, check_close: Check) -> None:
    h, lo, c = _hlc(dataset)
    v = dataset["volume"]
    if not v.any():
        pytest.skip("this series has no volume")
    check_close(ti.obv(c, v), talib.OBV(c, v))
    ad = ti.ad(h, lo, c, v)
    check_close(ad, talib.AD(h, lo, c, v))
    check_close(ti.adosc(h, lo, c, v, 3, 10), talib.EMA(ad, 3) - talib.EMA(ad, 10))
    ours, ref = ti.mfi(h, lo, c, v, 14), talib.MFI(h, lo, c, v, 14)
    tp = (h + lo + c) / 3.0
    flow = talib.SUM(np.r_[0.0, np.where(tp[1:] != tp[:-1], tp[1:] * v[1:], 0.0)], 14)
    # Typical prices equal on the decimal grid can differ by an ulp after /3, and which
    # side such a tie lands on is float noise; windows holding one are left out.
    tie = np.r_[0.0, np.abs(np.diff(tp)) < 1e-12 * tp[1:]]
    near_tie = talib.MAX(tie, 15) > 0
    # TA-Lib also treats a window whose money flow totals < 1 as 0; the definition does not.
    ok = (flow >= 1.0) & ~near_tie
    check_close(np.where(ok, ours, np.nan), np.where(ok, ref, np.nan))


def test_keltner_is_ema_and_atr(dataset: Bars, check_close: Check) -> None:
    h, lo, c = _hlc(dataset)
    upper, middle, lower = ti.keltner(h, lo, c, 20, 1.5, 10)
    check_close(middle, np.where(np.isnan(talib.ATR(h, lo, c, 10)), np.nan, talib.EMA(c, 20)))
    check_close(upper, talib.EMA(c, 20) + 1.5 * talib.ATR(h, lo, c, 10))
    check_close(lower, talib.EMA(c, 20) - 1.5 * talib.ATR(h, lo, c, 10))
