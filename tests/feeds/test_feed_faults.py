"""The CCXT feed survives what venues do: outages, 429s, 5xx, timeouts, malformed replies."""

from __future__ import annotations

import itertools
import random

import pytest
import trio
from feed_fixtures import SECOND_NS, assert_contiguous, caught_up, make_feed, running, venue_bar, wait_until

from tradloopd.feeds.backoff import Backoff

KLINES = "/api/v3/klines"


async def _take_one_bar(feed, fake, clock, symbols=("BTC/USDT",)) -> int:
    """Advance one candle, wait for its bar on every symbol; the request-log position after it."""
    clock.advance(SECOND_NS)
    await wait_until(lambda: all(caught_up(feed, clock, symbol) for symbol in symbols))
    return fake.log.last_seq


async def test_gap_after_an_outage_is_back_filled_with_every_candle_once(fake, clock):
    feed = make_feed(fake, clock, symbols=["BTC/USDT", "ETH/USDT"])
    async with running(feed, clock) as received:
        await _take_one_bar(feed, fake, clock, ("BTC/USDT", "ETH/USDT"))
        fake.drop("", times=None)  # the venue is unreachable
        clock.advance(30 * SECOND_NS)
        await wait_until(lambda: feed.statistics().errors.get("unavailable", 0) >= 3)
        assert feed.statistics().connected is False
        fake.clear_faults()
        await wait_until(lambda: caught_up(feed, clock, "BTC/USDT") and caught_up(feed, clock, "ETH/USDT"))
        stats = feed.statistics()
    for symbol in ("BTC/USDT", "ETH/USDT"):
        bars = received.of(symbol, "1s")
        assert_contiguous(bars, "1s")
        assert len(bars) == 31
        assert bars[-1] == venue_bar(symbol, "1s", bars[-1].ts_open)
    assert stats.connected and stats.reconnects == 1
    assert stats.backfilled_bars == 2 * 29
    dropped = [r for r in fake.requests() if r.fault == "drop"]
    assert dropped and all(r.status == 0 for r in dropped)
    resumed = fake.requests(KLINES, after_seq=dropped[-1].seq)[0]
    assert int(resumed.params["startTime"]) == received.of("BTC/USDT", "1s")[0].ts_open // 1_000_000 + 1


async def test_429_waits_what_retry_after_says(fake, clock):
    feed = make_feed(fake, clock)
    async with running(feed, clock) as received:
        seq = await _take_one_bar(feed, fake, clock)
        fake.fail(KLINES, status=429, retry_after_s=0.2, times=2)
        clock.advance(SECOND_NS)
        await wait_until(lambda: caught_up(feed, clock))
        stats = feed.statistics()
    polls = fake.requests(KLINES, after_seq=seq)
    assert [r.status for r in polls] == [429, 429, 200]
    assert all(b.mono_ns - a.mono_ns >= 0.2e9 for a, b in itertools.pairwise(polls))
    assert stats.errors == {"rate_limited": 2}
    assert stats.retry_wait_s == pytest.approx(0.4)
    assert stats.connected and stats.reconnects == 0
    assert_contiguous(received.bars, "1s")


async def test_5xx_are_retried_with_capped_jittered_backoff(fake, clock):
    feed = make_feed(fake, clock, seed=11, backoff_initial_s=0.01, backoff_max_s=0.03)
    async with running(feed, clock) as received:
        seq = await _take_one_bar(feed, fake, clock)
        fake.fail(KLINES, status=500)
        fake.fail(KLINES, status=503, times=3)
        clock.advance(SECOND_NS)
        await wait_until(lambda: caught_up(feed, clock))
    assert [r.status for r in fake.requests(KLINES, after_seq=seq)] == [500, 503, 503, 503, 200]
    expected = Backoff(initial_s=0.01, max_s=0.03, rng=random.Random(11))
    stats = feed.statistics()
    assert stats.retry_wait_s == pytest.approx(sum(expected.next_delay_s() for _ in range(4)))
    assert stats.errors == {"unavailable": 4} and stats.reconnects == 1
    assert_contiguous(received.bars, "1s")


async def test_malformed_replies_are_counted_and_survived(fake, clock):
    feed = make_feed(fake, clock)
    async with running(feed, clock) as received:
        await _take_one_bar(feed, fake, clock)
        fake.malform(KLINES, times=2)
        clock.advance(2 * SECOND_NS)
        await wait_until(lambda: caught_up(feed, clock))
        stats = feed.statistics()
    assert stats.errors == {"malformed": 2} and stats.connected and stats.reconnects == 0
    assert_contiguous(received.bars, "1s")
    assert received.bars == [venue_bar("BTC/USDT", "1s", bar.ts_open) for bar in received.bars]


async def test_a_slow_venue_times_out_and_is_retried(fake, clock):
    feed = make_feed(fake, clock, request_timeout_s=0.2)
    async with running(feed, clock) as received:
        seq = await _take_one_bar(feed, fake, clock)
        fake.delay(KLINES, seconds=2)
        clock.advance(SECOND_NS)
        await wait_until(lambda: caught_up(feed, clock))
    assert [r.fault for r in fake.requests(KLINES, after_seq=seq)] == ["delay", ""]
    assert feed.statistics().errors == {"unavailable": 1}
    assert_contiguous(received.bars, "1s")


async def test_venue_down_at_start_is_waited_for(fake, clock):
    fake.fail("/api/v3/exchangeInfo", status=503, times=2)
    fake.malform("/api/v3/exchangeInfo")
    feed = make_feed(fake, clock)
    with trio.fail_after(20):
        async with running(feed, clock) as received:
            clock.advance(SECOND_NS)
            await wait_until(lambda: caught_up(feed, clock))
    assert [r.status for r in fake.requests("/api/v3/exchangeInfo")] == [503, 503, 200, 200]
    assert feed.statistics().errors == {"unavailable": 2, "malformed": 1}
    assert len(received.bars) == 1
