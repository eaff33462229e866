"""Synthetic market data for the demo venue: a price path that is a pure function of (symbol, time).

The log price is the symbol's base price plus value noise summed over eleven octaves, from one second
to twelve days, each twice as loud as the one below, so it wanders like a random walk at every scale
(swings of a few dollars a second on BTC/USDT, several per cent a week) yet never leaves a band
around the base. A candle samples that path: open at its open time, close at its close time (or now,
while it is still forming), high and low over evenly spaced points plus a small hashed wick, all on
the market's tick grid; volume is hashed too. Nothing depends on what was asked before, so any
request for the same (symbol, interval, open time) after the candle closed returns the same row.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from tradloopd.demo.markets import Market

OCTAVES = 11
OCTAVE_BASE_MS = 1_000
SIGMA = 0.00025
SAMPLES = 8
WICK = 0.00005
LISTED_MS = 1_500_000_000_000
WEEK_MS = 604_800_000
MONDAY_OFFSET_MS = 345_600_000  # Binance weeks open on Monday; 1970-01-01 was a Thursday.

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def interval_open(interval_ms: int, ts_ms: int) -> int:
    """Open time of the candle of this length that contains `ts_ms`."""
    offset = MONDAY_OFFSET_MS if interval_ms == WEEK_MS else 0
    return (ts_ms - offset) // interval_ms * interval_ms + offset


def select_opens(interval_ms: int, now_ms: int, *, start_ms: int | None, end_ms: int | None,
                 limit: int) -> list[int]:
    """Open times Binance returns for a klines request, ascending.

    At most `limit` candles with start_ms <= open time <= end_ms, none before the listing and none
    after the one forming at `now_ms`; from `start_ms` forward when it is given, else the latest ones.
    """
    last = interval_open(interval_ms, now_ms)
    if end_ms is not None:
        last = min(last, interval_open(interval_ms, end_ms))
    first = interval_open(interval_ms, LISTED_MS)
    if first < LISTED_MS:
        first += interval_ms
    if start_ms is not None:
        aligned = interval_open(interval_ms, start_ms)
        first = max(first, aligned if aligned >= start_ms else aligned + interval_ms)
        stop = min(last, first + (limit - 1) * interval_ms)
        return list(range(first, stop + 1, interval_ms)) if first <= stop else []
    first = max(first, last - (limit - 1) * interval_ms)
    return list(range(first, last + 1, interval_ms)) if first <= last else []


@dataclass(frozen=True)
class CandleBlock:
    """Consecutive candles of one market: prices in ticks, volumes in lots, arrays of equal length."""

    open_ms: Ints
    end_ms: Ints
    open: Ints
    high: Ints
    low: Ints
    close: Ints
    volume: Ints
    taker_buy: Ints
    trades: Ints

    def __len__(self) -> int:
        return len(self.open_ms)


class PricePath:
    """The synthetic price of one market at any millisecond, and the candles cut from it."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self._log_base = math.log(market.base_price)
        self._tick = float(market.tick)
        self._octave_seeds = [_seed(f"{market.id}/octave/{k}") for k in range(OCTAVES)]
        self._wick_seeds = (_seed(f"{market.id}/wick/up"), _seed(f"{market.id}/wick/down"))
        self._volume_seeds = (_seed(f"{market.id}/volume"), _seed(f"{market.id}/taker"))

    def log_price(self, ts_ms: Ints) -> Floats:
        out = np.full(ts_ms.shape, self._log_base)
        for k, seed in enumerate(self._octave_seeds):
            period_ms = OCTAVE_BASE_MS * 4**k
            index, rest = np.divmod(ts_ms, period_ms)
            frac = rest / period_ms
            smooth = frac * frac * (3.0 - 2.0 * frac)
            here, there = _uniform(seed, index), _uniform(seed, index + 1)
            out += SIGMA * 2**k * (here + (there - here) * smooth)
        return out

    def price(self, ts_ms: int) -> Decimal:
        """The last trade price at `ts_ms`, on the tick grid."""
        ticks = int(self._ticks(np.exp(self.log_price(np.array([ts_ms], dtype=np.int64))))[0])
        return ticks * self.market.tick

    def candles(self, opens_ms: list[int], length_ms: int, now_ms: int) -> CandleBlock:
        """Candles opening at `opens_ms`; one still forming at `now_ms` is cut at `now_ms`."""
        opens = np.asarray(opens_ms, dtype=np.int64).reshape(-1)
        ends = np.minimum(opens + length_ms, max(now_ms, 0))
        ends = np.maximum(ends, opens)
        fractions = np.arange(SAMPLES + 2, dtype=np.float64) / (SAMPLES + 1)
        times = opens[:, None] + np.floor((ends - opens)[:, None] * fractions).astype(np.int64)
        path = np.exp(self.log_price(times.reshape(-1))).reshape(times.shape)
        elapsed_s = (ends - opens) / 1000.0
        up, down = (np.abs(_uniform(seed, opens)) for seed in self._wick_seeds)
        wick = WICK * elapsed_s**0.25
        open_, close = self._ticks(path[:, 0]), self._ticks(path[:, -1])
        high = np.maximum(self._ticks(path.max(axis=1) * (1.0 + wick * up)), np.maximum(open_, close))
        low = np.minimum(self._ticks(path.min(axis=1) * (1.0 - wick * down)), np.minimum(open_, close))
        volume, taker_buy, trades = self._volumes(opens, elapsed_s, path)
        return CandleBlock(open_ms=opens, end_ms=ends, open=open_, high=high, low=np.maximum(low, 1),
                           close=close, volume=volume, taker_buy=taker_buy, trades=trades)

    def _ticks(self, prices: Floats) -> Ints:
        return np.maximum(np.rint(prices / self._tick), 1).astype(np.int64)

    def _volumes(self, opens: Ints, elapsed_s: Floats, path: Floats) -> tuple[Ints, Ints, Ints]:
        activity = 0.5 + np.abs(_uniform(self._volume_seeds[0], opens))
        move = np.abs(np.log(path[:, -1] / path[:, 0])) / (0.001 * np.sqrt(elapsed_s + 1.0))
        base_volume = self.market.volume_per_s * elapsed_s * activity * (1.0 + np.minimum(move, 3.0))
        step = float(self.market.step)
        volume = np.maximum(np.floor(base_volume / step), 1).astype(np.int64)
        taker_share = 0.3 + 0.2 * (_uniform(self._volume_seeds[1], opens) + 1.0)
        taker_buy = np.floor(volume * taker_share).astype(np.int64)
        trades = (volume * step / (self.market.volume_per_s * 0.05)).astype(np.int64) + 1
        return volume, taker_buy, trades


def kline_rows(block: CandleBlock, market: Market, length_ms: int) -> list[list[object]]:
    """Binance's wire rows: [open time, o, h, l, c, volume, close time, quote volume, trades, ...]."""
    price_places, qty_places = market.price_decimals, market.qty_decimals
    rows: list[list[object]] = []
    for i in range(len(block)):
        volume = int(block.volume[i])
        mid = (int(block.open[i]) + int(block.close[i])) * float(market.tick) / 2.0
        lots = float(market.step)
        rows.append([
            int(block.open_ms[i]),
            fixed(int(block.open[i]), price_places),
            fixed(int(block.high[i]), price_places),
            fixed(int(block.low[i]), price_places),
            fixed(int(block.close[i]), price_places),
            fixed(volume, qty_places),
            int(block.open_ms[i]) + length_ms - 1,
            f"{volume * lots * mid:.8f}",
            int(block.trades[i]),
            fixed(int(block.taker_buy[i]), qty_places),
            f"{int(block.taker_buy[i]) * lots * mid:.8f}",
            "0",
        ])
    return rows


def fixed(units: int, decimals: int) -> str:
    """An integer count of 10**-decimals as Binance prints decimals: always eight places."""
    whole, part = divmod(units, 10**decimals)
    digits = f"{part:0{decimals}d}" if decimals else ""
    return f"{whole}.{digits:0<8}"


def _seed(label: str) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "little"))


def _uniform(seed: np.uint64, index: Ints) -> Floats:
    """Hash-derived numbers in [-1, 1), one per index (splitmix64)."""
    z = seed + index.astype(np.uint64) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (2.0 / 2**53) - 1.0
