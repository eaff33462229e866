"""The order status state machine: legal transitions change the order, illegal ones raise."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradloopd.errors import IllegalTransition
from tradloopd.messages import (
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderTriggered,
    OrderUnresolved,
)
from tradloopd.model import Liquidity, OrderStatus, Side
from tradloopd.orders.state import TrackedOrder

S = OrderStatus


def placed(qty: str | None = "3", **fields: object) -> Order:
    if qty is None:
        fields.setdefault("notional", Decimal(500))
    return Order(client_order_id="o", symbol="X", side=Side.BUY,
                 quantity=None if qty is None else Decimal(qty), **fields)  # type: ignore[arg-type]


def filled(qty: str, price: str = "10", fee: str = "0.1", ts: int = 5) -> OrderFilled:
    return OrderFilled(client_order_id="o", fill_id=f"f{qty}{ts}", symbol="X", side=Side.BUY,
                       quantity=Decimal(qty), price=Decimal(price), fee=Decimal(fee),
                       liquidity=Liquidity.TAKER, ts_event=ts)


EVENTS = {
    "denied": OrderDenied(client_order_id="o", reason="risk", ts_event=1),
    "accepted": OrderAccepted(client_order_id="o", venue_order_id="V1", ts_event=2),
    "rejected": OrderRejected(client_order_id="o", reason="venue", ts_event=3),
    "triggered": OrderTriggered(client_order_id="o", ts_event=4),
    "filled": filled("1"),
    "canceled": OrderCanceled(client_order_id="o", reason="user", ts_event=6),
    "expired": OrderExpired(client_order_id="o", ts_event=7),
    "unresolved": OrderUnresolved(client_order_id="o", reason="timeout", ts_event=8),
}

# status reached by a path of events from a fresh (initialized) order
PATHS: dict[OrderStatus, list[str]] = {
    S.INITIALIZED: [],
    S.SUBMITTED: ["submit"],
    S.ACCEPTED: ["submit", "accepted"],
    S.TRIGGERED: ["submit", "accepted", "triggered"],
    S.PARTIALLY_FILLED: ["submit", "accepted", "filled"],
    S.UNRESOLVED: ["submit", "unresolved"],
    S.DENIED: ["denied"],
    S.REJECTED: ["submit", "rejected"],
    S.CANCELED: ["submit", "canceled"],
    S.EXPIRED: ["submit", "accepted", "expired"],
    S.FILLED: ["submit", "accepted", "filled", "filled", "filled"],
}

LEGAL: dict[str, set[OrderStatus]] = {
    "denied": {S.INITIALIZED},
    "accepted": {S.SUBMITTED, S.UNRESOLVED},
    "rejected": {S.SUBMITTED, S.UNRESOLVED},
    "triggered": {S.ACCEPTED},
    "filled": {S.SUBMITTED, S.ACCEPTED, S.TRIGGERED, S.PARTIALLY_FILLED, S.UNRESOLVED},
    "canceled": {S.SUBMITTED, S.ACCEPTED, S.TRIGGERED, S.PARTIALLY_FILLED, S.UNRESOLVED},
    "expired": {S.ACCEPTED, S.TRIGGERED, S.PARTIALLY_FILLED},
    "unresolved": {S.SUBMITTED},
}


def order_at(status: OrderStatus) -> TrackedOrder:
    tracked = TrackedOrder(placed())
    for step in PATHS[status]:
        if step == "submit":
            tracked.mark_submitted(1)
        else:
            tracked.apply(EVENTS[step])
    assert tracked.status is status
    return tracked


def snapshot(tracked: TrackedOrder) -> dict[str, object]:
    return {name: getattr(tracked, name) for name in TrackedOrder.__slots__}


@pytest.mark.parametrize("status", list(PATHS))
@pytest.mark.parametrize("event", list(EVENTS))
def test_each_event_is_legal_exactly_from_the_documented_statuses(status, event):
    tracked = order_at(status)
    if status in LEGAL[event]:
        tracked.apply(EVENTS[event])
        assert tracked.status is not status or status is S.PARTIALLY_FILLED
    else:
        before = snapshot(tracked)
        with pytest.raises(IllegalTransition, match=f"order o: {type(EVENTS[event]).__name__} "
                           f"not allowed in {status}"):
            tracked.apply(EVENTS[event])
        assert snapshot(tracked) == before


def test_terminal_statuses_accept_no_event_at_all():
    for status in (S.DENIED, S.REJECTED, S.CANCELED, S.EXPIRED, S.FILLED):
        assert status.is_terminal and not status.is_working
        for event in EVENTS.values():
            with pytest.raises(IllegalTransition):
                order_at(status).apply(event)


def test_submit_only_from_initialized():
    tracked = order_at(S.SUBMITTED)
    with pytest.raises(IllegalTransition, match="submit from submitted"):
        tracked.mark_submitted(2)


def test_fills_accumulate_quantity_cost_fees_and_average_price():
    tracked = order_at(S.ACCEPTED)
    tracked.apply(filled("1", price="10", fee="0.1"))
    assert (tracked.status, tracked.leaves_qty) == (S.PARTIALLY_FILLED, 2)
    tracked.apply(filled("2", price="13", fee="0.2", ts=9))
    assert tracked.status is S.FILLED
    assert (tracked.filled_qty, tracked.filled_cost, tracked.fees) == (3, 36, Decimal("0.3"))
    assert tracked.avg_price == 12
    assert tracked.leaves_qty == 0
    assert tracked.ts_last == 9


def test_accepted_keeps_the_venue_id_and_rejection_the_reason():
    tracked = order_at(S.SUBMITTED)
    tracked.apply(EVENTS["accepted"])
    assert tracked.venue_order_id == "V1"
    other = order_at(S.SUBMITTED)
    other.apply(EVENTS["rejected"])
    assert (other.status, other.reason) == (S.REJECTED, "venue")


def test_unresolved_order_is_still_working_and_resolves_by_a_later_answer():
    tracked = order_at(S.UNRESOLVED)
    assert tracked.status.is_working
    tracked.apply(filled("3"))
    assert tracked.status is S.FILLED


def test_notional_order_is_filled_by_its_first_fill_whatever_the_quantity():
    tracked = TrackedOrder(placed(None))
    tracked.mark_submitted(1)
    assert tracked.leaves_qty is None
    tracked.apply(filled("7"))
    assert tracked.status is S.FILLED and tracked.filled_qty == 7


def test_notional_order_sized_and_cut_by_its_venue_stays_open_for_the_rest():
    tracked = TrackedOrder(placed(None))
    tracked.mark_submitted(1)
    tracked.apply(msgspec.structs.replace(filled("2"), leaves_qty=Decimal(8)))
    assert (tracked.status, tracked.leaves_qty) == (S.PARTIALLY_FILLED, 8)
    with pytest.raises(IllegalTransition, match="fill of 9 with 8 left"):
        tracked.apply(filled("9"))
    tracked.apply(filled("8", ts=6))
    assert (tracked.status, tracked.filled_qty, tracked.leaves_qty) == (S.FILLED, 10, 0)


@pytest.mark.parametrize("qty", ["4", "0", "-1"])
def test_overfill_or_empty_fill_raises_and_changes_no_amount(qty):
    tracked = order_at(S.PARTIALLY_FILLED)  # 1 of 3 filled
    with pytest.raises(IllegalTransition, match=f"fill of {qty} with 2 left"):
        tracked.apply(filled(qty))
    assert (tracked.status, tracked.filled_qty, tracked.fees) == (S.PARTIALLY_FILLED, 1,
                                                                   Decimal("0.1"))


def test_refused_overfill_leaves_the_order_exactly_unchanged():
    tracked = order_at(S.PARTIALLY_FILLED)
    before = snapshot(tracked)
    with pytest.raises(IllegalTransition):
        tracked.apply(filled("5", ts=99))
    assert snapshot(tracked) == before


# Property: random event sequences ----------------------------------------------------------------

fill_events = st.builds(filled, st.sampled_from(["1", "2", "3", "4"]), ts=st.integers(0, 100))
non_fill_events = st.sampled_from([e for k, e in EVENTS.items() if k != "filled"])
event_lists = st.lists(st.one_of(fill_events, non_fill_events, st.just("submit")), max_size=12)


@settings(max_examples=200, deadline=None)
@given(events=event_lists)
def test_random_event_sequences_never_reach_an_illegal_state(events):
    tracked = TrackedOrder(placed())
    for event in events:
        before = snapshot(tracked)
        status = tracked.status
        if event == "submit":
            legal = status is S.INITIALIZED
        else:
            name = next(k for k, v in EVENTS.items() if type(v) is type(event))
            legal = status in LEGAL[name] and (
                name != "filled" or event.quantity <= tracked.leaves_qty)
        if legal:
            tracked.mark_submitted(0) if event == "submit" else tracked.apply(event)
        else:
            with pytest.raises(IllegalTransition):
                tracked.mark_submitted(0) if event == "submit" else tracked.apply(event)
            assert snapshot(tracked) == before  # a refused event changes nothing at all
        assert 0 <= tracked.filled_qty <= 3
        assert (tracked.status is S.FILLED) == (tracked.filled_qty == 3)
        assert tracked.status is not S.INITIALIZED or not tracked.filled_qty
