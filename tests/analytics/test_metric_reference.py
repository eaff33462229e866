"""compute_metrics agrees with empyrical-reloaded and quantstats on the same bar returns.

Both libraries get our bar returns and our measured periods per year (`annualization=`,
`periods=`). Where conventions differ the reference value is converted and the conversion is
named here and in docs/metrics.md:
- ulcer index: quantstats divides the sum of squared drawdowns by (returns - 1), we by marks;
- information ratio: both libraries report it per bar; we annualise by sqrt(P);
- alpha: empyrical compounds the per-bar alpha, (1 + a)^P - 1; we (and quantstats) use a * P;
- win rate: quantstats leaves zero-pnl trades out; the cases below have none.
Tolerance: relative 1e-9 (float summation order only) everywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from analytics_fixtures import (
    Backtest,
    load_closes,
    long_only_backtest,
    ma_cross_position,
    synthetic_prices,
)

from tradloopd.analytics.benchmark import buy_and_hold
from tradloopd.analytics.metrics import compute_metrics
from tradloopd.analytics.returns import bar_returns

ep = pytest.importorskip("empyrical", reason="empyrical-reloaded missing: pip install -e '.[test]'")
qs = pytest.importorskip("quantstats", reason="quantstats missing: pip install -e '.[test]'")
scipy_stats = pytest.importorskip("scipy.stats", reason="scipy missing (empyrical needs it)")

RTOL = 1e-9
DAY_NS = 86_400 * 1_000_000_000


@dataclass(frozen=True)
class Case:
    """A backtest, its metrics, and the same returns as numpy arrays and pandas Series."""

    metrics: dict[str, float | int | None]
    r: np.ndarray
    b: np.ndarray
    marks: int
    trade_pnl: np.ndarray

    @property
    def ppy(self) -> float:
        return float(self.metrics["periods_per_year"])

    def series(self, values: np.ndarray) -> pd.Series:
        index = pd.date_range("2000-01-03", periods=len(values), freq="D")
        return pd.Series(values, index=index)


def _case(bt: Backtest, benchmark_close: np.ndarray) -> Case:
    benchmark = buy_and_hold(benchmark_close, bt.curve.initial_cash)
    metrics = compute_metrics(bt.curve, bt.trades, fees_paid=bt.fees_paid,
                              traded_notional=bt.traded_notional, benchmark=benchmark)
    return Case(metrics, bar_returns(bt.curve.equity), bar_returns(benchmark), len(bt.curve),
                bt.trades.pnl)


@functools.cache
def _synthetic_daily() -> Case:
    ts, close = synthetic_prices(2_500, seed=11, step_ns=DAY_NS, drift=0.0004, vol=0.015)
    _, other = synthetic_prices(2_500, seed=12, step_ns=DAY_NS, drift=0.0002, vol=0.01)
    blended = np.sqrt(close * other)
    return _case(long_only_backtest("SYN", ts, close, ma_cross_position(close, 10, 40),
                                    fee=0.0005), blended)


@functools.cache
def _btc_5m() -> Case:
    ts, close = load_closes("crypto/binance_spot_BTCUSDT_5m.csv.gz")
    ts, close = ts[-40_000:], close[-40_000:]  # ~139 days keep the quantstats calls quick
    bt = long_only_backtest("BTC/USDT", ts, close, ma_cross_position(close, 10, 30), fee=0.0002)
    return _case(bt, close)


@functools.cache
def _aapl_vs_spy() -> Case:
    aapl_ts, aapl = load_closes("stocks/quandl_wiki_AAPL_1d.csv")
    spy_ts, spy = load_closes("stocks/lean_SPY_1d.csv")
    common, in_aapl, in_spy = np.intersect1d(aapl_ts, spy_ts, return_indices=True)
    bt = long_only_backtest("AAPL", common, aapl[in_aapl], ma_cross_position(aapl[in_aapl], 20, 50))
    return _case(bt, spy[in_spy])


CASES: dict[str, Callable[[], Case]] = {
    "synthetic-daily": _synthetic_daily,
    "btc-5m-real": _btc_5m,
    "aapl-1d-vs-spy-real": _aapl_vs_spy,
}

Reference = Callable[[Case], float]

EMPYRICAL: dict[str, Reference] = {
    "volatility": lambda c: ep.annual_volatility(c.r, annualization=c.ppy),
    "sharpe": lambda c: ep.sharpe_ratio(c.r, annualization=c.ppy),
    "sortino": lambda c: ep.sortino_ratio(c.r, annualization=c.ppy),
    "cagr": lambda c: ep.cagr(c.r, annualization=c.ppy),
    "calmar": lambda c: ep.calmar_ratio(c.r, annualization=c.ppy),
    "omega": lambda c: ep.omega_ratio(c.r, annualization=c.ppy),
    "max_drawdown": lambda c: ep.max_drawdown(c.r),
    "var_95": lambda c: ep.value_at_risk(c.r, 0.05),
    "var_99": lambda c: ep.value_at_risk(c.r, 0.01),
    "tail_ratio": lambda c: ep.tail_ratio(c.r),
    "beta": lambda c: ep.beta(c.r, c.b),
    "information_ratio": lambda c: ep.excess_sharpe(c.r, c.b) * np.sqrt(c.ppy),
}

QUANTSTATS: dict[str, Reference] = {
    "volatility": lambda c: qs.stats.volatility(c.series(c.r), periods=c.ppy),
    "sharpe": lambda c: qs.stats.sharpe(c.series(c.r), periods=c.ppy),
    "sortino": lambda c: qs.stats.sortino(c.series(c.r), periods=c.ppy),
    "cagr": lambda c: qs.stats.cagr(c.series(c.r), periods=c.ppy),
    "calmar": lambda c: qs.stats.calmar(c.series(c.r), periods=c.ppy),
    "omega": lambda c: qs.stats.omega(c.series(c.r), periods=c.ppy),
    "max_drawdown": lambda c: qs.stats.max_drawdown(c.series(c.r)),
    "ulcer_index": lambda c: qs.stats.ulcer_index(c.series(c.r)) * np.sqrt((c.marks - 2) / c.marks),
    "cvar_95": lambda c: qs.stats.cvar(c.series(c.r), confidence=0.95, method="historical"),
    "cvar_99": lambda c: qs.stats.cvar(c.series(c.r), confidence=0.99, method="historical"),
    "var_95_parametric": lambda c: qs.stats.value_at_risk(c.series(c.r), confidence=0.95),
    "var_99_parametric": lambda c: qs.stats.value_at_risk(c.series(c.r), confidence=0.99),
    "cvar_95_parametric": lambda c: qs.stats.cvar(c.series(c.r), confidence=0.95),
    "cvar_99_parametric": lambda c: qs.stats.cvar(c.series(c.r), confidence=0.99),
    "skew": lambda c: qs.stats.skew(c.series(c.r)),
    "kurtosis": lambda c: qs.stats.kurtosis(c.series(c.r)),
    "tail_ratio": lambda c: qs.stats.tail_ratio(c.series(c.r)),
    "beta": lambda c: qs.stats.greeks(c.series(c.r), c.series(c.b), periods=c.ppy)["beta"],
    "alpha": lambda c: qs.stats.greeks(c.series(c.r), c.series(c.b), periods=c.ppy)["alpha"],
    "information_ratio": lambda c: (qs.stats.information_ratio(c.series(c.r), c.series(c.b))
                                    * np.sqrt(c.ppy)),
    # trade statistics: quantstats on the trade pnl series (scaled to look like returns)
    "win_rate": lambda c: qs.stats.win_rate(c.series(c.trade_pnl / 1e9)),
    "profit_factor": lambda c: qs.stats.profit_factor(c.series(c.trade_pnl / 1e9)),
    "payoff_ratio": lambda c: qs.stats.payoff_ratio(c.series(c.trade_pnl / 1e9)),
    "kelly_fraction": lambda c: qs.stats.kelly_criterion(c.series(c.trade_pnl / 1e9)),
    "max_consecutive_wins": lambda c: qs.stats.consecutive_wins(c.series(c.trade_pnl / 1e9)),
    "max_consecutive_losses": lambda c: qs.stats.consecutive_losses(c.series(c.trade_pnl / 1e9)),
}

SCIPY: dict[str, Reference] = {
    "skew": lambda c: scipy_stats.skew(c.r, bias=False),
    "kurtosis": lambda c: scipy_stats.kurtosis(c.r, bias=False),
    "cvar_95_parametric": lambda c: _normal_tail_mean(c.r, 0.05),
    "cvar_99_parametric": lambda c: _normal_tail_mean(c.r, 0.01),
}


def _normal_tail_mean(r: np.ndarray, alpha: float) -> float:
    """E[X | X <= VaR] for X ~ N(mean, std): mean + std * E[Z | Z <= z], Z integrated numerically."""
    z = scipy_stats.norm.ppf(alpha)
    tail_mean = scipy_stats.norm.expect(lambda x: x, ub=z, conditional=True)
    return r.mean() + r.std(ddof=1) * tail_mean


def _params() -> list[pytest.param]:
    out = []
    for library, table in (("empyrical", EMPYRICAL), ("quantstats", QUANTSTATS),
                           ("scipy", SCIPY)):
        for key, reference in table.items():
            for case in CASES:
                out.append(pytest.param(case, key, reference, id=f"{case}-{library}-{key}"))
    return out


@pytest.mark.parametrize(("case_name", "key", "reference"), _params())
def test_metric_matches_reference(case_name: str, key: str, reference: Reference) -> None:
    case = CASES[case_name]()
    expected = float(reference(case))
    assert case.metrics[key] == pytest.approx(expected, rel=RTOL, abs=1e-12)


def test_empyrical_alpha_is_our_alpha_compounded() -> None:
    """empyrical annualises alpha by compounding; ours is arithmetic (documented)."""
    case = _synthetic_daily()
    per_bar = case.metrics["alpha"] / case.ppy
    expected = ep.alpha(case.r, case.b, annualization=case.ppy)
    assert (1.0 + per_bar) ** case.ppy - 1.0 == pytest.approx(expected, rel=RTOL)


def test_cases_are_not_degenerate() -> None:
    """The synthetic case trades, wins and loses, so the trade references compare real values."""
    case = _synthetic_daily()
    assert case.metrics["trades"] >= 20
    assert 0 < case.metrics["win_rate"] < 1
    assert np.all(case.trade_pnl != 0)
    assert case.metrics["beta"] not in (None, 0.0)
