"""The CCXT feed against the fake Binance through real ccxt: closed candles, in order, seamless."""

from __future__ import annotations

import pytest
import trio
from feed_fixtures import (
    SECOND_NS,
    T0_NS,
    assert_contiguous,
    caught_up,
    make_feed,
    running,
    venue_bar,
    wait_until,
)

from tradloopd.demo.binance import FakeBinance
from tradloopd.demo.clock import VenueClock
from tradloopd.errors import ConfigError
from tradloopd.messages import Bar

STREAMS = [(symbol, timeframe) for symbol in ("BTC/USDT", "ETH/USDT") for timeframe in ("1s", "1m")]


def _all_caught_up(feed, clock) -> bool:
    return all(caught_up(feed, clock, symbol, timeframe) for symbol, timeframe in STREAMS)


async def test_two_symbols_two_timeframes_emit_only_closed_candles_in_order(fake, clock):
    feed = make_feed(fake, clock, symbols=["BTC/USDT", "ETH/USDT"], timeframes=["1s", "1m"])
    async with running(feed, clock) as received:
        clock.advance(SECOND_NS // 4)  # T0 + 0.75 s: nothing has closed since the start
        await wait_until(lambda: feed.statistics().polls >= 4)
        for step_s in (1, 1, 30, 61, 2):
            clock.advance(step_s * SECOND_NS)
            await wait_until(lambda: _all_caught_up(feed, clock))
        end_ns = clock.now_ns()
    for symbol, timeframe in STREAMS:
        bars = received.of(symbol, timeframe)
        length = 60 * SECOND_NS if timeframe == "1m" else SECOND_NS
        first_open = T0_NS // length * length  # the candle forming when the feed started
        assert [bar.ts_open for bar in bars] == list(range(first_open, end_ns - length + 1, length))
        assert bars == [venue_bar(symbol, timeframe, bar.ts_open) for bar in bars], "a forming candle leaked"
    assert all(bar.ts_event <= at for bar, at in zip(received.bars, received.received_at_ns, strict=True))
    stats = feed.statistics()
    assert stats.bars_emitted == len(received.bars) == 2 * (95 + 1)
    assert stats.errors == {} and stats.reconnects == 0


async def test_history_warms_up_and_run_continues_right_after_it(fake, clock):
    feed = make_feed(fake, clock, warmup_bars=1500)
    with trio.fail_after(20):
        history = await feed.history("BTC/USDT", "1s")
    assert len(history) == 1500
    assert_contiguous(history, "1s")
    assert history[-1].ts_open == T0_NS // SECOND_NS * SECOND_NS - SECOND_NS  # the newest closed candle
    assert history[::100] == [venue_bar("BTC/USDT", "1s", bar.ts_open) for bar in history[::100]]
    assert [int(r.params["limit"]) for r in fake.requests("/api/v3/klines")] == [1000, 501]
    clock.advance(3 * SECOND_NS)  # candles close while the strategy warms up
    async with running(feed, clock) as received:
        clock.advance(SECOND_NS)
        await wait_until(lambda: caught_up(feed, clock))
    assert_contiguous(history + received.bars, "1s")
    assert len(received.bars) == 4


async def test_history_of_any_market_and_timeframe(fake, clock):
    feed = make_feed(fake, clock)
    with trio.fail_after(20):
        bars = await feed.history("SOL/USDT", "1h", 24)
    assert len(bars) == 24 and bars[-1].ts_event <= T0_NS
    assert_contiguous(bars, "1h")
    assert await feed.history("SOL/USDT", "1h", 0) == []


async def test_real_time_1s_candles_on_the_wall_clock():
    clock = VenueClock()
    with FakeBinance(clock=clock) as fake:
        feed = make_feed(fake, clock, poll_s=0.2)
        async with running(feed, clock) as received:
            await wait_until(lambda: len(received.bars) >= 2)
    first, second = received.bars[:2]
    assert second.ts_open == first.ts_open + SECOND_NS
    assert all(bar.ts_event <= at for bar, at in zip(received.bars, received.received_at_ns, strict=True))
    assert first == venue_bar("BTC/USDT", "1s", first.ts_open)


@pytest.mark.parametrize(("settings", "message"), [
    ({"symbols": ["NOPE/USDT"]}, "no market 'NOPE/USDT'"),
    ({"exchange": "nosuchexchange"}, "unknown ccxt exchange"),
])
async def test_unknown_symbol_or_exchange_fails_at_start(fake, clock, settings, message):
    feed = make_feed(fake, clock, **settings)
    send, _receive = trio.open_memory_channel[Bar](1)
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            with pytest.raises(ConfigError, match=message):
                await nursery.start(feed.run, send)


async def test_cancelling_stops_promptly_even_during_a_slow_reply(fake, clock):
    feed = make_feed(fake, clock, request_timeout_s=30)
    send, receive = trio.open_memory_channel[Bar](8)
    feed_scope, stopped = trio.CancelScope(), trio.Event()

    async def run_feed(task_status: trio.TaskStatus[None]) -> None:
        with feed_scope:
            await feed.run(send, task_status=task_status)
        stopped.set()

    async with trio.open_nursery() as nursery:
        with trio.fail_after(20):
            await nursery.start(run_feed)
        fake.delay("/api/v3/klines", seconds=60, times=None)  # every poll now hangs
        clock.advance(SECOND_NS)
        polls = len(fake.requests("/api/v3/klines"))
        await wait_until(lambda: len(fake.requests("/api/v3/klines")) > polls)
        feed_scope.cancel()
        with trio.fail_after(3):
            await stopped.wait()
    with pytest.raises(trio.EndOfChannel):
        await receive.receive()
    assert feed.statistics().connected is False
