"""Replay speed: ma_cross (qty=1, no fees) through tradloopd next to backtesting.py, same data, same run.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/replay.py

Prints bars/s for our per-bar (`on_bar`, event engine) and vectorised (`signals`, vector engine)
styles and for backtesting.py, the ratios, and the peak memory of a 1,000,000-bar run measured in
a fresh process. The data are the real BTC/USDT 5m file from ../shared/data (skipped if absent)
and a seeded synthetic 1,000,000-bar random walk.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np

from tradloopd.backtest import backtest
from tradloopd.data import BarSeries, load_bars
from tradloopd.replay import ReplaySettings

BTC = Path(__file__).resolve().parents[2] / "shared" / "data" / "crypto" / "binance_spot_BTCUSDT_5m.csv.gz"
PARAMS = {"fast": 10, "slow": 30, "qty": 1}


def synthetic(n: int, seed: int = 7) -> BarSeries:
    """A seeded geometric random walk of 5-minute bars on a 2-decimal price grid."""
    rng = np.random.default_rng(seed)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.002, n))), 2)
    open_ = np.concatenate(([100.0], close[:-1]))
    wick = np.abs(rng.normal(0, 0.001, (2, n)))
    high = np.round(np.maximum(open_, close) * (1 + wick[0]), 2)
    low = np.round(np.minimum(open_, close) * (1 - wick[1]), 2)
    ts = np.arange(n, dtype=np.int64) * 300_000_000_000 + 1_577_836_800_000_000_000
    return BarSeries.from_arrays(symbol="SYN", ts=ts, open=open_, high=high, low=low, close=close,
                                 volume=np.ones(n), source=f"synthetic random walk, seed {seed}")


def ours(bars: BarSeries, style: str) -> tuple[float, int]:
    settings = ReplaySettings(cash=Decimal(10**9), style=style)  # type: ignore[arg-type]
    start = time.perf_counter()
    result = backtest("ma_cross", data=[bars], params=PARAMS, settings=settings)
    return time.perf_counter() - start, len(result.fills)


def peer(bars: BarSeries) -> tuple[float, int]:
    import pandas as pd
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    frame = bars.to_frame().rename(columns=str.capitalize)

    def sma(values: np.ndarray, n: int) -> np.ndarray:
        return pd.Series(values).rolling(n).mean().to_numpy()

    class MaCross(Strategy):
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, 10)
            self.slow = self.I(sma, self.data.Close, 30)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                if not self.position:
                    self.buy(size=1)
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test = Backtest(frame, MaCross, cash=10**9, commission=0, finalize_trades=True)
        start = time.perf_counter()
        stats = test.run()
    elapsed = time.perf_counter() - start
    return elapsed, 2 * int(stats["# Trades"])


def best_of(runs: int, fn, *args):  # type: ignore[no-untyped-def]
    return min((fn(*args) for _ in range(runs)), key=lambda r: r[0])


def compare(name: str, bars: BarSeries, runs: int) -> None:
    n = len(bars)
    peer_s, peer_fills = best_of(1, peer, bars)
    print(f"\n{name}: {n:,} bars")
    print(f"  {'engine':<34}{'seconds':>9}{'bars/s':>12}{'fills':>8}{'vs backtesting.py':>20}")
    print(f"  {'backtesting.py':<34}{peer_s:>9.3f}{n / peer_s:>12,.0f}{peer_fills:>8}{'1.0x':>20}")
    for style, label in (("bar", "tradloopd on_bar (event engine)"),
                         ("signal", "tradloopd signals (vector engine)")):
        seconds, fills = best_of(runs, ours, bars, style)
        print(f"  {label:<34}{seconds:>9.3f}{n / seconds:>12,.0f}{fills:>8}"
              f"{peer_s / seconds:>19.1f}x")


def peak_memory(style: str, n: int) -> float:
    """Peak RSS (MB) of a fresh process that builds n synthetic bars and backtests them."""
    code = (f"import bench.replay as b; b.ours(b.synthetic({n}), {style!r}); "
            "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=root)
    return int(out.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000, help="synthetic series length")
    parser.add_argument("--runs", type=int, default=3, help="best of N for our engine")
    args = parser.parse_args()
    if BTC.is_file():
        compare("BTC/USDT 5m (real)", load_bars(BTC), args.runs)
    else:
        print(f"skipping the real-data case: {BTC} not found")
    compare("synthetic random walk", synthetic(args.bars), args.runs)
    for style in ("bar", "signal"):
        print(f"peak memory, {args.bars:,} bars, {style} style: {peak_memory(style, args.bars):.0f} MB "
              "(whole process, imports included)")


if __name__ == "__main__":
    main()
