"""Benchmark: batch indicators on 1,000,000 bars next to TA-Lib, and streaming µs per bar.

Run: .venv/bin/python bench/indicators.py [--bars N]
Prices are a random walk on a 2-decimal grid (like BTC/USDT), so SMA takes its exact path.
Times are the best of 3 after a first call, which compiles the numba kernels (or loads
them from the on-disk cache); the sum of the first calls is printed after the table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tradloopd import indicators as ti

try:
    import talib
except ImportError:  # TA-Lib is a test extra
    talib = None


def _bars(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    close = np.round(30_000.0 * np.exp(np.cumsum(rng.normal(0, 0.002, n))), 2)
    high = np.round(close * (1 + rng.exponential(0.002, n)), 2)
    low = np.round(close * (1 - rng.exponential(0.002, n)), 2)
    volume = np.round(rng.exponential(5.0, n), 5)
    ts = 1_600_000_000 * 10**9 + np.arange(n, dtype=np.int64) * 60 * 10**9
    return {"high": high, "low": low, "close": close, "volume": volume, "ts": ts}


def _best_ms(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def _talib_linreg(c: np.ndarray) -> tuple:
    return talib.LINEARREG(c, 14), talib.LINEARREG_SLOPE(c, 14), talib.LINEARREG_INTERCEPT(c, 14)


def _talib_adx(h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> tuple:
    return talib.ADX(h, lo, c, 14), talib.PLUS_DI(h, lo, c, 14), talib.MINUS_DI(h, lo, c, 14)


def _cases(b: dict[str, np.ndarray]) -> list[tuple[str, Callable, Callable | None]]:
    h, lo, c, v, ts = b["high"], b["low"], b["close"], b["volume"], b["ts"]
    t = talib
    return [
        ("sma(20)", lambda: ti.sma(c, 20), t and (lambda: t.SMA(c, 20))),
        ("ema(20)", lambda: ti.ema(c, 20), t and (lambda: t.EMA(c, 20))),
        ("wma(20)", lambda: ti.wma(c, 20), t and (lambda: t.WMA(c, 20))),
        ("dema(20)", lambda: ti.dema(c, 20), t and (lambda: t.DEMA(c, 20))),
        ("tema(20)", lambda: ti.tema(c, 20), t and (lambda: t.TEMA(c, 20))),
        ("kama(10)", lambda: ti.kama(c, 10), t and (lambda: t.KAMA(c, 10))),
        ("trix(15)", lambda: ti.trix(c, 15), t and (lambda: t.TRIX(c, 15))),
        ("linreg(14)", lambda: ti.linreg(c, 14), t and (lambda: _talib_linreg(c))),
        ("psar", lambda: ti.psar(h, lo), t and (lambda: t.SAR(h, lo))),
        ("adx(14)", lambda: ti.adx(h, lo, c, 14), t and (lambda: _talib_adx(h, lo, c))),
        ("aroon(25)", lambda: ti.aroon(h, lo, 25), t and (lambda: t.AROON(h, lo, 25))),
        ("rsi(14)", lambda: ti.rsi(c, 14), t and (lambda: t.RSI(c, 14))),
        ("macd", lambda: ti.macd(c), t and (lambda: t.MACD(c))),
        ("stoch", lambda: ti.stoch(h, lo, c), t and (lambda: t.STOCH(h, lo, c))),
        ("stochrsi", lambda: ti.stochrsi(c, 14, 14, 1, 3), t and (lambda: t.STOCHRSI(c, 14, 14, 3))),
        ("willr(14)", lambda: ti.willr(h, lo, c), t and (lambda: t.WILLR(h, lo, c, 14))),
        ("cci(20)", lambda: ti.cci(h, lo, c), t and (lambda: t.CCI(h, lo, c, 20))),
        ("roc(10)", lambda: ti.roc(c), t and (lambda: t.ROC(c, 10))),
        ("mom(10)", lambda: ti.mom(c), t and (lambda: t.MOM(c, 10))),
        ("ultosc", lambda: ti.ultosc(h, lo, c), t and (lambda: t.ULTOSC(h, lo, c))),
        ("trange", lambda: ti.trange(h, lo, c), t and (lambda: t.TRANGE(h, lo, c))),
        ("atr(14)", lambda: ti.atr(h, lo, c), t and (lambda: t.ATR(h, lo, c, 14))),
        ("natr(14)", lambda: ti.natr(h, lo, c), t and (lambda: t.NATR(h, lo, c, 14))),
        ("bbands(20)", lambda: ti.bbands(c), t and (lambda: t.BBANDS(c, 20))),
        ("stddev(20)", lambda: ti.stddev(c), t and (lambda: t.STDDEV(c, 20))),
        ("donchian(20)", lambda: ti.donchian(h, lo), t and (lambda: (t.MAX(h, 20), t.MIN(lo, 20)))),
        ("obv", lambda: ti.obv(c, v), t and (lambda: t.OBV(c, v))),
        ("ad", lambda: ti.ad(h, lo, c, v), t and (lambda: t.AD(h, lo, c, v))),
        ("adosc", lambda: ti.adosc(h, lo, c, v), t and (lambda: t.ADOSC(h, lo, c, v))),
        ("mfi(14)", lambda: ti.mfi(h, lo, c, v), t and (lambda: t.MFI(h, lo, c, v, 14))),
        ("hma(20)", lambda: ti.hma(c), None),
        ("vwma(20)", lambda: ti.vwma(c, v), None),
        ("supertrend", lambda: ti.supertrend(h, lo, c), None),
        ("ichimoku", lambda: ti.ichimoku(h, lo, c), None),
        ("kdj", lambda: ti.kdj(h, lo, c), None),
        ("tsi", lambda: ti.tsi(c), None),
        ("ao", lambda: ti.ao(h, lo), None),
        ("keltner", lambda: ti.keltner(h, lo, c), None),
        ("hv(20)", lambda: ti.hv(c), None),
        ("zscore(20)", lambda: ti.zscore(c), None),
        ("cmf(20)", lambda: ti.cmf(h, lo, c, v), None),
        ("vwap(day)", lambda: ti.vwap(ts, h, lo, c, v, "day"), None),
        ("vpt", lambda: ti.vpt(c, v), None),
        ("force(13)", lambda: ti.force(c, v), None),
        ("pivots(day)", lambda: ti.pivots(ts, h, lo, c), None),
    ]  # fmt: skip


def _batch_table(b: dict[str, np.ndarray]) -> None:
    print(f"{'indicator':<14}{'ours ms':>10}{'talib ms':>10}{'ratio':>8}")
    first_s = 0.0
    for name, ours, theirs in _cases(b):
        t0 = time.perf_counter()
        ours()  # the first call compiles its kernels, or loads them from numba's cache
        first_s += time.perf_counter() - t0
        ms = _best_ms(ours)
        if theirs is None:
            print(f"{name:<14}{ms:>10.1f}{'-':>10}{'-':>8}")
            continue
        ref = _best_ms(theirs)
        flag = "" if ms <= 3 * ref else "  over 3x"
        print(f"{name:<14}{ms:>10.1f}{ref:>10.1f}{ms / ref:>8.1f}{flag}")
    print(f"first calls (JIT compile or numba cache load, with the run): {first_s:.2f} s")


def _stream_us(make: Callable[[], object], args: list[tuple[float, ...]]) -> float:
    obj = make()
    update = obj.update  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    for row in args:
        update(*row)
    return (time.perf_counter() - t0) / len(args) * 1e6


def _stream_table(b: dict[str, np.ndarray], n: int) -> None:
    c = [(x,) for x in b["close"][:n].tolist()]
    hlc = list(zip(*(b[k][:n].tolist() for k in ("high", "low", "close")), strict=True))
    print(f"\n{'streaming':<14}{'µs/bar':>10}")
    for name, make, args in (
        ("SMA(20)", lambda: ti.SMA(20), c),
        ("EMA(20)", lambda: ti.EMA(20), c),
        ("RSI(14)", lambda: ti.RSI(14), c),
        ("ATR(14)", lambda: ti.ATR(14), hlc),
        ("ADX(14)", lambda: ti.ADX(14), hlc),
        ("BBands(20)", lambda: ti.BBands(20), c),
        ("Donchian(20)", lambda: ti.Donchian(20), [r[:2] for r in hlc]),
    ):
        print(f"{name:<14}{_stream_us(make, args):>10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--stream-bars", type=int, default=200_000)
    opts = parser.parse_args()
    b = _bars(opts.bars)
    print(f"batch, {opts.bars:,} bars (best of 3); TA-Lib {'present' if talib else 'absent'}")
    _batch_table(b)
    _stream_table(b, opts.stream_bars)


if __name__ == "__main__":
    main()
