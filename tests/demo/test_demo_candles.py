"""Synthetic candles: a pure function of (symbol, interval, open time), valid, on the tick grid, lively."""

from __future__ import annotations

import itertools
from decimal import Decimal

import numpy as np
import pytest

from tradloopd.demo.candles import LISTED_MS, PricePath, interval_open, kline_rows, select_opens
from tradloopd.demo.markets import MARKETS, markets_by_id
from tradloopd.feeds.timeframes import TIMEFRAME_MS

NOW_MS = 1_704_067_200_500
BTC = markets_by_id()["BTCUSDT"]


def _rows(market, interval, opens, now_ms=NOW_MS):
    length = TIMEFRAME_MS[interval]
    return kline_rows(PricePath(market).candles(opens, length, now_ms), market, length)


def test_same_candle_whoever_asks_and_whenever_after_it_closed():
    opens = select_opens(60_000, NOW_MS, start_ms=None, end_ms=None, limit=300)[:-1]
    block = _rows(BTC, "1m", opens)
    one_by_one = [_rows(BTC, "1m", [ts])[0] for ts in opens[::37]]
    much_later = _rows(BTC, "1m", opens, now_ms=NOW_MS + 86_400_000)
    assert one_by_one == block[::37]
    assert much_later == block


def test_forming_candle_ends_at_the_last_price_and_becomes_final_later():
    path = PricePath(BTC)
    forming_open = interval_open(60_000, NOW_MS)
    forming = path.candles([forming_open], 60_000, NOW_MS)
    final = path.candles([forming_open], 60_000, forming_open + 60_000)
    assert forming.close[0] * BTC.tick == path.price(NOW_MS)
    assert forming.volume[0] < final.volume[0]
    assert final.close[0] * BTC.tick == path.price(forming_open + 60_000)


@pytest.mark.parametrize("market", MARKETS, ids=lambda m: m.symbol)
@pytest.mark.parametrize("interval", ["1s", "1m", "5m", "1h", "1d"])
def test_candles_are_valid_ohlcv_on_the_tick_and_lot_grid(market, interval):
    opens = select_opens(TIMEFRAME_MS[interval], NOW_MS, start_ms=None, end_ms=None, limit=1000)
    rows = _rows(market, interval, opens)
    for ts, *prices, close_ts, _quote, _trades, _taker_base, _taker_quote, _ in rows:
        o, h, low, c, v = (Decimal(x) for x in prices)
        assert low > 0 and v > 0
        assert low <= min(o, c) <= max(o, c) <= h
        assert all(price % market.tick == 0 for price in (o, h, low, c))
        assert v % market.step == 0
        assert close_ts == ts + TIMEFRAME_MS[interval] - 1
    assert [row[0] for row in rows] == opens
    assert all(a[4] == b[1] for a, b in itertools.pairwise(rows)), "open = previous close"


def test_moving_average_cross_on_1s_candles_trades_every_few_seconds():
    opens = select_opens(1000, NOW_MS, start_ms=None, end_ms=None, limit=600)
    close = PricePath(BTC).candles(opens, 1000, NOW_MS).close.astype(float)
    fast = np.convolve(close, np.ones(3) / 3, "valid")[5:]
    slow = np.convolve(close, np.ones(8) / 8, "valid")
    crosses = np.count_nonzero(np.diff(np.sign(fast - slow)))
    assert crosses >= 600 / 15


def test_prices_wander_like_a_market_but_stay_near_the_base():
    opens = select_opens(86_400_000, NOW_MS, start_ms=None, end_ms=None, limit=1000)
    for market in MARKETS:
        close = PricePath(market).candles(opens, 86_400_000, NOW_MS).close * float(market.tick)
        assert 0.4 * market.base_price < close.min() < close.max() < 2.5 * market.base_price
        assert close.max() / close.min() > 1.3, f"{market.symbol} hardly moves over 1000 days"


def test_symbols_have_their_own_paths():
    eth = markets_by_id()["ETHUSDT"]
    times = np.arange(0, 600_000, 1000, dtype=np.int64) + NOW_MS
    btc_moves = np.diff(PricePath(BTC).log_price(times))
    eth_moves = np.diff(PricePath(eth).log_price(times))
    assert abs(np.corrcoef(btc_moves, eth_moves)[0, 1]) < 0.5


# Which open times a klines request selects -------------------------------------------------------


def test_without_times_the_latest_candles_end_with_the_forming_one():
    opens = select_opens(60_000, NOW_MS, start_ms=None, end_ms=None, limit=3)
    assert opens == [1_704_067_080_000, 1_704_067_140_000, 1_704_067_200_000]


def test_start_time_selects_candles_opening_at_or_after_it():
    start = 1_704_067_080_000
    assert select_opens(60_000, NOW_MS, start_ms=start, end_ms=None, limit=2) == [start, start + 60_000]
    assert select_opens(60_000, NOW_MS, start_ms=start + 1, end_ms=None, limit=2)[0] == start + 60_000
    assert select_opens(60_000, NOW_MS, start_ms=NOW_MS + 60_000, end_ms=None, limit=5) == []


def test_end_time_selects_candles_opening_at_or_before_it():
    end = 1_704_067_080_000
    assert select_opens(60_000, NOW_MS, start_ms=None, end_ms=end + 59_999, limit=2) == [end - 60_000, end]
    assert select_opens(60_000, NOW_MS, start_ms=end - 120_000, end_ms=end, limit=1000) == [
        end - 120_000, end - 60_000, end]


def test_nothing_before_the_listing():
    opens = select_opens(86_400_000, NOW_MS, start_ms=0, end_ms=None, limit=5)
    assert opens[0] >= LISTED_MS and opens[0] - 86_400_000 < LISTED_MS


def test_weeks_open_on_monday_and_days_at_midnight_utc():
    monday = 1_704_067_200_000  # 2024-01-01 was a Monday
    assert interval_open(TIMEFRAME_MS["1w"], monday + 3 * 86_400_000) == monday
    assert interval_open(TIMEFRAME_MS["1d"], monday + 5_000) == monday
