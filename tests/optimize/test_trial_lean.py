"""A trial's lean path reports exactly what `backtest()` reports, with or without the caches."""

from __future__ import annotations

import msgspec
import pytest

from tests.conftest import shared_file
from tradloopd.backtest import backtest, with_overrides
from tradloopd.data import load_bars, load_sample
from tradloopd.optimize.objective import objectives_from
from tradloopd.optimize.trial import TrialJob, TrialRunner
from tradloopd.replay import ReplaySettings

SIGNAL = ReplaySettings(style="signal")


def full_metrics(series, params, settings):
    return backtest("ma_cross", data=[series], params=params, settings=settings).metrics


@pytest.mark.parametrize("params", [{"fast": 5, "slow": 20}, {"fast": 20, "slow": 100},
                                    {"fast": 2, "slow": 3}])
def test_lean_metrics_equal_the_backtest_metrics(params: dict[str, int]) -> None:
    series = load_sample("MSFT")
    settings = with_overrides(SIGNAL, cash=None, fee=0.001, slippage_bps=2.0)
    runner = TrialRunner(TrialJob("ma_cross", settings, objectives_from("sharpe")), [series])
    lean = runner.run(params).metrics
    every = runner.evaluate(params, all_metrics=True).view.metrics
    expected = full_metrics(series, params, settings)
    assert every == expected
    assert lean == {k: expected[k] for k in lean}
    assert set(lean) >= {"sharpe", "trades", "max_drawdown", "total_return", "calmar"}


def test_the_indicator_cache_changes_nothing_but_the_cost() -> None:
    series = load_sample("IBM")
    job = TrialJob("ma_cross", SIGNAL, objectives_from(["sharpe", "sortino"]))
    cached = TrialRunner(job, [series])
    assert cached._cls is not cached.strategy  # the signal style runs through the cache
    for params in ({"fast": 10, "slow": 30}, {"fast": 10, "slow": 50}, {"fast": 10, "slow": 30}):
        fresh = TrialRunner(job, [series])
        fresh._cls = fresh.strategy  # the engine computes the indicators itself
        a, b = cached.run(params), fresh.run(params)
        assert (a.values, a.metrics, a.state) == (b.values, b.metrics, b.state)
    assert len(cached._cls.__mro__) and cached._cls.name == "ma_cross"


def test_bar_style_strategies_run_the_event_engine_unchanged() -> None:
    series = load_sample("AAPL")
    settings = msgspec.structs.replace(ReplaySettings(), style="bar")
    runner = TrialRunner(TrialJob("ma_cross", settings, objectives_from("sharpe")), [series])
    assert runner._cls is runner.strategy
    params = {"fast": 10, "slow": 40}
    got = runner.evaluate(params, all_metrics=True).view.metrics
    assert got == full_metrics(series, params, settings)


def test_real_btc_trials_equal_backtest() -> None:
    series = load_bars(shared_file("crypto/binance_spot_BTCUSDT_5m.csv.gz")).slice(0, 30_000)
    settings = with_overrides(SIGNAL, cash=None, fee=0.001, slippage_bps=None)
    runner = TrialRunner(TrialJob("ma_cross", settings, objectives_from("sharpe")), [series])
    for params in ({"fast": 12, "slow": 48}, {"fast": 30, "slow": 200}):
        expected = full_metrics(series, params, settings)
        lean = runner.run(params).metrics
        assert lean == {k: expected[k] for k in lean}
