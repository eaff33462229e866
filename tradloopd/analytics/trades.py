"""Statistics of closed round-trip trades: hit rate, payoff, expectancy, streaks, holding time.

A win is a trade with net pnl > 0, a loss one with pnl < 0; a break-even trade counts in the
number of trades (so in the win rate's denominator) and ends both streaks.
"""

from __future__ import annotations

import math

import numpy as np

from tradloopd.analytics.inputs import TradeLog
from tradloopd.analytics.periods import NS_PER_SECOND
from tradloopd.analytics.returns import ZERO_DISPERSION, finite

Stats = dict[str, float | int | None]


def trade_stats(trades: TradeLog) -> Stats:
    """Every trade metric of the catalogue, keyed by its metric key."""
    pnl = trades.pnl
    n = len(pnl)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    win_rate = len(wins) / n if n else None
    payoff = _payoff_ratio(wins, losses)
    return {
        "trades": n,
        "win_rate": win_rate,
        "profit_factor": _profit_factor(wins, losses, n),
        "payoff_ratio": payoff,
        "expectancy": _mean(trades.returns()),
        "sqn": _sqn(pnl),
        "kelly_fraction": _kelly(win_rate, payoff),
        "avg_trade_pnl": _mean(pnl),
        "median_trade_pnl": finite(np.median(pnl)) if n else None,
        "best_trade_pnl": finite(pnl.max()) if n else None,
        "worst_trade_pnl": finite(pnl.min()) if n else None,
        "avg_win_pnl": _mean(wins),
        "avg_loss_pnl": _mean(losses),
        "avg_holding_s": _mean((trades.exit_ts - trades.entry_ts) / NS_PER_SECOND),
        "avg_bars_held": _mean(trades.bars_held),
        "max_consecutive_wins": longest_run(pnl > 0),
        "max_consecutive_losses": longest_run(pnl < 0),
    }


def _mean(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)] if values.dtype.kind == "f" else values
    return finite(np.mean(values)) if len(values) else None


def _profit_factor(wins: np.ndarray, losses: np.ndarray, n: int) -> float | None:
    """Gross profit / gross loss; None without trades or without a loss."""
    if n == 0 or len(losses) == 0:
        return None
    return finite(wins.sum() / -losses.sum())


def _payoff_ratio(wins: np.ndarray, losses: np.ndarray) -> float | None:
    """Average win / |average loss|; None unless there are both wins and losses."""
    if len(wins) == 0 or len(losses) == 0:
        return None
    return finite(wins.mean() / -losses.mean())


def _kelly(win_rate: float | None, payoff: float | None) -> float | None:
    """Kelly fraction W - (1 - W) / R from the win rate W and the payoff ratio R."""
    if win_rate is None or payoff is None:
        return None
    return finite(win_rate - (1.0 - win_rate) / payoff)


def _sqn(pnl: np.ndarray) -> float | None:
    """System quality number sqrt(N) * mean(pnl) / std(pnl), as backtesting.py reports it."""
    if len(pnl) < 2:
        return None
    std = float(np.std(pnl, ddof=1))
    if std <= ZERO_DISPERSION * max(1.0, float(np.max(np.abs(pnl)))):
        return None
    return finite(math.sqrt(len(pnl)) * float(np.mean(pnl)) / std)


def longest_run(flags: np.ndarray) -> int:
    """Length of the longest run of consecutive True values."""
    padded = np.concatenate(([0], flags.astype(np.int8), [0]))
    edges = np.diff(padded)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int(np.max(ends - starts)) if len(starts) else 0
