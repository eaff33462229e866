"""Helpers of the IB broker tests: a broker wired to the fake TWS, and waiting for its events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import trio

from tradloopd.brokers.ib.broker import IbBroker
from tradloopd.brokers.ib.config import IbVenueConfig
from tradloopd.clock import Clock
from tradloopd.demo.tws.inbound import PlacedOrder, read_place_order
from tradloopd.demo.tws.server import FakeTws
from tradloopd.messages import Order, OrderEvent
from tradloopd.model import OrderType, Side

T0_NS = 1_795_000_000_000_000_000  # 2026-11-18 UTC
SYMBOLS = ("AAPL", "EUR/USD", "ESZ6", "SPX", "AAPL 261218C00200000")
WAIT_S = 5.0  # every wait in these tests is bounded by this


def ib_config(tws: FakeTws, **settings: object) -> IbVenueConfig:
    base: dict[str, object] = {"port": tws.port, "client_id": 7, "ack_timeout_s": 2.0,
                               "request_timeout_s": 3.0, "connect_timeout_s": 3.0,
                               "reconnect_timeout_s": 3.0, "reconnect_initial_s": 0.05,
                               "reconnect_max_s": 0.2}
    return IbVenueConfig(**{**base, **settings})  # type: ignore[arg-type]


@asynccontextmanager
async def open_broker(tws: FakeTws, clock: Clock, symbols: tuple[str, ...] = SYMBOLS,
                      **settings: object) -> AsyncIterator[IbBroker]:
    """A connected broker (inside the caller's trio-asyncio loop), closed on exit."""
    broker = IbBroker("ib", ib_config(tws, **settings), symbols=symbols, clock=clock)
    with trio.fail_after(WAIT_S):
        await broker.connect()
    try:
        yield broker
    finally:
        await broker.close()


async def events_until(broker: IbBroker, count: int) -> list[OrderEvent]:
    """Poll until at least `count` events came (bounded wait, woken by the broker, no sleeping)."""
    events: list[OrderEvent] = []
    with trio.fail_after(WAIT_S):
        while len(events) < count:
            events += await broker.poll()
            if len(events) < count:
                await broker.wait_for_events()
    return events


def market(coid: str, side: Side = Side.BUY, qty: str = "100", symbol: str = "AAPL",
           **fields: object) -> Order:
    return Order(client_order_id=coid, symbol=symbol, side=side, quantity=Decimal(qty), **fields)  # type: ignore[arg-type]


def limit(coid: str, price: str, side: Side = Side.BUY, qty: str = "100", symbol: str = "AAPL",
          **fields: object) -> Order:
    return market(coid, side, qty, symbol, kind=OrderType.LIMIT, price=Decimal(price), **fields)


def kinds(events: list[OrderEvent]) -> list[str]:
    return [type(event).__name__ for event in events]


def placed_orders(tws: FakeTws) -> list[PlacedOrder]:
    """Every placeOrder the fake received, parsed."""
    return [read_place_order(entry.fields) for entry in tws.requests.named("placeOrder")]
