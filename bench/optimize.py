"""Search speed: a 1,000-combination ma_cross grid on the real BTC/USDT 5m file (120k bars).

    .venv/bin/python bench/optimize.py [--jobs 2]

Prints, in the same run: the cost of one parameter set as a plain `backtest()` (signal style,
vector engine, fee 0.1%, every metric) next to the search's trial path, both in this process on
the same eight spread-out grid points; then the whole grid end to end (loading the file,
starting the workers, 1,000 trials, the result table) and its worker and wall time per trial.
The grid is fast = 2..50 step 2 (25 values) x slow = 60..450 step 10 (40 values); every pair
has fast < slow, so all 1,000 run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tradloopd.backtest import backtest, with_overrides
from tradloopd.data import load_bars
from tradloopd.optimize import optimize
from tradloopd.optimize.objective import objectives_from
from tradloopd.optimize.trial import TrialJob, TrialRunner
from tradloopd.replay import ReplaySettings

BTC = Path(__file__).resolve().parents[2] / "shared" / "data" / "crypto" / "binance_spot_BTCUSDT_5m.csv.gz"
SPACE = {"fast": "2:50:2", "slow": "60:450:10"}
FEE = 0.001


def per_trial(path: Path) -> tuple[float, float]:
    """Mean seconds per parameter set over a spread of the grid: plain `backtest()` (every
    metric, indicators recomputed) and the search's trial runner (lean path), same process."""
    bars = load_bars(path)
    settings = with_overrides(ReplaySettings(style="signal"), cash=None, fee=FEE, slippage_bps=None)
    picks = [{"fast": f, "slow": s} for f, s in ((2, 60), (8, 120), (14, 200), (20, 260), (26, 320),
                                                   (34, 380), (42, 440), (50, 100))]
    start = time.perf_counter()
    for params in picks:
        backtest("ma_cross", data=[bars], params=params, settings=settings)
    plain = (time.perf_counter() - start) / len(picks)
    runner = TrialRunner(TrialJob("ma_cross", settings, objectives_from("sharpe")), [bars])
    start = time.perf_counter()
    for params in picks:
        runner.run(params)
    return plain, (time.perf_counter() - start) / len(picks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--data", type=Path, default=BTC)
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"skipped: {args.data} not found (../shared/data absent)")
    single, lean = per_trial(args.data)
    print(f"per parameter set on {args.data.name}, same process: plain backtest() {single * 1e3:.0f} ms, "
          f"search trial {lean * 1e3:.0f} ms ({lean / single:.2f}x)")
    start = time.perf_counter()
    result = optimize("ma_cross", str(args.data), space=SPACE, objective="sharpe", fee=FEE, jobs=args.jobs)
    wall = time.perf_counter() - start
    trials = len(result.records)
    worker = statistics.mean(r.duration_s for r in result.records)
    print(f"grid of {trials} trials on {args.jobs} worker process(es): {wall:.1f} s end to end "
          f"(target < 60 s), search alone {result.seconds:.1f} s")
    print(f"in the grid: {worker * 1e3:.0f} ms of worker time per trial, {wall / trials * 1e3:.0f} ms of "
          f"wall time per trial ({wall / trials / single:.2f}x a plain backtest)")
    print(f"best: {result.best_params} sharpe {result.best_value:.3f}")


if __name__ == "__main__":
    main()
