"""Edge cases give defined values (None where undefined), never exceptions, NaN or infinity."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tradloopd.analytics.catalog import METRIC_KEYS, SUMMARY_KEYS
from tradloopd.analytics.inputs import EquityCurve, TradeLog
from tradloopd.analytics.metrics import compute_metrics

DAY_NS = 86_400 * 1_000_000_000
ENGINE_SUMMARY = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "win_rate",
                  "profit_factor", "trades", "exposure_time")


def curve(equity: list[float] | np.ndarray, initial: float = 10_000.0) -> EquityCurve:
    equity = np.asarray(equity, dtype=float)
    ts = np.arange(len(equity), dtype=np.int64) * DAY_NS
    return EquityCurve(ts, equity, equity, np.zeros(len(equity)), initial)


def metrics(equity: list[float] | np.ndarray, **kwargs: object) -> dict:
    return compute_metrics(curve(equity), TradeLog.empty(), fees_paid=0.0, traded_notional=0.0,
                           **kwargs)


EDGE_CURVES = {
    "zero-bars": [],
    "one-bar": [10_000.0],
    "two-bars": [10_000.0, 10_100.0],
    "flat": [10_000.0] * 500,
    "constant-growth": 10_000.0 * 1.001 ** np.arange(500),
    "ruin": [10_000.0, 5_000.0, 0.0, -200.0, -300.0],
    "only-gains": [10_000.0, 10_100.0, 10_200.0, 10_300.0],
}


@pytest.mark.parametrize("name", EDGE_CURVES)
def test_edge_curves_are_json_safe(name: str) -> None:
    values = metrics(EDGE_CURVES[name], benchmark=None)
    assert tuple(values) == METRIC_KEYS
    for key, value in values.items():
        assert value is None or (isinstance(value, int | float) and math.isfinite(value)), key
    json.dumps(values, allow_nan=False)


def test_keys_are_stable_and_cover_the_engine_summary() -> None:
    assert set(ENGINE_SUMMARY) <= set(METRIC_KEYS)
    assert SUMMARY_KEYS == ENGINE_SUMMARY
    assert len(METRIC_KEYS) == len(set(METRIC_KEYS)) >= 30


def test_one_bar() -> None:
    values = metrics([10_000.0])
    assert values["total_return"] == 0.0
    assert values["bars"] == 1
    assert values["cagr"] is values["sharpe"] is values["periods_per_year"] is None
    assert values["max_drawdown"] == 0.0
    assert values["var_95"] is None


def test_zero_bars() -> None:
    values = metrics([])
    assert values["total_return"] is None
    assert values["max_drawdown"] is None
    assert values["trades"] == 0


def test_flat_equity_has_no_risk_ratios() -> None:
    values = metrics([10_000.0] * 500)
    assert values["total_return"] == values["cagr"] == values["volatility"] == 0.0
    assert values["max_drawdown"] == 0.0
    assert values["max_drawdown_duration_s"] == 0.0
    for key in ("sharpe", "sortino", "calmar", "omega", "skew", "kurtosis", "tail_ratio"):
        assert values[key] is None, key


def test_zero_volatility_growth_is_none_not_infinite() -> None:
    values = metrics(10_000.0 * 1.001 ** np.arange(500))
    assert values["cagr"] > 0
    assert values["sharpe"] is None
    assert values["sortino"] is None
    assert values["omega"] is None


def test_gains_only_have_no_sortino_but_a_sharpe() -> None:
    values = metrics([10_000.0, 10_100.0, 10_300.0, 10_310.0])
    assert values["sharpe"] > 0
    assert values["sortino"] is None
    assert values["calmar"] is None


def test_ruin_stops_the_returns() -> None:
    values = metrics([10_000.0, 5_000.0, 0.0, -200.0, -300.0])
    assert values["total_return"] == pytest.approx(-1.03)
    assert values["cagr"] == -1.0
    assert values["var_99"] == pytest.approx(-1.0, abs=0.02)
    assert values["max_drawdown"] == pytest.approx(-1.03)


def test_flat_benchmark_has_no_beta() -> None:
    values = metrics([10_000.0, 10_100.0, 10_050.0, 10_200.0], benchmark=np.full(4, 50.0))
    assert values["benchmark_return"] == 0.0
    assert values["excess_return"] == pytest.approx(0.02)
    assert values["beta"] is None and values["alpha"] is None
    assert values["information_ratio"] is not None


def test_benchmark_identical_to_strategy() -> None:
    equity = 10_000.0 * np.cumprod(1 + np.random.default_rng(3).normal(0, 0.01, 300))
    equity[0] = 10_000.0
    values = metrics(equity, benchmark=equity / 100)
    assert values["beta"] == pytest.approx(1.0)
    assert values["alpha"] == pytest.approx(0.0, abs=1e-12)
    assert values["excess_return"] == pytest.approx(0.0, abs=1e-12)
    assert values["tracking_error"] == pytest.approx(0.0, abs=1e-12)
    assert values["information_ratio"] is None


def test_periods_per_year_override_rescales_annualised_metrics() -> None:
    equity = 10_000.0 * np.cumprod(1 + np.random.default_rng(5).normal(0.001, 0.01, 400))
    equity[0] = 10_000.0
    measured, overridden = metrics(equity), metrics(equity, periods_per_year=252.0)
    assert measured["periods_per_year"] == pytest.approx(365.25)
    assert overridden["periods_per_year"] == 252.0
    ratio = math.sqrt(252.0 / 365.25)
    assert overridden["sharpe"] == pytest.approx(measured["sharpe"] * ratio)
    assert overridden["volatility"] == pytest.approx(measured["volatility"] * ratio)
    assert overridden["cagr"] == measured["cagr"]  # calendar time, not bar count


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ts": np.array([0, 0, 1])}, "strictly increasing"),
        ({"equity": np.array([1.0, np.nan, 1.0])}, "finite"),
        ({"cash": np.array([1.0])}, "length"),
        ({"initial_cash": 0.0}, "positive"),
    ],
)
def test_malformed_curve_is_refused(change: dict, message: str) -> None:
    fields = {"ts": np.array([0, 1, 2]), "equity": np.ones(3), "cash": np.ones(3),
              "exposure": np.zeros(3), "initial_cash": 1.0} | change
    with pytest.raises(ValueError, match=message):
        EquityCurve(**fields)


def test_misaligned_benchmark_is_refused() -> None:
    with pytest.raises(ValueError, match="one value per equity mark"):
        metrics([1.0, 2.0, 3.0], benchmark=np.ones(2))
