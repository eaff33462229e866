"""A submit whose answer is lost is unresolved, and resolved by orderRef after reconnecting — never resent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.brokers.ib.ib_helpers import events_until, kinds, limit, market, open_broker
from tradloopd.demo.tws.faults import Delay, Drop
from tradloopd.messages import OrderRejected, OrderUnresolved


async def test_a_dropped_connection_during_submit_is_resolved_from_ib_without_resending(broker, tws):
    order = market("u-1", qty="100")
    tws.faults.inject(Drop(on="placeOrder"))  # IB takes the order (it fills), the answer is lost
    [unresolved] = await broker.submit(order)
    assert isinstance(unresolved, OrderUnresolved)
    assert "connection to IB dropped" in unresolved.reason
    assert await broker.poll() == []  # reconnected; the order's story waits for resolve

    events = await broker.resolve(order)
    assert kinds(events) == ["OrderAccepted", "OrderFilled"]
    assert (events[1].quantity, events[1].price, events[1].fee) == (100, Decimal(200), Decimal("1.00"))
    assert tws.requests.count("placeOrder") == 1  # found by its orderRef, never sent again
    assert tws.connections == 2
    assert await broker.resolve(order) == events  # the same story again (the actor keeps what is new)


async def test_a_resolved_order_keeps_reporting_through_poll(broker, tws):
    order = limit("u-2", "190.00", qty="10")
    tws.faults.inject(Drop(on="placeOrder"))
    assert kinds(await broker.submit(order)) == ["OrderUnresolved"]
    assert kinds(await broker.resolve(order)) == ["OrderAccepted"]
    tws.set_price("AAPL", "189.00")
    [fill] = await events_until(broker, 1)
    assert (fill.client_order_id, fill.price) == ("u-2", Decimal(190))


async def test_an_order_lost_with_the_connection_is_rejected_by_resolve(broker, tws):
    order = market("u-3")
    tws.faults.inject(Drop(on="placeOrder", after_handling=False))  # the order never reaches IB
    assert kinds(await broker.submit(order)) == ["OrderUnresolved"]
    [rejected] = await broker.resolve(order)
    assert isinstance(rejected, OrderRejected)
    assert "dropped before IB received the order" in rejected.reason
    assert tws.exchange.orders == {}
    assert tws.requests.count("placeOrder") == 1


async def test_a_silent_ib_leaves_the_order_unresolved_until_it_can_tell(tws, aio, clock):
    async with open_broker(tws, clock, ack_timeout_s=0.2) as broker:
        order = market("u-4")
        tws.faults.inject(Delay(on="placeOrder", delay_s=30.0))  # IB sits on it
        [unresolved] = await broker.submit(order)
        assert isinstance(unresolved, OrderUnresolved) and "did not acknowledge" in unresolved.reason
        assert await broker.resolve(order) == []  # still connected: IB may yet take it
        tws.drop_connections()  # the delayed order dies with its connection
        await broker.wait_for_events()
        [rejected] = await broker.resolve(order)
        assert isinstance(rejected, OrderRejected)
        assert tws.exchange.orders == {}


async def test_resolving_an_order_ib_never_heard_of_is_a_rejection(broker):
    [rejected] = await broker.resolve(market("nobody-1"))
    assert isinstance(rejected, OrderRejected) and "never reached IB" in rejected.reason


@pytest.mark.parametrize("after_handling", [True, False])
async def test_a_bracket_whose_parent_message_is_lost_is_rejected_by_resolve(broker, tws, after_handling):
    order = market("u-5", qty="10", stop_loss=Decimal("180.00"), take_profit=Decimal("220.00"))
    tws.faults.inject(Drop(on="placeOrder", after_handling=after_handling))  # the parent's message
    assert kinds(await broker.submit(order)) == ["OrderUnresolved"]
    assert kinds(await broker.resolve(order)) == ["OrderRejected"]
    # at most the parent arrived, never transmitted (its children were lost): nothing traded
    assert {o.status for o in tws.exchange.orders.values()} <= {"PendingSubmit"}
    assert tws.exchange.executions == []


async def test_a_bracket_whose_answers_are_lost_is_resolved_with_its_legs(broker, tws):
    order = market("u-6", qty="10", stop_loss=Decimal("180.00"), take_profit=Decimal("220.00"))
    tws.faults.inject(Drop(on="placeOrder", skip=2))  # the last leg transmits the group, then the line drops
    assert kinds(await broker.submit(order)) == ["OrderUnresolved"]
    events = await broker.resolve(order)
    assert [(type(e).__name__, e.client_order_id) for e in events[:2]] == [
        ("OrderAccepted", "u-6"), ("OrderFilled", "u-6")]
    assert {(type(e).__name__, e.client_order_id) for e in events[2:]} == {
        ("OrderAccepted", "u-6.sl"), ("OrderAccepted", "u-6.tp")}
    assert tws.requests.count("placeOrder") == 3
    tws.set_price("AAPL", "179.00")
    exits = await events_until(broker, 2)
    assert [(type(e).__name__, e.client_order_id) for e in exits] == [
        ("OrderFilled", "u-6.sl"), ("OrderCanceled", "u-6.tp")]
