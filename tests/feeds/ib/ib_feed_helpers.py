"""Helpers of the IB feed tests: a feed on the fake TWS, and the bars the fake serves."""

from __future__ import annotations

import random
from decimal import Decimal

from tradloopd.clock import Clock
from tradloopd.demo.tws.inbound import HistoricalQuery, read_historical_request
from tradloopd.demo.tws.server import FakeTws
from tradloopd.feeds.ib_feed import IbFeed, IbFeedConfig
from tradloopd.feeds.timeframes import TIMEFRAME_MS
from tradloopd.messages import Bar

SECOND_NS = 1_000_000_000
# What the fake serves each symbol as (the feed's defaults): TRADES for stocks, MIDPOINT for forex.
TRADES = {"AAPL": True, "MSFT": True, "EUR/USD": False, "GBP/USD": False}
LISTED = {"AAPL": "AAPL", "MSFT": "MSFT", "EUR/USD": "EUR.USD", "GBP/USD": "GBP.USD"}


def make_ib_feed(tws: FakeTws, clock: Clock, *, seed: int = 7, **settings: object) -> IbFeed:
    """A feed on the fake TWS that asks as soon as a bar closes and backs off briefly."""
    defaults: dict[str, object] = {
        "port": tws.port, "client_id": 31, "symbols": ["AAPL"], "timeframes": ["1s"], "settle_s": 0.0,
        "poll_s": 0.01, "backoff_initial_s": 0.01, "backoff_max_s": 0.05, "request_timeout_s": 5.0,
        "connect_timeout_s": 3.0, "warmup_bars": 20}
    config = IbFeedConfig(**(defaults | settings))  # type: ignore[arg-type]
    return IbFeed(config, clock=clock, rng=random.Random(seed))


def served_bar(tws: FakeTws, symbol: str, timeframe: str, ts_open_ns: int) -> Bar:
    """The final bar the fake serves for this open time, as the feed should emit it."""
    listing = tws.listing(LISTED[symbol])
    length_ms, ts_ms = TIMEFRAME_MS[timeframe], ts_open_ns // 1_000_000
    block = tws.history.paths[listing.con_id].candles([ts_ms], length_ms, ts_ms + length_ms)
    o, h, low, c = (float(int(ticks[0]) * listing.min_tick)
                    for ticks in (block.open, block.high, block.low, block.close))
    volume = float(int(block.volume[0]) * listing.size_increment) if TRADES[symbol] else 0.0
    return Bar(symbol=symbol, ts_open=ts_open_ns, ts_event=ts_open_ns + length_ms * 1_000_000,
               open=o, high=h, low=low, close=c, volume=volume)


def newest_closed(clock: Clock, timeframe: str) -> int:
    """Open time of the newest bar closed on the (shared) clock."""
    length = TIMEFRAME_MS[timeframe] * 1_000_000
    return clock.now_ns() // length * length - length


def caught_up(feed: IbFeed, clock: Clock, symbol: str, timeframe: str) -> bool:
    last = feed.statistics().stream(symbol, timeframe).last_ts_open
    return last is not None and last >= newest_closed(clock, timeframe)


def prices(bar: Bar) -> tuple[Decimal, ...]:
    return tuple(Decimal(str(value)) for value in (bar.open, bar.high, bar.low, bar.close))


def historical_requests(tws: FakeTws) -> list[HistoricalQuery]:
    """Every reqHistoricalData the fake received, parsed."""
    return [read_historical_request(entry.fields) for entry in tws.requests.named("reqHistoricalData")]
