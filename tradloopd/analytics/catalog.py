"""The metric catalogue: key, label, display format, group, one-line definition and formula.

`compute_metrics` returns its values in this order; the terminal table, the HTML report and
`docs/metrics.md` are all rendered from it. Notation: E_t equity at mark t, C initial cash,
r_i bar returns, n their count, P periods per year, Y years spanned, b_i benchmark bar returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Format = Literal["pct", "pct3", "ratio", "money", "duration", "int", "float"]
Group = Literal["returns", "risk", "trades", "benchmark"]
GROUPS: tuple[Group, ...] = ("returns", "risk", "trades", "benchmark")


@dataclass(frozen=True, slots=True)
class Metric:
    """One reported metric."""

    key: str
    label: str
    fmt: Format
    group: Group
    definition: str
    formula: str


METRICS: tuple[Metric, ...] = (
    # returns ---------------------------------------------------------------------------------
    Metric("total_return", "Total return", "pct", "returns",
       "Final equity over initial cash, minus one.", "E_last / C - 1"),
    Metric("cagr", "CAGR", "pct", "returns",
       "Compound annual growth rate over the calendar time spanned (-100% after ruin).",
       "(E_last / C) ^ (1 / Y) - 1"),
    Metric("final_equity", "Final equity", "money", "returns",
       "Account equity at the last mark.", "E_last"),
    Metric("volatility", "Volatility (ann.)", "pct", "returns",
       "Annualised standard deviation of bar returns.", "std(r, ddof=1) * sqrt(P)"),
    Metric("sharpe", "Sharpe", "ratio", "returns",
       "Annualised mean bar return over its standard deviation, zero risk-free rate.",
       "mean(r) / std(r, ddof=1) * sqrt(P)"),
    Metric("sortino", "Sortino", "ratio", "returns",
       "Annualised mean bar return over the downside deviation (target 0).",
       "mean(r) / sqrt(mean(min(r, 0)^2)) * sqrt(P)"),
    Metric("calmar", "Calmar", "ratio", "returns",
       "CAGR over the depth of the maximum drawdown.", "cagr / |max_drawdown|"),
    Metric("omega", "Omega", "ratio", "returns",
       "Sum of positive bar returns over the sum of negative ones (threshold 0).",
       "sum(r > 0) / -sum(r < 0)"),
    Metric("bars", "Bars", "int", "returns", "Number of equity marks.", "len(E)"),
    Metric("years", "Years", "float", "returns",
       "Calendar years between the first and the last mark (365.25-day years).",
       "(t_last - t_first) / 365.25 days"),
    Metric("periods_per_year", "Periods per year", "float", "returns",
       "Bar returns per year used to annualise, measured from the timestamps unless overridden.",
       "n / Y"),
    # risk ------------------------------------------------------------------------------------
    Metric("max_drawdown", "Max drawdown", "pct", "risk",
       "Deepest fall of equity below its running peak (peak starts at the initial cash).",
       "min(E_t / max(C, E_0..E_t) - 1)"),
    Metric("max_drawdown_duration_s", "Longest drawdown", "duration", "risk",
       "Longest time under water: from a peak to the first mark back at it, or to the end.",
       "max(t_recovered - t_peak)"),
    Metric("max_drawdown_recovery_s", "Max DD recovery", "duration", "risk",
       "Time from the trough of the deepest drawdown back to its peak (n/a if not recovered).",
       "t_recovered - t_trough"),
    Metric("ulcer_index", "Ulcer index", "pct", "risk",
       "Root mean square of the drawdown at every mark.", "sqrt(mean(dd_t^2))"),
    Metric("var_95", "VaR 95% (hist.)", "pct3", "risk",
       "5th percentile of bar returns (linear interpolation); a per-bar loss.",
       "percentile(r, 5)"),
    Metric("cvar_95", "CVaR 95% (hist.)", "pct3", "risk",
       "Mean of the bar returns at or below the historical VaR 95%.",
       "mean(r | r <= var_95)"),
    Metric("var_99", "VaR 99% (hist.)", "pct3", "risk",
       "1st percentile of bar returns (linear interpolation).", "percentile(r, 1)"),
    Metric("cvar_99", "CVaR 99% (hist.)", "pct3", "risk",
       "Mean of the bar returns at or below the historical VaR 99%.",
       "mean(r | r <= var_99)"),
    Metric("var_95_parametric", "VaR 95% (normal)", "pct3", "risk",
       "Normal-distribution VaR of bar returns at 95%.", "mean(r) + z(0.05) * std(r)"),
    Metric("cvar_95_parametric", "CVaR 95% (normal)", "pct3", "risk",
       "Normal-distribution expected shortfall of bar returns at 95%.",
       "mean(r) - std(r) * pdf(z(0.05)) / 0.05"),
    Metric("var_99_parametric", "VaR 99% (normal)", "pct3", "risk",
       "Normal-distribution VaR of bar returns at 99%.", "mean(r) + z(0.01) * std(r)"),
    Metric("cvar_99_parametric", "CVaR 99% (normal)", "pct3", "risk",
       "Normal-distribution expected shortfall of bar returns at 99%.",
       "mean(r) - std(r) * pdf(z(0.01)) / 0.01"),
    Metric("skew", "Skew", "ratio", "risk",
       "Sample skewness of bar returns, adjusted Fisher-Pearson (as pandas).",
       "m3 / m2^1.5 * sqrt(n(n-1)) / (n-2)"),
    Metric("kurtosis", "Excess kurtosis", "ratio", "risk",
       "Sample excess kurtosis of bar returns, bias-corrected (as pandas); normal is 0.",
       "((n+1) g2 + 6)(n-1) / ((n-2)(n-3)), g2 = m4/m2^2 - 3"),
    Metric("tail_ratio", "Tail ratio", "ratio", "risk",
       "Size of the right tail over the left tail of bar returns.",
       "|percentile(r, 95)| / |percentile(r, 5)|"),
    # trades ----------------------------------------------------------------------------------
    Metric("trades", "Trades", "int", "trades", "Number of closed round-trip trades.", "N"),
    Metric("win_rate", "Win rate", "pct", "trades",
       "Share of trades with net pnl > 0 (break-even trades count as not won).",
       "count(pnl > 0) / N"),
    Metric("profit_factor", "Profit factor", "ratio", "trades",
       "Gross profit over gross loss of trades (n/a without a losing trade).",
       "sum(pnl > 0) / -sum(pnl < 0)"),
    Metric("payoff_ratio", "Payoff ratio", "ratio", "trades",
       "Average winning trade over the average losing trade (n/a without both).",
       "mean(pnl > 0) / |mean(pnl < 0)|"),
    Metric("expectancy", "Expectancy", "pct", "trades",
       "Expected net return per trade: mean of pnl / entry notional.",
       "mean(pnl / (qty * entry_price))"),
    Metric("sqn", "SQN", "ratio", "trades",
       "Van Tharp's system quality number on trade pnl (as backtesting.py).",
       "sqrt(N) * mean(pnl) / std(pnl, ddof=1)"),
    Metric("kelly_fraction", "Kelly fraction", "pct", "trades",
       "Kelly fraction of capital from win rate W and payoff ratio R.", "W - (1 - W) / R"),
    Metric("avg_trade_pnl", "Avg trade", "money", "trades",
       "Mean net pnl per trade.", "mean(pnl)"),
    Metric("median_trade_pnl", "Median trade", "money", "trades",
       "Median net pnl per trade.", "median(pnl)"),
    Metric("best_trade_pnl", "Best trade", "money", "trades",
       "Largest net pnl of a trade.", "max(pnl)"),
    Metric("worst_trade_pnl", "Worst trade", "money", "trades",
       "Smallest net pnl of a trade.", "min(pnl)"),
    Metric("avg_win_pnl", "Avg win", "money", "trades",
       "Mean net pnl of winning trades.", "mean(pnl | pnl > 0)"),
    Metric("avg_loss_pnl", "Avg loss", "money", "trades",
       "Mean net pnl of losing trades.", "mean(pnl | pnl < 0)"),
    Metric("avg_holding_s", "Avg holding time", "duration", "trades",
       "Mean time from entry to exit.", "mean(exit_ts - entry_ts)"),
    Metric("avg_bars_held", "Avg bars held", "float", "trades",
       "Mean number of bars a trade was held.", "mean(bars_held)"),
    Metric("max_consecutive_wins", "Max consec. wins", "int", "trades",
       "Longest run of winning trades in exit order.", "longest run of pnl > 0"),
    Metric("max_consecutive_losses", "Max consec. losses", "int", "trades",
       "Longest run of losing trades in exit order.", "longest run of pnl < 0"),
    Metric("exposure_time", "Exposure time", "pct", "trades",
       "Share of marks with an open position.", "count(exposure_t > 0) / len(E)"),
    Metric("avg_exposure", "Avg exposure", "pct", "trades",
       "Mean gross position notional over equity.", "mean(exposure_t)"),
    Metric("turnover", "Turnover", "ratio", "trades",
       "Traded notional over average equity (2.0 = one full round trip of the account).",
       "traded_notional / mean(E)"),
    Metric("annual_turnover", "Turnover (ann.)", "ratio", "trades",
       "Turnover per year.", "turnover / Y"),
    Metric("fees_paid", "Fees paid", "money", "trades",
       "Total fees paid on every fill.", "sum(fees)"),
    # benchmark -------------------------------------------------------------------------------
    Metric("benchmark_return", "Benchmark return", "pct", "benchmark",
       "Total return of the benchmark (buy and hold by default).", "B_last / B_first - 1"),
    Metric("excess_return", "Excess return", "pct", "benchmark",
       "Total return minus benchmark return.", "total_return - benchmark_return"),
    Metric("alpha", "Alpha (ann.)", "pct", "benchmark",
       "Annualised mean bar return not explained by beta to the benchmark.",
       "(mean(r) - beta * mean(b)) * P"),
    Metric("beta", "Beta", "ratio", "benchmark",
       "Sensitivity of bar returns to benchmark bar returns.", "cov(r, b) / var(b)"),
    Metric("information_ratio", "Information ratio", "ratio", "benchmark",
       "Annualised mean active return over its standard deviation.",
       "mean(r - b) / std(r - b, ddof=1) * sqrt(P)"),
    Metric("tracking_error", "Tracking error", "pct", "benchmark",
       "Annualised standard deviation of active returns.", "std(r - b, ddof=1) * sqrt(P)"),
)

METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)
BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
SUMMARY_KEYS: tuple[str, ...] = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown",
                                 "win_rate", "profit_factor", "trades", "exposure_time")
"""The headline metrics of a backtest summary."""
