"""Helpers of the feed tests: a feed on the fake venue, a running feed collecting its bars, waits."""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import trio

from tradloopd.clock import Clock
from tradloopd.demo.binance import FakeBinance
from tradloopd.demo.candles import PricePath, kline_rows
from tradloopd.demo.markets import MARKETS
from tradloopd.feeds.ccxt_feed import CcxtFeed, CcxtFeedConfig
from tradloopd.feeds.timeframes import TIMEFRAME_MS
from tradloopd.messages import Bar

T0_NS = 1_704_067_200_500_000_000  # 2024-01-01 00:00:00.5 UTC
SECOND_NS = 1_000_000_000
MARKET_BY_SYMBOL = {market.symbol: market for market in MARKETS}


def make_feed(fake: FakeBinance, clock: Clock, *, seed: int = 7, **settings: object) -> CcxtFeed:
    """A feed on the fake venue, polling fast and backing off briefly; `settings` override."""
    defaults: dict[str, object] = {
        "symbols": ["BTC/USDT"], "timeframes": ["1s"], "poll_s": 0.01, "base_url": fake.url,
        "backoff_initial_s": 0.01, "backoff_max_s": 0.05, "request_timeout_s": 2.0, "rate_limit": False}
    config = CcxtFeedConfig(**(defaults | settings))  # type: ignore[arg-type]
    return CcxtFeed(config, clock=clock, rng=random.Random(seed))


@dataclass
class Received:
    """Bars a running feed emitted, each with the venue time at which the test received it."""

    bars: list[Bar] = field(default_factory=list)
    received_at_ns: list[int] = field(default_factory=list)
    closed: bool = False

    def of(self, symbol: str, timeframe: str) -> list[Bar]:
        length = TIMEFRAME_MS[timeframe] * 1_000_000
        return [bar for bar in self.bars if bar.symbol == symbol and bar.ts_event - bar.ts_open == length]


@asynccontextmanager
async def running(feed: CcxtFeed, clock: Clock) -> AsyncIterator[Received]:
    """Run `feed` in a nursery, draining its bounded channel; on exit stop it and drain what is left."""
    received = Received()
    send, receive = trio.open_memory_channel[Bar](8)
    feed_scope = trio.CancelScope()

    async def drain() -> None:
        async with receive:
            async for bar in receive:
                received.bars.append(bar)
                received.received_at_ns.append(clock.now_ns())
        received.closed = True

    async def run_feed(task_status: trio.TaskStatus[None]) -> None:
        with feed_scope:
            await feed.run(send, task_status=task_status)

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(drain)
            await nursery.start(run_feed)
            yield received
            feed_scope.cancel()


async def wait_until(predicate: Callable[[], bool], *, timeout_s: float = 10.0) -> None:
    """Poll `predicate` until it holds; fail the test after `timeout_s`."""
    with trio.fail_after(timeout_s):
        while not predicate():  # noqa: ASYNC110 - the condition lives in another task or thread
            await trio.sleep(0.002)


def caught_up(feed: CcxtFeed, clock: Clock, symbol: str = "BTC/USDT", timeframe: str = "1s") -> bool:
    """The stream has emitted the newest candle closed at the venue's current time."""
    length = TIMEFRAME_MS[timeframe] * 1_000_000
    newest = (clock.now_ns() - 1_000_000) // length * length - length
    last = feed.statistics().stream(symbol, timeframe).last_ts_open
    return last is not None and last >= newest


def venue_bar(symbol: str, timeframe: str, ts_open_ns: int) -> Bar:
    """The final candle the venue serves for this open time, as the feed should emit it."""
    market, length_ms = MARKET_BY_SYMBOL[symbol], TIMEFRAME_MS[timeframe]
    ts_ms = ts_open_ns // 1_000_000
    block = PricePath(market).candles([ts_ms], length_ms, ts_ms + length_ms)
    row = kline_rows(block, market, length_ms)[0]
    open_, high, low, close, volume = (float(value) for value in row[1:6])  # type: ignore[arg-type]
    return Bar(symbol=symbol, ts_open=ts_open_ns, ts_event=ts_open_ns + length_ms * 1_000_000,
               open=open_, high=high, low=low, close=close, volume=volume)


def assert_contiguous(bars: list[Bar], timeframe: str) -> None:
    length = TIMEFRAME_MS[timeframe] * 1_000_000
    steps = {b.ts_open - a.ts_open for a, b in itertools.pairwise(bars)}
    assert steps <= {length}, f"gaps, duplicates or disorder: steps {sorted(steps)}"
