"""The feed's pure parts: which candles a stream emits, backoff delays, and the config section."""

from __future__ import annotations

import random
import tomllib

import msgspec
import pytest

from tradloopd.config import decode
from tradloopd.errors import ConfigError
from tradloopd.feeds.backoff import Backoff
from tradloopd.feeds.ccxt_feed import CcxtFeedConfig
from tradloopd.feeds.stream import Candle, CandleStream

S = 1_000_000_000  # one second in ns
T = 1_704_067_200 * S  # an open time on the 1s grid


def _candle(ts_ns: int, close: float = 100.0) -> Candle:
    return Candle(ts_ns // 1_000_000, 100.0, 101.0, 99.0, close, 5.0)


def _stream(cursor: int = T) -> CandleStream:
    stream = CandleStream("BTC/USDT", "1s")
    stream.start_after(cursor)
    return stream


def test_only_closed_candles_after_the_cursor_are_emitted_once_in_order():
    stream = _stream()
    reply = [_candle(T + 3 * S), _candle(T), _candle(T + S), _candle(T + 2 * S), _candle(T + 2 * S)]
    bars = stream.accept(reply, now_ns=T + 3 * S + S // 2)  # T+3s is still forming
    assert [bar.ts_open for bar in bars] == [T + S, T + 2 * S]
    assert [bar.ts_event - bar.ts_open for bar in bars] == [S, S]
    assert stream.last_ts_open == T + 2 * S and stream.bars_emitted == 2
    assert [bar.ts_open for bar in stream.accept(reply, now_ns=T + 4 * S)] == [T + 3 * S]
    assert stream.accept(reply, now_ns=T + 9 * S) == []


def test_a_candle_closes_exactly_at_its_open_plus_timeframe():
    stream = _stream()
    assert stream.accept([_candle(T + S)], now_ns=T + 2 * S - 1) == []
    assert len(stream.accept([_candle(T + S)], now_ns=T + 2 * S)) == 1


def test_gaps_at_the_venue_and_catching_up_are_counted():
    stream = _stream()
    bars = stream.accept([_candle(T + S), _candle(T + 4 * S), _candle(T + 5 * S)], now_ns=T + 6 * S)
    assert len(bars) == 3
    assert stream.missing == 2  # T+2s and T+3s never came
    assert stream.backfilled == 2  # T+1s and T+4s were no longer the newest closed candle


def test_polls_are_due_when_the_next_candle_has_closed_and_ask_for_what_is_missing():
    stream = _stream()
    assert stream.next_poll_ns() == T + 2 * S
    assert stream.since_ms() == T // 1_000_000 + 1
    assert stream.limit(T + 2 * S) == 2 and stream.limit(T + 50 * S) == 50
    assert stream.limit(T + 5000 * S) == 1000


def test_a_fresh_stream_starts_after_the_newest_closed_candle():
    stream = CandleStream("ETH/USDT", "1m")
    minute = 60 * S
    stream.start_from([Candle(T // 10**6 - 60_000, 1, 1, 1, 1, 1), Candle(T // 10**6, 1, 1, 1, 1, 1)],
                      now_ns=T + 30 * S)
    assert stream.last_ts_open == T - minute
    assert stream.next_poll_ns() == T + minute


def test_warm_up_then_live_sees_each_candle_once():
    history = CandleStream("BTC/USDT", "1s")
    history.start_before(T + 10 * S + S // 2, bars=4)
    bars = history.accept([_candle(T + i * S) for i in range(11)], now_ns=T + 10 * S + S // 2)
    assert [bar.ts_open for bar in bars] == [T + 6 * S, T + 7 * S, T + 8 * S, T + 9 * S]
    live = _stream(bars[-1].ts_open)
    assert [bar.ts_open for bar in live.accept([_candle(T + i * S) for i in range(12)], T + 12 * S)] == [
        T + 10 * S, T + 11 * S]


def test_backoff_doubles_with_jitter_up_to_the_cap_and_resets():
    backoff = Backoff(initial_s=0.5, max_s=4.0, rng=random.Random(3))
    delays = [backoff.next_delay_s() for _ in range(7)]
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == 7, "jitter spreads the delays"
    again = Backoff(initial_s=0.5, max_s=4.0, rng=random.Random(3))
    assert [again.next_delay_s() for _ in range(7)] == delays
    backoff.reset()
    assert backoff.next_delay_s() <= 0.5


def test_backoff_rejects_nonsense():
    with pytest.raises(ValueError):
        Backoff(initial_s=0, max_s=1)
    with pytest.raises(ValueError):
        Backoff(initial_s=2, max_s=1)


FEED_TOML = """
exchange = "binance"
symbols = ["BTC/USDT", "ETH/USDT"]
timeframes = ["1s", "1m"]
poll-s = 0.5
warmup-bars = 50
base-url = "http://127.0.0.1:8765"
backoff-initial-s = 0.25
backoff-max-s = 10
request-timeout-s = 5
"""


def test_config_decodes_kebab_case_toml():
    config = decode(tomllib.loads(FEED_TOML), CcxtFeedConfig, "paper.toml")
    assert config.symbols == ["BTC/USDT", "ETH/USDT"] and config.timeframes == ["1s", "1m"]
    assert (config.poll_s, config.warmup_bars, config.base_url) == (0.5, 50, "http://127.0.0.1:8765")
    assert CcxtFeedConfig(symbols=["BTC/USDT"]).timeframes == ["1m"]


@pytest.mark.parametrize(("extra", "message"), [
    ('pol-s = 1\n', "unknown key 'pol-s'"),
    ('poll-s = 0\n', "poll-s"),
    ('timeframes = ["2m"]\n', "unsupported timeframe '2m'"),
    ('symbols = []\n', "symbols"),
])
def test_config_errors_name_the_key(extra, message):
    raw = tomllib.loads("\n".join(line for line in FEED_TOML.splitlines()
                                  if not line.startswith(extra.split(" ")[0] + " ")) + "\n" + extra)
    with pytest.raises((ConfigError, msgspec.ValidationError), match=message):
        decode(raw, CcxtFeedConfig, "paper.toml")
