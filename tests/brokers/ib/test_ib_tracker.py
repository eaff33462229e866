"""The IB adapter's pure core: each IB observation becomes our order events once, in a legal order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradloopd.brokers.ib.tracker import ExecutionReport, OrderTracker, VenueOrderState, story
from tradloopd.errors import InvariantError
from tradloopd.messages import Order, OrderAccepted, OrderCanceled, OrderFilled, OrderRejected
from tradloopd.model import Liquidity, Side
from tradloopd.orders.exits import exit_orders
from tradloopd.orders.state import TrackedOrder


def _order(coid: str = "o-1", qty: str = "10", **fields: object) -> Order:
    return Order(client_order_id=coid, symbol="AAPL", side=Side.BUY, quantity=Decimal(qty), **fields)  # type: ignore[arg-type]


def _fill(exec_id: str, qty: str, coid: str = "o-1", ts: int = 5) -> ExecutionReport:
    return ExecutionReport(venue_order_id="900", fill=OrderFilled(
        client_order_id=coid, fill_id=exec_id, symbol="AAPL", side=Side.BUY, quantity=Decimal(qty),
        price=Decimal(200), fee=Decimal(1), liquidity=Liquidity.TAKER, ts_event=ts))


def _bracket(**exits: Decimal) -> OrderTracker:
    """A tracker with a buy of 10 (o-1) and its exit legs sent, everything accepted."""
    parent = _order(**exits)
    legs = exit_orders(parent, Decimal(10), 0)
    tracker = OrderTracker()
    tracker.expect(parent, legs, 1)
    for n, order in enumerate([parent, *legs]):
        tracker.accepted(order.client_order_id, str(900 + n), 1)
    return tracker


def _sent(*orders: Order, generation: int = 1) -> OrderTracker:
    tracker = OrderTracker()
    for order in orders:
        tracker.expect(order, [], generation)
    return tracker


def _names(events: list) -> list[tuple[str, str]]:
    return [(type(e).__name__, e.client_order_id) for e in events]


def _apply(order: Order, events: list) -> TrackedOrder:
    """Feed the events to our own order state machine: it raises on any illegal sequence."""
    tracked = TrackedOrder(order)
    tracked.mark_submitted(0)
    for event in events:
        tracked.apply(event)
    return tracked


def test_nothing_of_an_order_is_handed_out_before_its_decision():
    tracker = _sent(_order())
    tracker.execution_seen("o-1", "e1")
    tracker.filled(_fill("e1", "4"))  # IB may report a fill before we looked at the acknowledgement
    assert tracker.drain() == []
    events = tracker.announce("o-1")
    assert _names(events) == [("OrderAccepted", "o-1"), ("OrderFilled", "o-1")]
    tracker.filled(_fill("e2", "6"))
    assert _names(tracker.drain()) == [("OrderFilled", "o-1")]
    assert _apply(_order(), [*events, _fill("e2", "6").fill]).status == "filled"


def test_a_repeated_execution_is_reported_once():
    tracker = _sent(_order())
    tracker.accepted("o-1", "900", 1)
    tracker.announce("o-1")
    tracker.filled(_fill("e1", "4"))
    tracker.filled(_fill("e1", "4"))
    tracker.reconcile([], [_fill("e1", "4")], 9)
    assert len(tracker.drain()) == 1


def test_a_cancel_waits_for_the_commission_of_a_fill_already_executed():
    tracker = _sent(_order())
    tracker.accepted("o-1", "900", 1)
    tracker.announce("o-1")
    tracker.execution_seen("o-1", "e1")
    tracker.canceled("o-1", "900", "cancelled at IB", 2)
    assert tracker.drain() == []
    tracker.filled(_fill("e1", "4"))
    events = tracker.drain()
    assert [type(e) for e in events] == [OrderFilled, OrderCanceled]
    assert _apply(_order(), [OrderAccepted(client_order_id="o-1", venue_order_id="900", ts_event=1),
                             *events]).status == "canceled"


def test_an_ib_error_rejects_an_order_not_yet_accepted_and_cancels_an_accepted_one():
    tracker = _sent(_order("a"), _order("b"))
    tracker.failed("a", 201, "Order rejected - reason:no", 1)
    tracker.accepted("b", "901", 1)
    tracker.failed("b", 202, "Order Canceled - reason:", 2)
    [rejected] = tracker.announce("a")
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason == "IB error 201: Order rejected - reason:no"
    assert [type(e) for e in tracker.announce("b")] == [OrderAccepted, OrderCanceled]
    tracker.failed("b", 202, "again", 3)
    tracker.canceled("b", "901", "again", 3)
    assert tracker.drain() == []


def test_a_fill_after_the_order_ended_is_a_broken_invariant():
    tracker = _sent(_order())
    tracker.canceled("o-1", "900", "gone", 1)
    with pytest.raises(InvariantError, match="after the order ended"):
        tracker.filled(_fill("e9", "1"))


def test_bracket_legs_appear_when_the_parent_has_filled():
    tracker = _bracket(stop_loss=Decimal(190), take_profit=Decimal(210))
    assert _names(tracker.announce("o-1")) == [("OrderAccepted", "o-1")]
    tracker.filled(_fill("e1", "10"))
    assert _names(tracker.drain()) == [("OrderFilled", "o-1"), ("OrderAccepted", "o-1.sl"),
                                       ("OrderAccepted", "o-1.tp")]
    tracker.filled(_fill("e2", "10", coid="o-1.tp"))
    tracker.canceled("o-1.sl", "x", "Cancelled by OCA", 3)
    assert _names(tracker.drain()) == [("OrderFilled", "o-1.tp"), ("OrderCanceled", "o-1.sl")]


def test_legs_of_a_parent_that_never_filled_stay_silent():
    tracker = _bracket(stop_loss=Decimal(190))
    tracker.announce("o-1")
    tracker.canceled("o-1.sl", "901", "with its parent", 2)
    tracker.canceled("o-1", "900", "by trader", 2)
    assert _names(tracker.drain()) == [("OrderCanceled", "o-1")]


def test_an_unresolved_order_resolves_with_its_legs_once_the_parent_is_done():
    parent = _order(take_profit=Decimal(210))
    tracker = OrderTracker()
    tracker.expect(parent, exit_orders(parent, Decimal(10), 0), 1)
    tracker.unresolved("o-1", "dropped", 1)
    tracker.reconcile([], [_fill("e1", "10")], 2)  # after the reconnect: the parent filled
    tracker.accepted("o-1.tp", "901", 2)
    assert tracker.drain() == []
    assert _names(tracker.announce("o-1")) == [("OrderAccepted", "o-1"), ("OrderFilled", "o-1"),
                                               ("OrderAccepted", "o-1.tp")]


def test_an_order_ib_never_got_on_a_lost_connection_is_rejected():
    tracker = _sent(_order(), generation=1)
    assert tracker.generation("o-1") == 1
    tracker.lost("o-1", "never reached IB", 4)
    [rejected] = tracker.announce("o-1")
    assert isinstance(rejected, OrderRejected) and rejected.reason == "never reached IB"


def test_reconcile_applies_fills_before_the_cancel_ib_lists():
    tracker = _sent(_order())
    tracker.accepted("o-1", "900", 1)
    tracker.announce("o-1")
    state = VenueOrderState(client_order_id="o-1", venue_order_id="900", ib_order_id=3, symbol="AAPL",
                            side=Side.BUY, quantity=Decimal(10), filled=Decimal(4), status="Cancelled")
    tracker.reconcile([state], [_fill("e1", "4")], 9)
    assert [type(e) for e in tracker.drain()] == [OrderFilled, OrderCanceled]


def test_an_adopted_order_passes_on_new_fills_not_old_ones():
    tracker = OrderTracker()
    state = VenueOrderState(client_order_id="o-1", venue_order_id="900", ib_order_id=3, symbol="AAPL",
                            side=Side.BUY, quantity=Decimal(10), filled=Decimal(4), status="Submitted")
    tracker.adopt(state, ["e1"])
    tracker.reconcile([state], [_fill("e1", "4"), _fill("e2", "6")], 9)
    assert [(type(e), e.fill_id) for e in tracker.drain()] == [(OrderFilled, "e2")]


def test_the_story_of_an_earlier_runs_order_is_complete_and_legal():
    state = VenueOrderState(client_order_id="o-1", venue_order_id="900", ib_order_id=0, symbol="AAPL",
                            side=Side.BUY, quantity=Decimal(10), filled=Decimal(4), status="Cancelled",
                            reason="Cancelled by Trader")
    events = story(state, [_fill("e1", "4", ts=3)], ts=50)
    assert [type(e) for e in events] == [OrderAccepted, OrderFilled, OrderCanceled]
    assert events[0].ts_event == 3 and events[2].reason == "Cancelled by Trader"
    assert _apply(_order(), events).filled_qty == 4
    assert story(None, [], 1) == []


def test_finished_orders_are_forgotten_beyond_the_limit():
    tracker = OrderTracker(max_finished=2)
    for n in range(5):
        tracker.expect(_order(f"o-{n}"), [], 1)
        tracker.failed(f"o-{n}", 201, "no", 1)
        tracker.announce(f"o-{n}")
    tracker.drain()
    assert [tracker.knows(f"o-{n}") for n in range(5)] == [False, False, False, True, True]


def test_the_whole_story_repeats_what_was_handed_out_and_includes_the_legs():
    tracker = _bracket(take_profit=Decimal(210))
    first = tracker.announce("o-1")
    tracker.filled(_fill("e1", "10"))
    queued = tracker.drain()
    assert _names(tracker.whole_story("o-1")) == _names(first + queued) == [
        ("OrderAccepted", "o-1"), ("OrderFilled", "o-1"), ("OrderAccepted", "o-1.tp")]
    assert tracker.drain() == []
