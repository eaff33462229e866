"""The report's building blocks: decimation, monthly returns and the buy-and-hold benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradloopd.analytics.benchmark import buy_and_hold
from tradloopd.analytics.decimate import minmax_indices
from tradloopd.analytics.monthly import monthly_returns


def test_decimation_keeps_extremes_and_ends() -> None:
    y = np.random.default_rng(1).normal(size=1_000_000).cumsum()
    y[123_456] = 1e6
    y[654_321] = -1e6
    keep = minmax_indices(y, buckets=1_000)
    assert len(keep) <= 2_002
    assert np.all(np.diff(keep) > 0)
    assert {0, len(y) - 1, 123_456, 654_321} <= set(keep.tolist())


def test_decimation_leaves_short_series_alone_and_skips_nan() -> None:
    assert minmax_indices(np.arange(10.0)).tolist() == list(range(10))
    y = np.full(10_000, np.nan)
    y[5_000] = 1.0
    assert 5_000 in minmax_indices(y, buckets=100)


def test_monthly_returns_compound_by_calendar_month() -> None:
    index = pd.DatetimeIndex(["2024-01-10", "2024-01-31", "2024-02-15", "2024-02-29",
                              "2024-04-30"], tz="UTC")
    equity = pd.Series([100.0, 110.0, 99.0, 121.0, 108.9], index=index)
    grid = monthly_returns(equity, initial_value=100.0)
    assert grid.loc[2024, 1] == pytest.approx(0.10)
    assert grid.loc[2024, 2] == pytest.approx(0.10)
    assert np.isnan(grid.loc[2024, 3])
    assert grid.loc[2024, 4] == pytest.approx(-0.10)
    assert grid.loc[2024, "year"] == pytest.approx(0.089)


def test_buy_and_hold_of_one_symbol_scales_to_the_cash() -> None:
    assert buy_and_hold(np.array([50.0, 55.0, 45.0]), 1_000.0) == pytest.approx(
        [1_000.0, 1_100.0, 900.0])


def test_equal_weight_basket_waits_in_cash_for_a_late_symbol() -> None:
    closes = np.array([[10.0, np.nan], [20.0, 5.0], [20.0, np.nan], [10.0, 10.0]])
    # symbol A: 1, 2, 2, 1; symbol B: cash until bar 1, then 1, 1 (carried), 2
    assert buy_and_hold(closes, 100.0) == pytest.approx([100.0, 150.0, 150.0, 150.0])
