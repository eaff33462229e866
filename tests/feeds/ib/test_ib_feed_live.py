"""The IB feed against the fake TWS through real ib_async: history, then live closed bars, in order."""

from __future__ import annotations

import trio

from tests.feeds.feed_fixtures import assert_contiguous, running, wait_until
from tests.feeds.ib.conftest import T0_NS
from tests.feeds.ib.ib_feed_helpers import (
    SECOND_NS,
    caught_up,
    historical_requests,
    make_ib_feed,
    served_bar,
)

STREAMS = [(symbol, timeframe) for symbol in ("AAPL", "EUR/USD") for timeframe in ("1s", "1m")]


async def test_history_then_live_bars_of_a_stock_and_a_forex_pair(tws, clock):
    feed = make_ib_feed(tws, clock, symbols=["AAPL", "EUR/USD"], timeframes=["1s", "1m"])
    with trio.fail_after(10):
        history = {stream: await feed.history(*stream) for stream in STREAMS}
    for (symbol, timeframe), bars in history.items():
        assert len(bars) == 20
        assert_contiguous(bars, timeframe)
        assert bars[-1].ts_event <= T0_NS  # closed when asked
        assert bars == [served_bar(tws, symbol, timeframe, bar.ts_open) for bar in bars]
    clock.advance(2 * SECOND_NS)  # bars close while the strategies warm up
    async with running(feed, clock) as received:
        for step_s in (1, 1, 30, 61, 2):
            clock.advance(step_s * SECOND_NS)
            await wait_until(lambda: all(caught_up(feed, clock, *stream) for stream in STREAMS))
    for symbol, timeframe in STREAMS:
        live = received.of(symbol, timeframe)
        assert_contiguous(history[symbol, timeframe] + live, timeframe)  # seamless, no duplicate
        served = [served_bar(tws, symbol, timeframe, bar.ts_open) for bar in live]
        assert live == served, "a forming bar leaked"
    assert all(bar.ts_event <= at for bar, at in zip(received.bars, received.received_at_ns, strict=True))
    assert len(received.of("AAPL", "1s")) == 2 + 95
    asked = {(q.contract.symbol, q.what_to_show) for q in historical_requests(tws)}
    assert asked == {("AAPL", "TRADES"), ("EUR", "MIDPOINT")}  # per asset class
    stats = feed.statistics()
    assert stats.errors == {} and stats.reconnects == 0 and stats.bars_emitted == len(received.bars)
