"""Walk-forward chooses each window's parameters from its in-sample bars only, and stitches OOS."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import planted_strategies
import pytest
from planted_strategies import SEEN, Recording, rising_bars

from tradloopd.data import load_sample
from tradloopd.optimize import walk_forward
from tradloopd.optimize.progress import Progress
from tradloopd.replay import InstrumentSettings, ReplaySettings


def record_phase(event: Progress) -> None:
    if event.kind in ("window", "oos"):
        SEEN.append((event.kind, event.window))


@pytest.mark.parametrize("anchored", [False, True])
def test_no_out_of_sample_bar_is_seen_while_choosing(anchored: bool) -> None:
    SEEN.clear()
    bars = rising_bars(400)
    result = walk_forward(Recording, [bars], space={"period": "2:40:2"}, objective="total_return",
                          n_windows=4, is_ratio=2, gap=3, anchored=anchored, progress=record_phase)
    windows = result.windows
    assert len(windows) == 4 and windows["oos_end"].iloc[-1] == pd.Timestamp(int(bars.ts[-1]), tz="UTC")
    phase, window = None, None
    seen_in_sample = 0
    for kind, value in SEEN:
        if kind in ("window", "oos"):
            phase, window = kind, value
            continue
        if phase == "window":  # the in-sample search of `window`: never past its in-sample end
            row = windows.iloc[window]
            assert value <= row["is_end"].value < row["oos_start"].value
            seen_in_sample += 1
    assert seen_in_sample >= 4 * 20  # every trial of every window was watched
    starts = windows["is_start"]
    assert (starts == starts.iloc[0]).all() if anchored else starts.is_monotonic_increasing
    gaps = (windows["oos_start"] - windows["is_end"]) / pd.Timedelta(days=1)
    assert (gaps == 4).all()  # 3 gap bars between the last in-sample and first out-of-sample day


def test_the_stitched_curve_chains_each_windows_out_of_sample_returns() -> None:
    result = walk_forward("ma_cross", "sample", space={"fast": "5:20:5", "slow": "30:90:30"}, n_windows=3)
    curve = result.oos_curve
    assert len(curve) == result.windows["oos_bars"].sum()
    growth = np.prod(1 + result.windows["oos_return"].astype(float))
    assert curve.equity[-1] / curve.initial_cash == pytest.approx(growth)
    assert result.oos_metrics["total_return"] == pytest.approx(growth - 1)
    ratio = result.windows["oos_cagr"] / result.windows["is_cagr"]
    assert np.allclose(result.windows["efficiency"].dropna(), ratio[result.windows["is_cagr"] > 0])
    windows = result.windows
    assert result.efficiency == pytest.approx(windows["oos_cagr"].mean() / windows["is_cagr"].mean())
    drift = result.drift()
    assert list(drift["parameter"]) == ["fast", "slow"] and drift["spread"].between(0, 1).all()
    assert result.verdict().reasons


def test_each_window_replays_its_choice_exactly() -> None:
    from tradloopd.backtest import backtest

    result = walk_forward("ma_cross", "sample", space={"fast": "5:20:5", "slow": "30:90:30"}, n_windows=2)
    row = result.windows.iloc[1]
    bars = load_sample("AAPL")
    start = int(np.searchsorted(bars.ts, row["is_start"].value))
    stop = int(np.searchsorted(bars.ts, row["oos_end"].value)) + 1
    params = {"fast": int(row["param_fast"]), "slow": int(row["param_slow"])}
    whole_shares = ReplaySettings(instruments={"AAPL": InstrumentSettings(size_increment=Decimal(1))})
    full = backtest("ma_cross", data=[bars.slice(start, stop)], params=params, settings=whole_shares)
    equity = full.curve.equity
    oos_start = int(np.searchsorted(bars.ts[start:stop], row["oos_start"].value))
    assert row["oos_return"] == pytest.approx(equity[-1] / equity[oos_start - 1] - 1)
    assert planted_strategies.OPTIMUM  # the helper module is importable here too
