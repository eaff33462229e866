"""Reconnecting after TWS goes away, and a daemon restart finding its orders at IB by orderRef."""

from __future__ import annotations

from decimal import Decimal

import pytest
import trio

from tests.brokers.ib.ib_helpers import WAIT_S, events_until, kinds, limit, market, open_broker
from tradloopd.demo.tws.faults import Delay, Drop
from tradloopd.errors import VenueUnavailable
from tradloopd.messages import OrderCanceled, OrderFilled


async def test_a_fill_while_tws_restarts_is_reported_after_the_reconnect(broker, tws):
    await broker.submit(limit("r-1", "195.00", qty="10"))
    await tws.stop()
    tws.set_price("AAPL", "194.00")  # fills while nobody is connected
    await tws.start()
    [fill] = await events_until(broker, 1)
    assert isinstance(fill, OrderFilled) and (fill.client_order_id, fill.price) == ("r-1", Decimal(195))
    assert tws.connections == 2
    assert await broker.poll() == []  # reported once


async def test_a_cancel_at_ib_while_disconnected_is_reported_after_the_reconnect(broker, tws):
    await broker.submit(limit("r-2", "150.00", qty="10"))
    tws.drop_connections()
    await broker.wait_for_events()  # the broker noticed
    assert not broker.connected
    order_id = next(key for key, order in tws.exchange.orders.items() if order.placed.order_ref == "r-2")
    tws.exchange.cancel(*order_id)  # cancelled in TWS by hand meanwhile
    [cancel] = await events_until(broker, 1)
    assert isinstance(cancel, OrderCanceled) and cancel.client_order_id == "r-2"


async def test_orders_after_a_reconnect_get_fresh_ib_order_ids(broker, tws):
    await broker.submit(market("r-3", qty="1"))
    await events_until(broker, 1)
    await tws.restart()
    await broker.wait_for_events()
    assert kinds(await broker.submit(market("r-4", qty="1"))) == ["OrderAccepted"]
    assert kinds(await events_until(broker, 1)) == ["OrderFilled"]
    first, second = (placed.fields[1] for placed in tws.requests.named("placeOrder"))
    assert int(second) > int(first)


async def test_tws_down_longer_than_the_reconnect_timeout_is_venue_unavailable(tws, aio, clock):
    async with open_broker(tws, clock, reconnect_timeout_s=0.3) as broker:
        await tws.stop()
        await broker.wait_for_events()
        with trio.fail_after(WAIT_S), pytest.raises(VenueUnavailable, match=r"gave up after 0\.3 s"):
            await broker.poll()
        await tws.start()
        assert await broker.poll() == []
        assert broker.connected


async def test_a_second_connection_with_the_same_client_id_is_refused_at_once(broker, tws, aio, clock):
    with trio.fail_after(WAIT_S), pytest.raises(VenueUnavailable, match="refused the connection"):
        async with open_broker(tws, clock, reconnect_timeout_s=0):
            pass
    assert broker.connected  # the first session is untouched


async def test_a_restarted_daemon_finds_its_orders_and_does_not_send_them_twice(tws, aio, clock):
    resting = limit("d-1", "190.00", qty="10")
    async with open_broker(tws, clock) as first:
        assert kinds(await first.submit(resting)) == ["OrderAccepted"]
    async with open_broker(tws, clock) as second:  # the same client id, a new process
        assert kinds(await second.submit(resting)) == ["OrderAccepted"]  # the journal had no answer
        assert tws.requests.count("placeOrder") == 1
        tws.set_price("AAPL", "189.00")
        [fill] = await events_until(second, 1)  # its new events come through poll
        assert (fill.client_order_id, fill.price) == ("d-1", Decimal(190))


async def test_a_restarted_daemon_can_cancel_an_order_of_the_earlier_run(tws, aio, clock):
    async with open_broker(tws, clock) as first:
        await first.submit(limit("d-2", "150.00", qty="10"))
    async with open_broker(tws, clock) as second:
        assert [(type(e).__name__, e.client_order_id) for e in await second.cancel("d-2", "AAPL")] == [
            ("OrderCanceled", "d-2")]


async def test_a_restarted_daemon_resolves_an_order_the_earlier_run_lost(tws, aio, clock):
    order = market("d-3", qty="20")
    async with open_broker(tws, clock) as first:
        tws.faults.inject(Drop(on="placeOrder"))
        assert kinds(await first.submit(order)) == ["OrderUnresolved"]
    async with open_broker(tws, clock) as second:
        events = await second.resolve(order)
        assert kinds(events) == ["OrderAccepted", "OrderFilled"]
        assert events[1].quantity == 20 and events[1].fee == Decimal("1.00")
        assert tws.requests.count("placeOrder") == 1


async def test_a_request_ib_is_slow_to_answer_is_venue_unavailable(tws, aio, clock):
    async with open_broker(tws, clock, request_timeout_s=0.3) as broker:
        tws.faults.inject(Delay(on="reqPositions", delay_s=30.0))
        with trio.fail_after(WAIT_S), pytest.raises(VenueUnavailable, match="did not answer reqPositions"):
            await broker.snapshot(since_ts=0)
        assert (await broker.snapshot(since_ts=0)).positions == {}  # the next one is answered
