"""`compute_metrics`: every catalogue metric of one backtest, in catalogue order.

Conventions (see `docs/metrics.md`): bar returns are simple returns between consecutive equity
marks; annualisation uses periods per year measured from the timestamps (`periods.py`) unless
overridden; undefined values are None, never NaN or infinity.
"""

from __future__ import annotations

import numpy as np

from tradloopd.analytics import returns as ret
from tradloopd.analytics import tails
from tradloopd.analytics.benchmark import benchmark_stats
from tradloopd.analytics.catalog import METRIC_KEYS
from tradloopd.analytics.drawdown import drawdown_stats
from tradloopd.analytics.inputs import EquityCurve, TradeLog
from tradloopd.analytics.periods import periods_per_year as measured_periods_per_year
from tradloopd.analytics.periods import years_spanned
from tradloopd.analytics.trades import trade_stats

Metrics = dict[str, float | int | None]


def compute_metrics(
    curve: EquityCurve,
    trades: TradeLog,
    *,
    fees_paid: float,
    traded_notional: float,
    benchmark: np.ndarray | None = None,
    periods_per_year: float | None = None,
) -> Metrics:
    """All metrics keyed as in `METRICS`; `benchmark` is a value series aligned with `curve.ts`.

    Without a benchmark the benchmark metrics are None. `periods_per_year` overrides the
    annualisation measured from the timestamps.
    """
    if benchmark is not None:
        benchmark = _checked_benchmark(benchmark, len(curve))
    ppy = periods_per_year if periods_per_year is not None else measured_periods_per_year(curve.ts)
    r = ret.bar_returns(curve.equity)
    total_return = curve.equity[-1] / curve.initial_cash - 1.0 if len(curve) else None
    values: Metrics = {}
    values |= _return_stats(curve, r, total_return, ppy)
    values |= _risk_stats(curve, r)
    values["calmar"] = ret.calmar(values["cagr"], values["max_drawdown"])
    values |= trade_stats(trades)
    values |= activity_stats(curve, fees_paid, traded_notional)
    values |= _benchmark(r, benchmark, total_return, ppy)
    return {key: _clean(values[key]) for key in METRIC_KEYS}


def _return_stats(
    curve: EquityCurve, r: np.ndarray, total_return: float | None, ppy: float | None
) -> Metrics:
    years = years_spanned(curve.ts)
    return {
        "total_return": total_return,
        "cagr": ret.cagr(total_return, years),
        "final_equity": curve.equity[-1] if len(curve) else None,
        "volatility": ret.volatility(r, ppy),
        "sharpe": ret.sharpe(r, ppy),
        "sortino": ret.sortino(r, ppy),
        "omega": ret.omega(r),
        "bars": len(curve),
        "years": years,
        "periods_per_year": ppy,
    }


def _risk_stats(curve: EquityCurve, r: np.ndarray) -> Metrics:
    dd = drawdown_stats(curve.ts, curve.equity, curve.initial_cash)
    values: Metrics = {
        "max_drawdown": dd.max_drawdown,
        "max_drawdown_duration_s": dd.longest_s,
        "max_drawdown_recovery_s": dd.recovery_s,
        "ulcer_index": dd.ulcer_index,
        "skew": tails.skew(r),
        "kurtosis": tails.kurtosis(r),
        "tail_ratio": tails.tail_ratio(r),
    }
    for level, tag in ((0.95, "95"), (0.99, "99")):
        values[f"var_{tag}"] = tails.var_historical(r, level)
        values[f"cvar_{tag}"] = tails.cvar_historical(r, level)
        values[f"var_{tag}_parametric"] = tails.var_parametric(r, level)
        values[f"cvar_{tag}_parametric"] = tails.cvar_parametric(r, level)
    return values


def activity_stats(curve: EquityCurve, fees_paid: float, traded_notional: float) -> Metrics:
    if len(curve) == 0:
        return {"exposure_time": None, "avg_exposure": None, "turnover": None,
                "annual_turnover": None, "fees_paid": fees_paid}
    mean_equity = float(np.mean(curve.equity))
    turnover = traded_notional / mean_equity if mean_equity > 0 else None
    years = years_spanned(curve.ts)
    return {
        "exposure_time": float(np.mean(np.abs(curve.exposure) > 0)),
        "avg_exposure": float(np.mean(np.abs(curve.exposure))),
        "turnover": turnover,
        "annual_turnover": turnover / years if turnover is not None and years > 0 else None,
        "fees_paid": fees_paid,
    }


def _benchmark(
    r: np.ndarray, benchmark: np.ndarray | None, total_return: float | None, ppy: float | None
) -> Metrics:
    if benchmark is None:
        return dict.fromkeys(
            ("benchmark_return", "excess_return", "alpha", "beta", "information_ratio",
             "tracking_error")
        )
    return dict(benchmark_stats(r, benchmark, total_return, ppy))


def _checked_benchmark(benchmark: np.ndarray, n: int) -> np.ndarray:
    values = np.asarray(benchmark, dtype=np.float64)
    if values.shape != (n,):
        raise ValueError(f"benchmark must have one value per equity mark ({n}), got {values.shape}")
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError("benchmark values must be finite and positive")
    return values


def _clean(value: float | int | None) -> float | int | None:
    """Plain Python numbers for JSON; non-finite floats become None."""
    if value is None or isinstance(value, int | np.integer):
        return None if value is None else int(value)
    return ret.finite(value)
