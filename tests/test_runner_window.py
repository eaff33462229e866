"""The live runner keeps only the latest bars: what a strategy reads is the same as with everything
kept, `ctx.i` still counts every bar, memory stays bounded, and reading past the window is a clear
error rather than a wrong value."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import numpy as np
import pytest

from tradloopd.account import Account
from tradloopd.clock import SimClock
from tradloopd.config import NodeSection
from tradloopd.context import OrderIds
from tradloopd.errors import StrategyError
from tradloopd.indicators import ind
from tradloopd.messages import Bar
from tradloopd.model import Instrument
from tradloopd.runner import StrategyRunner
from tradloopd.strategy import NoParams, Strategy

MINUTE = 60_000_000_000


class Recorder(Strategy):
    name = "recorder"
    Params = NoParams
    lookback = 20  # bars of history read on every bar

    def __init__(self, params: NoParams) -> None:
        super().__init__(params)
        self.seen: list[tuple[int, float, float, tuple[float, ...]]] = []

    def indicators(self):  # type: ignore[no-untyped-def]
        return {"sma": ind("sma", period=5), "bb": ind("bbands", period=5)}

    def on_bar(self, bar, ctx):  # type: ignore[no-untyped-def]
        self.seen.append((ctx.i, ctx.indicator("sma", 3), ctx.indicator("bb.upper"),
                          tuple(ctx.history("close", self.lookback))))


def bars(n: int) -> list[Bar]:
    close = np.round(100 + np.cumsum(np.random.default_rng(5).normal(0, 1, n)), 2).tolist()
    return [Bar(symbol="X", ts_open=i * MINUTE, ts_event=(i + 1) * MINUTE, open=c, high=c + 1,
                low=c - 1, close=c, volume=1.0) for i, c in enumerate(close)]


def runner(keep: int) -> StrategyRunner:
    return StrategyRunner(Recorder(NoParams()), strategy_id="recorder:X", instrument=Instrument(symbol="X"),
                          timeframe_ns=MINUTE, account=Account(Decimal(1000)), clock=SimClock(),
                          ids=OrderIds("t"), marks={}, keep_bars=keep)


def test_a_kept_window_reads_exactly_what_keeping_everything_reads():
    bounded, everything = runner(keep=30), runner(keep=10**6)
    for bar in bars(5_000):
        bounded.on_bar(bar)
        everything.on_bar(bar)
    assert bounded.strategy.seen == everything.strategy.seen
    assert bounded.ctx.i == everything.ctx.i == 4_999
    # bounded: the buffers never hold more than the doubling capacity, however many bars came
    assert bounded.columns.length <= 1024 and all(len(v) <= 1024 for v in bounded.values.values())
    assert everything.columns.length == 5_000 and len(everything.values["sma"]) == 5_000
    assert bounded.columns.base > 0


def test_reading_past_the_kept_bars_is_refused_with_the_setting_named():
    short = runner(keep=10)  # the strategy reads 20 bars of history
    for bar in bars(1024):  # the buffer has not been trimmed yet: everything is readable
        short.on_bar(bar)
    with pytest.raises(StrategyError, match=r"reaches back past the 10 bars kept live .*history-bars"):
        short.on_bar(bars(1025)[-1])  # trimmed to the last 10 bars, and 20 are asked for
    assert not short.enabled


def test_the_window_setting_reaches_the_daemon_config():
    assert NodeSection().history_bars == 10_000
    with pytest.raises(msgspec.ValidationError, match="history-bars"):
        msgspec.convert({"history-bars": 3}, NodeSection)
