"""Kinds a venue lacks, emulated through the ones it has: brackets, trailing stops, if-touched.

The paper venue is told it has none of them (`Natives()`), so these tests see exactly what a live
venue without them gets: only plain market, limit, stop and stop-limit orders reach the matcher.
"""

from __future__ import annotations

from decimal import Decimal

from tests.orders.emulated import D, Desk, child_fills, names, order
from tradloopd.messages import OrderEvent, OrderPlaced, Trail
from tradloopd.model import OrderStatus, OrderType
from tradloopd.orders.emulator import Natives
from tradloopd.simulator import Simulator

BARE = Natives()


def bare() -> Desk:
    desk = Desk(lot=Decimal(1))
    desk.sim = Simulator(desk.sim.config, desk.sim.instruments, D(100_000), desk.last, natives=BARE)
    return desk


def plain_only(desk: Desk) -> None:
    for working in desk.sim.by_id.values():
        order = working.order
        assert order.trail is None and not order.if_touched and order.stop_loss is None, order


BRACKET_BARS = [(100.0, 100.5, 99.0, 100.2), (100.2, 101.0, 99.5, 100.8), (100.8, 104.0, 100.5, 103.5),
                (103.5, 103.6, 97.0, 97.5), (97.5, 98.0, 95.0, 96.0)]


def run_bracket(desk: Desk) -> list[OrderEvent]:
    events = desk.submit(order("e", "buy", 3, kind="limit", price="99.5", stop_loss=97, take_profit=104))
    for bar in BRACKET_BARS:
        events += desk.bar(*bar)
        plain_only(desk)
    return events


def test_an_emulated_bracket_journals_exactly_what_the_native_one_does():
    native, emulated = Desk(lot=Decimal(1)), bare()
    expected = run_bracket(native)
    assert run_bracket(emulated) == expected
    assert names(expected)[-2:] == [("Filled", "e.tp"), ("Canceled", "e.sl")]
    assert emulated.position() == native.position() == 0


def test_an_emulated_trailing_stop_is_a_plain_stop_moved_at_each_bar_close():
    desk = bare()
    desk.submit("e", "buy", 2)
    desk.bar(100.0, 100.0, 100.0, 100.0)
    events = desk.submit(order("t", "sell", 2, kind="stop", trigger_price=97, reduce_only=True,
                               trail=Trail(amount=D(3))))
    assert [(e.order.kind, e.order.trigger_price) for e in events if isinstance(e, OrderPlaced)] == [
        (OrderType.STOP, D(97))]
    events = desk.bar(100.0, 104.0, 99.5, 103.0)  # the high 104: the stop moves to 101 at the close
    assert names(events) == [("Canceled", "t.1"), ("Placed", "t.2"), ("Accepted", "t.2")]
    plain_only(desk)
    assert desk.sim.by_id["t.2"].order.trigger_price == D(101)
    fall = desk.bar(103.0, 103.0, 100.0, 100.5)
    assert child_fills(fall) == [("t.2", D(2), D(101))] and desk.status("t") is OrderStatus.FILLED


def test_an_emulated_trailing_stop_waits_for_a_bar_reaching_its_activation():
    desk = bare()
    desk.submit(order("t", "sell", 1, kind="stop", trail=Trail(percent=D(2), activation=D(105))))
    assert desk.bar(100.0, 104.0, 99.0, 103.0) == []
    events = desk.bar(103.0, 110.0, 102.0, 109.0)  # active: 110 x 0.98 = 107.8
    placed = [e.order for e in events if isinstance(e, OrderPlaced)]
    assert [(o.kind, o.trigger_price) for o in placed] == [(OrderType.STOP, D("107.8"))]


def test_an_emulated_market_if_touched_order_is_sent_as_a_market_order_after_the_touching_bar():
    desk = bare()
    desk.submit(order("m", "buy", 1, kind="stop", trigger_price=98, if_touched=True))
    assert desk.held() == ["m"]
    events = desk.bar(100.0, 101.0, 97.5, 99.0)  # touched 98 during the bar: known at its close
    assert names(events) == [("Triggered", "m")] and desk.working() == ["m"]
    plain_only(desk)
    assert child_fills(desk.bar(99.0, 99.5, 98.5, 99.2)) == [("m", D(1), D(99))]
    assert desk.status("m") is OrderStatus.FILLED


def test_an_emulated_limit_if_touched_order_becomes_its_limit():
    desk = bare()
    desk.submit(order("l", "sell", 1, kind="stop_limit", trigger_price=103, price="102.5", if_touched=True))
    desk.bar(100.0, 103.5, 100.0, 102.0)
    [working] = desk.sim.working_orders()
    assert (working.kind, working.price, working.trigger_price) == (OrderType.LIMIT, D("102.5"), None)
