"""Resting orders of the demo venue filled by the market: one-second candles, walked in time order.

A resting limit order fills at its limit price, as maker, in the first one-second candle after it
was placed whose range reaches that price (a buy when the low is at or below it, a sell when the
high is at or above it). A stop order triggers in the first candle whose range reaches its stop:
a stop-market then fills as taker at the stop (or at the candle's open when the candle opened
beyond it), a stop-limit whose limit is marketable at the stop fills there as taker, any other
stop-limit rests from the next candle on as a limit order. With a liquidity cap for the market,
an order fills at most that much base quantity per candle, so big orders fill in parts over
several candles. Fills are stamped with the candle's close time, so when the venue happens to
look does not change what happened. The venue looks back at most `LOOKBACK_MS`.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from tradloopd.demo.account import SpotAccount, VenueOrder
from tradloopd.demo.candles import PricePath

SECOND_MS = 1_000
LOOKBACK_MS = 86_400_000


class Matcher:
    """Remembers, per market, up to which candle resting orders have been matched."""

    def __init__(self) -> None:
        self._next_open_ms: dict[str, int] = {}
        self.liquidity: dict[str, Decimal] = {}  # market id -> most base quantity per order per candle

    def settle(self, account: SpotAccount, paths: dict[str, PricePath], now_ms: int) -> None:
        """Fill resting orders against every one-second candle closed since the last call."""
        end = now_ms // SECOND_MS * SECOND_MS  # open of the forming candle: candles before it closed
        by_market: dict[str, list[VenueOrder]] = {}
        for order in account.open_orders():
            if order.type != "MARKET":
                by_market.setdefault(order.market.id, []).append(order)
        for market_id, orders in by_market.items():
            start = max(min(_first_open(order) for order in orders),
                        self._next_open_ms.get(market_id, 0), end - LOOKBACK_MS)
            if start < end:
                self._match(account, paths[market_id], orders, start, end)
        self._next_open_ms.update(dict.fromkeys(by_market, end))

    def _match(self, account: SpotAccount, path: PricePath, orders: list[VenueOrder], start: int,
               end: int) -> None:
        opens = list(range(start, end, SECOND_MS))
        block = path.candles(opens, SECOND_MS, end)
        tick = path.market.tick
        candles = _Candles(np.asarray(opens, dtype=np.int64), block.open, block.low, block.high, tick)
        cap = self.liquidity.get(path.market.id)
        for order in sorted(orders, key=lambda o: o.order_id):
            _work(account, order, candles, cap)


class _Candles:
    """The one-second candles of one match, prices in ticks."""

    def __init__(self, opens: np.ndarray, open_: np.ndarray, low: np.ndarray, high: np.ndarray,
                 tick: Decimal) -> None:
        self.opens, self.open, self.low, self.high, self.tick = opens, open_, low, high, tick

    def price(self, ticks: int) -> Decimal:
        return int(ticks) * self.tick

    def ticks(self, price: Decimal) -> int:
        return int(price / self.tick)

    def first(self, condition: np.ndarray, start: int) -> int | None:
        hits = np.flatnonzero(condition[start:])
        return start + int(hits[0]) if len(hits) else None


def _first_open(order: VenueOrder) -> int:
    """The first candle that opens after the order arrived."""
    return -(-order.time_ms // SECOND_MS) * SECOND_MS


def _work(account: SpotAccount, order: VenueOrder, candles: _Candles, cap: Decimal | None) -> None:
    """Fill one order candle by candle, from its first candle on, until it is done or none is left."""
    index: int | None = int(np.searchsorted(candles.opens, _first_open(order)))
    while order.is_open and index is not None and index < len(candles.opens):
        if order.is_stop and not order.triggered:
            index = _trigger(account, order, candles, index, cap)
        elif order.has_limit:
            index = _rest(account, order, candles, index, cap)
        else:  # a triggered stop-market's remainder: the next candles' opens
            _fill(account, order, candles.price(candles.open[index]), candles, index, cap, maker=False)
            index += 1


def _trigger(account: SpotAccount, order: VenueOrder, candles: _Candles, index: int,
             cap: Decimal | None) -> int | None:
    stop = candles.ticks(order.stop_price)
    falls = order.type.startswith("STOP_LOSS") == (order.side == "SELL")
    hit = candles.first(candles.low <= stop if falls else candles.high >= stop, index)
    if hit is None:
        return None
    order.triggered = True
    opened = int(candles.open[hit])
    beyond = opened < stop if falls else opened > stop
    price = candles.price(opened) if beyond else order.stop_price
    buy = order.side == "BUY"
    marketable = not order.has_limit or (order.price >= price if buy else order.price <= price)
    if marketable:
        _fill(account, order, price, candles, hit, cap, maker=False)
    return hit + 1


def _rest(account: SpotAccount, order: VenueOrder, candles: _Candles, index: int,
          cap: Decimal | None) -> int | None:
    limit = candles.ticks(order.price)
    reached = candles.low <= limit if order.side == "BUY" else candles.high >= limit
    hit = candles.first(reached, index)
    if hit is None:
        return None
    _fill(account, order, order.price, candles, hit, cap, maker=True)
    return hit + 1


def _fill(account: SpotAccount, order: VenueOrder, price: Decimal, candles: _Candles, index: int,
          cap: Decimal | None, *, maker: bool) -> None:
    qty = order.remaining_qty if cap is None else min(order.remaining_qty, cap)
    account.fill(order, price, qty, int(candles.opens[index]) + SECOND_MS, maker=maker)
