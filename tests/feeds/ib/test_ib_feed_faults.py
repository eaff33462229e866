"""The IB feed when TWS misbehaves: restarts, dropped and slow requests, refusals, pacing, bad symbols."""

from __future__ import annotations

import pytest
import trio

from tests.feeds.feed_fixtures import assert_contiguous, running, wait_until
from tests.feeds.ib.ib_feed_helpers import (
    SECOND_NS,
    caught_up,
    historical_requests,
    make_ib_feed,
    newest_closed,
    served_bar,
)
from tradloopd.demo.tws.faults import Delay, Drop
from tradloopd.errors import ConfigError
from tradloopd.messages import Bar

STREAMS = [("AAPL", "1s"), ("EUR/USD", "1s")]


def _caught_up(feed, clock) -> bool:
    return all(caught_up(feed, clock, *stream) for stream in STREAMS)


async def test_a_tws_restart_is_reconnected_and_the_gap_back_filled(tws, clock):
    feed = make_ib_feed(tws, clock, symbols=["AAPL", "EUR/USD"])
    async with running(feed, clock) as received:
        clock.advance(3 * SECOND_NS)
        await wait_until(lambda: _caught_up(feed, clock))
        await tws.stop()  # TWS goes down ...
        clock.advance(40 * SECOND_NS)  # ... while 40 bars close
        await wait_until(lambda: feed.statistics().errors.get("unavailable", 0) >= 2)
        assert not feed.statistics().connected
        await tws.start()  # and comes back: the feed reconnects on its own
        await wait_until(lambda: _caught_up(feed, clock))
        stats = feed.statistics()
    for symbol, timeframe in STREAMS:
        bars = received.of(symbol, timeframe)
        assert_contiguous(bars, timeframe)  # the gap is back-filled, nothing twice
        assert bars[-1].ts_open == newest_closed(clock, timeframe)
        assert bars == [served_bar(tws, symbol, timeframe, bar.ts_open) for bar in bars]
    assert stats.connected and stats.reconnects == 1 and stats.backfilled_bars >= 2 * 39
    assert tws.connections == 2


async def test_a_connection_dropped_during_a_request_is_made_again_without_duplicates(tws, clock):
    feed = make_ib_feed(tws, clock, symbols=["AAPL", "EUR/USD"], request_timeout_s=0.5)
    async with running(feed, clock) as received:
        tws.faults.inject(Drop(on="reqHistoricalData"))  # answered for nobody, then the line drops
        clock.advance(5 * SECOND_NS)
        await wait_until(lambda: _caught_up(feed, clock))
        tws.faults.inject(Delay(on="reqHistoricalData", delay_s=10))  # longer than request-timeout-s
        clock.advance(5 * SECOND_NS)
        await wait_until(lambda: _caught_up(feed, clock))
    for symbol, timeframe in STREAMS:
        bars = received.of(symbol, timeframe)
        assert len(bars) == 10
        assert_contiguous(bars, timeframe)
    assert feed.statistics().reconnects == 2 and tws.connections == 3


async def test_a_stream_ib_refuses_does_not_hold_up_the_others(tws, clock):
    feed = make_ib_feed(tws, clock, symbols=["AAPL", "EUR/USD"], what_to_show={"EUR/USD": "TRADES"})
    async with running(feed, clock) as received:
        clock.advance(5 * SECOND_NS)
        await wait_until(lambda: caught_up(feed, clock, "AAPL", "1s") and feed.statistics().errors)
    assert len(received.of("AAPL", "1s")) == 5 and received.of("EUR/USD", "1s") == []
    assert set(feed.statistics().errors) == {"refused"}  # asked again after backoff-max-s


async def test_history_that_ib_refuses_is_an_error_naming_the_symbol(tws, clock):
    feed = make_ib_feed(tws, clock, symbols=["EUR/USD"], what_to_show={"CASH": "TRADES"})
    with trio.fail_after(10), pytest.raises(Exception, match=r"EUR/USD .*No data of type TRADES"):
        await feed.history("EUR/USD", "1s")


async def test_a_symbol_ib_has_no_contract_for_stops_the_feed_at_start(tws, clock):
    feed = make_ib_feed(tws, clock, symbols=["AAPL", "ZZZZ"])
    send, _ = trio.open_memory_channel[Bar](1)
    with trio.fail_after(10), pytest.raises(ConfigError, match=r"IB has no contract for 'ZZZZ'"):
        await feed.run(send)


async def test_back_fill_pages_stay_within_ibs_pacing(tws, clock):
    """Two bar sizes of one contract are one series for IB: after a long outage the feed pages
    through it in IB-sized windows, at most five requests of the series in two seconds."""
    feed = make_ib_feed(tws, clock, symbols=["AAPL"], timeframes=["1s", "5s"])
    async with running(feed, clock) as received:
        await tws.stop()
        clock.advance(3 * 3600 * SECOND_NS)  # three hours: six 30-minute pages of 1 s bars
        await tws.start()
        await wait_until(lambda: all(caught_up(feed, clock, "AAPL", t) for t in ("1s", "5s")), timeout_s=20)
    assert_contiguous(received.of("AAPL", "1s"), "1s")
    assert_contiguous(received.of("AAPL", "5s"), "5s")
    assert len(received.of("AAPL", "1s")) == 3 * 3600
    durations = {(q.bar_size, q.duration) for q in historical_requests(tws)}
    assert ("1 secs", "1800 S") in durations and ("5 secs", "3600 S") in durations  # IB's step sizes
    assert feed.statistics().pacing_wait_s > 0  # the series rule held a page back


async def test_a_bar_ib_finishes_late_is_asked_again_at_once_and_arrives(tws, clock, caplog):
    feed = make_ib_feed(tws, clock, poll_s=0.5)
    tws.history.lag_ms = 700  # the fake serves a bar 0.7 s after it closed
    async with running(feed, clock) as received:
        clock.advance(SECOND_NS)  # a bar closes; the fake has not finished it when asked
        await wait_until(lambda: tws.requests.count("reqHistoricalData") == 1)  # answered at once
        clock.advance(3 * SECOND_NS // 10)  # now it has; the feed asks again 0.5 s after the miss
        await wait_until(lambda: caught_up(feed, clock, "AAPL", "1s"))
    assert [bar.ts_open for bar in received.bars] == [newest_closed(clock, "1s")]
    first, again = historical_requests(tws)
    assert (first.duration, again.duration) == ("1 S", "2 S")  # not identical: no 15 s wait
    assert feed.statistics().streams[0].missing_bars == 0
    assert "no data" not in caplog.text  # an empty answer is normal, not an error to log
