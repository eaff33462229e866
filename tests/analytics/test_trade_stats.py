"""Trade metrics against answers computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tradloopd.analytics.inputs import EquityCurve, TradeLog
from tradloopd.analytics.metrics import compute_metrics
from tradloopd.analytics.trades import trade_stats

HOUR_NS = 3_600 * 1_000_000_000


def trade_log(pnl: list[float], *, entry_price: float = 1000.0) -> TradeLog:
    """Trades of qty 1 held 1h, 2h, ... in exit order, with the given net pnl."""
    n = len(pnl)
    entry = np.arange(n, dtype=np.int64) * 100 * HOUR_NS
    held = np.arange(1, n + 1, dtype=np.int64)
    return TradeLog(
        symbol=np.full(n, "BTC/USDT", dtype=object), side=np.ones(n, dtype=np.int8),
        entry_ts=entry, exit_ts=entry + held * HOUR_NS, qty=np.ones(n),
        entry_price=np.full(n, entry_price), exit_price=np.full(n, entry_price) + pnl,
        pnl=np.asarray(pnl, dtype=float), fees=np.zeros(n), bars_held=held,
    )


# wins 100, 200, 300, 150, 40 (790); losses -50, -25, -75, -60 (-210); one break-even
PNL = [100.0, -50.0, 200.0, 300.0, 150.0, 40.0, -25.0, -75.0, -60.0, 0.0]


def test_hand_computed_trade_metrics() -> None:
    stats = trade_stats(trade_log(PNL))
    assert stats["trades"] == 10
    assert stats["win_rate"] == pytest.approx(0.5)
    assert stats["profit_factor"] == pytest.approx(790 / 210)
    assert stats["payoff_ratio"] == pytest.approx(158 / 52.5)
    assert stats["kelly_fraction"] == pytest.approx(0.5 - 0.5 * 52.5 / 158)
    assert stats["avg_trade_pnl"] == pytest.approx(58.0)
    assert stats["median_trade_pnl"] == pytest.approx(20.0)
    assert stats["best_trade_pnl"] == 300.0
    assert stats["worst_trade_pnl"] == -75.0
    assert stats["avg_win_pnl"] == pytest.approx(158.0)
    assert stats["avg_loss_pnl"] == pytest.approx(-52.5)
    # squared deviations from the mean 58 sum to 142,810
    assert stats["sqn"] == pytest.approx(math.sqrt(10) * 58 / math.sqrt(142_810 / 9))
    assert stats["expectancy"] == pytest.approx(0.058)
    assert stats["avg_holding_s"] == pytest.approx(5.5 * 3600)
    assert stats["avg_bars_held"] == pytest.approx(5.5)
    assert stats["max_consecutive_wins"] == 4
    assert stats["max_consecutive_losses"] == 3


def test_break_even_trade_ends_a_streak() -> None:
    stats = trade_stats(trade_log([-1.0, -1.0, 0.0, -1.0, 5.0, 0.0, 5.0]))
    assert stats["max_consecutive_losses"] == 2
    assert stats["max_consecutive_wins"] == 1
    assert stats["win_rate"] == pytest.approx(2 / 7)


def test_no_losing_trade_leaves_loss_ratios_undefined() -> None:
    stats = trade_stats(trade_log([10.0, 20.0]))
    assert stats["win_rate"] == 1.0
    assert stats["profit_factor"] is None
    assert stats["payoff_ratio"] is None
    assert stats["kelly_fraction"] is None
    assert stats["avg_loss_pnl"] is None
    assert stats["max_consecutive_wins"] == 2


def test_only_losing_trades() -> None:
    stats = trade_stats(trade_log([-10.0, -5.0]))
    assert stats["win_rate"] == 0.0
    assert stats["profit_factor"] == 0.0
    assert stats["payoff_ratio"] is None
    assert stats["avg_win_pnl"] is None
    assert stats["max_consecutive_losses"] == 2
    assert stats["sqn"] == pytest.approx(math.sqrt(2) * -7.5 / np.std([-10, -5], ddof=1))


def test_no_trades_gives_none_not_zero_division() -> None:
    stats = trade_stats(TradeLog.empty())
    assert stats["trades"] == 0
    assert stats["max_consecutive_wins"] == stats["max_consecutive_losses"] == 0
    undefined = {k for k, v in stats.items() if v is None}
    assert undefined == set(stats) - {"trades", "max_consecutive_wins", "max_consecutive_losses"}


def test_one_trade_has_no_sqn() -> None:
    stats = trade_stats(trade_log([12.0]))
    assert stats["sqn"] is None
    assert stats["avg_trade_pnl"] == stats["median_trade_pnl"] == 12.0


def test_equal_pnl_trades_have_no_sqn() -> None:
    assert trade_stats(trade_log([0.1, 0.1, 0.1]))["sqn"] is None


def test_exposure_turnover_and_fees() -> None:
    ts = np.arange(4, dtype=np.int64) * 24 * HOUR_NS
    equity = np.full(4, 10_000.0)
    curve = EquityCurve(ts, equity, equity, np.array([0.0, 1.0, 1.5, 0.0]), 10_000.0)
    metrics = compute_metrics(curve, TradeLog.empty(), fees_paid=12.5, traded_notional=20_000.0)
    assert metrics["exposure_time"] == pytest.approx(0.5)
    assert metrics["avg_exposure"] == pytest.approx(2.5 / 4)
    assert metrics["turnover"] == pytest.approx(2.0)
    assert metrics["annual_turnover"] == pytest.approx(2.0 / (3 / 365.25))
    assert metrics["fees_paid"] == 12.5


def test_short_trade_return_uses_entry_notional() -> None:
    log = trade_log([50.0])
    short = TradeLog(log.symbol, np.array([-1]), log.entry_ts, log.exit_ts, log.qty,
                     log.entry_price, np.array([950.0]), log.pnl, log.fees, log.bars_held)
    assert short.returns() == pytest.approx([0.05])
    assert trade_stats(short)["expectancy"] == pytest.approx(0.05)
