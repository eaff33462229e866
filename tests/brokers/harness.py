"""Helpers of the broker tests: a CCXT broker connected to the fake Binance, orders, prices."""

from __future__ import annotations

from decimal import Decimal

from tradloopd.brokers.ccxt.broker import CcxtBroker
from tradloopd.brokers.ccxt.commissions import CommissionBook
from tradloopd.brokers.ccxt.config import CcxtVenueConfig
from tradloopd.demo.binance import FakeBinance
from tradloopd.demo.candles import PricePath
from tradloopd.demo.clock import VenueClock
from tradloopd.demo.markets import markets_by_id
from tradloopd.messages import Order
from tradloopd.model import OrderType, Side, TimeInForce

T0_NS = 1_704_067_200_500_000_000  # 2024-01-01 00:00:00.5 UTC
SECOND_NS = 1_000_000_000
BTC = markets_by_id()["BTCUSDT"]
CREDENTIALS = {"api_key": "test-key-1234", "secret": "test-secret-5678"}


def venue_config(fake: FakeBinance, **changes: object) -> CcxtVenueConfig:
    settings: dict[str, object] = {"base_url": fake.url, "rate_limit": False, "retries": 2,
                                   "backoff_initial_s": 0.01, "backoff_max_s": 0.05,
                                   "request_timeout_s": 1.0}
    return CcxtVenueConfig(**(settings | changes))  # type: ignore[arg-type]


def make_broker(fake: FakeBinance, clock: VenueClock, symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT"),
                commissions: CommissionBook | None = None, **changes: object) -> CcxtBroker:
    return CcxtBroker("binance", venue_config(fake, **changes), symbols=symbols, credentials=CREDENTIALS,
                      clock=clock, commissions=commissions)


def order(client_order_id: str, side: Side = Side.BUY, quantity: str | None = "0.01", *,
          kind: OrderType = OrderType.MARKET, price: Decimal | None = None, trigger: Decimal | None = None,
          symbol: str = "BTC/USDT", **fields: object) -> Order:
    return Order(client_order_id=client_order_id, symbol=symbol, side=side, kind=kind,
                 quantity=None if quantity is None else Decimal(quantity), price=price,
                 trigger_price=trigger, tif=fields.pop("tif", TimeInForce.GTC), **fields)  # type: ignore[arg-type]


def last_price(fake: FakeBinance, symbol: str = "BTCUSDT") -> Decimal:
    return fake.venue.paths[symbol].price(fake.clock.now_ns() // 1_000_000)


def lows(clock: VenueClock, seconds: int, symbol: str = "BTCUSDT") -> list[Decimal]:
    """The lows of the next `seconds` one-second candles (after now), sorted."""
    market = markets_by_id()[symbol]
    start = (clock.now_ns() // SECOND_NS + 1) * 1000
    opens = list(range(start, start + seconds * 1000, 1000))
    block = PricePath(market).candles(opens, 1000, opens[-1] + 1000)
    return sorted(int(low) * market.tick for low in block.low)


def low_high(clock: VenueClock, seconds: int, symbol: str = "BTCUSDT") -> tuple[Decimal, Decimal]:
    """The lowest low and highest high of the next `seconds` one-second candles (after now)."""
    market = markets_by_id()[symbol]
    start = (clock.now_ns() // SECOND_NS + 1) * 1000
    opens = list(range(start, start + seconds * 1000, 1000))
    block = PricePath(market).candles(opens, 1000, opens[-1] + 1000)
    return int(block.low.min()) * market.tick, int(block.high.max()) * market.tick
