"""The order catalogue at Interactive Brokers through the broker actor and the fake TWS: what IB has
natively (brackets, trailing stops) goes native; the rest is emulated with plain IB orders."""

from __future__ import annotations

from decimal import Decimal

import trio

from tests.brokers.ib import test_ib_actor as actor_tests
from tests.brokers.ib.ib_helpers import WAIT_S, market, placed_orders
from tradloopd.messages import AlgoFilled, OrderAccepted, Trail, Twap
from tradloopd.model import OrderStatus, OrderType, Side

running = actor_tests.running  # the broker actor with the IB broker on the fake TWS


async def progress(running, coid: str) -> AlgoFilled:  # type: ignore[no-untyped-def]
    """The next AlgoFilled of `coid` the strategy gets (other messages skipped), within WAIT_S."""
    with trio.fail_after(WAIT_S):
        async for message in running.strategy:
            if isinstance(message, AlgoFilled) and message.client_order_id == coid:
                return message
    raise AssertionError("strategy channel closed")


async def test_a_bracket_goes_to_ib_as_its_native_group(running, tws):
    await running.submit(market("b-1", qty="10", stop_loss=Decimal("190.00"), take_profit=Decimal("210.00")))
    events = await running.events(4)
    assert {(type(e).__name__, e.client_order_id) for e in events[2:]} == {
        ("OrderAccepted", "b-1.sl"), ("OrderAccepted", "b-1.tp")}
    parent, stop, target = placed_orders(tws)
    assert (parent.order_ref, parent.order_type) == ("b-1", "MKT")
    assert (stop.order_ref, stop.order_type, stop.parent_id) == ("b-1.sl", "STP", parent.order_id)
    assert (target.order_ref, target.order_type, target.parent_id) == ("b-1.tp", "LMT", parent.order_id)


async def test_a_trailing_stop_goes_to_ib_as_its_native_trail(running, tws):
    trailing = market("t-1", Side.SELL, qty="10", kind=OrderType.STOP, trigger_price=Decimal("195.00"),
                      trail=Trail(amount=Decimal("5.00")))
    await running.submit(trailing)
    [accepted] = await running.events(1)
    assert isinstance(accepted, OrderAccepted)
    [placed] = placed_orders(tws)
    assert (placed.order_ref, placed.order_type, placed.aux_price, placed.trail_stop_price) == (
        "t-1", "TRAIL", Decimal("5.0"), Decimal("195.0"))


async def test_a_trailing_stop_with_an_activation_price_is_emulated_with_a_plain_stop(running, tws):
    trailing = market("t-2", Side.SELL, qty="10", kind=OrderType.STOP, trigger_price=Decimal("195.00"),
                      trail=Trail(percent=Decimal(2), activation=Decimal("150.00")))
    await running.submit(trailing)
    assert isinstance((await running.events(1))[0], OrderAccepted)  # by the emulator: held
    assert placed_orders(tws) == []  # nothing at IB until a bar reaches the activation price


async def test_a_twap_at_ib_sends_plain_market_orders(running, tws, clock):
    twap = market("w-1", qty="30", algo=Twap(duration_ns=3 * 10**9, slices=3), ts_init=clock.now_ns())
    await running.submit(twap)
    for _ in range(3):
        await progress(running, "w-1")
        clock.set(clock.now_ns() + 10**9)
    assert running.actor.account.orders.get("w-1").status is OrderStatus.FILLED
    assert [(o.order_ref, o.order_type, o.quantity) for o in placed_orders(tws)] == [
        ("w-1.1", "MKT", 10), ("w-1.2", "MKT", 10), ("w-1.3", "MKT", 10)]
    assert running.actor.account.orders.get("w-1").filled_qty == 30  # the children's fills, counted
    assert running.actor.account.position("AAPL") == 30  # booked once: on the children
