"""The core indicators agree with TA-Lib to 1e-9 on real and synthetic data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tradloopd import indicators as ti

talib = pytest.importorskip("talib")
Check = Callable[..., None]


@pytest.fixture
def bars(dataset: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return dataset


def test_moving_averages(bars: dict[str, np.ndarray], check_close: Check) -> None:
    c = bars["close"]
    for p in (1, 2, 10, 30):
        check_close(ti.sma(c, p), talib.SMA(c, p))
        check_close(ti.ema(c, p), talib.EMA(c, p))
        check_close(ti.wma(c, p), talib.WMA(c, p))
    check_close(ti.dema(c, 20), talib.DEMA(c, 20))
    check_close(ti.tema(c, 20), talib.TEMA(c, 20))


def test_wilder_family(bars: dict[str, np.ndarray], check_close: Check) -> None:
    h, lo, c = bars["high"], bars["low"], bars["close"]
    for p in (1, 5, 14):
        check_close(ti.atr(h, lo, c, p), talib.ATR(h, lo, c, p))
        if p > 1:  # TA-Lib's NATR(1) returns the raw true range, not normalised
            check_close(ti.natr(h, lo, c, p), talib.NATR(h, lo, c, p))
    for p in (2, 5, 14):
        check_close(ti.rsi(c, p), talib.RSI(c, p))
    check_close(ti.trange(h, lo, c), talib.TRANGE(h, lo, c))


@pytest.mark.parametrize("p", [2, 14, 30])
def test_adx_and_directional_indicators(bars: dict[str, np.ndarray], p: int, check_close: Check) -> None:
    h, lo, c = bars["high"], bars["low"], bars["close"]
    adx, plus_di, minus_di = ti.adx(h, lo, c, p)
    check_close(adx, talib.ADX(h, lo, c, p))
    check_close(plus_di, talib.PLUS_DI(h, lo, c, p))
    check_close(minus_di, talib.MINUS_DI(h, lo, c, p))


def test_bands_and_channels(bars: dict[str, np.ndarray], check_close: Check) -> None:
    h, lo, c = bars["high"], bars["low"], bars["close"]
    upper, middle, lower, _, _ = ti.bbands(c, 20, 2.5)
    ref = talib.BBANDS(c, 20, 2.5, 2.5, 0)
    for ours, theirs in zip((upper, middle, lower), ref, strict=True):
        check_close(ours, theirs)
    check_close(ti.stddev(c, 20), talib.STDDEV(c, 20, 1.0))
    up, mid, dn = ti.donchian(h, lo, 20)
    np.testing.assert_array_equal(up, talib.MAX(h, 20))
    np.testing.assert_array_equal(dn, talib.MIN(lo, 20))
    check_close(mid, talib.MEDPRICE(talib.MAX(h, 20), talib.MIN(lo, 20)))
