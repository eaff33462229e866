"""Search speed: a 1,000-combination ma_cross grid on the real BTC/USDT 5m file (120k bars).

    .venv/bin/python bench/optimize.py [--jobs 2]

Prints, in the same run: one plain `backtest()` of ma_cross (signal style, vector engine, fee
0.1%, every metric), the whole grid end to end (loading the file, starting the workers, 1,000
trials, the result table), and the per-trial cost: worker time per trial next to the plain
backtest, and wall time per trial. The grid is fast = 2..50 step 2 (25 values) x slow =
60..450 step 10 (40 values); every pair has fast < slow, so all 1,000 run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tradloopd.backtest import backtest
from tradloopd.data import load_bars
from tradloopd.optimize import optimize
from tradloopd.replay import ReplaySettings

BTC = Path(__file__).resolve().parents[2] / "shared" / "data" / "crypto" / "binance_spot_BTCUSDT_5m.csv.gz"
SPACE = {"fast": "2:50:2", "slow": "60:450:10"}
FEE = 0.001


def plain_backtest(path: Path, repeats: int = 3) -> float:
    """Seconds for one full backtest() of ma_cross(20, 100) on bars already loaded (best of n)."""
    bars = load_bars(path)
    settings = ReplaySettings(style="signal")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        backtest("ma_cross", data=[bars], params={"fast": 20, "slow": 100}, settings=settings, fee=FEE)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--data", type=Path, default=BTC)
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"skipped: {args.data} not found (../shared/data absent)")
    single = plain_backtest(args.data)
    print(f"plain backtest() of ma_cross on {args.data.name}: {single * 1e3:.0f} ms (every metric)")
    start = time.perf_counter()
    result = optimize("ma_cross", str(args.data), space=SPACE, objective="sharpe", fee=FEE, jobs=args.jobs)
    wall = time.perf_counter() - start
    trials = len(result.records)
    worker = statistics.mean(r.duration_s for r in result.records)
    print(f"grid of {trials} trials on {args.jobs} worker process(es): {wall:.1f} s end to end "
          f"(target < 60 s), search alone {result.seconds:.1f} s")
    print(f"per trial: {worker * 1e3:.0f} ms of worker time ({worker / single:.2f}x a plain backtest), "
          f"{wall / trials * 1e3:.0f} ms of wall time ({wall / trials / single:.2f}x)")
    print(f"best: {result.best_params} sharpe {result.best_value:.3f}")


if __name__ == "__main__":
    main()
