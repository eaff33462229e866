"""Vectorised signals: the look-ahead check, target validation, and turning targets into orders."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tradloopd.errors import LookAheadError, StrategyError
from tradloopd.model import Instrument, Side
from tradloopd.strategy import Targets, fraction, units
from tradloopd.targets import TargetFollower, TargetOrder, evaluate, target_order

D = Decimal
LOT = Instrument(symbol="X", size_increment=D("0.01"))


def frame(n: int = 100) -> pd.DataFrame:
    close = 100 + np.sin(np.arange(n) / 5.0) * 10
    index = pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC", name="timestamp")
    return pd.DataFrame({"open": close, "high": close + 1, "low": close - 1, "close": close,
                         "volume": np.ones(n)}, index=index)


def causal(df: pd.DataFrame) -> Targets:
    return units((df["close"] > df["close"].rolling(5).mean()).astype(float))


def peeks_at_tomorrow(df: pd.DataFrame) -> Targets:
    return units((df["close"].shift(-1) > df["close"]).astype(float))


def whole_series_mean(df: pd.DataFrame) -> Targets:
    return units((df["close"] > df["close"].mean()).astype(float))


def test_a_causal_signal_passes_the_look_ahead_check():
    targets = evaluate(causal, frame(), check=True, name="causal")
    assert targets.unit == "units" and len(targets.values) == 100


@pytest.mark.parametrize("signals", [peeks_at_tomorrow, whole_series_mean])
def test_a_signal_that_looks_ahead_is_refused_naming_the_bar_and_the_fix(signals):
    with pytest.raises(LookAheadError) as caught:
        evaluate(signals, frame(), check=True, name="peek")
    message = str(caught.value)
    assert message.startswith("strategy peek looks ahead: its target at bar ")
    assert "2024-01-" in message  # the bar's time
    assert "no shift(-1), no whole-series statistics" in message


def test_the_look_ahead_check_can_be_switched_off():
    assert len(evaluate(peeks_at_tomorrow, frame(), check=False, name="peek").values) == 100


def test_a_plain_array_or_series_means_units():
    targets = evaluate(lambda df: df["close"] * 0 + 2, frame(10), check=False, name="plain")
    assert targets.unit == "units" and targets.values.tolist() == [2.0] * 10


def test_fraction_targets_keep_their_unit():
    targets = evaluate(lambda df: fraction(np.full(len(df), 0.5)), frame(10), check=True, name="f")
    assert targets.unit == "fraction"


def test_wrong_length_is_a_strategy_error():
    with pytest.raises(StrategyError, match="strategy short: signals\\(\\) returned 3 values for 10 bars"):
        evaluate(lambda df: [1, 2, 3], frame(10), check=False, name="short")


def test_an_infinite_target_is_a_strategy_error():
    with pytest.raises(StrategyError, match="strategy inf: signals\\(\\) returned an infinite target"):
        evaluate(lambda df: np.full(len(df), np.inf), frame(10), check=False, name="inf")


# Target -> order ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "position", "expected"), [
    (2.567, "1", TargetOrder(Side.BUY, D("1.56"), None)),   # to the lot, rounded down
    (-1.0, "1", TargetOrder(Side.SELL, D("2"), None)),      # through flat to short
    (-1.567, "0", TargetOrder(Side.SELL, D("1.56"), None)),  # a short is rounded towards flat too
    (1.0, "1", None),                                       # already there
])
def test_unit_targets_order_the_difference_in_lots(target, position, expected):
    assert target_order(target, "units", D(position), 10_000.0, 100.0, LOT) == expected


@pytest.mark.parametrize(("target", "position", "expected"), [
    (0.5, "0", TargetOrder(Side.BUY, None, D(5000))),      # a buy from flat spends a notional
    (0.5, "40", TargetOrder(Side.BUY, None, D(1000))),     # growing a long: the value missing
    (0.5, "60", TargetOrder(Side.SELL, D(10), None)),      # shrinking: a quantity
    (-0.5, "10", TargetOrder(Side.SELL, D(60), None)),     # flipping short
    (0.0, "10", TargetOrder(Side.SELL, D(10), None)),      # flat
])
def test_fraction_targets_size_on_equity_and_the_close(target, position, expected):
    assert target_order(target, "fraction", D(position), 10_000.0, 100.0, LOT) == expected


def test_follower_trades_only_where_the_target_changes_and_nan_keeps_the_last():
    follower = TargetFollower(units([math.nan, 1, math.nan, 1, 0, 0, math.nan, 2]))
    assert follower.values.tolist() == [0, 1, 1, 1, 0, 0, 0, 2]  # flat before the first value
    assert follower.change_rows().tolist() == [1, 4, 7]


# In a replay ---------------------------------------------------------------------------------------


class Stepper:
    """Targets 0,1,1,1,0,0,1 in units: buy after bar 1, sell after bar 4, a last-bar signal."""

    name = "stepper"

    def __init__(self, params: object) -> None:
        pass

    def signals(self, df: pd.DataFrame) -> Targets:
        return units([0, 1, 1, 1, 0, 0, 1][: len(df)])


@pytest.mark.parametrize("engine", ["event", "vector"])
def test_a_target_change_fills_at_the_next_bars_open_and_a_last_bar_signal_never_fills(engine):
    from tradloopd.data.bars import BarSeries
    from tradloopd.replay import Replay, ReplaySettings

    opens = np.array([10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0])
    ts = np.arange(7, dtype=np.int64) * 3_600_000_000_000
    series = BarSeries.from_arrays(symbol="X", ts=ts, source="test", open=opens, high=opens + 1,
                                   low=opens - 1, close=opens + 0.5, volume=np.full(7, 1e6))
    replay = Replay(Stepper, None, [series], ReplaySettings(engine=engine)).run()
    assert replay.engine == engine
    assert [(f.side, f.price, f.ts_event) for f in replay.account.fills] == [
        (Side.BUY, 12, ts[2]), (Side.SELL, 15, ts[5])]
