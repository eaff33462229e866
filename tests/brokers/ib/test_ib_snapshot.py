"""The venue snapshot reconciliation reads: open orders, fills since a time, positions, cash, prices."""

from __future__ import annotations

from decimal import Decimal

from tests.brokers.ib.ib_helpers import T0_NS, events_until, limit, market
from tradloopd.demo.tws.faults import PartialFill
from tradloopd.model import OrderType, Side, TimeInForce


async def test_the_snapshot_shows_positions_cash_open_orders_and_fills(broker, tws):
    for coid, symbol, qty in (("s-1", "AAPL", "100"), ("s-2", "ESZ6", "2"), ("s-3", "EUR/USD", "20000")):
        await broker.submit(market(coid, symbol=symbol, qty=qty))
    await events_until(broker, 3)
    await broker.submit(market("s-4", Side.SELL, qty="100", kind=OrderType.STOP_LIMIT,
                               trigger_price=Decimal("180.00"), price=Decimal("179.50"), tif=TimeInForce.DAY))

    snapshot = await broker.snapshot(since_ts=T0_NS)
    assert snapshot.positions == {"AAPL": 100, "ESZ6": 2, "EUR/USD": 20000}
    assert snapshot.balances == {
        "USD": Decimal(1_000_000) - 100 * 200 - 1 - Decimal("4.50") - 20000 * Decimal("1.1") - 2,
        "EUR": 20000}  # stock bought, future margined (commission only), euros exchanged
    assert sorted((f.client_order_id, f.quantity, f.fee) for f in snapshot.fills) == [
        ("s-1", 100, Decimal(1)), ("s-2", 2, Decimal("4.5")), ("s-3", 20000, Decimal(2))]
    [working] = snapshot.open_orders
    assert (working.client_order_id, working.symbol, working.side, working.kind, working.quantity,
            working.price, working.trigger_price, working.tif, working.status) == (
        "s-4", "AAPL", Side.SELL, OrderType.STOP_LIMIT, 100, Decimal("179.5"), Decimal(180),
        TimeInForce.DAY, "open")
    assert snapshot.prices == {"AAPL": 200, "ESZ6": 6000, "EUR/USD": Decimal("1.1")}


async def test_fills_before_the_asked_time_are_left_out(broker, tws, clock):
    await broker.submit(market("s-5", qty="1"))
    await events_until(broker, 1)
    clock.set(T0_NS + 60_000_000_000)
    await broker.submit(market("s-6", qty="2"))
    await events_until(broker, 1)
    snapshot = await broker.snapshot(since_ts=T0_NS + 30_000_000_000)
    assert [f.client_order_id for f in snapshot.fills] == ["s-6"]
    assert snapshot.positions == {"AAPL": 3}


async def test_a_partly_filled_open_order_shows_what_it_filled(broker, tws):
    tws.faults.inject(PartialFill(parts=[Decimal(30)]))
    await broker.submit(limit("s-7", "200.00", qty="100"))
    await events_until(broker, 1)
    [working] = (await broker.snapshot(since_ts=T0_NS)).open_orders
    assert (working.client_order_id, working.filled_qty, working.quantity) == ("s-7", 30, 100)
