"""The lean end of a trial: equity curve, trade log and only the wanted metrics of a replay.

`summarize` builds everything a report needs (benchmark, every metric, exact final equity); a
search needs a few numbers per trial. For a single-symbol replay this module builds the same
curve from the fills (exact running sums, as `summarize` does) and computes only the wanted
metrics with the same `tradloopd.analytics` functions, so each value equals the one
`backtest()` reports (tested). Several symbols, or a metric outside the cheap groups, go through
`summarize` / `compute_metrics` unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import numpy as np

from tradloopd.analytics import returns as ret
from tradloopd.analytics.catalog import METRIC_KEYS
from tradloopd.analytics.drawdown import drawdown_stats
from tradloopd.analytics.inputs import EquityCurve, TradeLog
from tradloopd.analytics.metrics import activity_stats
from tradloopd.analytics.periods import periods_per_year, years_spanned
from tradloopd.analytics.trades import trade_stats
from tradloopd.results import fill_arrays, step, trade_log

if TYPE_CHECKING:
    from tradloopd.replay import Replay

Metrics = dict[str, float | int | None]
NS_PER_DAY = 86_400 * 1_000_000_000

_RETURNS = ("total_return", "cagr", "final_equity", "volatility", "sharpe", "sortino", "omega",
            "bars", "years", "periods_per_year")
_DRAWDOWN = ("max_drawdown", "max_drawdown_duration_s", "max_drawdown_recovery_s", "ulcer_index")
_TRADES = ("trades", "win_rate", "profit_factor", "payoff_ratio", "expectancy", "sqn",
           "kelly_fraction", "avg_trade_pnl", "median_trade_pnl", "best_trade_pnl",
           "worst_trade_pnl", "avg_win_pnl", "avg_loss_pnl", "avg_holding_s", "avg_bars_held",
           "max_consecutive_wins", "max_consecutive_losses")
_ACTIVITY = ("exposure_time", "avg_exposure", "turnover", "annual_turnover", "fees_paid")
LEAN_KEYS = frozenset((*_RETURNS, *_DRAWDOWN, *_TRADES, *_ACTIVITY, "calmar"))


def replay_curve(replay: Replay) -> tuple[EquityCurve, TradeLog]:
    """The marked equity curve and closed trades of a finished replay (cheap for one symbol)."""
    if len(replay.lanes) > 1:
        from tradloopd.results import summarize

        result = summarize(replay)
        return result.curve, result.trades
    series = replay.lanes[0].series
    n = len(series)
    fill_k, cash_after, qty_after = fill_arrays(replay)
    initial = float(replay.settings.cash)
    cash = step(n, fill_k, cash_after, initial)
    held = step(n, fill_k, qty_after, 0.0) * series.close
    equity = cash + held
    exposure = np.divide(np.abs(held), equity, out=np.zeros(n), where=equity > 0)
    curve = EquityCurve(ts=replay.merged_ts, equity=equity, cash=cash, exposure=exposure,
                        initial_cash=initial)
    return curve, trade_log(replay.account.trades, replay)


def lean_metrics(curve: EquityCurve, trades: TradeLog, *, fees_paid: float, traded_notional: float,
                 wanted: Collection[str] | None, closes: np.ndarray) -> Metrics:
    """The wanted metrics (all when None), each computed as `compute_metrics` computes it.

    `closes` (the symbol's closes on the curve's marks) give the buy-and-hold benchmark when a
    benchmark metric is wanted."""
    if wanted is None or not LEAN_KEYS.issuperset(wanted):
        from tradloopd.analytics.benchmark import buy_and_hold
        from tradloopd.analytics.metrics import compute_metrics

        benchmark = buy_and_hold(closes, curve.initial_cash)
        return compute_metrics(curve, trades, fees_paid=fees_paid, traded_notional=traded_notional,
                               benchmark=benchmark)
    values: Metrics = {}
    groups: tuple[tuple[tuple[str, ...], Callable[[], Metrics]], ...] = (
        (_RETURNS, lambda: _return_stats(curve)),
        (_DRAWDOWN, lambda: _drawdown(curve)),
        (_TRADES, lambda: trade_stats(trades)),
        (_ACTIVITY, lambda: activity_stats(curve, fees_paid, traded_notional)),
    )
    if "calmar" in wanted:
        wanted = {*wanted, "cagr", "max_drawdown"}
    for keys, compute in groups:
        if not wanted.isdisjoint(keys):
            values |= compute()
    if "calmar" in wanted:
        values["calmar"] = ret.calmar(values["cagr"], values["max_drawdown"])  # type: ignore[arg-type]
    return {key: _plain(values[key]) for key in METRIC_KEYS if key in wanted}


def period_returns(curve: EquityCurve, period_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """(period end times, simple returns) of the equity at the last mark of each period.

    The first return is measured from the initial cash. With `period_ns` 0 every mark is a period.
    """
    if period_ns <= 0:
        marks = np.arange(len(curve))
    else:
        bucket = curve.ts // period_ns
        marks = np.flatnonzero(np.append(np.diff(bucket) != 0, True))
    equity = np.concatenate(([curve.initial_cash], curve.equity[marks]))
    return curve.ts[marks], equity[1:] / equity[:-1] - 1.0


def _return_stats(curve: EquityCurve) -> Metrics:
    r = ret.bar_returns(curve.equity)
    ppy = periods_per_year(curve.ts)
    total = curve.equity[-1] / curve.initial_cash - 1.0 if len(curve) else None
    return {
        "total_return": total, "cagr": ret.cagr(total, years_spanned(curve.ts)),
        "final_equity": curve.equity[-1] if len(curve) else None,
        "volatility": ret.volatility(r, ppy), "sharpe": ret.sharpe(r, ppy),
        "sortino": ret.sortino(r, ppy), "omega": ret.omega(r), "bars": len(curve),
        "years": years_spanned(curve.ts), "periods_per_year": ppy,
    }


def _drawdown(curve: EquityCurve) -> Metrics:
    dd = drawdown_stats(curve.ts, curve.equity, curve.initial_cash)
    return {"max_drawdown": dd.max_drawdown, "max_drawdown_duration_s": dd.longest_s,
            "max_drawdown_recovery_s": dd.recovery_s, "ulcer_index": dd.ulcer_index}


def _plain(value: float | int | None) -> float | int | None:
    if value is None or isinstance(value, int | np.integer):
        return None if value is None else int(value)
    return ret.finite(value)
