"""IB's native bracket (parent and exit legs in one transmitted group) and native trailing stops."""

from __future__ import annotations

from decimal import Decimal

from tests.brokers.ib.ib_helpers import events_until, kinds, limit, market, placed_orders
from tradloopd.brokers.ib.convert import Trail
from tradloopd.messages import OrderAccepted, OrderCanceled, OrderFilled, OrderRejected
from tradloopd.model import OrderType, Side


async def _story(broker, order, count):
    events = await broker.submit(order)
    return events + await events_until(broker, count - len(events)) if len(events) < count else events


async def test_a_bracket_goes_as_one_group_and_its_legs_start_when_the_entry_fills(broker, tws):
    entry = market("b-1", qty="100", stop_loss=Decimal("190.00"), take_profit=Decimal("210.00"))
    events = await _story(broker, entry, 4)
    assert kinds(events[:2]) == ["OrderAccepted", "OrderFilled"]
    assert {(type(e).__name__, e.client_order_id) for e in events[2:]} == {
        ("OrderAccepted", "b-1.sl"), ("OrderAccepted", "b-1.tp")}

    parent, stop, target = placed_orders(tws)
    assert (parent.order_ref, parent.transmit, parent.order_type) == ("b-1", False, "MKT")
    assert (stop.order_ref, stop.parent_id, stop.order_type, stop.aux_price, stop.transmit) == (
        "b-1.sl", parent.order_id, "STP", Decimal("190.0"), False)
    assert (target.order_ref, target.parent_id, target.order_type, target.limit_price, target.transmit) == (
        "b-1.tp", parent.order_id, "LMT", Decimal("210.0"), True)  # the last one sends the group
    assert stop.action == target.action == "SELL" and stop.quantity == target.quantity == 100

    tws.set_price("AAPL", "210.50")
    exits = await events_until(broker, 2)
    assert [(type(e).__name__, e.client_order_id) for e in exits] == [
        ("OrderFilled", "b-1.tp"), ("OrderCanceled", "b-1.sl")]  # IB cancels the other leg
    assert exits[0].price == Decimal(210)


async def test_a_bracket_cancelled_before_its_entry_fills_says_nothing_of_its_legs(broker, tws):
    entry = limit("b-2", "180.00", qty="10", stop_loss=Decimal("170.00"), take_profit=Decimal("190.00"))
    assert kinds(await broker.submit(entry)) == ["OrderAccepted"]
    assert kinds(await broker.cancel("b-2", "AAPL")) == ["OrderCanceled"]
    tws.set_price("AAPL", "169.00")
    assert await broker.poll() == []  # the legs never existed for our ledger
    assert {o.status for o in tws.exchange.orders.values()} == {"Cancelled"}


async def test_a_bracket_whose_stop_is_hit_sells_at_the_market(broker, tws):
    entry = market("b-3", qty="10", stop_loss=Decimal("195.00"))
    events = await _story(broker, entry, 3)
    assert [e.client_order_id for e in events] == ["b-3", "b-3", "b-3.sl"]
    tws.set_price("AAPL", "194.00")
    [fill] = await events_until(broker, 1)
    assert (fill.client_order_id, fill.side, fill.price) == ("b-3.sl", Side.SELL, Decimal(194))


async def test_a_trailing_stop_follows_the_price_up_by_its_amount_then_sells(broker, tws):
    trailing = market("t-1", Side.SELL, qty="10", kind=OrderType.STOP, trigger_price=Decimal("195.00"))
    assert kinds(await broker.submit(trailing, trail=Trail(amount=Decimal("5.00")))) == ["OrderAccepted"]
    [placed] = placed_orders(tws)
    assert (placed.order_type, placed.aux_price, placed.trail_stop_price) == (
        "TRAIL", Decimal("5.0"), Decimal("195.0"))
    tws.set_price("AAPL", "210.00")  # the stop follows to 205
    tws.set_price("AAPL", "205.50")
    assert await broker.poll() == []
    tws.set_price("AAPL", "204.90")
    [fill] = await events_until(broker, 1)
    assert isinstance(fill, OrderFilled) and fill.price == Decimal("204.9")


async def test_a_trailing_buy_stop_by_percent_follows_the_price_down(broker, tws):
    trailing = market("t-2", Side.BUY, qty="10", kind=OrderType.STOP, trigger_price=Decimal("210.00"))
    await broker.submit(trailing, trail=Trail(percent=Decimal(1)))
    assert placed_orders(tws)[0].trailing_percent == Decimal("1.0")
    tws.set_price("AAPL", "190.00")  # the stop follows down to 191.90
    tws.set_price("AAPL", "191.80")
    assert await broker.poll() == []
    tws.set_price("AAPL", "192.00")
    [fill] = await events_until(broker, 1)
    assert fill.price == Decimal(192)


async def test_a_trailing_stop_limit_is_ibs_trail_limit_with_the_limit_offset(broker, tws):
    order = market("t-3", Side.SELL, qty="10", kind=OrderType.STOP_LIMIT, trigger_price=Decimal("195.00"),
                   price=Decimal("194.50"))
    assert kinds(await broker.submit(order, trail=Trail(amount=Decimal("2.00")))) == ["OrderAccepted"]
    [placed] = placed_orders(tws)
    assert (placed.order_type, placed.limit_price_offset) == ("TRAIL LIMIT", Decimal("0.5"))


async def test_a_trail_on_a_limit_order_is_refused_before_sending(broker, tws):
    [rejected] = await broker.submit(limit("t-4", "190.00"), trail=Trail(amount=Decimal(1)))
    assert isinstance(rejected, OrderRejected) and "stop" in rejected.reason
    assert tws.requests.count("placeOrder") == 0


async def test_an_oca_cancel_of_a_leg_does_not_end_the_filled_parent(broker, tws):
    events = await _story(broker, market("b-4", qty="5", stop_loss=Decimal("150.00"),
                                         take_profit=Decimal("250.00")), 4)
    assert isinstance(events[0], OrderAccepted)
    cancelled = await broker.cancel("b-4.tp", "AAPL")
    assert [(type(e).__name__, e.client_order_id) for e in cancelled] == [("OrderCanceled", "b-4.tp")]
    assert not [e for e in await broker.poll() if isinstance(e, OrderCanceled)]
